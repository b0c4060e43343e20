/** Activities that read and write AntstorVolumes for the VolumeWorkflow. */
import { EventReasons, Finalizers, KIND_VOLUME, Labels, NoStoragePoolAvailable } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import { bindingComplete } from '../../api/objects.js';
import { summarizeDecision, type DecisionSummary } from '../../scheduler/chain.js';
import type { VolumeRef, VolumeView } from '../../workflows/messages.js';
import { releaseFromLedger } from '../storage-pool/ledger-activities.js';
import { volumeWakeKey } from './wake-key.js';
import { activityInfo } from '@temporalio/activity';
import { observeBindLatency, recordPlacement } from '../../metrics/registry.js';
import type { ActivityDeps } from '../../activities/deps.js';

const ownsMessage = (msg: string | undefined) =>
  !!msg &&
  (msg.startsWith(NoStoragePoolAvailable) || msg.startsWith('InvalidVolume') || msg.startsWith('InvalidSelector') || msg.startsWith(EventReasons.WaitingForPool));

export function viewOf(v: AntstorVolume | undefined, uid: string): VolumeView {
  if (!v) return { exists: false };
  if (v.metadata.uid !== uid) return { exists: true, replaced: true };
  const t = v.spec?.targetNodeId ?? '';
  const fins = v.metadata.finalizers ?? [];
  return {
    exists: true,
    resourceVersion: v.metadata.resourceVersion ?? '',
    deleting: !!v.metadata.deletionTimestamp,
    stopReconcile: !!v.spec?.stopReconcile,
    targetNodeId: t,
    finalizers: fins,
    bindingComplete: bindingComplete(v),
    statusMsg: v.status?.msg ?? '',
  };
}

