/**
 * StoragePool events, and the Node and Lease events that concern a pool, into its workflow (signalWithStart; the
 * signal carries only the resourceVersion or what woke it). A pool that became ready with room tells waiting
 * volumes to try again.
 */
import type { KubernetesObject } from '../../kube/client-node.js';
import { leaseRenewMs } from '../../api/objects.js';
import type { StoragePool } from '../../api/types.js';
import type { CacheEvent } from '../../kube/cluster-cache.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DEFAULT_TIMINGS, isPoolParked, poolEventSignal, poolStartOptions, poolWorkflowId, type ObjectEvent } from '../../workflows/messages.js';
import type { WatchContext } from '../kind.js';

/** Fields whose change can turn an unschedulable volume into a schedulable one. */
function poolCapacityKey(p: StoragePool): string {
  return JSON.stringify([
    p.status?.status,
    p.status?.capacity,
    p.status?.vgFreeSize,
    p.status?.conditions,
    p.metadata.labels,
    p.spec?.nodeInfo,
    p.spec?.kernelLvm?.bytes,
    p.spec?.kernelLvm?.reservedLVol,
    p.spec?.kernelLvm?.vgUUID,
    p.spec?.spdkLVStore,
    p.metadata.deletionTimestamp,
  ]);
}

/** Signals a pool's workflow (starting it if needed); for a deleted pool only a running workflow is told. */
function signalPool(ctx: WatchContext, name: string, ev: ObjectEvent): void {
  ctx.enqueue(`pool/${name}`, async () => {
    const wf = ctx.client.workflow;
    const start = poolStartOptions(ctx.opts, { namespace: ctx.namespace, name });
    if (ev.deleted) return ctx.signalIfRunning(() => wf.getHandle(start.workflowId).signal(poolEventSignal, ev));
    await wf.signalWithStart('poolWorkflow', { ...start, signal: poolEventSignal, signalArgs: [ev] });
    ctx.signalled();
  });
}

/**
 * An object of the pool appeared (the informers' first list at a controller start, or a new Pool or Node): wakes
 * the pool's workflow unless it is parked at the very versions of its Pool and Node the cache holds (v0.12.0). A
 * controller start used to wake every pool, which unparked all of them: 1,000 new runs, each reading the API
 * server, to find nothing changed. A parked pool has no ledger to compare; its Lease lapsing is the sweep's.
 */
function wakePoolUnlessParked(ctx: WatchContext, name: string, ev: ObjectEvent): void {
  ctx.enqueue(`pool/${name}`, async () => {
    // Compare with what every informer listed, not with a Node not seen yet.
    if (!(await ctx.cache.whenSynced())) return;
    const h = ctx.client.workflow.getHandle(poolWorkflowId({ namespace: ctx.namespace, name }));
    try {
      if ((await h.describe()).status.name === 'COMPLETED') {
        const r: unknown = await h.result();
        const pool = ctx.cache.getPool(name);
        const node = ctx.cache.get<KubernetesObject>('node', name);
        // A Node informer that has not listed yet cannot tell: wake (the safe side).
        if (isPoolParked(r) && pool && ctx.cache.hasListed('node') && r.resourceVersion === pool.metadata.resourceVersion && r.nodeResourceVersion === (node?.metadata?.resourceVersion ?? '')) return;
      }
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
    const start = poolStartOptions(ctx.opts, { namespace: ctx.namespace, name });
    await ctx.client.workflow.signalWithStart('poolWorkflow', { ...start, signal: poolEventSignal, signalArgs: [ev] });
    ctx.signalled();
  });
}

/** Wakes a pool's workflow because something it depends on changed (`why` stands in for a resourceVersion). */
export function wakePool(ctx: WatchContext, name: string, why: string): void {
  signalPool(ctx, name, { resourceVersion: why });
}

export function watchPools(ctx: WatchContext): void {
  ctx.on<StoragePool>('pool', (e) => {
    const name = e.obj.metadata.name!;
    const rv = e.obj.metadata.resourceVersion ?? '';
    if (e.type === 'add') wakePoolUnlessParked(ctx, name, { resourceVersion: rv, resync: true });
    else signalPool(ctx, name, { resourceVersion: rv, ...(e.type === 'delete' ? { deleted: true } : {}) });
    // Only a pool that is ready can take a waiting volume: a pool turning unknown, offline or locked wakes nobody
    // (with hundreds of pools losing their heartbeat at once, that herd cost more than the placements).
    const ready = e.type !== 'delete' && e.obj.status?.status === 'ready';
    if (ready && (e.type === 'add' || poolCapacityKey(e.obj) !== poolCapacityKey(e.old as StoragePool))) ctx.capacityChanged(`pool ${name} changed`);
    if (e.type === 'delete' && ctx.opts.metasync) ctx.metasyncDirty('StoragePool', name);
  });

  // A Node changed: reconcile the pool of the same name (LockPool, orphan rule), if the node is selected.
  ctx.on<KubernetesObject>('node', (e) => {
    const name = e.obj.metadata?.name;
    if (!name || !ctx.cache.getPool(name)) return;
    const labels = e.obj.metadata?.labels ?? {};
    const sel = ctx.opts.nodeCacheSelector ?? {};
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) return;
    const ev = { resourceVersion: `node:${e.obj.metadata?.resourceVersion ?? ''}` };
    if (e.type === 'add') wakePoolUnlessParked(ctx, name, ev);
    else signalPool(ctx, name, ev);
  });

  // A heartbeat Lease changed. Routine renewals of a ready pool are ignored (the sweep below notices a lapse);
  // a new Lease, a renewTime that went backwards, or a renewal while the pool is unknown/offline wakes the pool.
  ctx.on<KubernetesObject>('lease', (e: CacheEvent<KubernetesObject>) => {
    const name = e.obj.metadata?.name;
    const pool = name ? ctx.cache.getPool(name) : undefined;
    if (!name || !pool || e.type === 'delete') return;
    const now = leaseRenewMs(e.obj);
    const before = leaseRenewMs(e.old);
    const status = pool.status?.status;
    // v0.12.0: an add (a controller start lists every Lease) wakes only a pool that has something to learn from it
    // (no heartbeat seen, or not ready): a ready pool's lapse is the sweep's, and a parked pool stays parked.
    const noHeartbeat = !!pool.status?.message?.startsWith('no heartbeat');
    const wake = (e.type === 'add' ? noHeartbeat : !(before <= now)) || status === 'unknown' || status === 'offline' || !status;
    if (wake) wakePool(ctx, name, `lease:${e.obj.metadata?.resourceVersion ?? ''}`);
  });

  sweepLapsedLeases(ctx);
}

