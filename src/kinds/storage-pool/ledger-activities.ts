/** Reserve on and release from a pool's ledger (the PoolWorkflow), from a volume's workflow. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import { poolNodeId } from '../../api/objects.js';
import { capacityRequestFor } from '../../scheduler/pool-node.js';
import type { AntstorVolume } from '../../api/types.js';
import type { ReserveRequest } from '../../scheduler/ledger.js';
import {
  poolStartOptions,
  poolWorkflowId,
  releaseSignal,
  isPlacerWorkflowId,
  reserveRepliesSignal,
  reserveReplySignal,
  reserveRequestSignal,
  type LedgerProbe,
  type ReserveReplyMsg,
  type ObjectRef,
  type ReserveOnPoolInput,
} from '../../workflows/messages.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { holdClaimedBy } from '../antstor-volume-group/types.js';

/** The ledger request for a volume on a pool: the same conversion the filter pass uses (pool-node.ts). */
export function reserveRequestFor(d: Pick<ActivityDeps, 'config'>, vol: AntstorVolume, poolNode: string, adopt: boolean): ReserveRequest {
  const claimsHold = holdClaimedBy(vol);
  return {
    uid: vol.metadata.uid!,
    key: `${vol.metadata.namespace}/${vol.metadata.name}`,
    ...capacityRequestFor(vol, poolNode, d.config.scheduler.remoteIgnoreAnnoSelector),
    adopt,
    // A volume group's member takes over the capacity its group held for it on this pool.
    ...(claimsHold ? { claimsHold } : {}),
  };
}

/**
 * Tells a pool's ledger to release a volume (only the grant of `requestId` when given); no open ledger means
 * nothing is held.
 */
export async function releaseFromLedger(d: ActivityDeps, pool: ObjectRef, uid: string, requestId?: string): Promise<boolean> {
  try {
    await d.temporal.workflow.getHandle(poolWorkflowId(pool)).signal(releaseSignal, requestId ? { uid, requestId } : { uid });
    return true;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}

/**
 * A grant answered to a volume workflow that has ended: released unless the API server shows the volume bound to
 * that pool (then the grant is its binding). The volume is named by its workflow id (volume/<ns>/<name>/<uid>).
 */
async function releaseUnclaimedGrant(d: ActivityDeps, workflowId: string, msg: ReserveReplyMsg): Promise<void> {
  const [kind, namespace, name, uid] = workflowId.split('/');
  if (kind !== 'volume' || !namespace || !name || !uid) return;
  const v = await d.kube.getVolume(namespace, name);
  if (v && v.metadata.uid === uid && v.spec?.targetNodeId === msg.pool) return;
  d.assumed?.forget(uid, msg.pool);
  await releaseFromLedger(d, { namespace, name: msg.pool }, uid, msg.requestId);
}

/** protobuf Timestamp → epoch ms. */
function tsMillis(t: { seconds?: unknown; nanos?: number | null }): number {
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export function ledgerActivities(d: ActivityDeps) {
  return {
    /**
     * Sends a reservation request to the pool's workflow (starting it if needed). The answer arrives as a
     * reserveReply signal to `replyTo`; for adoption there is none. Idempotent by volume uid in the ledger.
     */
    async ledgerRequest(input: ReserveOnPoolInput): Promise<void> {
      const { volume, pool } = input;
      const vol = d.cache.getVolume(volume.name) ?? (await d.kube.getVolume(volume.namespace, volume.name));
      if (!vol || vol.metadata.uid !== volume.uid)
        throw ApplicationFailure.nonRetryable(`AntstorVolume ${volume.namespace}/${volume.name} is gone`, 'VolumeGone');
      const p = d.cache.getPool(pool.name);
      const node = p ? poolNodeId(p) : pool.name;
      const req = reserveRequestFor(d, vol, node, !!input.adopt);
      if (!input.adopt) d.assumed?.assume(volume.uid, node, Date.now());
      await d.temporal.workflow.signalWithStart('poolWorkflow', {
        ...poolStartOptions(d, pool),
        signal: reserveRequestSignal,
        signalArgs: [{ requestId: input.requestId, replyTo: input.replyTo, req }],
      });
    },

    /**
     * How a pool's workflow is doing, for a volume that has waited a while for its answer: a pool that is busy
     * but progressing is waited for (asking again would only add work), one that is closed is asked again (the
     * request starts it), one whose workflow task keeps failing or that no worker picks up is given up on.
     */
    async ledgerProbe({ pool }: { pool: ObjectRef }): Promise<LedgerProbe> {
      try {
        const desc = await d.temporal.workflow.getHandle(poolWorkflowId(pool)).describe();
        const task = desc.raw.pendingWorkflowTask;
        const scheduled = task?.scheduledTime ? tsMillis(task.scheduledTime) : undefined;
        return {
          running: desc.status.name === 'RUNNING',
          historyLength: desc.historyLength,
          ...(task ? { taskAttempt: task.attempt ?? 1, ...(scheduled !== undefined ? { taskWaitingMs: Math.max(0, Date.now() - scheduled) } : {}) } : {}),
          failingActivities: (desc.raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1).length,
        };
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) return { running: false, historyLength: 0, failingActivities: 0 };
        throw e;
      }
    },

    /**
     * A pool's answers, sent to the volumes that asked (v0.6.0 pools: one call per workflow task, not one external
     * signal each). At least once: a volume takes an answer only for a request it is waiting on, and gives back a
     * grant it does not use. A volume whose workflow is gone was waiting for nothing.
     */
    async ledgerReplies({ replies }: { replies: { workflowId: string; msg: ReserveReplyMsg }[] }): Promise<void> {
      // A refused request holds nothing on that pool: stop counting it there (request ids are `<uid>/<n>`).
      for (const { msg } of replies) if (!msg.result.accepted) d.assumed?.forget(msg.requestId.split('/')[0]!, msg.pool);
      const ignoreGone = (e: unknown) => {
        if (!(e instanceof WorkflowNotFoundError)) throw e;
      };
      // The placer gets its answers in one signal per pool task; a volume's workflow one signal each.
      const toPlacer = new Map<string, ReserveReplyMsg[]>();
      const single: typeof replies = [];
      for (const r of replies) {
        if (isPlacerWorkflowId(r.workflowId)) toPlacer.set(r.workflowId, [...(toPlacer.get(r.workflowId) ?? []), r.msg]);
        else single.push(r);
      }
      await Promise.all([
        ...single.map(({ workflowId, msg }) =>
          d.temporal.workflow
            .getHandle(workflowId)
            .signal(reserveReplySignal, msg)
            .catch(async (e) => {
              ignoreGone(e);
              // v0.8.0: the volume's run ended (parked, bound elsewhere) before this grant came: nobody will give it
              // back, so the pool's own activity does — unless it is the volume's very binding (a late duplicate).
              if (msg.result.accepted) await releaseUnclaimedGrant(d, workflowId, msg);
            }),
        ),
        // v0.15.0: through the process's coalescer, which puts every pool's answers that arrive while one signal to the
        // placer is in flight into the next one (activities/signal-coalescer.ts).
        ...[...toPlacer].map(([workflowId, msgs]) =>
          (d.placerReplies ? d.placerReplies.deliver(workflowId, msgs) : d.temporal.workflow.getHandle(workflowId).signal(reserveRepliesSignal, { replies: msgs })).catch(ignoreGone),
        ),
      ]);
    },

    async ledgerRelease({ pool, uid }: { pool: ObjectRef; uid: string }): Promise<boolean> {
      d.assumed?.forget(uid, pool.name);
      return releaseFromLedger(d, pool, uid);
    },
  };
}
