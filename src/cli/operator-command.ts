/** `disk-controller operator`: the production entry point. */
import { loadKubeConfig } from '../kube/client.js';
import { createLogger } from '../logger.js';
import { installTemporalLogging } from '../temporal-logging.js';
import { applyHeapGrowingPercent, heapGrowingPercentFromEnv } from '../v8-heap-growth.js';
import { runOperator } from '../operator.js';
import { DEFAULT_TLS_DIR } from '../webhook/server.js';
import { resolveChain } from '../scheduler/chain.js';
import { visibilityResolver, workflowTaskFailureTap } from '../metrics/workflow-task-failures.js';
import { commonOptions, commonUsage, controllerConfig, metasyncOption, temporalTarget, watchNamespace } from './common.js';

export const operatorOptionsSpec = {
  options: {
    ...commonOptions,
    probeAddr: { type: 'string' },
    metricsAddr: { type: 'string' },
    sdkMetricsAddr: { type: 'string' },
    'no-watch': { type: 'boolean' },
    'workflow-bundle': { type: 'string' },
    enableWebhook: { type: 'boolean' },
    port: { type: 'string' },
    tlsdir: { type: 'string' },
  },
  usage: `usage: disk-controller operator [flags]

${commonUsage}
  --probeAddr HOST:PORT          /healthz and /readyz (default 0.0.0.0:9080)
  --metricsAddr HOST:PORT         Prometheus /metrics (default :9090, env METRICS_ADDR; "0" turns it off)
  --sdkMetricsAddr HOST:PORT      the Temporal SDK's own Prometheus /metrics: task slots, pollers, schedule-to-start
                                 latency, sticky cache (env TEMPORAL_SDK_METRICS_ADDR; default off)
  --no-watch                     run only the Temporal worker (no watcher)
  --workflow-bundle PATH         prebuilt workflow bundle (built by the Docker image)
  --enableWebhook                serve LiteIO's AntstorVolume admission webhook (HTTPS; deploy/webhook/)
  --port PORT|HOST:PORT          the webhook's port (default 9443)
  --tlsdir DIR                   the webhook's tls.crt and tls.key (default ${DEFAULT_TLS_DIR})`,
} as const;

export async function runOperatorCommand(v: Record<string, unknown>): Promise<number> {
  const log = createLogger();
  const taskFailures = workflowTaskFailureTap(log.child({ component: 'worker' }));
  const sdkMetricsAddr = hostPort('--sdkMetricsAddr', (v['sdkMetricsAddr'] as string | undefined) ?? process.env['TEMPORAL_SDK_METRICS_ADDR']);
  installTemporalLogging(log, (process.env['TEMPORAL_LOG_LEVEL'] as never) || 'WARN', taskFailures, sdkMetricsAddr);
  const metricsAddr = (v['metricsAddr'] as string | undefined) ?? process.env['METRICS_ADDR'] ?? ':9090';
  const config = controllerConfig(v);
  // Unknown filter/priority names are refused here, naming the file (runOperator would only name the field).
  resolveChain(config.scheduler, (v['config'] as string | undefined) ?? process.env['CONTROLLER_CONFIG'] ?? 'embedded default');
  const metasync = metasyncOption(v);
  // A process setting (every V8 heap, the workflow threads' too), so here and not in runOperator, which tests embed.
  const heapGrowingPercent = heapGrowingPercentFromEnv(process.env);
  applyHeapGrowingPercent(heapGrowingPercent);
  log.info('V8 heap growing factor', { percent: heapGrowingPercent || "V8's own" });
  const op = await runOperator({
    ...(metasync ? { metasync } : {}),
    kubeConfig: loadKubeConfig(v['kubeconfig'] as string | undefined),
    namespace: watchNamespace(v),
    temporal: temporalTarget(v),
    ...(v['task-queue'] ? { taskQueue: v['task-queue'] as string } : {}),
    config,
    log,
    watch: !v['no-watch'],
    probeAddr: (v['probeAddr'] as string | undefined) ?? '0.0.0.0:9080',
    ...(metricsAddr !== '0' && metricsAddr !== '' ? { metricsAddr, metricsBestEffort: v['metricsAddr'] === undefined && !process.env['METRICS_ADDR'] } : {}),
    ...(v['enableWebhook'] ? { webhook: webhookOption(v) } : {}),
    ...(v['workflow-bundle'] ? { workflowBundle: { codePath: v['workflow-bundle'] as string } } : {}),
  });
  taskFailures.resolveWith(visibilityResolver(op.client));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('shutting down');
  await op.stop();
  return 0;
}

/** --port (a port or host:port; LiteIO's is a bare port) and --tlsdir, for --enableWebhook. */
function webhookOption(v: Record<string, unknown>): { addr: string; tlsDir: string } {
  const port = (v['port'] as string | undefined) ?? '9443';
  if (!/^(.*:)?\d{1,5}$/.test(port)) throw new Error(`--port ${JSON.stringify(port)}: expected a port number or HOST:PORT`);
  return { addr: port.includes(':') ? port : `0.0.0.0:${port}`, tlsDir: (v['tlsdir'] as string | undefined) || DEFAULT_TLS_DIR };
}

/**
 * Runs `operator` with the given command-line flags: the entry point for a custom main that registered its
 * own plugins and filters first (see examples/custom-plugin). Exits the process on a startup error.
 */
export async function runOperatorMain(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: operatorOptionsSpec.options, strict: true, allowPositionals: false }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${operatorOptionsSpec.usage}`);
    process.exit(2);
  }
  try {
    process.exit(await runOperatorCommand(values));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}

/** HOST:PORT (an empty host is every interface), or undefined when unset; anything else names the flag. */
export function hostPort(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^(.*):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535 || /[\s/]/.test(m[1]!)) throw new Error(`${flag} ${JSON.stringify(raw)}: expected HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:9464, or :9464 for every interface)`);
  return `${m[1] || '0.0.0.0'}:${port}`;
}
