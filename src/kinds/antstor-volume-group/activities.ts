/**
 * The volume group's activities: one sync pass (validation, members, status, rollback, deletion — each write ends
 * the pass), the plan (filter pass and LiteIO's member planning, with the ledger requests that hold it), recording
 * the plan, and reports.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ActivityDeps } from '../../activities/deps.js';
import { recordEvent } from '../../activities/events.js';
import { KIND_VOLUME, PLURAL_VOLUME } from '../../api/constants.js';
import { poolAvailableBytes } from '../../api/objects.js';
import type { AntstorVolume } from '../../api/types.js';
import { schedule } from '../../scheduler/chain.js';
import type { ReserveRequest } from '../../scheduler/ledger.js';
import { poolNodesNow } from '../../activities/pool-view.js';
import { allocatedRemoteBytes, capacityRequestFor, freeBytes, nodeId } from '../../scheduler/pool-node.js';
import { poolStartOptions, reserveRequestSignal, type ObjectRef, type VolumeRef } from '../../workflows/messages.js';
import { KIND_DATA_CONTROL, PLURAL_DATA_CONTROL } from '../antstor-data-control/types.js';
import { groupStatusFor, memberVolumeFor, membersToRollBack, planGroup, sizeRangeMin, validateGroup } from './rules.js';
import { GroupEventReasons, GroupLabels, groupHoldUid, KIND_GROUP, PLURAL_GROUP, VolumesFinalizer, type AntstorVolumeGroup, type VolumeMeta } from './types.js';

/** LiteIO names members `<group>-<10 of [a-z0-9]>`. */
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const memberSuffix = () => Array.from({ length: 10 }, () => ALNUM[randomInt(ALNUM.length)]).join('');

export interface GroupSyncResult {
  gone?: boolean;
  /** Wrote something: pass again. */
  acted?: boolean;
  /** What this pass found or did (history and logs). */
  step: string;
  invalid?: string;
  deleting?: boolean;
  /** Planned bytes do not cover totalSize yet. */
  needsPlan?: boolean;
  /** Members the scheduler cannot place, waiting for their rollback time. */
  unplaced?: number;
  /** Holds to release (the members planned), for a group that is gone or finished deleting. */
  holds?: { pool: string; uid: string }[];
  /** Deletion removed the finalizer in this pass. */
  finished?: boolean;
}

export interface HoldRequest {
  pool: string;
  requestId: string;
  req: ReserveRequest;
}

export type GroupPlanResult = { error: string } | { resourceVersion: string; volumes: VolumeMeta[]; holds: HoldRequest[]; summary: string };

