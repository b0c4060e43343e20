/**
 * Reading a pool's ledger from outside its workflow (the state API, `explain`, tests, the benchmark). A running
 * pool answers its ledger query; a parked one (v0.12.0: its run ended while idle) holds nothing the API server does
 * not show, so its ledger is the API server's bindings, built by the caller from the cache (`parkedLedgerView`).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ledgerQuery, poolWorkflowId, type LedgerView, type ObjectRef } from '../../workflows/messages.js';

export async function readPoolLedger(client: Client, pool: ObjectRef, parked: () => LedgerView): Promise<LedgerView> {
  const h = client.workflow.getHandle(poolWorkflowId(pool));
  try {
    // A query to a closed run would replay its whole history to answer with what it held when it ended.
    if ((await h.describe()).status.name !== 'RUNNING') return parked();
    return await h.query(ledgerQuery);
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return parked();
    throw e;
  }
}