export function volumeActivities(d: ActivityDeps) {
  const releaseOn = (ref: VolumeRef, pool: string) => releaseFromLedger(d, { namespace: ref.namespace, name: pool }, ref.uid);

  return {
    async volumeLoad({ ref }: { ref: VolumeRef }): Promise<VolumeView> {
      const view = viewOf(await d.kube.getVolume(ref.namespace, ref.name), ref.uid);
      const plugins = d.pluginNames?.AntstorVolume ?? [];
      return view.exists && !view.replaced && plugins.length ? { ...view, plugins } : view;
    },

    /**
     * Writes the placement: spec.targetNodeId, label obnvmf/target-node-id and the in-state finalizer, in one
     * merge patch guarded by resourceVersion. Refuses to overwrite a different existing binding.
     */
    async volumeBind({ ref, pool, decision }: { ref: VolumeRef; pool: string; decision: DecisionSummary }) {
      return bindVolume(d, ref, pool, decision, activityInfo().workflowExecution?.workflowId ?? '');
    },

    /** For a binding made elsewhere: make sure the label and the in-state finalizer match targetNodeId. */
    async volumeEnsureBound({ ref, pool }: { ref: VolumeRef; pool: string }): Promise<boolean> {
      const res = await d.kube.updateVolume(ref.namespace, ref.name, (v) => {
        if (v.metadata.uid !== ref.uid || v.metadata.deletionTimestamp) return null;
        const fins = v.metadata.finalizers ?? [];
        const labelOk = v.metadata.labels?.[Labels.TargetNodeId] === pool;
        if (labelOk && fins.includes(Finalizers.InState)) return null;
        return {
          metadata: {
            labels: { [Labels.TargetNodeId]: pool },
            finalizers: fins.includes(Finalizers.InState) ? fins : [...fins, Finalizers.InState],
          },
        };
      });
      return res.changed;
    },

    /** status.msg (kept current) and a Warning event explaining why the volume is not placed. */
    async volumeReportUnschedulable({ ref, message, invalid }: { ref: VolumeRef; message: string; invalid: boolean }) {
      d.assumed?.forget(ref.uid); // every candidate refused it: it holds nothing anywhere
      const v = await d.kube.getVolume(ref.namespace, ref.name);
      if (!v || v.metadata.uid !== ref.uid) return false;
      recordPlacement(invalid ? 'invalid' : 'unschedulable');
      if (v.status?.msg !== message || !v.status?.status)
        await d.kube.patchVolumeStatus(ref.namespace, ref.name, { msg: message, status: v.status?.status || 'creating' });
      const err = await d.kube.recordEvent(
        v,
        KIND_VOLUME,
        'Warning',
        invalid ? EventReasons.InvalidVolume : EventReasons.SchedVolumeFailure,
        message,
      );
      if (err) d.log.warn('event not recorded', { error: err.message });
      return true;
    },

    /**
     * status.msg and an Event: the pool this volume asked has not answered. `busy`: the pool's workflow is making
     * progress (a queue, not a fault): a Normal Event and an info line; otherwise a Warning and an error line.
     */
    async volumeReportWaiting({ ref, pool, message, busy }: { ref: VolumeRef; pool: string; message: string; busy?: boolean }) {
      const v = await d.kube.getVolume(ref.namespace, ref.name);
      if (!v || v.metadata.uid !== ref.uid || v.spec.targetNodeId) return false;
      if (v.status?.msg !== message) await d.kube.patchVolumeStatus(ref.namespace, ref.name, { msg: message, status: v.status?.status || 'creating' });
      const err = await d.kube.recordEvent(v, KIND_VOLUME, busy ? 'Normal' : 'Warning', EventReasons.WaitingForPool, message);
      if (err) d.log.warn('event not recorded', { error: err.message });
      const fields = { volume: `${ref.namespace}/${ref.name}`, pool, workflowId: `pool/${ref.namespace}/${pool}` };
      if (busy) d.log.info('waiting for a busy pool to answer', fields);
      else d.log.error('a pool does not answer reservation requests', fields);
      return true;
    },

    /**
     * Deletion: when the in-state finalizer is the only one left, release the ledger entry and remove it
     * (LiteIO's rule). Other finalizers belong to the agent, which removes them after cleaning up — unless the
     * pool has not been ready for the grace period: then the agent's finalizers (lvm, spdk-tgt and the
     * logic-volume one LiteIO forgets) are removed so the volume does not stay stuck forever.
     */
    async volumeFinalize({ ref, pool }: { ref: VolumeRef; pool: string }): Promise<{ released: boolean; waitingFor: string[]; recheckInMs?: number; forced?: string[] }> {
      d.assumed?.forget(ref.uid);
      let v = await d.kube.getVolume(ref.namespace, ref.name);
      if (!v || v.metadata.uid !== ref.uid) {
        if (pool) await releaseOn(ref, pool);
        return { released: true, waitingFor: [] };
      }
      let forced: string[] | undefined;
      const agent = (v.metadata.finalizers ?? []).filter((f) => f !== Finalizers.InState);
      if (agent.length > 0) {
        const p = pool ? await d.kube.getPool(ref.namespace, pool) : undefined;
        const grace = d.timings.deadPoolGraceMs ?? 20 * 60_000;
        const since = Date.now() - Date.parse(v.metadata.deletionTimestamp ?? new Date().toISOString());
        if (p?.status?.status === 'ready') return { released: false, waitingFor: agent, recheckInMs: 2 * 60_000 };
        if (since < grace) return { released: false, waitingFor: agent, recheckInMs: Math.max(1000, grace - since + 500) };
        const removable = new Set<string>([Finalizers.KernelLVol, Finalizers.SpdkTarget, Finalizers.LogicVolume]);
        const res = await d.kube.updateVolume(ref.namespace, ref.name, (cur) => {
          if (cur.metadata.uid !== ref.uid) return null;
          const fins = cur.metadata.finalizers ?? [];
          const keep = fins.filter((f) => !removable.has(f));
          return keep.length === fins.length ? null : { metadata: { finalizers: keep } };
        });
        forced = agent.filter((f) => removable.has(f));
        const err = await d.kube.recordEvent(v, KIND_VOLUME, 'Warning', 'ForcedCleanup',
          `pool ${pool || '(none)'} not ready for ${Math.round(since / 60_000)} min after deletion: removed finalizers ${forced.join(', ')}`);
        if (err) d.log.warn('event not recorded', { error: err.message });
        if (!res.obj) return { released: true, waitingFor: [], forced };
        v = res.obj;
        const left = (v.metadata.finalizers ?? []).filter((f) => f !== Finalizers.InState);
        if (left.length) return { released: false, waitingFor: left, forced, recheckInMs: 2 * 60_000 };
      }
      // Release before the finalizer goes, so the bytes are free by the time anyone sees the volume gone.
      if (pool) await releaseOn(ref, pool);
      // Patched on the copy just read (guarded by its resourceVersion): one GET fewer per deletion.
      if ((v.metadata.finalizers ?? []).includes(Finalizers.InState))
        await d.kube.updateVolume(
          ref.namespace,
          ref.name,
          (cur) =>
            cur.metadata.uid === ref.uid && (cur.metadata.finalizers ?? []).includes(Finalizers.InState)
              ? { metadata: { finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== Finalizers.InState) } }
              : null,
          5,
          v,
        );
      return { released: true, waitingFor: [], ...(forced ? { forced } : {}) };
    },
  };
}

