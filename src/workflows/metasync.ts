/**
 * MetaSyncWorkflow: one per watched namespace. Collects which objects changed (deduplicated keys) and placement
 * rows, and writes them to MySQL with activities that retry until the database answers. Placement never waits for
 * it; an outage only delays the rows, and because every write reads the object's newest state (and rows carry the
 * resourceVersion), nothing is lost and nothing older overwrites something newer.
 */
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo, allHandlersFinished, setCurrentDetails } from '@temporalio/workflow';
import type { createMetaSyncActivities } from '../activities/metasync.js';
import { metasyncDirtySignal, metasyncPlacementSignal, type MetaSyncWorkflowInput } from './messages.js';
import type { PlacementRow } from '../plugins/metasync/writer.js';

type Acts = ReturnType<typeof createMetaSyncActivities>;

const acts = proxyActivities<Acts>({
  startToCloseTimeout: '60s',
  // Unlimited attempts: the rows must land once the database is back.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

const BATCH = 200;

export async function metaSyncWorkflow(input: MetaSyncWorkflowInput): Promise<void> {
  const pending = new Map<string, number>(); // key → generation, so a key dirtied during a flush is flushed again
  let gen = 0;
  for (const k of input.pending ?? []) pending.set(k, ++gen);
  const placements: PlacementRow[] = [...(input.placements ?? [])];
  const tombstones = new Map(Object.entries(input.tombstones ?? {}));
  let written = input.written ?? 0;

  setHandler(metasyncDirtySignal, ({ key, tombstone }) => {
    pending.set(key, ++gen);
    if (tombstone) tombstones.set(key, tombstone);
  });
  setHandler(metasyncPlacementSignal, (row) => void placements.push(row));

  for (;;) {
    while (pending.size > 0 || placements.length > 0) {
      const batch = [...pending.entries()].slice(0, BATCH);
      const rows = placements.slice(0, BATCH);
      setCurrentDetails(`writing ${pending.size} objects and ${placements.length} placements`);
      await acts.metasyncFlush({
        namespace: input.namespace,
        keys: batch.map(([k]) => k),
        tombstones: Object.fromEntries(batch.flatMap(([k]) => (tombstones.has(k) ? [[k, tombstones.get(k)!]] : []))),
        placements: rows,
      });
      for (const [k, g] of batch)
        if (pending.get(k) === g) {
          pending.delete(k);
          tombstones.delete(k);
        }
      placements.splice(0, rows.length);
      written += batch.length + rows.length;
    }
    setCurrentDetails(`in sync (${written} writes)`);
    const woke = await condition(
      () => pending.size > 0 || placements.length > 0 || workflowInfo().continueAsNewSuggested,
      input.timings.metasyncSweepMs ?? 10 * 60_000,
      { summary: 'next sweep: soft-delete rows whose objects are gone' },
    );
    if (!woke) await acts.metasyncSweep({ namespace: input.namespace });
    if (workflowInfo().continueAsNewSuggested && pending.size === 0 && placements.length === 0) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof metaSyncWorkflow>({ ...input, pending: [], placements: [], tombstones: {}, written });
    }
  }
}
