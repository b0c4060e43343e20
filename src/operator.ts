/**
 * runOperator: the Disk-Controller process. One Temporal worker (workflows + activities), one informer-backed
 * cluster cache of the namespace, and the watcher that feeds workflows. Any number of replicas may run.
 */
import { createServer, type Server } from 'node:http';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { pluginActivities, pluginNames } from './activities/plugins.js';
import { instantiatePlugins } from './plugins/registry.js';
import { BUILTIN_PLUGINS } from './plugins/builtin/index.js';
import type { ControllerConfig } from './config/controller-config.js';
import { ClusterCache } from './kube/cluster-cache.js';
import { makeClients } from './kube/client.js';
import { KubeResources } from './kube/resources.js';
import type { Logger } from './logger.js';
import { resolveChain } from './scheduler/chain.js';
import { Watcher } from './watcher/watcher.js';
import { ensureSearchAttributes } from './temporal-setup.js';
import { workflowTaskFailures } from './workflow-task-failures.js';
import { createPool as createMysqlPool, type Pool as MysqlPool } from 'mysql2/promise';
import { createMetaSyncActivities } from './activities/metasync.js';
import { describeTarget, type MysqlTarget } from './plugins/metasync/dsn.js';
import { MetaWriter, type PlacementRow } from './plugins/metasync/writer.js';
import { metaSyncPluginFactory, signalMetaSync } from './plugins/builtin/metasync-plugin.js';
import { redactText } from './logger.js';
import { DEFAULT_TIMINGS, poolTaskQueueFor, TASK_QUEUE_DEFAULT, metasyncPlacementSignal, poolWorkflowId, reserveRepliesSignal, type ReserveReplyMsg, type Timings } from './workflows/messages.js';
import { SignalCoalescer } from './activities/signal-coalescer.js';
import { readPoolLedger } from './kinds/storage-pool/ledger-read.js';
import { parkedLedgerView } from './kinds/storage-pool/activities.js';
import type { KubeConfig } from './kube/client-node.js';
import { connectTemporal, temporalTlsOptions, type TemporalTarget } from './temporal-connection.js';
import { installClusterGauges } from './metrics/cluster-gauges.js';
import { startMetricsServer } from './metrics/server.js';
import { startWebhookServer, type WebhookServer } from './webhook/server.js';
import { AssumedPlacements } from './scheduler/assumed.js';
import { OwnWrites } from './watcher/own-writes.js';
import { poolStateHandler } from './state/pool-state.js';
import { KINDS } from './kinds/index.js';
import { bundleWorkflows, workerWorkflowBundle } from './workflow-bundle.js';
import { withWorkflowThreadLimits, workflowThreadLimitsFromEnv } from './workflow-thread-limits.js';
import { onHeapSnapshotSignal } from './thread-heap-snapshots.js';

export { WORKFLOWS_PATH } from './workflow-bundle.js';

export type { TemporalTarget } from './temporal-connection.js';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Namespace that holds the StoragePools and AntstorVolumes (LiteIO: obnvmf). */
  namespace: string;
  temporal: TemporalTarget;
  taskQueue?: string;
  config: ControllerConfig;
  timings?: Partial<Timings>;
  log: Logger;
  /** Run the watcher (default true). Workers-only replicas can turn it off. */
  watch?: boolean;
  /** A prebuilt workflow bundle (tests and production images); otherwise workflows are bundled at start. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  /** MetaSync to MySQL (LiteIO's --dbInfo / --obConnInfo with --k8sCluster). The password stays in this process. */
  metasync?: { target: MysqlTarget; cluster: string };
  /** host:port for /healthz and /readyz; undefined = no probe server. */
  probeAddr?: string;
  /** host:port for Prometheus /metrics (LiteIO's --metricsAddr); undefined = no metrics server. */
  metricsAddr?: string;
  /** The address is a default, not asked for: when it is taken, log an error and run without metrics. */
  metricsBestEffort?: boolean;
  maxCachedWorkflows?: number;
  /**
   * v0.8.0: new volumes are admitted in batches by the namespace's placer workflow (default on; env
   * BATCHED_PLACEMENT=0 turns it off). Always off while user volume plugins are configured.
   */
  batchedPlacement?: boolean;
  /**
   * v0.17.0: bound volumes being deleted are released and finalized in batches by the namespace's releaser workflow
   * (default on with batched placement; env BATCHED_RELEASE=0 turns it off).
   */
  batchedRelease?: boolean;
  /** LiteIO's AntstorVolume admission webhook (--enableWebhook): HTTPS on addr with tls.crt/tls.key from tlsDir. */
  webhook?: { addr: string; tlsDir: string };
  /** The pool workflows' task queue (default `<taskQueue>-pools`); false: pools share the volumes' queue. */
  poolTaskQueue?: string | false;
}

