/**
 * Writes rows for one cluster: insert, update only the columns that changed, soft delete, clear deleted_at when a
 * name is reused, and never let an older resourceVersion overwrite a newer one.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Row } from './rows.js';

/** A table of schema.ts (names come from the kinds' code, never from input). */
export type Table = string;

export interface WriteResult {
  action: 'insert' | 'update' | 'unchanged' | 'stale' | 'deleted' | 'absent';
  columns?: string[];
}

const now = () => Math.floor(Date.now() / 1000);

export class MetaWriter {
  constructor(
    private readonly db: Pool,
    readonly cluster: string,
  ) {}

  /** Upserts the object's row. `deleting` marks it deleted (soft), with `deletedStatus` when LiteIO sets one. */
  async upsert(table: Table, row: Row, resourceVersion: number, deleting: boolean, deletedStatus?: string): Promise<WriteResult> {
    const [cur] = await this.db.query<RowDataPacket[]>(`SELECT * FROM ${table} WHERE cluster_name = ? AND name = ?`, [this.cluster, row['name']]);
    const t = now();
    const want: Row = { ...row };
    if (deleting && deletedStatus !== undefined) want['status'] = deletedStatus;
    const existing = cur[0];
    if (!existing) {
      const full: Row = { ...want, cluster_name: this.cluster, resource_version: resourceVersion, created_at: t, updated_at: t, deleted_at: deleting ? t : 0 };
      const cols = Object.keys(full);
      try {
        await this.db.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => full[c]));
        return { action: 'insert' };
      } catch (e) {
        if ((e as { code?: string }).code !== 'ER_DUP_ENTRY') throw e;
        return this.upsert(table, row, resourceVersion, deleting, deletedStatus); // a concurrent writer inserted it first
      }
    }
    if (Number(existing['resource_version']) > resourceVersion) return { action: 'stale' };
    const changed: Row = {};
    for (const [k, v] of Object.entries(want)) if (String(existing[k] ?? '') !== String(v)) changed[k] = v;
    if (deleting && Number(existing['deleted_at']) === 0) changed['deleted_at'] = t;
    if (!deleting && Number(existing['deleted_at']) !== 0) changed['deleted_at'] = 0; // the name is in use again
    if (Object.keys(changed).length === 0) return { action: 'unchanged' };
    const cols = Object.keys(changed);
    const [res] = await this.db.query<ResultSetHeader>(
      `UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ?, resource_version = ? WHERE id = ? AND resource_version <= ?`,
      [...cols.map((c) => changed[c]), t, resourceVersion, existing['id'], resourceVersion],
    );
    return res.affectedRows ? { action: 'update', columns: cols.sort() } : { action: 'stale' };
  }

  /** The object is gone from the API server: soft-delete its row with `status` (pools: offline, as LiteIO's cleaner). */
  async markGone(table: Table, name: string, status: string): Promise<WriteResult> {
    const [res] = await this.db.query<ResultSetHeader>(
      `UPDATE ${table} SET deleted_at = ?, status = ?, updated_at = ? WHERE cluster_name = ? AND name = ? AND deleted_at = 0`,
      [now(), status, now(), this.cluster, name],
    );
    return { action: res.affectedRows ? 'deleted' : 'absent' };
  }

  /** Names of live rows (deleted_at = 0). */
  async liveNames(table: Table): Promise<string[]> {
    const [rows] = await this.db.query<RowDataPacket[]>(`SELECT name FROM ${table} WHERE cluster_name = ? AND deleted_at = 0`, [this.cluster]);
    return rows.map((r) => String(r['name']));
  }

  async recordPlacement(p: PlacementRow): Promise<void> {
    await this.db.query(
      `INSERT IGNORE INTO placement_decision (cluster_name, volume_ns, volume_name, volume_uid, pool, candidates, pools_considered, rejections, scores, workflow_id, decided_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [this.cluster, p.volumeNs, p.volumeName, p.volumeUid, p.pool, p.candidates, p.poolsConsidered, JSON.stringify(p.rejections), JSON.stringify(p.scores), p.workflowId, p.decidedAt],
    );
  }
}

export interface PlacementRow {
  volumeNs: string;
  volumeName: string;
  volumeUid: string;
  pool: string;
  candidates: number;
  poolsConsidered: number;
  rejections: Record<string, number>;
  scores: Record<string, number>;
  workflowId: string;
  decidedAt: number;
}
