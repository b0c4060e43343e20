/**
 * MetaSync (built-in, first in both chains as in LiteIO when --dbInfo is given). Its Reconcile and HandleDeletion
 * only mark the object dirty in the MetaSync workflow, which does the database writes durably: a database outage
 * never breaks the chain, so placement and the pool lifecycle go on (in LiteIO it stalls every reconcile).
 */
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { metasyncDirtySignal, metaSyncStartOptions, type MetaSyncDirty, type Timings } from '../../workflows/messages.js';
import type { AntstorVolume, StoragePool } from '../../api/types.js';
import { poolRow, rowVersion, volumeRow } from '../metasync/rows.js';
import type { Plugin, PluginFactory } from '../types.js';

export const METASYNC = 'MetaSync';

/** Signals the namespace's MetaSync workflow, starting it if needed (the one way anything talks to it). */
export async function signalMetaSync<T>(
  client: Client,
  o: { taskQueue: string; timings: Timings },
  namespace: string,
  signal: SignalDefinition<[T]>,
  arg: T,
): Promise<void> {
  await client.workflow.signalWithStart('metaSyncWorkflow', { ...metaSyncStartOptions(o, namespace), signal, signalArgs: [arg] });
}

export function metaSyncPluginFactory(o: { client: Client; taskQueue: string; timings: Timings; namespace: string }): PluginFactory {
  const mark = (kind: string, name: string, tombstone?: MetaSyncDirty['tombstone']) =>
    signalMetaSync(o.client, o, o.namespace, metasyncDirtySignal, { key: `${kind}/${name}`, ...(tombstone ? { tombstone } : {}) });
  return function newMetaSyncPlugin() {
    const plugin: Plugin = {
      name: METASYNC,
      async reconcile(ctx) {
        await mark(ctx.request.kind, ctx.request.name);
      },
      async handleDeletion(ctx) {
        const obj = ctx.object;
        const row = ctx.request.kind === 'StoragePool' ? poolRow(obj as StoragePool) : volumeRow(obj as AntstorVolume);
        await mark(ctx.request.kind, ctx.request.name, { row, resourceVersion: rowVersion(obj.metadata.resourceVersion) });
      },
    };
    return plugin;
  };
}