export interface RunningOperator {
  client: Client;
  cache: ClusterCache;
  watcher?: Watcher;
  worker: Worker;
  /** Serves the pool workflows' own task queue (absent when pools share the volumes' queue). */
  poolWorker?: Worker;
  taskQueue: string;
  poolTaskQueue?: string;
  timings: Timings;
  probeServer?: Server;
  /** The webhook's base URL when the webhook is served. */
  webhookUrl?: string;
  /** The /metrics URL when metricsAddr was given (with the real port when it was :0). */
  metricsUrl?: string;
  /** Stops watcher, worker, informers and connections. */
  stop(): Promise<void>;
}

export async function runOperator(o: OperatorOptions): Promise<RunningOperator> {
  const taskQueue = o.taskQueue ?? TASK_QUEUE_DEFAULT;
  const poolTaskQueue = o.poolTaskQueue === false || process.env['DCT_SHARED_POOL_QUEUE'] === '1' ? undefined : (o.poolTaskQueue ?? poolTaskQueueFor(taskQueue));
  const timings: Timings = { ...DEFAULT_TIMINGS, ...o.timings, ...parkIdleFromEnv(process.env) };
  const poolTuning = workerTuningFromEnv(process.env, 'POOL');
  const volumeTuning = workerTuningFromEnv(process.env, 'VOLUME');
  const replyHandOffMs = replyHandOffFromEnv(process.env);
  const threadLimits = workflowThreadLimitsFromEnv(process.env);
  const chain = resolveChain(o.config.scheduler); // unknown filter/priority names fail startup here
  const log = o.log.child({ component: 'operator', namespace: o.namespace });
  // First, before any connection: a bad --tlsdir or a taken --port fails startup at once, naming the flag.
  const webhook: WebhookServer | undefined = o.webhook ? await startWebhookServer({ ...o.webhook, log: log.child({ component: 'webhook' }) }) : undefined;
  const tls = temporalTlsOptions(o.temporal);

  const connection = await connectTemporal(o.temporal);
  const client = new Client({ connection, namespace: o.temporal.namespace });
  timings.useSearchAttributes = await ensureSearchAttributes(connection, o.temporal.namespace, log);
  const native = await NativeConnection.connect({ address: o.temporal.address, ...(tls ? { tls } : {}) });

  const clients = makeClients(o.kubeConfig);
  const cache = new ClusterCache(clients, o.namespace, log, KINDS);
  const kube = new KubeResources(clients);
  // MetaSync: a connection pool (lazy; an unreachable database is logged, never fatal: writes are retried).
  let db: MysqlPool | undefined;
  let metaActs: ReturnType<typeof createMetaSyncActivities> | undefined;
  const builtins = { StoragePool: [...BUILTIN_PLUGINS.StoragePool], AntstorVolume: [...BUILTIN_PLUGINS.AntstorVolume] };
  if (o.metasync) {
    const t = o.metasync.target;
    db = createMysqlPool({
      ...(t.socketPath ? { socketPath: t.socketPath } : { host: t.host, port: t.port }),
      user: t.user,
      password: t.password,
      database: t.database,
      ...(t.charset ? { charset: t.charset } : {}),
      ...(t.ssl ? { ssl: t.ssl } : {}),
      ...(t.multipleStatements !== undefined ? { multipleStatements: t.multipleStatements } : {}),
      connectTimeout: t.connectTimeout ?? 5000,
      connectionLimit: 4,
      waitForConnections: true,
    });
    const where = describeTarget(t);
    db.query('SELECT 1').then(
      () => log.info('MetaSync database reachable', { database: where }),
      (e: { code?: string; message?: string }) =>
        log.warn('MetaSync database unreachable at start; rows will be written when it answers', { database: where, error: redactText(`${e.code ?? ''} ${e.message ?? ''}`) }),
    );
    if (t.ignoredParams.length) log.info('MetaSync DSN parameters without a mysql2 equivalent are ignored', { params: t.ignoredParams });
    metaActs = createMetaSyncActivities({ db, writer: new MetaWriter(db, o.metasync.cluster), target: where, kube, cache, log });
    const mf = metaSyncPluginFactory({ client, taskQueue, timings, namespace: o.namespace });
    builtins.StoragePool.unshift(mf);
    builtins.AntstorVolume.unshift(mf);
  }
  const plugins = await instantiatePlugins(builtins, { config: o.config, kube: clients, log });
  const deps: ActivityDeps = {
    kube,
    clients,
    cache,
    temporal: client,
    ...(process.env['EAGER_START'] !== '0' ? { eagerTemporal: new Client({ connection: native, namespace: o.temporal.namespace }) } : {}),
    taskQueue,
    ...(poolTaskQueue ? { poolTaskQueue } : {}),
    config: o.config,
    chain,
    assumed: new AssumedPlacements(),
    ownWrites: new OwnWrites(),
    // PLACER_REPLY_COALESCE=0: one signal per pool task, as before v0.15.0 (for an A/B).
    ...(process.env['PLACER_REPLY_COALESCE'] !== '0' ? { placerReplies: placerReplyCoalescer(client, replyHandOffMs, log) } : {}),
    timings,
    log,
    pluginNames: { StoragePool: pluginNames(plugins, 'StoragePool'), AntstorVolume: pluginNames(plugins, 'AntstorVolume') },
    ...(o.metasync
      ? {
          metasync: {
            cluster: o.metasync.cluster,
            placement: (row: PlacementRow) => signalMetaSync(client, { taskQueue, timings }, o.namespace, metasyncPlacementSignal, row),
          },
        }
      : {}),
  };
  const activities = { ...createActivities(deps), ...pluginActivities(deps, plugins, clients), ...(metaActs ?? {}) };

  // One bundle for both workers (bundling is seconds of CPU at start).
  // Without the source map's source text unless stack traces are on (workflow-bundle.ts: ~5 MiB).
  const workflowBundle = workerWorkflowBundle(o.workflowBundle ?? (await bundleWorkflows(bundlerLogger(log))), threadLimits.promiseStackTraces === true);
  // Both workers' workflow threads get WORKFLOW_THREAD_YOUNG_MB, if set (src/workflow-thread-limits.ts).
  let threadsLimited = 0;
  const workflowThreads: NodeWorker[] = [];
  const createWorker = async (options: WorkerOptions): Promise<Worker> => {
    const { value, threadsLimited: n } = await withWorkflowThreadLimits(threadLimits, () => Worker.create(options), (t) => workflowThreads.push(t));
    threadsLimited += n;
    return value;
  };
  const worker = await createWorker({
    connection: native,
    namespace: o.temporal.namespace,
    taskQueue,
    activities,
    workflowBundle,
    maxCachedWorkflows: o.maxCachedWorkflows ?? envPositive('MAX_CACHED_WORKFLOWS') ?? 2000,
    ...volumeTuning,
    shutdownGraceTime: '10s',
  });
  // Pool workflows (the ledgers every placement waits on) on their own queue, slots and pollers; pools started
  // on the shared queue by an older version keep running there (the first worker serves every workflow type).
  const poolWorker = poolTaskQueue
    ? await createWorker({
        connection: native,
        namespace: o.temporal.namespace,
        taskQueue: poolTaskQueue,
        activities,
        workflowBundle,
        maxCachedWorkflows: envPositive('MAX_CACHED_POOL_WORKFLOWS') ?? 1000,
        // With parking on, pollers scaled by the server's backlog hints: every woken pool's first task waits on the
        // normal queue, which the SDK's fixed pollers poll with 2 of 10, and 1,000 waking pools' first tasks queued
        // for minutes (README, Performance → v0.13.0). Without parking the SDK's defaults stay: W1 ran 22.3/s with
        // them and 19.5/s with these in the same hour (within noise).
        ...(timings.poolParkIdleMs ? POOL_WORKER_DEFAULTS : {}),
        ...poolTuning,
        shutdownGraceTime: '10s',
      })
    : undefined;

  // Node's --heapsnapshot-signal writes the main thread's heap; the same signal writes the workflow threads' too.
  const stopSnapshotSignal = onHeapSnapshotSignal(workflowThreads, log);
  if (threadLimits.maxYoungGenerationSizeMb || threadLimits.promiseStackTraces === false) {
    const settings = { youngGenerationMiB: threadLimits.maxYoungGenerationSizeMb ?? 'V8 default', stackTraces: threadLimits.promiseStackTraces !== false };
    if (threadsLimited > 0) log.info('workflow threads limited', { threads: threadsLimited, ...settings });
    else log.warn('workflow thread settings not applied: this SDK did not create its workflow threads the way the operator expects, so WORKFLOW_THREAD_YOUNG_MB and WORKFLOW_STACK_TRACES have no effect (--max-semi-space-size in NODE_OPTIONS limits every thread instead)', settings);
  }

  const userVolumePlugins = pluginNames(plugins, 'AntstorVolume').some((n) => n !== 'MetaSync');
  const placer = !userVolumePlugins && (o.batchedPlacement ?? process.env['BATCHED_PLACEMENT'] !== '0');
  const watcher =
    o.watch === false
      ? undefined
      : new Watcher(cache, client, { taskQueue, ...(poolTaskQueue ? { poolTaskQueue } : {}), timings, nodeCacheSelector: o.config.scheduler.nodeCacheSelector, metasync: !!o.metasync, statusOnlyWakes: userVolumePlugins, placer, releaser: placer && (o.batchedRelease ?? process.env['BATCHED_RELEASE'] !== '0'), resyncPerSec: envPositive('RESYNC_PER_SEC'), placerMaxInFlight: envPositive('PLACER_MAX_IN_FLIGHT'), ...(deps.ownWrites ? { ownWrites: deps.ownWrites } : {}) }, log, KINDS);
  watcher?.start();
  const workerRun = Promise.all([worker.run(), poolWorker?.run()]);
  workerRun.catch((e) => log.error('worker stopped with an error', { error: (e as Error).message }));
  await cache.start();
  log.info('operator running', { taskQueue, poolTaskQueue: poolTaskQueue ?? taskQueue, temporal: o.temporal.address, temporalNamespace: o.temporal.namespace });

  let probeServer: Server | undefined;
  if (o.probeAddr) {
    const [host, port] = o.probeAddr.includes(':') ? o.probeAddr.split(':') : ['0.0.0.0', o.probeAddr];
    probeServer = createServer((req, res) => {
      // Both workers: the state of the one that is furthest from RUNNING.
      const states = [worker.getState(), ...(poolWorker ? [poolWorker.getState()] : [])];
      const state = states.find((s) => s !== 'RUNNING') ?? 'RUNNING';
      if (req.url?.startsWith('/status')) {
        // For people and scrapers: is anything stuck? (not a probe: a failing workflow is not fixed by a restart)
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ worker: state, cacheSynced: cache.isSynced, workflowTaskFailures: workflowTaskFailures.snapshot() }));
        return;
      }
      const live = state !== 'FAILED' && state !== 'STOPPED';
      const ready = state === 'RUNNING' && cache.isSynced;
      const ok = req.url?.startsWith('/readyz') ? ready : req.url?.startsWith('/healthz') ? live : false;
      res.writeHead(ok ? 200 : req.url?.match(/^\/(healthz|readyz)/) ? 503 : 404, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok' : `worker ${state}, cache ${cache.isSynced ? 'synced' : 'syncing'}`);
    });
    await new Promise<void>((r) => probeServer!.listen(Number(port), host || '0.0.0.0', r));
  }

  const uninstallGauges = installClusterGauges(cache, o.config.scheduler.nodeReservations);
  const metrics = o.metricsAddr
    ? await startMetricsServer(o.metricsAddr, {
        // LiteIO's state API, from the pool's ledger (a query on its workflow, bounded by a deadline).
        '/state/storagepool': poolStateHandler({
          namespace: o.namespace,
          pool: (name) => cache.getPool(name),
          volume: (_ns, name) => cache.getVolume(name),
          // A parked pool (its run ended while idle) holds nothing the API server does not show.
          ledger: (name) => {
            const ref = { namespace: o.namespace, name };
            return withDeadline(readPoolLedger(client, ref, () => parkedLedgerView(deps, ref)), 10_000);
          },
        }),
      }).catch((e: Error) => {
        if (!o.metricsBestEffort) throw e;
        log.error('metrics not served (set --metricsAddr to a free address, or 0)', { error: e.message });
        return undefined;
      })
    : undefined;
  if (metrics) log.info('metrics served', { url: metrics.url });
  if (webhook) log.info('admission webhook served', { url: webhook.url });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      watcher?.stop();
      stopSnapshotSignal();
      probeServer?.close();
      metrics?.server.close();
      webhook?.close();
      uninstallGauges();
      for (const w of [worker, poolWorker]) if (w?.getState() === 'RUNNING') w.shutdown();
      await workerRun.catch(() => undefined);
      // Answers the reply coalescer took over still go out (bounded; what does not is left to the placer's silence rule).
      if (deps.placerReplies && !(await deps.placerReplies.flush(5_000))) log.warn('pool answers to the placer still undelivered at stop; the placer hands those volumes to their own workflows');
      await cache.stop();
      await native.close().catch(() => undefined);
      await db?.end().catch(() => undefined);
      await connection.close().catch(() => undefined);
    })());

  return { client, cache, watcher, worker, ...(poolWorker ? { poolWorker, poolTaskQueue } : {}), taskQueue, timings, probeServer, ...(metrics ? { metricsUrl: metrics.url } : {}), ...(webhook ? { webhookUrl: webhook.url } : {}), stop };
}

