/** `disk-controller operator`: the production entry point. */
import { loadKubeConfig } from '../kube/client.js';
import { createLogger } from '../logger.js';
import { installTemporalLogging } from '../temporal-logging.js';
import { runOperator } from '../operator.js';
import { resolveChain } from '../scheduler/chain.js';
import { visibilityResolver, workflowTaskFailureTap } from '../metrics/workflow-task-failures.js';
import { commonOptions, commonUsage, controllerConfig, metasyncOption, temporalTarget, watchNamespace } from './common.js';

export const operatorOptionsSpec = {
  options: {
    ...commonOptions,
    probeAddr: { type: 'string' },
    metricsAddr: { type: 'string' },
    'no-watch': { type: 'boolean' },
    'workflow-bundle': { type: 'string' },
  },
  usage: `usage: disk-controller operator [flags]

${commonUsage}
  --probeAddr HOST:PORT          /healthz and /readyz (default 0.0.0.0:9080)
  --metricsAddr HOST:PORT         Prometheus /metrics (default :9090, env METRICS_ADDR; "0" turns it off)
  --no-watch                     run only the Temporal worker (no watcher)
  --workflow-bundle PATH         prebuilt workflow bundle (built by the Docker image)`,
} as const;

export async function runOperatorCommand(v: Record<string, unknown>): Promise<number> {
  const log = createLogger();
  const taskFailures = workflowTaskFailureTap(log.child({ component: 'worker' }));
  installTemporalLogging(log, (process.env['TEMPORAL_LOG_LEVEL'] as never) || 'WARN', taskFailures);
  const metricsAddr = (v['metricsAddr'] as string | undefined) ?? process.env['METRICS_ADDR'] ?? ':9090';
  const config = controllerConfig(v);
  // Unknown filter/priority names are refused here, naming the file (runOperator would only name the field).
  resolveChain(config.scheduler, (v['config'] as string | undefined) ?? process.env['CONTROLLER_CONFIG'] ?? 'embedded default');
  const metasync = metasyncOption(v);
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
