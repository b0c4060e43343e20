/**
 * The tree-shaken client-node bundle (scripts/bundle-client-node.ts) that replaces src/kube/client-node.ts's plain
 * re-export at build time: it holds what the controller uses and not the rest, exports the same names as the
 * package, works, and is what the build put in dist (so the tests, the benchmark and the image all run it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleClientNode, CLIENT_NODE_BANNER, CLIENT_NODE_OUT } from '../../scripts/bundle-client-node.js';

describe('client-node bundle', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'client-node-bundle-'));
    out = join(dir, 'client-node.js');
    await bundleClientNode(out);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the APIs the controller uses and drops the ones it does not', () => {
    const src = readFileSync(out, 'utf8');
    for (const used of ['CustomObjectsApi', 'CoreV1Api', 'CoordinationV1Api', 'KubernetesObjectApi', 'ListWatch']) {
      assert.ok(src.includes(`"${used}"`), `${used} should be in the bundle (kept by name)`);
    }
    // Whole API groups nothing here calls: the package entry loads them all, the bundle none.
    for (const unused of ['BatchV1Api', 'AppsV1Api', 'NetworkingV1Api', 'AutoscalingV2Api', 'PortForward', 'Exec']) {
      assert.ok(!src.includes(`"${unused}"`), `${unused} should have been shaken out`);
    }
    assert.ok(src.length < 4 * 1024 * 1024, `bundle is ${src.length} bytes`);
  });

  it('exports exactly the values src/kube/client-node.ts names, as the package does', async () => {
    const bundled = await import(pathToFileURL(out).href);
    const pkg = await import('@kubernetes/client-node');
    const names = Object.keys(bundled).sort();
    assert.deepEqual(names, ['ApiextensionsV1Api', 'CoordinationV1Api', 'CoreV1Api', 'CustomObjectsApi', 'KubeConfig', 'KubernetesObjectApi',
      'ListWatch', 'ObjectSerializer', 'PatchStrategy', 'RbacAuthorizationV1Api', 'ServerConfiguration', 'V1MicroTime', 'Watch',
      'createConfiguration', 'setHeaderOptions']);
    for (const n of names) {
      if (n === 'ObjectSerializer') continue; // not exported by the package entry
      assert.equal(typeof bundled[n], typeof (pkg as Record<string, unknown>)[n], n);
    }
    assert.deepEqual({ ...bundled.PatchStrategy }, { ...pkg.PatchStrategy });
  });

  it('works: a kubeconfig, an API client, a serialized model and the CommonJS dependencies it requires', async () => {
    // In a child process, so nothing the package entry loaded in this one helps it.
    const script = `
      const m = await import(${JSON.stringify(pathToFileURL(out).href)});
      const kc = new m.KubeConfig();
      kc.loadFromString(JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
        clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }] }));
      const api = kc.makeApiClient(m.CustomObjectsApi);
      const crd = m.ObjectSerializer.deserialize({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
        metadata: { name: 'x.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'x', kind: 'X' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } },
        'V1CustomResourceDefinition', '');
      // A refused connection comes back as client-node's error from node-fetch (a CommonJS dependency).
      const err = await api.listNamespacedCustomObject({ group: 'g', version: 'v1', namespace: 'n', plural: 'p' }).then(() => null, (e) => e);
      console.log(JSON.stringify({ server: kc.getCurrentCluster().server, api: api.constructor.name,
        preserve: crd.spec.versions[0].schema.openAPIV3Schema.x_kubernetes_preserve_unknown_fields, err: String(err && (err.code || err.message)) }));`;
    const res = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    assert.equal(res.server, 'https://127.0.0.1:1');
    assert.match(res.api, /CustomObjectsApi/);
    assert.equal(res.preserve, true);
    assert.match(res.err, /ECONNREFUSED/);
  });

  it('is what the build put in dist, so the tests, the benchmark and the image run it', () => {
    const built = readFileSync(CLIENT_NODE_OUT, 'utf8');
    assert.ok(built.startsWith(CLIENT_NODE_BANNER), `${CLIENT_NODE_OUT} is tsc's plain re-export: build with \`npm run build\`, not a bare tsc`);
  });
});