/**
 * POOL_PARK_IDLE_MS: how long a pool's workflow stays idle before it parks (0: never). A value that is not a
 * non-negative number of milliseconds is refused at start, naming the variable.
 */
export function parkIdleFromEnv(env: NodeJS.ProcessEnv): Partial<Timings> {
  const n = millisFromEnv(env, 'POOL_PARK_IDLE_MS', 'never park idle pools');
  return n === undefined ? {} : { poolParkIdleMs: n };
}

/** A whole, non-negative number of milliseconds from `name`; undefined when unset or empty. Else it throws, naming it. */
function millisFromEnv(env: NodeJS.ProcessEnv, name: string, zeroMeans: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${JSON.stringify(raw)}: expected a whole number of milliseconds, 0 to ${zeroMeans}`);
  return n;
}

/** A worker's workflow-task options that its environment variables can set. */
type WorkerTuning = Pick<WorkerOptions, 'maxConcurrentWorkflowTaskExecutions' | 'workflowTaskPollerBehavior' | 'nonStickyToStickyPollRatio'>;

/** The pools' worker's workflow-task settings when parking is on, unless POOL_WORKFLOW_TASK_* say otherwise. */
export const POOL_WORKER_DEFAULTS: WorkerTuning = {
  // v0.15.0: 40 (the SDK's default) instead of v0.13.0's 200. A task taken into a slot waits for the pools' one
  // workflow thread; at W2's size 150 tasks sat in slots, ran 1.9 s each and timed out on the server (10 s), and
  // placement collapsed. With the reply handed to the coalescer after 250 ms, a slot is no longer held by a slow
  // signal, which is what the 200 slots were for (README, Performance -> v0.15.0).
  maxConcurrentWorkflowTaskExecutions: 40,
  workflowTaskPollerBehavior: { type: 'autoscaling' },
};

/**
 * A worker's workflow-task settings from `<PREFIX>_WORKFLOW_TASK_SLOTS` (tasks at once), `<PREFIX>_WORKFLOW_TASK_POLLERS`
 * (a number: a fixed maximum; `auto`: scaled by the server's backlog hints) and `<PREFIX>_NONSTICKY_POLL_RATIO` (the
 * share of fixed pollers on the normal queue). POOL_*: the pools' worker — every placement waits on a pool's task,
 * and a burst into parked pools starts a run per pool at once. VOLUME_*: the volumes' worker, where each placed
 * volume's run is one task on the normal (non-sticky) queue.
 */
export function workerTuningFromEnv(env: NodeJS.ProcessEnv, prefix: 'POOL' | 'VOLUME'): WorkerTuning {
  const out: WorkerTuning = {};
  const whole = (name: string, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected a whole number, at least ${min}`);
    return n;
  };
  const slots = whole(`${prefix}_WORKFLOW_TASK_SLOTS`, 2);
  if (slots !== undefined) out.maxConcurrentWorkflowTaskExecutions = slots;
  const pollers = env[`${prefix}_WORKFLOW_TASK_POLLERS`];
  if (pollers === 'auto') out.workflowTaskPollerBehavior = { type: 'autoscaling' };
  else if (pollers !== undefined && pollers !== '') {
    const n = whole(`${prefix}_WORKFLOW_TASK_POLLERS`, 2)!;
    out.workflowTaskPollerBehavior = { type: 'simple-maximum', maximum: n };
  }
  const ratioName = `${prefix}_NONSTICKY_POLL_RATIO`;
  const ratioRaw = env[ratioName];
  if (ratioRaw !== undefined && ratioRaw !== '') {
    const r = Number(ratioRaw);
    if (!(r > 0 && r <= 1)) throw new Error(`${ratioName}=${JSON.stringify(ratioRaw)}: expected a number above 0, at most 1`);
    out.nonStickyToStickyPollRatio = r;
  }
  return out;
}

