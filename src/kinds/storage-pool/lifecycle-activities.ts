/**
 * LiteIO's StoragePool reconcile (pool_reconciler.go) as activities: default label, status initialisation,
 * the in-state finalizer, the Lease heartbeat (unknown after 3 min, offline after 24 h, ready when fresh), removal
 * of an empty, not-ready pool whose Node is gone, and deletion blocked while volumes remain.
 */
import { Finalizers, KIND_POOL, Labels } from '../../api/constants.js';
import { isPoolProblemMessage, leaseRenewMs, poolProblem, poolTotalBytes } from '../../api/objects.js';
import type { StoragePool } from '../../api/types.js';
import { isNotFound, describeKubeError } from '../../kube/errors.js';
import type { KubeClients } from '../../kube/client.js';
import type { ObjectRef } from '../../workflows/messages.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { GROUP, PLURAL_POOL, VERSION } from '../../api/constants.js';
import { freshLeaseRecheckMs, lifecycleClocks } from './lifecycle-rules.js';

export interface PoolReconcileResult {
  gone?: boolean;
  status?: string;
  /** When the heartbeat or orphan rule should be looked at again (ms). */
  nextCheckInMs: number;
  /** What changed, for the history. */
  actions: string[];
  /**
   * v0.12.0: nothing is due by the clock alone: every later change of this pool's lifecycle comes with an event the
   * watcher wakes the pool for (its Lease lapsing, created or renewed, its Node changing), so its workflow may park.
   */
  watched?: boolean;
}

/** Nothing due: look again after this long anyway (a safety net, not a poll). */
const IDLE_MS = 60 * 60_000;