export function volumeGroupActivities(d: ActivityDeps) {
  const get = (ref: ObjectRef) => d.kube.get<AntstorVolumeGroup>(PLURAL_GROUP, KIND_GROUP, ref.namespace, ref.name);
  const patch = (g: AntstorVolumeGroup, body: Record<string, unknown>, status = false) => d.kube.patchAsRead(PLURAL_GROUP, KIND_GROUP, g, body, status);
  const event = (g: AntstorVolumeGroup, type: 'Normal' | 'Warning', reason: string, message: string) => recordEvent(d, g, KIND_GROUP, type, reason, message);
  const holdsOf = (g: AntstorVolumeGroup) => (g.spec.volumes ?? []).filter((m) => m.targetNodeName).map((m) => ({ pool: m.targetNodeName, uid: groupHoldUid(g.metadata.uid!, m.volId.name) }));
  async function members(g: AntstorVolumeGroup): Promise<Map<string, AntstorVolume | undefined>> {
    const out = new Map<string, AntstorVolume | undefined>();
    await Promise.all(
      (g.spec.volumes ?? []).map(async (m) => {
        const v = await d.kube.getVolume(m.volId.namespace || g.metadata.namespace!, m.volId.name);
        // A volume of that name that is not this group's member is not it.
        out.set(m.volId.name, v && v.metadata.ownerReferences?.some((o) => o.uid === g.metadata.uid) ? v : undefined);
      }),
    );
    return out;
  }

  return {
    async groupSync(i: { ref: VolumeRef; announced?: string; rollbackAfterMs?: number }): Promise<GroupSyncResult> {
      const g = await get(i.ref);
      if (!g || g.metadata.uid !== i.ref.uid) return { gone: true, step: 'gone', holds: [] };
      if (g.metadata.deletionTimestamp) return deletionStep(g);
      const invalid = validateGroup(g);
      if (invalid) {
        if (invalid !== i.announced) {
          if (g.status?.message !== invalid) await patch(g, { status: { message: invalid } }, true);
          await event(g, 'Warning', GroupEventReasons.Invalid, invalid);
        }
        return { step: 'invalid', invalid };
      }
      const ms = await members(g);
      // syncVolumes: create the planned members that do not exist yet (all in this pass, as LiteIO).
      const missing = (g.spec.volumes ?? []).filter((m) => !ms.get(m.volId.name) && m.size > 0 && m.targetNodeName);
      for (const m of missing) {
        const r = await d.kube.create(PLURAL_VOLUME, KIND_VOLUME, memberVolumeFor(g, m));
        if (r.created) await event(g, 'Normal', GroupEventReasons.MemberCreated, `member ${m.volId.name} (${m.size} bytes) on pool ${m.targetNodeName}`);
      }
      if (missing.length) return { acted: true, step: `created member${missing.length > 1 ? 's' : ''} ${missing.map((m) => m.volId.name).join(', ')}` };
      const status = groupStatusFor(g, ms);
      // Compared as values: the API server returns the stored status with its keys in its own order.
      if (!isDeepStrictEqual({ s: status.status, v: status.volumeStatus ?? [] }, { s: g.status?.status, v: g.status?.volumeStatus ?? [] })) {
        await patch(g, { status: { volumeStatus: status.volumeStatus, status: status.status, ...(status.status === 'ready' ? { message: '' } : {}) } }, true);
        if (status.status === 'ready') await event(g, 'Normal', GroupEventReasons.Ready, `${g.spec.volumes?.length} members ready, ${g.spec.totalSize} bytes`);
        return { acted: true, step: `status ${status.status}` };
      }
      // rollbackUnrecoverable: a member the scheduler could not place for a minute is deleted and its slot re-planned.
      const back = membersToRollBack(g, ms, Date.now(), i.rollbackAfterMs);
      if (back.length) {
        for (const m of back) {
          const v = ms.get(m.volId.name)!;
          await d.kube.delete(PLURAL_VOLUME, KIND_VOLUME, v.metadata.namespace!, v.metadata.name!);
          await event(g, 'Warning', GroupEventReasons.MemberRolledBack, `member ${m.volId.name} could not be placed on ${m.targetNodeName} (${v.status?.msg ?? ''}); deleted, its slot is planned again`);
        }
        const names = new Set(back.map((m) => m.volId.name));
        await patch(g, { spec: { volumes: (g.spec.volumes ?? []).map((m) => (names.has(m.volId.name) ? { ...m, size: 0, targetNodeName: '' } : m)) } });
        return { acted: true, step: `rolled back ${[...names].join(', ')}` };
      }
      const planned = (g.spec.volumes ?? []).reduce((s, m) => s + (m.size > 0 && m.targetNodeName ? m.size : 0), 0);
      const unplaced = [...ms.values()].filter((v) => v && !v.spec.targetNodeId).length;
      return { step: status.status === 'ready' ? 'ready' : 'waiting for members', needsPlan: planned < g.spec.totalSize, unplaced };
    },

    /** Filters the pools for a remote member of sizeRange.min and plans the members; nothing is written. */
    async groupPlan(i: { ref: VolumeRef; holdTtlMs: number; refused?: string[] }): Promise<GroupPlanResult> {
      const g = await get(i.ref);
      if (!g || g.metadata.uid !== i.ref.uid || g.metadata.deletionTimestamp) return { error: 'the group is gone or being deleted' };
      const d2 = g.spec.desiredVolumeSpec!;
      const probe: AntstorVolume = {
        metadata: { ...g.metadata, annotations: { ...d2.annotations, ...g.metadata.annotations } },
        spec: { uuid: g.spec.uuid!, sizeByte: Math.max(1, sizeRangeMin(g)), hostNode: { id: '' }, positionAdvice: '' },
      };
      // As the volumes' filter pass: requests in flight count where they were sent; pools whose ledger just refused
      // this group are left out (the ledger is fresher than the cache).
      const refused = new Set(i.refused ?? []);
      const pools = d.cache.listPools().filter((p) => !p.metadata.deletionTimestamp && !refused.has(p.metadata.name!));
      const nodes = poolNodesNow(d, { pools });
      const decision = schedule(d.config.scheduler, d.chain, nodes, probe, { maxCandidates: Number.MAX_SAFE_INTEGER });
      if (decision.error && !decision.candidates.length) return { error: decision.error };
      const byId = new Map(nodes.map((n) => [nodeId(n), n]));
      const qualified = decision.candidates.map((c) => byId.get(c.pool)).filter((n) => !!n).map((n) => ({
        id: nodeId(n),
        free: freeBytes(n),
        volumes: n.volumes.length,
        available: poolAvailableBytes(n.pool),
        allocatedRemote: allocatedRemoteBytes(n),
      }));
      const plan = planGroup(g, qualified, d.config.scheduler.minLocalStoragePct ?? 0, () => ({ name: `${g.metadata.name}-${memberSuffix()}`, uuid: randomUUID() }));
      if ('error' in plan) return { error: plan.error };
      const holds = plan.added.map((m) => {
        const member = memberVolumeFor(g, m);
        const uid = groupHoldUid(g.metadata.uid!, m.volId.name);
        // The same conversion the member's own request will get, so its claim takes exactly what was held.
        const req: ReserveRequest = { uid, key: `${m.volId.namespace}/${m.volId.name}`, ...capacityRequestFor(member, m.targetNodeName, d.config.scheduler.remoteIgnoreAnnoSelector), hold: { ttlMs: i.holdTtlMs } };
        return { pool: m.targetNodeName, requestId: `${uid}/${randomUUID().slice(0, 8)}`, req };
      });
      const summary = plan.added.map((m) => `${m.volId.name} ${m.size} bytes on ${m.targetNodeName}`).join('; ');
      return { resourceVersion: g.metadata.resourceVersion!, volumes: plan.volumes, holds, summary };
    },

    /** Sends one hold request to a pool's ledger (starting the pool's workflow if needed); the answer is a reserveReply. */
    async groupHold(i: { hold: HoldRequest; replyTo: string }): Promise<void> {
      const pool = { namespace: d.cache.namespace, name: i.hold.pool };
      await d.temporal.workflow.signalWithStart('poolWorkflow', {
        ...poolStartOptions(d, pool),
        signal: reserveRequestSignal,
        signalArgs: [{ requestId: i.hold.requestId, replyTo: i.replyTo, req: i.hold.req }],
      });
    },

    /** Writes the plan (spec.volumes) and LiteIO's `volumes` finalizer, against the group as planned. */
    async groupRecordPlan(i: { ref: VolumeRef; resourceVersion: string; volumes: VolumeMeta[]; summary: string }): Promise<boolean> {
      const g = await get(i.ref);
      if (!g || g.metadata.uid !== i.ref.uid || g.metadata.resourceVersion !== i.resourceVersion || g.metadata.deletionTimestamp) return false;
      const finalizers = [...new Set([...(g.metadata.finalizers ?? []), VolumesFinalizer])];
      try {
        if (!(await patch(g, { spec: { volumes: i.volumes }, metadata: { finalizers } }))) return false;
      } catch (e) {
        if ((e as Error).name === 'ConflictError') return false; // changed since planned: plan again
        throw e;
      }
      await patch(g, { status: { message: '' } }, true).catch(() => undefined);
      await event(g, 'Normal', GroupEventReasons.Held, `capacity held on the pools for every member before any is created: ${i.summary}`);
      return true;
    },

    /** status.message and a Warning Event, for a plan that does not fit (nothing is held). */
    async groupReport(i: { ref: VolumeRef; message: string }): Promise<void> {
      const g = await get(i.ref);
      if (!g || g.metadata.uid !== i.ref.uid) return;
      if (g.status?.message !== i.message) await patch(g, { status: { message: i.message, status: g.status?.status || 'creating' } }, true);
      await event(g, 'Warning', GroupEventReasons.Unschedulable, i.message);
    },
  };

  /** LiteIO's deletion: wait for the DataControl named by the group's label to go, delete the members, then the finalizer. */
  async function deletionStep(g: AntstorVolumeGroup): Promise<GroupSyncResult> {
    const holds = holdsOf(g);
    const dc = g.metadata.labels?.[GroupLabels.DataControlName];
    if (dc) {
      const ns = d.cache.namespace;
      const exists = await d.kube.get(PLURAL_DATA_CONTROL, KIND_DATA_CONTROL, ns, dc);
      if (exists) return { deleting: true, step: `waiting for AntstorDataControl ${ns}/${dc} to be deleted`, holds };
    }
    if (!(g.metadata.finalizers ?? []).includes(VolumesFinalizer)) return { deleting: true, step: 'deleted', holds };
    const ms = await members(g);
    for (const m of g.spec.volumes ?? []) {
      const v = ms.get(m.volId.name);
      if (!v) continue;
      if (!v.metadata.deletionTimestamp) {
        await d.kube.delete(PLURAL_VOLUME, KIND_VOLUME, v.metadata.namespace!, v.metadata.name!);
        await event(g, 'Normal', GroupEventReasons.DeletingMember, `deleting member ${m.volId.name}`);
        return { deleting: true, acted: true, step: `deleting member ${m.volId.name}`, holds };
      }
      // One at a time, as LiteIO: the next member goes when this one is gone (its delete event wakes the group).
      return { deleting: true, step: `waiting for member ${m.volId.name} to be deleted`, holds };
    }
    await patch(g, { metadata: { finalizers: (g.metadata.finalizers ?? []).filter((f) => f !== VolumesFinalizer) } });
    return { deleting: true, acted: true, finished: true, step: 'members deleted; finalizer removed', holds };
  }
}
