/**
 * `disk-controller dev`: everything on this machine. Without TEMPORAL_ADDRESS it starts the Temporal dev server
 * (with its UI); without KUBECONFIG it starts etcd + kube-apiserver and installs the CRDs. Ctrl-C stops all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { CoreV1Api } from '../kube/client-node.js';
import { startKubeControlPlane, type KubeControlPlane } from '../embedded/kube-control-plane.js';
import { startTemporalDevServer, type TemporalDevServer } from '../embedded/temporal-dev-server.js';
import { loadKubeConfig } from '../kube/client.js';
import { createLogger } from '../logger.js';
import { installTemporalLogging } from '../temporal-logging.js';
import { runOperator, type RunningOperator } from '../operator.js';
import { commonOptions, commonUsage, controllerConfig, metasyncOption, temporalTarget, watchNamespace } from './common.js';
import { runDemo } from './demo.js';

export const devOptionsSpec = {
  options: {
    ...commonOptions,
    demo: { type: 'boolean' },
    'yes-use-existing': { type: 'boolean' },
    dir: { type: 'string' },
    'keep-dir': { type: 'boolean' },
  },
  usage: `usage: disk-controller dev [--demo] [flags]

Starts an embedded Temporal dev server (unless TEMPORAL_ADDRESS / --temporal-address is set) and an embedded
kube-apiserver + etcd with the CRDs installed (unless KUBECONFIG / --kubeconfig is set), then the controller.

  --demo                         create sample pools and volumes and print where each landed; refuses to run
                                 against a cluster taken from the environment (KUBECONFIG / TEMPORAL_ADDRESS)
  --yes-use-existing             with --demo: do create the demo objects in that existing cluster
  --dir PATH                     where embedded servers keep data and logs (default: a new temp dir)
  --keep-dir                     keep that directory on exit
${commonUsage}`,
} as const;

/** How to run this CLI again from the current directory: `node dist/src/cli.js` when started from the repo. */
function cliInvocation(): string {
  const script = process.argv[1] ?? 'dist/src/cli.js';
  const rel = relative(process.cwd(), script);
  const path = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : script;
  return `node ${/[^\w./-]/.test(path) ? JSON.stringify(path) : path}`;
}

export async function runDevCommand(v: Record<string, unknown>): Promise<number> {
  const fromEnv = ['KUBECONFIG', 'TEMPORAL_ADDRESS'].filter((k) => process.env[k]);
  if (v['demo'] && fromEnv.length && !v['yes-use-existing']) {
    console.error(
      `dev: refusing --demo: ${fromEnv.map((k) => `${k}=${process.env[k]}`).join(' and ')} ${fromEnv.length > 1 ? 'are' : 'is'} set, so the demo ` +
        `would create sample StoragePools and AntstorVolumes in that existing cluster.\n` +
        `dev: unset ${fromEnv.join(' ')} to run on embedded servers, or add --yes-use-existing to use that cluster anyway.`,
    );
    return 2;
  }
  const log = createLogger((process.env['LOG_LEVEL'] as never) || 'warn', {}, 'text');
  const say = (s: string) => console.log(s);
  installTemporalLogging(log, (process.env['TEMPORAL_LOG_LEVEL'] as never) || 'WARN');
  const dir = (v['dir'] as string | undefined) ?? mkdtempSync(join(tmpdir(), 'disk-controller-dev-'));
  const config = controllerConfig(v);
  const namespace = watchNamespace(v);
  let temporal: TemporalDevServer | undefined;
  let kube: KubeControlPlane | undefined;
  let op: RunningOperator | undefined;

  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    say('dev: stopping');
    await op?.stop().catch(() => undefined);
    await kube?.stop().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    if (!v['dir'] && !v['keep-dir']) rmSync(dir, { recursive: true, force: true });
    say('dev: stopped');
  };
  const stopped = new Promise<void>((resolve) => {
    const on = () => void stopAll().then(resolve);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });

  try {
    const externalTemporal = (v['temporal-address'] as string | undefined) ?? process.env['TEMPORAL_ADDRESS'];
    if (!externalTemporal) {
      say('dev: starting Temporal dev server…');
      temporal = await startTemporalDevServer({ dir, ui: true });
      say(`dev: Temporal at ${temporal.address}; UI at ${temporal.uiUrl}`);
    }
    const temporalAddress = temporalTarget(v, temporal?.address).address;
    say(
      `dev: using Temporal ${temporalAddress} (${temporal ? 'embedded dev server' : v['temporal-address'] ? 'from --temporal-address' : 'from TEMPORAL_ADDRESS'})`,
    );
    const externalKube = (v['kubeconfig'] as string | undefined) ?? process.env['KUBECONFIG'];
    let kc;
    if (!externalKube) {
      say('dev: starting kube-apiserver + etcd…');
      kube = await startKubeControlPlane({ dir });
      kc = kube.kubeConfig;
      say(`dev: kube-apiserver at ${kube.server}`);
    } else {
      kc = loadKubeConfig(externalKube);
    }
    say(
      `dev: using API server ${kc.getCurrentCluster()?.server ?? '?'} (${kube ? 'embedded kube-apiserver' : v['kubeconfig'] ? `from --kubeconfig ${externalKube}` : `from KUBECONFIG=${externalKube}`})`,
    );
    say(`dev: export TEMPORAL_ADDRESS=${temporalAddress}`);
    say(`dev: export KUBECONFIG=${kube ? kube.kubeconfigPath : externalKube}`);
    try {
      await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
    const metasync = metasyncOption(v);
    op = await runOperator({
      ...(metasync ? { metasync } : {}),
      kubeConfig: kc,
      namespace,
      temporal: temporalTarget(v, temporal?.address),
      ...(v['task-queue'] ? { taskQueue: v['task-queue'] as string } : {}),
      config,
      log,
    });
    say(`dev: controller running on namespace ${namespace}, task queue ${op.taskQueue}. Ctrl-C stops everything.`);
    if (v['demo']) await runDemo(kc, namespace, say, cliInvocation());
  } catch (e) {
    console.error(`dev: ${(e as Error).message}`);
    console.error(`dev: logs are in ${dir}`);
    v['keep-dir'] = true;
    await stopAll();
    return 1;
  }
  await stopped;
  return 0;
}
