/**
 * A real etcd + kube-apiserver on 127.0.0.1 (envtest style): random ports, a self-signed serving certificate,
 * static tokens (an admin in system:masters and an unprivileged user for RBAC checks), RBAC on.
 * Writes a kubeconfig and installs the CRDs from deploy/crds.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from '../kube/client-node.js';
import { stringify as toYaml } from 'yaml';
import { etcdPath, kubeApiserverPath } from './bins.js';
import { loadCrds } from './crds.js';
import { describeKubeError } from '../kube/errors.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './process.js';

export interface KubeControlPlane {
  server: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** A kubeconfig for the unprivileged user `disk-controller-test` (no permissions until bound by RBAC). */
  userKubeconfigPath: string;
  userName: string;
  caPem: string;
  processes: ManagedProcess[];
  stop(): Promise<void>;
  /** Restarts kube-apiserver on the same port and etcd, after `downMs` down. */
  restartApiServer(downMs?: number): Promise<void>;
}

function httpsGet(url: string, token: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ca, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user } }],
    'current-context': 'local',
  });
}

export async function startKubeControlPlane(opts: { dir: string; installCrds?: boolean }): Promise<KubeControlPlane> {
  const dir = opts.dir;
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const adminToken = randomBytes(24).toString('hex');
  const userToken = randomBytes(24).toString('hex');
  const userName = 'disk-controller-test';
  writeFileSync(
    join(dir, 'tokens.csv'),
    `${adminToken},test-admin,test-admin-uid,"system:masters"\n${userToken},${userName},${userName}-uid,""\n`,
    { mode: 0o600 },
  );
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });

  const etcd = startProcess(
    'etcd',
    etcdPath(),
    [
      '--name=t', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`, `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=t=http://127.0.0.1:${peerPort}`, '--unsafe-no-fsync', '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  const processes: ManagedProcess[] = [etcd];
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop();
  };
  try {
    await waitUntil(
      'etcd',
      async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok,
      { timeoutMs: 30_000, proc: etcd },
    );
    const startApi = () => startProcess(
      'kube-apiserver',
      kubeApiserverPath(),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'pki')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir, 'sa.key')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--disable-admission-plugins=ServiceAccount',
        '--endpoint-reconciler-type=none',
        '--v=0',
      ],
      join(dir, 'kube-apiserver.log'),
    );
    let api = startApi();
    processes.push(api);
    const server = `https://127.0.0.1:${apiPort}`;
    let caPem = '';
    const waitReady = (proc: ManagedProcess) =>
      waitUntil(
        'kube-apiserver',
        async () => {
          caPem ||= readFileSync(join(dir, 'pki', 'apiserver.crt'), 'utf8');
          const r = await httpsGet(`${server}/readyz`, adminToken, caPem);
          if (r.status !== 200) return false;
          return (await httpsGet(`${server}/api/v1/namespaces/default`, adminToken, caPem)).status === 200;
        },
        { timeoutMs: 90_000, intervalMs: 250, proc },
      );
    await waitReady(api);
    /** Stops the API server (SIGTERM) and starts it again on the same port, certificates and etcd (fault tests). */
    const restartApiServer = async (downMs = 0) => {
      await api.stop();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      const next = startApi();
      processes.splice(processes.indexOf(api), 1, next);
      api = next;
      await waitReady(next);
    };
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, caPem, 'test-admin', adminToken), { mode: 0o600 });
    const userKubeconfigPath = join(dir, 'kubeconfig-user');
    writeFileSync(userKubeconfigPath, kubeconfigYaml(server, caPem, userName, userToken), { mode: 0o600 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    if (opts.installCrds !== false) await installCrds(kubeConfig, loadCrds());
    return { server, kubeconfigPath, kubeConfig, userKubeconfigPath, userName, caPem, processes, stop, restartApiServer };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Creates (or replaces) CRDs and waits until each is Established and served (envtest's WaitForCRDs). */
export async function installCrds(kc: KubeConfig, crds: V1CustomResourceDefinition[]): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    try {
      await ext.createCustomResourceDefinition({ body: crd });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw describeKubeError('install', `CRD ${crd.metadata?.name}`, e);
      const cur = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
      await ext.replaceCustomResourceDefinition({
        name: crd.metadata!.name!,
        body: { ...crd, metadata: { ...crd.metadata, resourceVersion: cur.metadata?.resourceVersion } },
      });
    }
  }
  for (const crd of crds) {
    const name = crd.metadata!.name!;
    await waitUntil(
      `CRD ${name}`,
      async () => {
        const c = await ext.readCustomResourceDefinition({ name });
        const cond = (t: string) => c.status?.conditions?.some((x) => x.type === t && x.status === 'True');
        return !!(cond('Established') && cond('NamesAccepted'));
      },
      { timeoutMs: 30_000 },
    );
  }
  // Served: a list call succeeds (the group is 404 for a moment after Established).
  const co = kc.makeApiClient(CustomObjectsApi);
  for (const crd of crds) {
    await waitUntil(
      `CRD ${crd.metadata!.name} served`,
      async () => {
        await co.listClusterCustomObject({ group: crd.spec.group, version: crd.spec.versions[0]!.name, plural: crd.spec.names.plural });
        return true;
      },
      { timeoutMs: 30_000 },
    );
  }
}