/**
 * PLACER_REPLY_HANDOFF_MS (default PLACER_REPLY_HANDOFF_MS_DEFAULT; 0: never): how long a pool's reply activity
 * waits for its signal to the placer before the coalescer takes the answers over, so that a slow server does not
 * hold the pool's workflow task (activities/signal-coalescer.ts). A bad value stops the start, naming the variable.
 */
export function replyHandOffFromEnv(env: NodeJS.ProcessEnv): number {
  return millisFromEnv(env, 'PLACER_REPLY_HANDOFF_MS', 'always wait for the signal') ?? PLACER_REPLY_HANDOFF_MS_DEFAULT;
}

/** The pools' answers to the placer, coalesced: one signal in flight per placer. */
function placerReplyCoalescer(client: Client, handOffMs: number, log: Logger): SignalCoalescer<ReserveReplyMsg> {
  return new SignalCoalescer<ReserveReplyMsg>((id, replies) => client.workflow.getHandle(id).signal(reserveRepliesSignal, { replies }), {
    ...(handOffMs > 0 ? { handOffMs } : {}),
    isGone: (e) => e instanceof WorkflowNotFoundError,
    onDrop: (workflowId, answers, error) =>
      log.warn('pool answers to the placer not delivered after retrying for a minute; the placer hands those volumes to their own workflows', {
        workflowId,
        answers,
        error: redactText((error as Error)?.message ?? String(error)),
      }),
  });
}

/** See placerReplyCoalescer. */
export const PLACER_REPLY_HANDOFF_MS_DEFAULT = 250;

/** A tuning knob from the environment: a positive number, or undefined (unset, empty or not positive). */
function envPositive(name: string): number | undefined {
  const n = Number(process.env[name]);
  return n > 0 ? n : undefined;
}

/** The bundler's logger: only its errors matter to an operator. */
function bundlerLogger(log: Logger) {
  const quiet = () => undefined;
  return { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m: string) => log.error('workflow bundle', { error: m }) };
}

/** Rejects after `ms` (a query on a workflow whose worker is busy or gone would otherwise wait long). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(t));
}
