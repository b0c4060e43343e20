/**
 * LiteIO's state API (`GET <metricsAddr>/state/storagepool?name=<nodeId>`, state/http.go), answered from the
 * pool's ledger — the one place that knows what is reserved — and the pool object from the informer cache.
 * Same JSON shape as LiteIO's; `memFreeSize` is the ledger's free bytes (LiteIO: its in-memory free size).
 */
import { Labels } from '../api/constants.js';
import { formatBytes } from '../api/quantity.js';
import { poolVgFreeBytes } from '../api/objects.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { LedgerView } from '../workflows/messages.js';

export interface PoolStateJson {
  name: string;
  poolLabels: Record<string, string>;
  kernelLVM: unknown;
  spdkLVS: unknown;
  volumes: { ns: string; name: string; dataHolder: string; size: number }[];
  vgFreeSize: number;
  memFreeSize: number;
  memFreeSizeStr: string;
  conditions: Record<string, string>;
  reservations: { id: string; size: number }[];
}

/** Pure: the JSON for one pool. `volume(ns, name)` looks a bound volume up in the cache (for its data holder). */
export function poolStateJson(pool: StoragePool, ledger: LedgerView, volume: (ns: string, name: string) => AntstorVolume | undefined): PoolStateJson {
  const conditions: Record<string, string> = {};
  for (const c of pool.status?.conditions ?? []) conditions[c.type] = c.status;
  // A volume group's hold (capacity for a member not created yet) is listed with the reservations, not as a volume.
  const holds = ledger.bindings.filter((b) => b.via === 'hold');
  const volumes = ledger.bindings.filter((b) => b.via !== 'hold').map((b) => {
    const i = b.key.indexOf('/');
    const ns = b.key.slice(0, i);
    const name = b.key.slice(i + 1);
    return { ns, name, dataHolder: volume(ns, name)?.metadata.labels?.[Labels.DataHolder] ?? '', size: b.bytes };
  });
  return {
    name: pool.metadata.name ?? '',
    poolLabels: pool.metadata.labels ?? {},
    kernelLVM: pool.spec?.kernelLvm ?? null,
    spdkLVS: pool.spec?.spdkLVStore ?? null,
    volumes,
    vgFreeSize: poolVgFreeBytes(pool),
    memFreeSize: ledger.freeBytes,
    memFreeSizeStr: formatBytes(ledger.freeBytes),
    conditions,
    // Held and not yet claimed by a volume (a claimed one is that volume's bytes, listed above).
    reservations: [...(ledger.reservations ?? []).filter((r) => !r.claimed).map(({ id, size }) => ({ id, size })), ...holds.map((b) => ({ id: b.uid, size: b.bytes }))],
  };
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The handler: `name` is the pool's node id (= its name). LiteIO's texts for a missing parameter; a pool that is
 * not in the cache, or whose ledger does not answer in time, is an error naming it.
 */
export function poolStateHandler(deps: {
  namespace: string;
  pool: (name: string) => StoragePool | undefined;
  volume: (ns: string, name: string) => AntstorVolume | undefined;
  ledger: (name: string) => Promise<LedgerView>;
}): (url: URL) => Promise<HttpAnswer> {
  const text = (status: number, body: string): HttpAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body });
  return async (url) => {
    const name = url.searchParams.get('name') ?? '';
    if (!name) return text(400, 'query param name is empty');
    const pool = deps.pool(name);
    if (!pool) return text(404, `StoragePool ${deps.namespace}/${name} not found`);
    let ledger: LedgerView;
    try {
      ledger = await deps.ledger(name);
    } catch (e) {
      return text(503, `StoragePool ${deps.namespace}/${name}: its ledger (workflow pool/${deps.namespace}/${name}) did not answer: ${(e as Error).message.split('\n')[0]}`);
    }
    return { status: 200, contentType: 'application/json', body: JSON.stringify(poolStateJson(pool, ledger, deps.volume)) };
  };
}