export interface BindResult {
  ok: boolean;
  gone: boolean;
  boundTo?: string;
  message: string;
  resourceVersion?: string;
}

/**
 * Writes the placement: spec.targetNodeId, label obnvmf/target-node-id and the in-state finalizer, in one merge patch
 * guarded by resourceVersion (tried first on `cached`, the cache's copy, when given). Refuses to overwrite a
 * different existing binding. Shared by the volume's workflow and the placer.
 */
export async function bindVolume(d: ActivityDeps, ref: VolumeRef, pool: string, decision: DecisionSummary, workflowId: string, cached?: AntstorVolume): Promise<BindResult> {
  let boundTo = '';
  let newlyBound = false;
  // The watch event of this write may come before its response: the watcher waits for `end` (own-writes.ts).
  d.ownWrites?.begin(ref.uid);
  let res: Awaited<ReturnType<typeof d.kube.updateVolume>>;
  try {
    const mutate = (v: AntstorVolume) => {
      if (v.metadata.uid !== ref.uid) return null;
      const cur = v.spec.targetNodeId;
      if (cur && cur !== pool) {
        boundTo = cur;
        return null;
      }
      const fins = v.metadata.finalizers ?? [];
      newlyBound = !cur;
      return {
        metadata: {
          labels: { [Labels.TargetNodeId]: pool, ...(v.metadata.labels?.[Labels.VolUUID] ? {} : v.spec.uuid ? { [Labels.VolUUID]: v.spec.uuid } : {}) },
          finalizers: fins.includes(Finalizers.InState) ? fins : [...fins, Finalizers.InState],
        },
        spec: { targetNodeId: pool },
      };
    };
    res = await d.kube.updateVolume(ref.namespace, ref.name, mutate, 5, cached);
    // The workflow records this version and ignores its watch event: the watcher need not send it (one
    // workflow task fewer).
    if (res.obj && res.changed && newlyBound && res.obj.metadata.uid === ref.uid) d.ownWrites?.note(ref.uid, res.obj.metadata.resourceVersion, volumeWakeKey(res.obj));
  } finally {
    d.ownWrites?.end(ref.uid);
  }
  const v = res.obj;
  recordPlacement(!v || v.metadata.uid !== ref.uid ? 'gone' : boundTo ? 'conflict' : newlyBound ? 'bound' : undefined);
  if (v && newlyBound) observeBindLatency((Date.now() - new Date(v.metadata.creationTimestamp ?? Date.now()).getTime()) / 1000);
  if (!v || v.metadata.uid !== ref.uid) return { ok: false, gone: true, message: '' };
  if (boundTo) return { ok: false, gone: false, boundTo, message: `already bound to ${boundTo}` };
  const message = summarizeDecision(decision, pool);
  // Keep status current: clear our own stale NoStoragePoolAvailable / Invalid message.
  const status: Record<string, unknown> = {};
  if (ownsMessage(v.status?.msg)) status['msg'] = '';
  if (!v.status?.status) status['status'] = 'creating';
  // The workflow ignores the watch event of this binding (its resourceVersion); the status write that follows
  // wakes nobody (the watcher passes status-only changes to MetaSync alone).
  if (Object.keys(status).length) await d.kube.patchVolumeStatus(ref.namespace, ref.name, status);
  const err = await d.kube.recordEvent(v, KIND_VOLUME, 'Normal', EventReasons.Scheduled, message);
  if (err) d.log.warn('event not recorded', { error: err.message });
  // The audit trail in SQL too: queued to MetaSync's workflow (durable), never waiting on the database.
  await d.metasync?.placement({
    volumeNs: ref.namespace,
    volumeName: ref.name,
    volumeUid: ref.uid,
    pool,
    candidates: decision.qualified,
    poolsConsidered: decision.pools,
    rejections: decision.reasons,
    scores: decision.scores ?? {},
    workflowId,
    decidedAt: Math.floor(Date.now() / 1000),
  });
  return { ok: true, gone: false, message, resourceVersion: v.metadata.resourceVersion };
}