export function poolLifecycleActivities(d: ActivityDeps, kube: KubeClients) {
  const t = () => ({
    ...lifecycleClocks(d.timings),
    offline: d.timings.heartbeatOfflineMs ?? 24 * 60 * 60_000,
    recheck: d.timings.poolRecheckMs ?? 60_000,
    orphan: d.timings.orphanPoolAgeMs ?? 10 * 60_000,
  });
  // Bound by name (how ledgers are addressed) or, for a pool whose id wrongly differs from its name, by node id.
  const volumesOn = (p: StoragePool) => {
    const id = p.spec?.nodeInfo?.id;
    const byName = d.cache.volumesBoundTo(p.metadata.name!);
    return id && id !== p.metadata.name ? [...byName, ...d.cache.volumesBoundTo(id)] : byName;
  };

  /** Merge-patches metadata guarded by the pool's resourceVersion (a conflict fails the activity, which retries). */
  const patchMeta = (p: StoragePool, metadata: Record<string, unknown>) =>
    d.kube.patchPool(p.metadata.namespace!, p.metadata.name!, { metadata: { ...metadata, resourceVersion: p.metadata.resourceVersion } });

  return {
    async poolReconcile({ pool, uid }: { pool: ObjectRef; uid: string }): Promise<PoolReconcileResult> {
      const T = t();
      const p = await d.kube.getPool(pool.namespace, pool.name);
      if (!p || p.metadata.uid !== uid) return { gone: true, nextCheckInMs: T.recheck, actions: [] };
      const actions: string[] = [];
      const setStatus = async (status: Record<string, unknown>, what: string) => {
        await d.kube.patchPoolStatus(pool.namespace, pool.name, status);
        actions.push(what);
      };

      // 1. validate and mutate
      const problem = poolProblem(p);
      if (problem) {
        // id != name or an absurd capacity: the scheduler and the ledger refuse the pool; say so once (status
        // message and a Warning Event naming the field and value) and leave the rest until the pool is fixed.
        if (p.status?.message !== problem.message) {
          await setStatus({ message: problem.message }, `reported ${problem.reason}: ${problem.field}`);
          const err = await d.kube.recordEvent(p, KIND_POOL, 'Warning', problem.reason, problem.message);
          if (err) d.log.warn('event not recorded', { error: err.message });
        }
        return { status: p.status?.status, nextCheckInMs: T.recheck, actions };
      }
      if (isPoolProblemMessage(p.status?.message) || p.status?.message?.startsWith('invalid StoragePool ')) {
        await setStatus({ message: '' }, 'cleared the invalid-pool message');
        p.status = { ...p.status, message: '' };
      }
      if (!p.metadata.labels || Object.keys(p.metadata.labels).length === 0) {
        await patchMeta(p, { labels: { [Labels.NodeSN]: pool.name } });
        actions.push(`labelled ${Labels.NodeSN}=${pool.name}`);
      }
      let status = p.status?.status ?? '';
      if (!status || !p.status?.capacity || Object.keys(p.status.capacity).length === 0) {
        status = 'unknown';
        await setStatus({ status, capacity: { storage: String(poolTotalBytes(p)) } }, 'initialised status unknown and capacity');
      }
      if (!(p.metadata.finalizers ?? []).includes(Finalizers.InState)) {
        const fresh = (await d.kube.getPool(pool.namespace, pool.name)) ?? p;
        await patchMeta(fresh, { finalizers: [...(fresh.metadata.finalizers ?? []), Finalizers.InState] });
        actions.push(`added finalizer ${Finalizers.InState}`);
      }

      // 2. heartbeat from the Lease the agent renews
      let nextCheckInMs = IDLE_MS; // no Lease: its creation wakes the pool
      let watched = true;
      let lease;
      try {
        lease = await kube.coordination.readNamespacedLease({ namespace: pool.namespace, name: pool.name });
      } catch (e) {
        if (!isNotFound(e)) throw describeKubeError('read', `Lease ${pool.namespace}/${pool.name}`, e);
      }
      const now = Date.now();
      // A Lease without spec.renewTime, or renewed further in the future than clock skew explains, carries no
      // heartbeat: it is reported as such (naming the field) and treated like a missing Lease.
      const leaseName = `Lease ${pool.namespace}/${pool.name}`;
      let leaseProblem = lease ? `${leaseName} has no spec.renewTime` : `${leaseName} not found`;
      const renew = leaseRenewMs(lease);
      if (lease?.spec?.renewTime) {
        if (!Number.isFinite(renew)) leaseProblem = `${leaseName} spec.renewTime ${JSON.stringify(String(lease.spec.renewTime))} is not a time`;
        else if (renew > now + T.lost) leaseProblem = `${leaseName} spec.renewTime ${new Date(renew).toISOString()} is in the future (clock skew?)`;
        else leaseProblem = '';
      }
      if (leaseProblem) {
        // LiteIO error-loops here; a missing Lease is a status: no heartbeat was ever seen.
        const msg = `no heartbeat: ${leaseProblem}`;
        const age = now - Date.parse(p.metadata.creationTimestamp ?? new Date(now).toISOString());
        const patch: Record<string, unknown> = {};
        if (p.status?.message !== msg) patch['message'] = msg;
        if (status === 'ready' && age > T.lost) patch['status'] = status = 'unknown';
        if (Object.keys(patch).length) await setStatus(patch, `heartbeat missing${patch['status'] ? ': unknown' : ''}`);
        // A Lease that exists but is unusable does not wake the pool when fixed unless renewed: look again.
        if (lease) {
          nextCheckInMs = T.recheck;
          watched = false;
        }
      } else {
        const since = now - renew;
        const lost = since > T.lost;
        const offline = since > T.offline;
        const patch: Record<string, unknown> = {};
        if (p.status?.message?.startsWith('no heartbeat')) patch['message'] = '';
        if (!lost && (status === 'unknown' || status === 'offline')) patch['status'] = status = 'ready';
        else if (offline && status !== 'offline') patch['status'] = status = 'offline';
        else if (lost && status === 'ready') patch['status'] = status = 'unknown';
        if (Object.keys(patch).length) await setStatus(patch, patch['status'] ? `heartbeat: ${patch['status']}` : 'heartbeat message cleared');
        // A fresh Lease: the watcher wakes the pool when it lapses (its sweep of the cached Leases) and when it is
        // renewed after a lapse, so the pool's own timer is only a slow net (v0.10.0: it used to fire at every
        // possible lapse, every 3 min per pool even while the agent renewed: 1,000 pools made 5.5 reconciles/s).
        // A lost one: the next moment the rule changes the status (offline), a renewal waking it before that.
        nextCheckInMs = !lost ? freshLeaseRecheckMs(renew, now, T) : !offline ? renew + T.offline - now + 1000 : IDLE_MS;
        // Going offline after a lapse is a deadline no event marks: only the pool's own timer meets it.
        if (lost && !offline) watched = false;
      }

      // 3. an empty, not-ready pool whose Node is gone is removed after orphanPoolAgeMs
      if (status !== 'ready' && volumesOn(p).length === 0) {
        // The rule is pending (its age a deadline, or a Node deletion the watcher may not watch): the pool's own
        // timer stays its clock, so the pool does not park.
        watched = false;
        const age = now - Date.parse(p.metadata.creationTimestamp ?? new Date(now).toISOString());
        if (age > T.orphan) {
          let nodeGone = false;
          try {
            await kube.core.readNode({ name: pool.name });
          } catch (e) {
            if (isNotFound(e)) nodeGone = true;
            else throw describeKubeError('read', `Node ${pool.name}`, e);
          }
          if (nodeGone) {
            await kube.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: pool.namespace, plural: PLURAL_POOL, name: pool.name }).catch((e) => {
              if (!isNotFound(e)) throw describeKubeError('delete', `StoragePool ${pool.namespace}/${pool.name}`, e);
            });
            await kube.coordination.deleteNamespacedLease({ namespace: pool.namespace, name: pool.name }).catch(() => undefined);
            actions.push('deleted: empty, not ready, Node gone');
          }
        } else {
          nextCheckInMs = Math.min(nextCheckInMs, Math.max(1000, T.orphan - age + 1000));
        }
      }
      return { status, nextCheckInMs: Math.max(1000, nextCheckInMs), actions, ...(watched ? { watched } : {}) };
    },

    /** Deletion: blocked while volumes remain (status.message lists them); then every finalizer goes. */
    async poolFinalize({ pool, uid }: { pool: ObjectRef; uid: string }): Promise<{ done: boolean; volumesLeft: string[] }> {
      const p = await d.kube.getPool(pool.namespace, pool.name);
      if (!p || p.metadata.uid !== uid) return { done: true, volumesLeft: [] };
      const left = volumesOn(p).map((v) => `${v.metadata.namespace}/${v.metadata.name}`).sort();
      if (left.length) {
        const msg = `Volumes left on node: ${left.join(', ')}`;
        if (p.status?.message !== msg) {
          await d.kube.patchPoolStatus(pool.namespace, pool.name, { message: msg });
          const err = await d.kube.recordEvent(p, KIND_POOL, 'Warning', 'DeletionBlocked', msg);
          if (err) d.log.warn('event not recorded', { error: err.message });
        }
        return { done: false, volumesLeft: left };
      }
      if ((p.metadata.finalizers ?? []).length) await patchMeta(p, { finalizers: null });
      return { done: true, volumesLeft: [] };
    },
  };
}