/**
 * Pools whose heartbeat lapsed, from the cached Pools and Leases: a ready pool whose Lease was last renewed more
 * than heartbeatLostMs ago (or that has no usable Lease and is older than that). Pure, for the sweep and its test.
 */
export function lapsedPools(pools: StoragePool[], lease: (name: string) => KubernetesObject | undefined, now: number, lostMs: number): { name: string; key: string }[] {
  const out: { name: string; key: string }[] = [];
  for (const p of pools) {
    const name = p.metadata.name;
    if (!name || p.status?.status !== 'ready' || p.metadata.deletionTimestamp) continue;
    const renew = leaseRenewMs(lease(name));
    if (Number.isFinite(renew)) {
      if (now > renew + lostMs + 1000) out.push({ name, key: `renew:${renew}` });
      continue;
    }
    const created = Date.parse(p.metadata.creationTimestamp ?? '');
    if (!Number.isFinite(created) || now > created + lostMs + 1000) out.push({ name, key: 'no-lease' });
  }
  return out;
}

/**
 * The heartbeat's clock (v0.10.0). Each pool's workflow used to set a durable timer for the moment its Lease could
 * lapse, which under an agent renewing every 30 s meant every pool reconciled every 3 min: five workflow tasks and
 * three activities per pool, 5.5 pools a second at 1,000 pools, a third of what placement needs from Temporal.
 * The watcher already caches every Lease, so one in-memory sweep finds the lapsed ones and wakes only those (once
 * per lapse); the pool's activity still reads the Lease from the API server and decides. Its durable timer stays
 * as a slow net (heartbeatRecheckMs) for workers that run without a watcher.
 */
function sweepLapsedLeases(ctx: WatchContext): void {
  const lostMs = ctx.opts.timings.heartbeatLostMs ?? DEFAULT_TIMINGS.heartbeatLostMs ?? 180_000;
  const everyMs = Math.max(250, Math.min(5_000, Math.floor(lostMs / 6)));
  const woken = new Map<string, string>();
  const timer = setInterval(() => {
    if (!ctx.cache.isSynced) return;
    const lapsed = lapsedPools(ctx.cache.listPools(), (n) => ctx.cache.get<KubernetesObject>('lease', n), Date.now(), lostMs);
    const now = new Set<string>();
    for (const { name, key } of lapsed) {
      now.add(name);
      if (woken.get(name) === key) continue; // woken for this lapse already: the pool's activity decided
      woken.set(name, key);
      wakePool(ctx, name, `lease-lapsed:${key}`);
    }
    for (const name of woken.keys()) if (!now.has(name)) woken.delete(name);
  }, everyMs);
  timer.unref?.();
  ctx.onStop(() => clearInterval(timer));
}
