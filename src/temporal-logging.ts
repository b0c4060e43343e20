/** Routes the Temporal SDK's runtime logs into our logger (once per process, before any worker). */
import { IllegalStateError } from '@temporalio/common';
import { Runtime, makeTelemetryFilterString, type LogLevel as TLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from './logger.js';
import { heapSnapshotSettings } from './thread-heap-snapshots.js';

let installed = false;

/** The SDK's default: on any of these its Runtime shuts every worker down. */
const SDK_SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'];

/**
 * The signals that shut the Temporal workers down: the SDK's, less the one Node's `--heapsnapshot-signal` names
 * (SIGUSR2 by convention). Otherwise asking a running controller for heap snapshots stopped its workers for good:
 * the process stayed up, answering nothing, until its liveness probe failed.
 */
export function runtimeShutdownSignals(execArgv: readonly string[], nodeOptions: string | undefined): NodeJS.Signals[] {
  const snap = heapSnapshotSettings(execArgv, nodeOptions, '.');
  return SDK_SHUTDOWN_SIGNALS.filter((s) => s !== snap?.signal);
}

/**
 * `tap` sees every entry before the level filter (metrics: workflow task failures); when it returns true the
 * entry is its own and is not logged again here. Core's logs are forwarded (WARN and up) so they reach it too.
 */
export function installTemporalLogging(
  log: Logger,
  minLevel: TLevel = 'WARN',
  tap?: (level: TLevel, message: string, meta?: Record<string, unknown>) => boolean,
  /** HOST:PORT: the SDK's own Prometheus exporter (worker slots, pollers, schedule-to-start latency, sticky cache). */
  sdkMetricsAddr?: string,
): void {
  if (installed) return;
  installed = true;
  const order: TLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
  const min = order.indexOf(minLevel);
  const l = log.child({ component: 'temporal-sdk' });
  const emit = (level: TLevel, message: string, meta?: LogMetadata) => {
    const m = meta as Record<string, unknown> | undefined;
    if (tap?.(level, message, m)) return;
    if (order.indexOf(level) < min) return;
    if (level === 'ERROR') l.error(message, m);
    else if (level === 'WARN') l.warn(message, m);
    else if (level === 'INFO') l.info(message, m);
    else l.debug(message, m);
  };
  try {
    Runtime.install({
      shutdownSignals: runtimeShutdownSignals(process.execArgv, process.env['NODE_OPTIONS']),
      logger: {
        log: emit,
        trace: (m, x) => emit('TRACE', m, x),
        debug: (m, x) => emit('DEBUG', m, x),
        info: (m, x) => emit('INFO', m, x),
        warn: (m, x) => emit('WARN', m, x),
        error: (m, x) => emit('ERROR', m, x),
      },
      telemetryOptions: {
        ...(tap ? { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } } : {}),
        ...(sdkMetricsAddr ? { metrics: { prometheus: { bindAddress: sdkMetricsAddr, countersTotalSuffix: true, useSecondsForDurations: true } } } : {}),
      },
    });
  } catch (e) {
    // Already installed by the embedding program: keep its logger (and its metrics).
    if (!(e instanceof IllegalStateError)) throw e;
  }
}
