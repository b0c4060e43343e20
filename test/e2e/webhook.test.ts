/**
 * LiteIO's AntstorVolume admission webhook through the real API server: deploy/webhook.yaml's two configurations
 * (rules, paths, policies as shipped; only the client config pointed at the test's operator and the namespace
 * selector at the test's namespace) are registered, and the operator serves them with --enableWebhook's server.
 * A volume without the vol-uuid label gets it; one with an empty uuid is refused with a message naming it; the
 * volumes that pass are placed as usual.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '../../src/kube/client-node.js';
import { parseAllDocuments } from 'yaml';
import { GROUP, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import type { AntstorVolume } from '../../src/api/types.js';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import type { RunningOperator } from '../../src/operator.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster } from '../harness/cluster.js';
import { makeCerts } from '../harness/certs.js';

interface WebhookConfig extends KubernetesObject {
  webhooks: Array<{
    name: string;
    failurePolicy: string;
    clientConfig: { service?: { path: string }; url?: string; caBundle?: string };
    namespaceSelector?: unknown;
  }>;
}

describe('e2e: the AntstorVolume admission webhook (deploy/webhook.yaml)', function () {
  let op: RunningOperator | undefined;
  const registered: WebhookConfig[] = [];
  let api: KubernetesObjectApi;
  after(async () => {
    for (const c of registered) await api.delete(c).catch(() => undefined);
    await op?.stop();
  });

  it('defaults the vol-uuid label, refuses an empty uuid naming the volume, and lets the rest be placed', async () => {
    const env = await testEnv();
    api = KubernetesObjectApi.makeApiClient(env.kube.kubeConfig);
    const c = await newTestCluster(env, 'webhook');
    const dir = mkdtempSync(join(tmpdir(), 'dct-webhook-'));
    const certs = makeCerts(dir, 'IP:127.0.0.1');
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir);
    copyFileSync(certs.serverCert, join(tlsDir, 'tls.crt'));
    copyFileSync(certs.serverKey, join(tlsDir, 'tls.key'));
    op = await c.startOperator({ webhook: { addr: '127.0.0.1:0', tlsDir } });
    assert.ok(op.webhookUrl?.startsWith('https://127.0.0.1:'));

    // The shipped configurations, as the API server stores them, pointed at this operator and this namespace.
    const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'webhook.yaml'), 'utf8')).map((d) => d.toJS() as WebhookConfig);
    assert.deepEqual(docs.map((d) => d.kind), ['Service', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    const caBundle = readFileSync(certs.ca).toString('base64');
    for (const d of docs.slice(1)) {
      d.metadata!.name = `${d.metadata!.name}-${c.ns}`;
      for (const w of d.webhooks) {
        w.clientConfig = { url: `${op.webhookUrl}${w.clientConfig.service!.path}`, caBundle };
        w.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': c.ns } };
      }
      registered.push((await api.create(d)) as WebhookConfig);
    }
    assert.deepEqual(registered.map((r) => r.webhooks[0]!.failurePolicy), ['Ignore', 'Fail']);
    await c.createPool('node-a', { bytes: 10 * GiB });

    const create = (name: string, uuid: string) =>
      c.co.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: c.ns,
        plural: PLURAL_VOLUME,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorVolume', metadata: { name, namespace: c.ns }, spec: { uuid, sizeByte: GiB, type: 'Flexible' } },
      }) as Promise<AntstorVolume>;

    // The API server picks new webhook configurations up within a moment: wait until the refusal is seen.
    await eventually(
      async () => {
        const err = await create('no-uuid', '').then(
          async () => {
            await c.deleteVolume('no-uuid');
            return undefined;
          },
          (e: { code?: number; body?: string }) => e,
        );
        assert.ok(err, 'an AntstorVolume with an empty uuid was admitted');
        assert.equal(err.code, 403);
        assert.match(String(err.body), new RegExp(`AntstorVolume ${c.ns}/no-uuid: spec\\.uuid: volume uuid cannot be empty`));
      },
      { timeoutMs: 20_000 },
    );

    const v = await create('with-uuid', 'u-123');
    assert.equal(v.metadata?.labels?.['obnvmf/vol-uuid'], 'u-123', 'the label was defaulted from spec.uuid');
    // The API server drops status on create for a kind with a status subresource: the controller sets it at bind.
    assert.equal(v.status?.status, undefined);
    // The volume that passed is placed as usual (and keeps its label).
    await eventually(async () => assert.equal((await c.getVolume('with-uuid')).spec.targetNodeId, 'node-a'), { timeoutMs: 60_000 });
    const placed = await c.getVolume('with-uuid');
    assert.equal(placed.metadata?.labels?.['obnvmf/vol-uuid'], 'u-123');
    assert.equal(placed.status?.status, 'creating');
    // Nothing half-written: the refused volume does not exist.
    assert.deepEqual((await c.listVolumes()).map((x) => x.metadata?.name), ['with-uuid']);
  });
});
