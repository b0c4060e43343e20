/** MetaSync's write activities: flush changed objects and placement rows; sweep rows whose objects are gone. */
import { redactText, type Logger } from '../logger.js';
import { migrate } from '../plugins/metasync/schema.js';
import { rowVersion } from '../plugins/metasync/rows.js';
import type { MetaWriter, PlacementRow, WriteResult } from '../plugins/metasync/writer.js';
import { KINDS, type KindModule } from '../kinds/index.js';
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


/** The kinds LiteIO mirrors to MySQL, by kind name. */
const MIRRORED = new Map(KINDS.filter((k) => k.metaSync).map((k) => [k.kind, k as KindModule & { metaSync: NonNullable<KindModule['metaSync']> }]));

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
          const k = MIRRORED.get(kind);
          if (!k) continue; // a kind MetaSync does not mirror
          const { table, row, deletedStatus, goneStatus } = k.metaSync;
          // The newest state, read now: a write delayed by an outage still writes what is true at the end.
          const obj = await m.kube.get<{ metadata: { resourceVersion?: string; deletionTimestamp?: string } }>(k.plural, k.kind, namespace, name);
          const t = tombstones[key];
          let r: WriteResult;
          if (!obj && t) {
            // Gone before the database answered: write the row as of its deletion, then make sure it is marked.
            r = await m.writer.upsert(table, t.row, t.resourceVersion, true, deletedStatus);
            if (r.action === 'stale' || r.action === 'unchanged') r = await m.writer.markGone(table, name, goneStatus);
          } else r = !obj ? await m.writer.markGone(table, name, goneStatus) : await m.writer.upsert(table, row(obj), rowVersion(obj.metadata.resourceVersion), !!obj.metadata.deletionTimestamp, deletedStatus);
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
        for (const k of MIRRORED.values()) {
          const { table, goneStatus } = k.metaSync;
          for (const name of await m.writer.liveNames(table)) {
            if (!(await m.kube.get(k.plural, k.kind, namespace, name))) marked += (await m.writer.markGone(table, name, goneStatus)).action === 'deleted' ? 1 : 0;
          }
        }
        return { marked };
      });
    },
  };
}
