/**
 * Signals, updates, queries, search attributes and the payload types shared by workflows, activities and the
 * watcher. Pure: imported by workflow code, so it must not import anything with I/O.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PlacementDecision } from '../scheduler/chain.js';
import type { PlacementRow } from '../plugins/metasync/writer.js';
import type { ApiBinding, DriftReport, LedgerBinding, LedgerPolicy, LedgerPoolInfo, LedgerState, ReserveRequest, ReserveResult } from '../scheduler/ledger.js';

export const TASK_QUEUE_DEFAULT = 'disk-controller';
/**
 * Pool workflows run on their own task queue (served by a second worker in the same process): a pool's ledger
 * answers every volume waiting on it, so its workflow tasks must not queue behind a burst of volume workflow
 * tasks that hold the shared slots while their local activities run.
 */
export const poolTaskQueueFor = (taskQueue: string): string => `${taskQueue}-pools`;

// ---- search attributes (registered on the dev server by the harness / `dev`, and by deploy/temporal-setup) ----
export const SA_VOLUME = defineSearchAttributeKey('AntstorVolume', SearchAttributeType.KEYWORD);
export const SA_POOL = defineSearchAttributeKey('StoragePool', SearchAttributeType.KEYWORD);
export const SA_NODE = defineSearchAttributeKey('TargetNode', SearchAttributeType.KEYWORD);
export const SA_PHASE = defineSearchAttributeKey('PlacementPhase', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = [SA_VOLUME, SA_POOL, SA_NODE, SA_PHASE];

// ---- identities ----
export interface ObjectRef {
  namespace: string;
  name: string;
}
export interface VolumeRef extends ObjectRef {
  uid: string;
}

export const volumeWorkflowId = (r: VolumeRef): string => `volume/${r.namespace}/${r.name}/${r.uid}`;
export const poolWorkflowId = (r: ObjectRef): string => `pool/${r.namespace}/${r.name}`;

/** What the watcher sends: identity is the workflow id; the payload is only the resourceVersion. */
export interface ObjectEvent {
  resourceVersion: string;
  /** The watcher saw the object disappear. */
  deleted?: boolean;
  /**
   * v0.8.0, pools: the watcher's first sight of the pool (a controller start). The pool checks its ledger against
   * the API server now: parked volumes are not woken at a start, so the pool adopts any binding it lacks itself.
   */
  resync?: boolean;
}

/** Timings, carried as workflow input so tests can shorten them and workflows stay deterministic. */
export interface Timings {
  /** Slow fallback retry of an unschedulable volume (ms). */
  unschedulableRetryMs: number;
  /** Period of the pool's ledger-vs-API drift check (ms). */
  driftCheckMs: number;
  /** A ledger entry younger than this is never dropped by drift repair (ms). */
  driftGraceMs: number;
  /** How often a placement re-filters after every candidate refused it, before reporting (count). */
  placementRounds: number;
  /** False when the Temporal namespace lacks the custom search attributes (undefined = true). */
  useSearchAttributes?: boolean;
  /** First retry interval of a failed plugin call (ms, default 1 s; doubles each time). */
  pluginRetryInitialMs?: number;
  /** Attempts of one plugin Reconcile call before the chain counts as failed (default 5). */
  pluginMaxAttempts?: number;
  /** Requeue after a failed chain (ms, default 30 s). */
  pluginErrorBackoffMs?: number;
  /** Attempts of one HandleDeletion call before it is recorded as failed and skipped (default 10). */
  deletionHookMaxAttempts?: number;
  /** A deleting volume on a pool that is not ready loses the agent's finalizers after this long (default 20 min). */
  deadPoolGraceMs?: number;
  /** An empty, not-ready pool whose Node is gone is deleted when older than this (default 10 min). */
  orphanPoolAgeMs?: number;
  /** Heartbeat: a Lease older than this makes a ready pool unknown (default 3 min). */
  heartbeatLostMs?: number;
  /** Heartbeat: a Lease older than this makes the pool offline (default 24 h). */
  heartbeatOfflineMs?: number;
  /**
   * Heartbeat: how often a pool with a fresh Lease looks at it again by its own durable timer (default 30 min). The
   * watcher wakes a pool within seconds of its Lease lapsing, so this is only the net under a controller that runs
   * workers without a watcher; it is long because 1,000 pools each waking every 3 min cost more than the placements.
   */
  heartbeatRecheckMs?: number;
  /** How often a pool without a Lease, or one blocked on deletion, is looked at again (default 60 s). */
  poolRecheckMs?: number;
  /**
   * v0.12.0: a pool's workflow that has been idle this long (nothing queued, held or in flight, its ledger equal to
   * the API server's bindings, nothing due that the watcher would not wake it for) ends its run: it is parked, and
   * the next event, request or Lease lapse starts a new run that rebuilds the ledger from the API server. 0 never
   * parks (default 0: off; see the README's "Idle pools park" for why).
   */
  poolParkIdleMs?: number;
  /** A pool that has not answered a reservation request this long is reported in status.msg (default 20 s). */
  ledgerSilenceReportMs?: number;
  /** ...and given up on (its possible grant released, the next candidate tried) after this long (default 60 s). */
  ledgerGiveUpMs?: number;
  /** The placer: at most this many volumes carried across continue-as-new (default PLACER_CARRY_MAX, 2,000). */
  placerCarryMax?: number;
  /** AntstorVolumeGroup: how long a member's capacity is held before the member claims it (default 10 min). */
  groupHoldTtlMs?: number;
  /** AntstorVolumeGroup: an unplaceable member is deleted and re-planned after this long (default 1 min). */
  groupRollbackAfterMs?: number;
  /** VolumeMigration: a wait on an agent or on the destination longer than this is reported (default 10 min). */
  migrationWaitWarnMs?: number;
  /** MetaSync: period of the pass that soft-deletes rows whose objects are gone (default 10 min). */
  metasyncSweepMs?: number;
}

export const DEFAULT_TIMINGS: Timings = {
  unschedulableRetryMs: 60_000,
  driftCheckMs: 10 * 60_000,
  driftGraceMs: 10 * 60_000,
  placementRounds: 3,
  pluginMaxAttempts: 5,
  pluginErrorBackoffMs: 30_000,
  deletionHookMaxAttempts: 10,
  deadPoolGraceMs: 20 * 60_000,
  orphanPoolAgeMs: 10 * 60_000,
  heartbeatLostMs: 3 * 60_000,
  heartbeatOfflineMs: 24 * 60 * 60_000,
  heartbeatRecheckMs: 30 * 60_000,
  poolRecheckMs: 60_000,
  poolParkIdleMs: 0,
};

// ---- volume workflow ----
export interface VolumeWorkflowInput {
  ref: VolumeRef;
  timings: Timings;
  /** Carried across continue-as-new, or the placement the placer made before starting this run. */
  state?: VolumeCarryState;
  /**
   * v0.8.0: started by the placer right after it bound the volume (state.record holds the filter pass, the ledger
   * answers and the binding): the object is as of state.lastResourceVersion, so the run need not read it again.
   */
  placed?: boolean;
  /**
   * The volume workflow's code revision the run was started for (VOLUME_REVISION; set by volumeStartOptions).
   * From revision 9 (v0.9.0) every patch up to v0.8.0 is in force from the first event, without `patched()`: a run
   * then carries no patch markers, and none of the four TemporalChangeVersion upserts the SDK adds per patch.
   * Runs started without it (older controllers, older histories) take the `patched()` path as before.
   */
  rev?: number;
}

/**
 * The volume workflow's current code revision (see VolumeWorkflowInput.rev). A later patch adds its `patched()`
 * call for runs of this revision, and the next revision folds it in.
 */
export const VOLUME_REVISION = 9;

export type VolumePhase = 'Pending' | 'Placing' | 'Bound' | 'Unschedulable' | 'Invalid' | 'Deleting' | 'Deleted';

export interface PlacementAttempt {
  pool: string;
  accepted: boolean;
  reason?: string;
}

/** The placement record: candidates, rejections by filter and reason, scores, ledger answers, the result. */
export interface PlacementRecord {
  volume: string;
  phase: VolumePhase;
  pool?: string;
  decision?: PlacementDecision;
  attempts: PlacementAttempt[];
  message?: string;
  /** Number of filter passes run for this volume. */
  passes: number;
  /** Set while a plugin stops the chain (break or error). */
  chain?: { by: string; error?: string };
  /** Set while the ledger of this pool has not answered a reservation request. */
  waitingOn?: { pool: string; since: string };
}

export interface VolumeCarryState {
  record: PlacementRecord;
  lastResourceVersion: string;
}

export const volumeEventSignal = defineSignal<[ObjectEvent]>('volumeEvent');
/** Capacity may have changed somewhere: an unschedulable volume should try again now. */
export const retryPlacementSignal = defineSignal<[{ reason: string }]>('retryPlacement');
export const placementQuery = defineQuery<PlacementRecord>('placement');

// ---- pool workflow ----
export interface PoolWorkflowInput {
  ref: ObjectRef;
  timings: Timings;
  ledger?: LedgerState;
  /** Requests not yet answered, carried across continue-as-new. */
  pending?: ReserveRequestMsg[];
  /**
   * The pool workflow's code revision the run was started for (POOL_REVISION; set by poolStartOptions and at
   * continue-as-new). From revision 14 (v0.14.0) every patch up to v0.12.0 is in force from the first event without
   * `patched()`: no patch markers and no TemporalChangeVersion upserts (8 of a woken parked pool's ~25 events).
   * Runs started without it (older controllers, older histories) take the `patched()` path as before.
   */
  rev?: number;
  /** Revision 14: workflow time of the last drift check, so that its clock survives continue-as-new. */
  driftCheckedAt?: number;
}

/** The pool workflow's current code revision (see PoolWorkflowInput.rev). */
export const POOL_REVISION = 14;

export interface PoolView {
  info: LedgerPoolInfo;
  policy: LedgerPolicy;
  nodeId: string;
  resourceVersion: string;
  uid?: string;
  /** Run the pool lifecycle (heartbeat, labels, finalizer, deletion). Absent in histories from before it. */
  lifecycle?: boolean;
  /** Reconciler plugins for StoragePools, in chain order. */
  plugins?: string[];
  /** v0.12.0: the resourceVersion of the pool's Node in the cache ('' when none): a parked pool records it. */
  nodeResourceVersion?: string;
  /** v0.12.0, when asked (a new ledger's first load): the bindings the API server shows, which the ledger adopts. */
  adoption?: { bindings: ApiBinding[]; inFlight: string[] };
  /**
   * v0.14.0, with `adoption`: a reconcile pass would change nothing and leave the lifecycle to the watcher
   * (quietLifecycle), so a run woken by requests alone skips it; when to look again. Absent in older histories
   * (their runs defer the pass, as v0.12.0 did).
   */
  lifecycleQuiet?: { nextCheckInMs: number };
}

export interface LedgerView {
  pool: string;
  info?: LedgerPoolInfo;
  freeBytes: number;
  boundBytes: number;
  bindings: LedgerBinding[];
  lastDrift?: DriftReport & { at: string };
  /** Requests waiting for a fresh view of the pool (or for the next run, during continue-as-new). */
  queued?: number;
  /** Standing reservations (config nodeReservations) this pool holds. */
  reservations?: { id: string; size: number; claimed: boolean }[];
  /** v0.12.0: the pool's workflow is not running (parked): this is the API server's view, which its next run adopts. */
  parked?: boolean;
}

export const poolEventSignal = defineSignal<[ObjectEvent]>('poolEvent');

/**
 * v0.12.0: what a pool's run that parked returns: the pool and Node it last read. A controller start does not wake a
 * parked pool whose objects are still at these versions (nothing happened to it while no controller watched).
 */
export interface PoolParked {
  parked: true;
  resourceVersion: string;
  nodeResourceVersion: string;
}

export function isPoolParked(r: unknown): r is PoolParked {
  return typeof r === 'object' && r !== null && (r as PoolParked).parked === true && typeof (r as PoolParked).resourceVersion === 'string';
}

/**
 * Admission is a request signal answered by a reply signal (the mutex pattern), not an Update: a pool takes a
 * whole burst of requests in one workflow task, and no in-flight-update limit applies (10 per run, 2,000 in all,
 * in server 1.29). Checked again in v0.15.0 against server 1.29.1: updates to cached workflows can fail the task
 * ("Premature end of stream", temporalio/temporal#7741, fixed in 1.31), update latency grows with a run's updates
 * (#6512), and an update admitted while a run closes (a pool parking) is aborted, not carried. Adoption requests
 * carry no replyTo.
 */
export interface ReserveRequestMsg {
  requestId: string;
  /** Workflow id to answer (the volume's workflow); '' for fire-and-forget adoption. */
  replyTo: string;
  req: ReserveRequest;
}
export interface ReserveReplyMsg {
  requestId: string;
  pool: string;
  result: ReserveResult;
  /** v0.8.0: the volume asked for (namespace/name), so a grant nobody waits for can be checked against it. */
  key?: string;
}
export const reserveRequestSignal = defineSignal<[ReserveRequestMsg]>('reserveRequest');
/** v0.8.0: many requests in one signal (the placer asks a pool for a whole batch at once). */
export const reserveRequestsSignal = defineSignal<[{ requests: ReserveRequestMsg[] }]>('reserveRequests');
export const reserveReplySignal = defineSignal<[ReserveReplyMsg]>('reserveReply');
/** A release naming its request (v0.8.0) gives back only that grant (see LedgerBinding.grants). */
export const releaseSignal = defineSignal<[{ uid: string; requestId?: string }]>('release');
export const ledgerQuery = defineQuery<LedgerView>('ledger');

// ---- activity payloads ----
export interface VolumeView {
  exists: boolean;
  /** The object with this name has another uid: this workflow's volume is gone. */
  replaced?: boolean;
  resourceVersion?: string;
  deleting?: boolean;
  stopReconcile?: boolean;
  targetNodeId?: string;
  poolNamespace?: string;
  finalizers?: string[];
  /** Label and in-state finalizer already match targetNodeId. */
  bindingComplete?: boolean;
  statusMsg?: string;
  /** Reconciler plugins for AntstorVolumes, in chain order (built-ins first). */
  plugins?: string[];
}

export interface ReserveOnPoolInput {
  volume: VolumeRef;
  pool: ObjectRef;
  adopt?: boolean;
  requestId: string;
  replyTo: string;
}

/** What `ledgerProbe` saw of a pool's workflow (DescribeWorkflowExecution), for a volume waiting on it. */
export interface LedgerProbe {
  running: boolean;
  historyLength: number;
  /** The pending workflow task's attempt (above 1: its tasks keep failing). */
  taskAttempt?: number;
  /** How long the pending workflow task has waited since it was scheduled (long: no worker takes it). */
  taskWaitingMs?: number;
  /** Activities being retried after a failure (e.g. the API server is unreachable). */
  failingActivities: number;
}

/** Start options of a pool's workflow, shared by the watcher (signalWithStart) and reserve (update-with-start). */
export function poolStartOptions(o: { taskQueue: string; poolTaskQueue?: string; timings: Timings }, pool: ObjectRef) {
  // A new run is started for the current code revision (a signal to an open run ignores these args).
  const input: PoolWorkflowInput = { ref: pool, timings: o.timings, rev: POOL_REVISION };
  return {
    workflowId: poolWorkflowId(pool),
    taskQueue: o.poolTaskQueue ?? o.taskQueue,
    args: [input] as [PoolWorkflowInput],
    staticSummary: `StoragePool ${pool.namespace}/${pool.name}: ledger and lifecycle`,
    ...(o.timings.useSearchAttributes === false ? {} : { typedSearchAttributes: [{ key: SA_POOL, value: `${pool.namespace}/${pool.name}` }] }),
  };
}

/**
 * Start options of a volume's workflow, shared by the watcher and the placer. A run the placer starts is indexed
 * as bound from its first event (phase, pool and node), as the run itself would index it.
 */
export function volumeStartOptions(o: { taskQueue: string; timings: Timings }, input: VolumeWorkflowInput) {
  const ref = input.ref;
  const rec = input.state?.record;
  return {
    workflowId: volumeWorkflowId(ref),
    taskQueue: o.taskQueue,
    // A new run is started for the current code revision (a signal to an open run ignores these args).
    args: [{ ...input, rev: VOLUME_REVISION }] as [VolumeWorkflowInput],
    staticSummary: `AntstorVolume ${ref.namespace}/${ref.name}: placement and lifecycle`,
    ...(o.timings.useSearchAttributes === false
      ? {}
      : {
          typedSearchAttributes: [
            { key: SA_VOLUME, value: `${ref.namespace}/${ref.name}` },
            { key: SA_PHASE, value: rec?.phase ?? 'Pending' },
            ...(rec?.pool
              ? [
                  { key: SA_POOL, value: `${ref.namespace}/${rec.pool}` },
                  { key: SA_NODE, value: rec.pool },
                ]
              : []),
          ],
        }),
  };
}

// ---- placer (v0.8.0): batched admission of new volumes ----
export const placerWorkflowId = (namespace: string): string => `placer/${namespace}`;
export const isPlacerWorkflowId = (id: string): boolean => id.startsWith('placer/');

/** One volume the placer is deciding, asking for, or binding. */
export interface PlacerItem {
  ref: VolumeRef;
  /** Filter passes run for this volume. */
  passes: number;
  /** Pools whose ledger refused it, with the reason (the next pass leaves them out). */
  refused: Record<string, string>;
  attempts: PlacementAttempt[];
  /** Remaining candidates of the last pass, best first, with their scores. */
  candidates: { pool: string; scores?: Record<string, number> }[];
  /** The last pass, summarised for the binding's audit trail. */
  decision?: PlacementDecision;
  /** The request in flight: its id, the pool asked, and when (epoch ms). */
  asked?: { requestId: string; pool: string; at: number };
  /** Request ids sent so far (request ids are `<uid>/p<n>`). */
  requests: number;
  /** A grant that came before this volume's filter pass was on record (a lost workflow task's request). */
  grant?: { pool: string; requestId: string };
}

export interface PlacerWorkflowInput {
  namespace: string;
  timings: Timings;
  /** Carried across continue-as-new. */
  items?: PlacerItem[];
  /** Volumes handed to their own workflows (uid → workflow time), carried across continue-as-new. */
  handed?: Record<string, number>;
  /** Grants nobody waits for, not yet given back. */
  strays?: { uid: string; pool: string; requestId: string; key?: string }[];
  /** Answers that arrived but were not taken yet. */
  replies?: ReserveReplyMsg[];
  /** Volumes to hand to their own workflows (after releasing a silent pool's request, when given). */
  handOff?: { ref: VolumeRef; release?: { pool: string; requestId: string } }[];
}

/** The watcher hands new, unbound volumes to the placer in batches. */
export const placeVolumesSignal = defineSignal<[{ volumes: VolumeRef[] }]>('placeVolumes');
/** A pool's answers to the placer, a whole workflow task's worth in one signal. */
export const reserveRepliesSignal = defineSignal<[{ replies: ReserveReplyMsg[] }]>('reserveReplies');
export interface PlacerView {
  items: number;
  asking: number;
  placed: number;
  handedOff: number;
  volume?: PlacerItem;
}
export const placerQuery = defineQuery<PlacerView, [string?]>('placer');

export function placerStartOptions(o: { taskQueue: string; timings: Timings }, namespace: string) {
  const input: PlacerWorkflowInput = { namespace, timings: o.timings };
  return {
    workflowId: placerWorkflowId(namespace),
    taskQueue: o.taskQueue,
    args: [input] as [PlacerWorkflowInput],
    staticSummary: `Placer of ${namespace}: new AntstorVolumes filtered, admitted and bound in batches`,
  };
}

// ---- releaser (v0.17.0): batched deletion of bound volumes ----
export const releaserWorkflowId = (namespace: string): string => `releaser/${namespace}`;

/** A bound volume being deleted, with the pool it is bound to (whose ledger releases it). */
export interface ReleaserItem {
  ref: VolumeRef;
  pool: string;
}

export interface ReleaserWorkflowInput {
  namespace: string;
  timings: Timings;
  /** Volumes taken and not yet finalized, carried across continue-as-new. */
  items?: ReleaserItem[];
  /** Totals so far (shown in the run's details and the query). */
  released?: number;
  handedOff?: number;
}

/** The watcher hands bound volumes being deleted (only the in-state finalizer left) to the releaser in batches. */
export const releaseVolumesSignal = defineSignal<[{ volumes: ReleaserItem[] }]>('releaseVolumes');

/** What the releaser did with one volume: released (ledger, then finalizer), gone already, or handed to its own workflow. */
export type ReleaserOutcome = { uid: string; result: 'released' | 'gone' | 'handoff'; why?: string };

export interface ReleaserView {
  items: number;
  released: number;
  handedOff: number;
  volume?: ReleaserItem;
}
export const releaserQuery = defineQuery<ReleaserView, [string?]>('releaser');

export function releaserStartOptions(o: { taskQueue: string; timings: Timings }, namespace: string) {
  const input: ReleaserWorkflowInput = { namespace, timings: o.timings };
  return {
    workflowId: releaserWorkflowId(namespace),
    taskQueue: o.taskQueue,
    args: [input] as [ReleaserWorkflowInput],
    staticSummary: `Releaser of ${namespace}: deleted AntstorVolumes released from their pools' ledgers and finalized in batches`,
  };
}

// ---- MetaSync ----
export interface MetaSyncWorkflowInput {
  namespace: string;
  timings: Timings;
  pending?: string[];
  tombstones?: Record<string, NonNullable<MetaSyncDirty['tombstone']>>;
  placements?: PlacementRow[];
  written?: number;
}
/**
 * key: "StoragePool/<name>" or "AntstorVolume/<name>". A deletion carries a tombstone — the row as of the
 * deletion — so a row can be written even if the object is gone before the database is reachable again.
 */
export interface MetaSyncDirty {
  key: string;
  tombstone?: { row: Record<string, string | number>; resourceVersion: number };
}
export const metasyncDirtySignal = defineSignal<[MetaSyncDirty]>('metasyncDirty');
export const metasyncPlacementSignal = defineSignal<[PlacementRow]>('metasyncPlacement');
export const metaSyncWorkflowId = (namespace: string) => `metasync/${namespace}`;

export function metaSyncStartOptions(o: { taskQueue: string; timings: Timings }, namespace: string) {
  const input: MetaSyncWorkflowInput = { namespace, timings: o.timings };
  return {
    workflowId: metaSyncWorkflowId(namespace),
    taskQueue: o.taskQueue,
    args: [input] as [MetaSyncWorkflowInput],
    staticSummary: `MetaSync of ${namespace} to MySQL`,
  };
}
