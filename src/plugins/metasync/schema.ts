/**
 * The MySQL schema, as migrations (LiteIO ships no DDL). Column names and meanings are LiteIO's (syncmeta/types.go),
 * so existing queries and dashboards keep working; added here: resource_version (so a stale write never overwrites
 * a newer one) and the placement_decision table (the audit trail in SQL).
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';

export const MIGRATIONS: { version: number; name: string; sql: string[] }[] = [
  {
    version: 1,
    name: 'liteio tables',
    sql: [
      `CREATE TABLE IF NOT EXISTS storage_pool (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cluster_name VARCHAR(128) NOT NULL,
        name VARCHAR(253) NOT NULL,
        vg_type VARCHAR(32) NOT NULL DEFAULT '',
        vg_name VARCHAR(253) NOT NULL DEFAULT '',
        reserved_vol TEXT NULL,
        total_size BIGINT UNSIGNED NOT NULL DEFAULT 0,
        free_size BIGINT UNSIGNED NOT NULL DEFAULT 0,
        node_id VARCHAR(253) NOT NULL DEFAULT '',
        node_ip VARCHAR(64) NOT NULL DEFAULT '',
        node_hostname VARCHAR(253) NOT NULL DEFAULT '',
        status VARCHAR(32) NOT NULL DEFAULT '',
        resource_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL DEFAULT 0,
        deleted_at BIGINT NOT NULL DEFAULT 0,
        UNIQUE KEY uk_storage_pool_cluster_name (cluster_name, name),
        KEY idx_storage_pool_node (cluster_name, node_id),
        KEY idx_storage_pool_status (cluster_name, status, deleted_at)
      ) DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS antstor_volume (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cluster_name VARCHAR(128) NOT NULL,
        name VARCHAR(253) NOT NULL,
        uid VARCHAR(64) NOT NULL DEFAULT '',
        labels TEXT NULL,
        pvc_ns VARCHAR(253) NOT NULL DEFAULT '',
        pvc_name VARCHAR(253) NOT NULL DEFAULT '',
        lvol_dev_path VARCHAR(512) NOT NULL DEFAULT '',
        lvol_name VARCHAR(253) NOT NULL DEFAULT '',
        is_thin TINYINT NOT NULL DEFAULT 0,
        position_advice VARCHAR(32) NOT NULL DEFAULT '',
        size BIGINT UNSIGNED NOT NULL DEFAULT 0,
        t_node_id VARCHAR(253) NOT NULL DEFAULT '',
        h_node_id VARCHAR(253) NOT NULL DEFAULT '',
        h_node_ip VARCHAR(64) NOT NULL DEFAULT '',
        h_node_hostname VARCHAR(253) NOT NULL DEFAULT '',
        spdk_subsys_nqn VARCHAR(253) NOT NULL DEFAULT '',
        spdk_svc_id VARCHAR(32) NOT NULL DEFAULT '',
        spdk_sn VARCHAR(64) NOT NULL DEFAULT '',
        spdk_trans_type VARCHAR(32) NOT NULL DEFAULT '',
        spdk_bdev_name VARCHAR(253) NOT NULL DEFAULT '',
        spdk_ns_uuid VARCHAR(64) NOT NULL DEFAULT '',
        spdk_address VARCHAR(64) NOT NULL DEFAULT '',
        csi_staging_path VARCHAR(512) NOT NULL DEFAULT '',
        csi_publish_path VARCHAR(512) NOT NULL DEFAULT '',
        pod_ns VARCHAR(253) NOT NULL DEFAULT '',
        pod_name VARCHAR(253) NOT NULL DEFAULT '',
        status VARCHAR(32) NOT NULL DEFAULT '',
        resource_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL DEFAULT 0,
        deleted_at BIGINT NOT NULL DEFAULT 0,
        UNIQUE KEY uk_antstor_volume_cluster_name (cluster_name, name),
        KEY idx_antstor_volume_uid (uid),
        KEY idx_antstor_volume_target (cluster_name, t_node_id, deleted_at),
        KEY idx_antstor_volume_pvc (cluster_name, pvc_ns, pvc_name)
      ) DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS placement_decision (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cluster_name VARCHAR(128) NOT NULL,
        volume_ns VARCHAR(253) NOT NULL,
        volume_name VARCHAR(253) NOT NULL,
        volume_uid VARCHAR(64) NOT NULL,
        pool VARCHAR(253) NOT NULL,
        candidates INT NOT NULL DEFAULT 0,
        pools_considered INT NOT NULL DEFAULT 0,
        rejections TEXT NULL,
        scores TEXT NULL,
        workflow_id VARCHAR(512) NOT NULL,
        decided_at BIGINT NOT NULL,
        UNIQUE KEY uk_placement_decision (cluster_name, volume_uid),
        KEY idx_placement_pool (cluster_name, pool, decided_at)
      ) DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    version: 2,
    name: 'volume groups and data controls',
    sql: [
      `CREATE TABLE IF NOT EXISTS antstor_volgroup (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cluster_name VARCHAR(128) NOT NULL,
        name VARCHAR(253) NOT NULL,
        uid VARCHAR(64) NOT NULL DEFAULT '',
        size BIGINT NOT NULL DEFAULT 0,
        data_control_name VARCHAR(253) NOT NULL DEFAULT '',
        volumes TEXT NULL,
        status VARCHAR(32) NOT NULL DEFAULT '',
        resource_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL DEFAULT 0,
        deleted_at BIGINT NOT NULL DEFAULT 0,
        UNIQUE KEY uk_antstor_volgroup_cluster_name (cluster_name, name)
      ) DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS antstor_datacontrol (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cluster_name VARCHAR(128) NOT NULL,
        name VARCHAR(253) NOT NULL,
        uid VARCHAR(64) NOT NULL DEFAULT '',
        raid_level VARCHAR(32) NOT NULL DEFAULT '',
        t_node_id VARCHAR(253) NOT NULL DEFAULT '',
        engine_type VARCHAR(32) NOT NULL DEFAULT '',
        lvm_vg VARCHAR(253) NOT NULL DEFAULT '',
        lvm_lv VARCHAR(253) NOT NULL DEFAULT '',
        pvc_ns VARCHAR(253) NOT NULL DEFAULT '',
        pvc_name VARCHAR(253) NOT NULL DEFAULT '',
        h_node_id VARCHAR(253) NOT NULL DEFAULT '',
        h_node_ip VARCHAR(64) NOT NULL DEFAULT '',
        h_node_hostname VARCHAR(253) NOT NULL DEFAULT '',
        pod_ns VARCHAR(253) NOT NULL DEFAULT '',
        pod_name VARCHAR(253) NOT NULL DEFAULT '',
        status VARCHAR(32) NOT NULL DEFAULT '',
        resource_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL DEFAULT 0,
        deleted_at BIGINT NOT NULL DEFAULT 0,
        UNIQUE KEY uk_antstor_datacontrol_cluster_name (cluster_name, name)
      ) DEFAULT CHARSET=utf8mb4`,
    ],
  },
];

/** Applies pending migrations; safe to run concurrently from several replicas (IF NOT EXISTS, INSERT IGNORE). */
export async function migrate(pool: Pool): Promise<number> {
  await pool.query(`CREATE TABLE IF NOT EXISTS disk_controller_schema (version INT NOT NULL PRIMARY KEY, name VARCHAR(128) NOT NULL, applied_at BIGINT NOT NULL)`);
  const [rows] = await pool.query<RowDataPacket[]>('SELECT version FROM disk_controller_schema');
  const done = new Set(rows.map((r) => Number(r['version'])));
  let applied = 0;
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const sql of m.sql) await pool.query(sql);
    await pool.query('INSERT IGNORE INTO disk_controller_schema (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Math.floor(Date.now() / 1000)]);
    applied++;
  }
  return applied;
}
