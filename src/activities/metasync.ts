/** MetaSync's write activities: flush changed objects and placement rows; sweep rows whose objects are gone. */
import { KIND_POOL } from '../api/constants.js';
import { redactText, type Logger } from '../logger.js';
import { poolRow, volumeRow } from '../plugins/metasync/rows.js';
import { migrate } from '../plugins/metasync/schema.js';
import type { MetaWriter, PlacementRow, Table, WriteResult } from '../plugins/metasync/writer.js';
import type { KubeResources } from '../kube/resources.js';
import type { ClusterCache } from '../kube/cluster-cache.js';
import type { Pool } from 'mysql2/promise';

export interface MetaSyncDeps {
  db: Pool;
  writer: MetaWriter;
  /** Where the database is, without the password (for errors and logs). */
  target: string;
  kube: KubeResources;
  cache: ClusterCache;
  log: Logger;
}

const rv = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : 0);

export function createMetaSyncActivities(m: MetaSyncDeps) {
  let migrated = false;
  const ensureSchema = async () => {
    if (migrated) return;
    const n = await migrate(m.db);
    if (n) m.log.info('MetaSync schema migrated', { migrations: n, database: m.target });
    migrated = true;
  };
  /** Database errors as "MetaSync: <where>: <code> <message>", never with a password. */
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      const err = e as { code?: string; message?: string };
      const out = new Error(redactText(`MetaSync: ${what} at ${m.target}: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`));
      out.name = 'MetaSyncDatabaseError';
      throw out;
    }
  };

  return {
    async metasyncFlush({
      namespace,
      keys,
      tombstones = {},
      placements,
    }: {
      namespace: string;
      keys: string[];
      tombstones?: Record<string, { row: Record<string, string | number>; resourceVersion: number }>;
      placements: PlacementRow[];
    }) {
      return wrap('write', async () => {
        await ensureSchema();
        const results: Record<string, WriteResult['action']> = {};
        for (const key of keys) {
          const [kind, name] = key.split('/') as [string, string];
          const table: Table = kind === KIND_POOL ? 'storage_pool' : 'antstor_volume';
          // The newest state, read now: a write delayed by an outage still writes what is true at the end.
          const obj = kind === KIND_POOL ? await m.kube.getPool(namespace, name) : await m.kube.getVolume(namespace, name);
          const t = tombstones[key];
          let r: WriteResult;
          if (!obj && t) {
            // Gone before the database answered: write the row as of its deletion, then make sure it is marked.
            r = await m.writer.upsert(table, t.row, t.resourceVersion, true);
            if (r.action === 'stale' || r.action === 'unchanged') r = await m.writer.markGone(table, name);
          } else
            r = !obj
            ? await m.writer.markGone(table, name)
            : await m.writer.upsert(
                table,
                kind === KIND_POOL ? poolRow(obj as never) : volumeRow(obj as never),
                rv(obj.metadata.resourceVersion),
                !!obj.metadata.deletionTimestamp,
              );
          results[key] = r.action;
        }
        for (const p of placements) await m.writer.recordPlacement(p);
        return results;
      });
    },

    /** Rows whose objects no longer exist are soft-deleted (LiteIO's hourly garbage cleaner). */
    async metasyncSweep({ namespace }: { namespace: string }) {
      return wrap('sweep', async () => {
        await ensureSchema();
        let marked = 0;
        for (const [table, get] of [
          ['storage_pool', (n: string) => m.kube.getPool(namespace, n)],
          ['antstor_volume', (n: string) => m.kube.getVolume(namespace, n)],
        ] as const) {
          for (const name of await m.writer.liveNames(table)) {
            if (!(await get(name))) marked += (await m.writer.markGone(table, name)).action === 'deleted' ? 1 : 0;
          }
        }
        return { marked };
      });
    },
  };
}
