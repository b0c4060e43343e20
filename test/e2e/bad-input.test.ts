/**
 * The bad-input corpus against the real servers. Three kinds of case, each asserting a clear error that names
 * the object (ns/name or file) and the field:
 *  - objects the CRD refuses: the API server's answer names the field;
 *  - objects the CRD lets in (or an older CRD let in): the controller reports them (volume status.msg and a
 *    Warning Event; pool status.message and a Warning Event) and keeps placing every other object — good
 *    volumes are created beside the bad ones in the same namespace and must be placed;
 *  - the CLI as a child process: bad config files, flags, --dbInfo (the password never appears), unreachable
 *    kube API and Temporal.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiextensionsV1Api, CoordinationV1Api, PatchStrategy, setHeaderOptions, type V1CustomResourceDefinition } from '../../src/kube/client-node.js';
import { GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import type { StoragePool } from '../../src/api/types.js';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { loadCrds } from '../../src/embedded/crds.js';
import { freePort } from '../../src/embedded/process.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The API server's message from a client-node ApiException (its body), or the error's own message. */
function apiMessage(e: unknown): string {
  const body = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return (e as Error).message;
}

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return apiMessage(e);
  }
  throw new Error('the API server accepted it');
}

/** Runs the CLI to its end; resolves with its exit code and everything it printed. */
function runCli(args: string[], o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: o.timeoutMs ?? 30_000, env: { ...process.env, LOG_FORMAT: 'json', ...o.env } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) ?? 1 : 0;
      resolve({ code: typeof code === 'number' ? code : null, out: `${stdout}${stderr}` });
    });
  });
}

describe('e2e: bad input corpus', function () {
  let env: TestEnv;
  let c: TestCluster;
  let G: { group: string; version: string; namespace: string };
  const term = (key: string, operator: string, values?: string[]) => ({
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] },
  });

  /** A pool with any nodeInfo.id, any status and an optional Lease body. */
  async function rawPool(name: string, o: { id?: string; labels?: Record<string, string>; status?: Record<string, unknown>; lease?: 'fresh' | null } = {}) {
    const body: StoragePool = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'StoragePool',
      metadata: { name, namespace: c.ns, labels: { 'obnvmf/node-sn': name, ...o.labels } },
      spec: { nodeInfo: { id: o.id ?? name, ip: '10.0.0.2', hostname: name, labels: {} }, kernelLvm: { name: 'vg', vgUUID: randomUUID(), bytes: 20 * GiB } },
    };
    await c.co.createNamespacedCustomObject({ ...G, plural: PLURAL_POOL, body });
    if (o.lease !== null) await c.setLease(name, new Date());
    await c.setPoolStatus(name, { status: 'ready', capacity: { storage: String(20 * GiB) }, vgFreeSize: String(20 * GiB), conditions: [{ type: 'Spdk', status: 'OK' }], ...o.status });
  }
  const getPool = async (name: string) => (await c.co.getNamespacedCustomObject({ ...G, plural: PLURAL_POOL, name })) as StoragePool;
  const events = async () => (await c.core.listNamespacedEvent({ namespace: c.ns })).items;
  const warning = (name: string, reason: string, re: RegExp) =>
    eventually(async () => {
      const evs = (await events()).filter((e) => e.involvedObject.name === name && e.reason === reason && e.type === 'Warning');
      assert.ok(evs.some((e) => re.test(e.message ?? '')), `Warning ${reason} on ${name} matching ${re}; got ${JSON.stringify(evs.map((e) => e.message))}`);
    }, { timeoutMs: 15_000, what: `${reason} event on ${name}` });
  const pending = (name: string, re: RegExp, timeoutMs = 15_000) =>
    eventually(async () => {
      const v = await c.getVolume(name);
      assert.match(v.status?.msg ?? '', re);
      assert.equal(v.spec.targetNodeId ?? '', '', `${name} must not be placed`);
    }, { timeoutMs, what: `${name} status.msg` });
  const placedOn = (name: string, re: RegExp) =>
    eventually(async () => assert.match((await c.getVolume(name)).spec.targetNodeId ?? '', re), { timeoutMs: 30_000, what: `${name} placed` });

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'bad');
    G = { group: GROUP, version: VERSION, namespace: c.ns };
    await c.startOperator({ timings: { unschedulableRetryMs: 10 * 60_000, poolRecheckMs: 2_000 } });
    await c.createPool('good-1', { bytes: 50 * GiB, labels: { tier: 'gold' } });
    await c.createPool('good-2', { bytes: 50 * GiB, labels: { tier: 'gold' } });
  });
  after(async () => c?.stop());

  describe('objects the CRD refuses (the API server names the field)', () => {
    const vol = (name: string, spec: Record<string, unknown>) => ({
      apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorVolume', metadata: { name, namespace: '' }, spec: { uuid: randomUUID(), sizeByte: GiB, ...spec },
    });
    const volumeCases: [string, Record<string, unknown>, RegExp][] = [
      ['negative sizeByte', { sizeByte: -1 }, /spec.sizeByte: Invalid value: -1: spec.sizeByte in body should be greater than or equal to 0/],
      ['sizeByte above 2^53-1', { sizeByte: 2 ** 60 }, /spec.sizeByte: Invalid value: \d+: spec.sizeByte in body should be less than or equal to 9007199254740991/],
      ['sizeByte missing', { sizeByte: undefined }, /spec.sizeByte: Required value/],
      ['unknown positionAdvice', { positionAdvice: 'Sideways' }, /spec.positionAdvice: Unsupported value: "Sideways"/],
      ['unknown volume type', { type: 'Floppy' }, /spec.type: Unsupported value: "Floppy"/],
    ];
    for (const [what, spec, re] of volumeCases)
      it(`AntstorVolume: ${what}`, async () => {
        const name = `crd-${what.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
        const body = vol(name, spec);
        body.metadata.namespace = c.ns;
        const msg = await refused(c.co.createNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, body }));
        assert.match(msg, new RegExp(`AntstorVolume.volume.antstor.alipay.com "${name}" is invalid`));
        assert.match(msg, re);
      });

    const statusCases: [string, Record<string, unknown>, RegExp][] = [
      ['negative status.capacity.storage', { capacity: { storage: '-20Gi' } }, /status.capacity.storage: Invalid value: "-20Gi": capacity.storage in body should match/],
      ['status.capacity.storage 1e30', { capacity: { storage: '1e30' } }, /status.capacity\[storage\]: Invalid value: [^:]*: must be a non-negative quantity of at most 2\^53-1 \(9007199254740991\) bytes; larger values are not exactly representable/],
      ['integer status.capacity.storage 2^60', { capacity: { storage: 2 ** 60 } }, /status.capacity\[storage\]: Invalid value: [^:]*: must be a non-negative quantity of at most 2\^53-1/],
      ['negative integer status.capacity.storage', { capacity: { storage: -5 } }, /status.capacity\[storage\]: Invalid value: [^:]*: must be a non-negative quantity/],
      ['status.capacity.storage not a quantity', { capacity: { storage: 'lots' } }, /status.capacity.storage: Invalid value: "lots": capacity.storage in body should match/],
      ['negative status.vgFreeSize', { vgFreeSize: '-1Gi' }, /status.vgFreeSize: Invalid value: "-1Gi": vgFreeSize in body should match/],
      ['unknown condition type', { conditions: [{ type: 'Disk', status: 'OK' }] }, /status.conditions\[0\].type: Unsupported value: "Disk"/],
      ['unknown pool status', { status: 'sleepy' }, /status.status: Unsupported value: "sleepy"/],
    ];
    it('StoragePool: a status of exactly 2^53-1 bytes is accepted', async () => {
      await rawPool('crd-max', { labels: { tier: 'crd' }, status: { capacity: { storage: String(Number.MAX_SAFE_INTEGER) } } });
      assert.equal((await getPool('crd-max')).status?.capacity?.['storage'], String(Number.MAX_SAFE_INTEGER));
    });
    for (const [what, status, re] of statusCases)
      it(`StoragePool: ${what}`, async () => {
        const msg = await refused(c.co.patchNamespacedCustomObjectStatus({ ...G, plural: PLURAL_POOL, name: 'crd-max', body: { status } }, merge));
        assert.match(msg, /StoragePool.volume.antstor.alipay.com "crd-max" is invalid/);
        assert.match(msg, re);
      });
    for (const [what, kernelLvm, re] of [
      ['negative spec.kernelLvm.bytes', { name: 'vg', bytes: -1 }, /spec.kernelLvm.bytes: Invalid value: -1: spec.kernelLvm.bytes in body should be greater than or equal to 0/],
      ['spec.kernelLvm.bytes above 2^53-1', { name: 'vg', bytes: 2 ** 60 }, /spec.kernelLvm.bytes: Invalid value: \d+: spec.kernelLvm.bytes in body should be less than or equal to 9007199254740991/],
    ] as const)
      it(`StoragePool: ${what}`, async () => {
        const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'StoragePool', metadata: { name: 'crd-bytes', namespace: c.ns }, spec: { nodeInfo: { id: 'crd-bytes' }, kernelLvm } };
        const msg = await refused(c.co.createNamespacedCustomObject({ ...G, plural: PLURAL_POOL, body }));
        assert.match(msg, /StoragePool.volume.antstor.alipay.com "crd-bytes" is invalid/);
        assert.match(msg, re);
      });
  });

  describe('objects the CRD lets in: reported clearly, every other object still served', () => {
    const name = (n: string) => `AntstorVolume ${c.ns}/${n}`;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const affinity = 'requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]';
    // [volume name, createVolume options, status.msg, Event reason]
    const cases: [string, Parameters<TestCluster['createVolume']>[1], () => RegExp, string][] = [
      ['v-node-sel', { size: GiB, annotations: { 'obnvmf/node-label-selector': 'zone in (a' } }, () => new RegExp(`^InvalidSelector: ${esc(name('v-node-sel'))}: annotation obnvmf/node-label-selector: invalid label selector "zone in \\(a"`), 'InvalidVolume'],
      ['v-pool-sel', { size: GiB, annotations: { 'obnvmf/pool-label-selector': 'tier notin' } }, () => new RegExp(`^InvalidSelector: ${esc(name('v-pool-sel'))}: annotation obnvmf/pool-label-selector: invalid label selector "tier notin"`), 'InvalidVolume'],
      ['v-sel-key', { size: GiB, annotations: { 'obnvmf/pool-label-selector': '-bad=1' } }, () => new RegExp(`^InvalidSelector: ${esc(name('v-sel-key'))}: annotation obnvmf/pool-label-selector: invalid label selector "-bad=1"`), 'InvalidVolume'],
      ['v-sel-gt', { size: GiB, annotations: { 'obnvmf/node-label-selector': 'cpu>many' } }, () => new RegExp(`^InvalidSelector: ${esc(name('v-sel-gt'))}: annotation obnvmf/node-label-selector: invalid label selector "cpu>many"`), 'InvalidVolume'],
      ['v-aff-op', { size: GiB, spec: { nodeAffinity: term('zone', 'Near', ['a']) } }, () => new RegExp(`^InvalidVolume: ${esc(name('v-aff-op'))}: spec.nodeAffinity.${esc(affinity)}.matchExpressions\\[0\\]: unknown operator "Near" on "zone"$`), 'InvalidVolume'],
      ['v-aff-gt', { size: GiB, spec: { nodeAffinity: term('cpu', 'Gt', ['many']) } }, () => new RegExp(`^InvalidVolume: ${esc(name('v-aff-gt'))}: spec.nodeAffinity.${esc(affinity)}.matchExpressions\\[0\\]: operator Gt on "cpu" needs one integer value$`), 'InvalidVolume'],
      ['v-aff-novals', { size: GiB, spec: { poolAffinity: term('tier', 'In', []) } }, () => new RegExp(`^InvalidVolume: ${esc(name('v-aff-novals'))}: spec.poolAffinity.${esc(affinity)}.matchExpressions\\[0\\]: operator In on "tier" needs values$`), 'InvalidVolume'],
      ['v-aff-field', { size: GiB, spec: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['x'] }] }] } } } }, () => new RegExp(`^InvalidVolume: ${esc(name('v-aff-field'))}: spec.nodeAffinity.${esc(affinity)}.matchFields\\[0\\]: key must be metadata.name, got "metadata.uid"$`), 'InvalidVolume'],
      ['v-uuid', { size: GiB, uuid: '' }, () => new RegExp(`^InvalidVolume: ${esc(name('v-uuid'))}: spec.uuid is empty$`), 'InvalidVolume'],
      ['v-size0', { size: 0 }, () => new RegExp(`^InvalidVolume: ${esc(name('v-size0'))}: spec.sizeByte must be a positive number of bytes, got 0$`), 'InvalidVolume'],
      ['v-alloc', { size: GiB, annotations: { 'obnvmf/allocated-bytes': 'lots' } }, () => new RegExp(`^InvalidVolume: ${esc(name('v-alloc'))}: annotation obnvmf/allocated-bytes: "lots" is not a whole number of bytes`), 'InvalidVolume'],
      ['v-snap', { size: GiB, annotations: { 'obnvmf/snapshot-reserved-bytes': '-5' } }, () => new RegExp(`^InvalidVolume: ${esc(name('v-snap'))}: annotation obnvmf/snapshot-reserved-bytes: "-5"`), 'InvalidVolume'],
      ['v-tgt-none', { size: GiB, annotations: { 'obnvmf/selected-tgt-node': 'no-such-pool' } }, () => /^NoStoragePoolAvailable: annotation obnvmf\/selected-tgt-node=no-such-pool names no known pool$/, 'SchedVolumeFailure'],
      ['v-tgt-bad', { size: GiB, annotations: { 'obnvmf/selected-tgt-node': 'mismatch' } }, () => new RegExp(`^NoStoragePoolAvailable: annotation obnvmf/selected-tgt-node=mismatch: StoragePool ${c.ns}/mismatch: spec.nodeInfo.id "node-x" differs from metadata.name "mismatch"`), 'SchedVolumeFailure'],
      ['v-only-mismatch', { size: GiB, annotations: { 'obnvmf/pool-label-selector': 'tier=lonely' } }, () => /^NoStoragePoolAvailable: (PoolAffinity: \d+, PoolIdMismatch: 2|PoolIdMismatch: 2, PoolAffinity: \d+)$/, 'SchedVolumeFailure'],
      ['v-only-noid', { size: GiB, annotations: { 'obnvmf/pool-label-selector': 'tier=noid' } }, () => /PoolIdMismatch: 2/, 'SchedVolumeFailure'],
    ];

    before(async () => {
      // Two pools the scheduler must refuse: id != name (the only "lonely" one) and an empty id.
      await rawPool('mismatch', { id: 'node-x', labels: { tier: 'lonely' } });
      await rawPool('noid', { id: '', labels: { tier: 'noid' } });
      for (const [n, o] of cases) await c.createVolume(n, { hostNode: 'h', ...o });
      // Good volumes beside the bad ones, including one without hostNode (remote, no crash).
      await c.createVolume('v-good', { size: GiB, hostNode: 'h', annotations: { 'obnvmf/pool-label-selector': 'tier=gold' } });
      await c.createVolume('v-no-host', { size: GiB, hostNode: null, annotations: { 'obnvmf/pool-label-selector': 'tier=gold' } });
    });

    for (const [n, , re, reason] of cases)
      it(`${n}: status.msg and a ${reason} Event say why; nothing placed`, async () => {
        await pending(n, re());
        await warning(n, reason, re());
      });

    it('good volumes beside them are placed (missing hostNode is remote)', async () => {
      await placedOn('v-good', /^good-[12]$/);
      await placedOn('v-no-host', /^good-[12]$/);
    });

    it('a pool with spec.nodeInfo.id != metadata.name: Warning Event and status.message name both values', async () => {
      const re = new RegExp(`^StoragePool ${c.ns}/mismatch: spec.nodeInfo.id "node-x" differs from metadata.name "mismatch"; LiteIO requires them equal; the pool is not schedulable$`);
      await warning('mismatch', 'PoolIdMismatch', re);
      await eventually(async () => assert.match((await getPool('mismatch')).status?.message ?? '', re), { timeoutMs: 10_000 });
      await warning('noid', 'PoolIdMismatch', new RegExp(`^StoragePool ${c.ns}/noid: spec.nodeInfo.id is empty; LiteIO requires it to equal metadata.name "noid"; the pool is not schedulable$`));
    });

    it('explain shows the PoolIdMismatch rejection with the pool', async () => {
      const r = await runCli(['explain', `${c.ns}/v-only-mismatch`, '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /filter Pool: \d+ in, \d+ passed/);
      assert.match(r.out, /rejected 2 for PoolIdMismatch \(e\.g\. (mismatch, noid|noid, mismatch)\)/);
    });

    it('fixing the pool (id = name) places the volume that waited for it', async () => {
      await c.co.patchNamespacedCustomObject({ ...G, plural: PLURAL_POOL, name: 'mismatch', body: { spec: { nodeInfo: { id: 'mismatch' } } } }, merge);
      await placedOn('v-only-mismatch', /^mismatch$/);
      await eventually(async () => assert.equal((await getPool('mismatch')).status?.message ?? '', ''), { timeoutMs: 10_000, what: 'invalid-pool message cleared' });
    });

    it('bad Leases: no spec.renewTime, or renewed in the future, are reported as no heartbeat naming the field', async () => {
      const coord = c.env.kube.kubeConfig.makeApiClient(CoordinationV1Api);
      await coord.createNamespacedLease({ namespace: c.ns, body: { metadata: { name: 'lease-empty', namespace: c.ns }, spec: { holderIdentity: 'x' } } });
      await rawPool('lease-empty', { lease: null, labels: { tier: 'lease' } });
      await rawPool('lease-future', { lease: null, labels: { tier: 'lease' } });
      await c.setLease('lease-future', new Date(Date.now() + 24 * 3600_000));
      await eventually(async () => assert.equal((await getPool('lease-empty')).status?.message, `no heartbeat: Lease ${c.ns}/lease-empty has no spec.renewTime`), { timeoutMs: 15_000 });
      await eventually(async () => assert.match((await getPool('lease-future')).status?.message ?? '', new RegExp(`^no heartbeat: Lease ${c.ns}/lease-future spec.renewTime \\S+ is in the future \\(clock skew\\?\\)$`)), { timeoutMs: 15_000 });
      // The controller still serves the rest.
      await c.createVolume('v-good-2', { size: GiB, hostNode: 'h', annotations: { 'obnvmf/pool-label-selector': 'tier=gold' } });
      await placedOn('v-good-2', /^good-[12]$/);
    });
  });

  describe('objects an older CRD let in (negative or absurd capacities and sizes)', () => {
    const ext = () => env.kube.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const strict = loadCrds();
    /** LiteIO's CRD: a quantity pattern that allows a sign, no CEL rule, no maxima. */
    function loosen(crd: V1CustomResourceDefinition): V1CustomResourceDefinition {
      const walk = (s: Record<string, unknown> | undefined) => {
        if (!s || typeof s !== 'object') return;
        delete s['xKubernetesValidations'];
        delete s['x-kubernetes-validations']; // inside additionalProperties the typed model keeps raw keys
        delete s['maximum'];
        if (typeof s['pattern'] === 'string') s['pattern'] = String(s['pattern']).replace(/^\^\\\+\?/, '^(\\+|-)?');
        for (const v of Object.values(s)) if (v && typeof v === 'object') walk(v as Record<string, unknown>);
      };
      const copy = JSON.parse(JSON.stringify(crd)) as V1CustomResourceDefinition;
      walk(copy.spec.versions[0]!.schema!.openAPIV3Schema as unknown as Record<string, unknown>);
      return copy;
    }
    async function install(crds: V1CustomResourceDefinition[]) {
      for (const crd of crds) {
        const cur = await ext().readCustomResourceDefinition({ name: crd.metadata!.name! });
        await ext().replaceCustomResourceDefinition({ name: crd.metadata!.name!, body: { ...cur, spec: crd.spec } });
      }
    }

    before(async () => {
      await install(strict.map(loosen));
      // The API server applies a new schema within moments: wait until it takes a negative capacity.
      await rawPool('neg-cap', { labels: { tier: 'neg' } });
      await eventually(() => c.setPoolStatus('neg-cap', { capacity: { storage: '-20Gi' } }), { timeoutMs: 10_000, what: 'older CRD active' });
      await rawPool('huge-cap', { labels: { tier: 'gold' } });
      await c.setPoolStatus('huge-cap', { capacity: { storage: '1e30' } });
      await c.createVolume('v-neg-only', { size: GiB, hostNode: 'h', annotations: { 'obnvmf/pool-label-selector': 'tier=neg' } });
      await c.createVolume('v-huge', { size: 2 ** 60, hostNode: 'h' });
      await c.createVolume('v-gold-after', { size: GiB, hostNode: 'h', annotations: { 'obnvmf/pool-label-selector': 'tier=gold' } });
    });
    after(async () => install(strict));

    it('a pool with status.capacity.storage "-20Gi": Warning InvalidCapacity naming the field and value; its volume waits with the reason', async () => {
      const re = new RegExp(`^StoragePool ${c.ns}/neg-cap: status.capacity.storage "-20Gi" is negative; the pool is not schedulable$`);
      await warning('neg-cap', 'InvalidCapacity', re);
      await eventually(async () => assert.match((await getPool('neg-cap')).status?.message ?? '', re), { timeoutMs: 10_000 });
      // neg-cap and huge-cap are both refused; the others are not tier=neg.
      await pending('v-neg-only', /^NoStoragePoolAvailable: (.*, )?InvalidCapacity: 2(,|$)/);
    });

    it('a pool reporting 1e30 draws no volume; volumes go to the good pools', async () => {
      await warning('huge-cap', 'InvalidCapacity', new RegExp(`^StoragePool ${c.ns}/huge-cap: status.capacity.storage "1e30" is more than 2\\^53-1 \\(9007199254740991\\) bytes, not exactly representable; the pool is not schedulable$`));
      await placedOn('v-gold-after', /^good-[12]$/);
    });

    it('a volume with sizeByte 2^60: InvalidVolume naming spec.sizeByte', async () => {
      const re = new RegExp(`^InvalidVolume: AntstorVolume ${c.ns}/v-huge: spec.sizeByte ${2 ** 60} is more than 2\\^53-1 \\(9007199254740991\\) bytes, not exactly representable$`);
      await pending('v-huge', re);
      await warning('v-huge', 'InvalidVolume', re);
    });
  });

  describe('the CLI (a child process): bad config, flags, --dbInfo, unreachable servers', function () {
    const dir = mkdtempSync(join(tmpdir(), 'dct-bad-'));
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const PASSWORD = 's3cret-PW-' + randomBytes(4).toString('hex');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    // [what, args, exit code, output must match]
    const cases: [string, () => string[], number, RegExp][] = [
      ['config with a YAML syntax error', () => ['--config', file('syntax.yaml', 'scheduler:\n  filters: [Basic\n')], 1, /config \S*syntax.yaml: \(yaml\): not valid YAML at line \d+/],
      ['config with a wrong type', () => ['--config', file('type.yaml', 'scheduler:\n  maxRemoteVolumeCount: three\n')], 1, /config \S*type.yaml: scheduler.maxRemoteVolumeCount: must be an integer, got "three"/],
      ['config filters not a list', () => ['--config', file('filters.yaml', 'scheduler:\n  filters: Basic\n')], 1, /config \S*filters.yaml: scheduler.filters: must be a list of names/],
      ['config with an unknown filter', () => ['--config', file('filter.yaml', 'scheduler:\n  filters: [Basic, Nope]\n')], 1, /config \S*filter.yaml: scheduler.filters\[1\]: unknown filter "Nope"/],
      ['config with an unknown priority', () => ['--config', file('prio.yaml', 'scheduler:\n  priorities: [LeastResource, Nah]\n')], 1, /config \S*prio.yaml: scheduler.priorities\[1\]: unknown priority "Nah"/],
      ['config with a negative weight', () => ['--config', file('weight.yaml', 'scheduler:\n  priorities: [{name: LeastResource, weight: -1}]\n')], 1, /config \S*weight.yaml: scheduler.priorities\[0\].weight: must be a number >= 0/],
      ['config with a non-numeric weight', () => ['--config', file('weight2.yaml', 'scheduler:\n  priorities: [{name: LeastResource, weight: heavy}]\n')], 1, /config \S*weight2.yaml: scheduler.priorities\[0\].weight: must be a number >= 0/],
      ['lockSchedConfig nodeSelector with an unknown operator', () => ['--config', file('lock-op.yaml', 'scheduler:\n  lockSchedConfig:\n    nodeSelector: [{key: zone, operator: Near, values: [a]}]\n')], 1, /config \S*lock-op.yaml: scheduler.lockSchedConfig.nodeSelector\[0\]: unknown operator "Near" on "zone"/],
      ['lockSchedConfig nodeSelector Gt with a non-integer', () => ['--config', file('lock-gt.yaml', 'scheduler:\n  lockSchedConfig:\n    nodeSelector: [{key: cpu, operator: Gt, values: [many]}]\n')], 1, /config \S*lock-gt.yaml: scheduler.lockSchedConfig.nodeSelector\[0\]: operator Gt on "cpu" needs one integer value/],
      ['lockSchedConfig nodeSelector with a bad key', () => ['--config', file('lock-key.yaml', 'scheduler:\n  lockSchedConfig:\n    nodeSelector: [{key: "a b", operator: Exists}]\n')], 1, /config \S*lock-key.yaml: scheduler.lockSchedConfig.nodeSelector\[0\]: key "a b" has an invalid name/],
      ['lockSchedConfig nodeTaints with a bad operator', () => ['--config', file('taint.yaml', 'scheduler:\n  lockSchedConfig:\n    nodeTaints: [{key: k, operator: Maybe}]\n')], 1, /config \S*taint.yaml: scheduler.lockSchedConfig.nodeTaints\[0\].operator: must be Equal or Exists, got "Maybe"/],
      ['config with an unknown key', () => ['--config', file('key.yaml', 'scheduler:\n  maxRemoteVolumes: 3\n')], 1, /config \S*key.yaml: scheduler.maxRemoteVolumes: unknown key/],
      ['config with a bad reservation size', () => ['--config', file('resv.yaml', 'scheduler:\n  nodeReservations: [{id: a, size: -1}]\n')], 1, /config \S*resv.yaml: scheduler.nodeReservations\[0\].size: must be a positive integer number of bytes/],
      ['config with minLocalStoragePct 150', () => ['--config', file('pct.yaml', 'scheduler:\n  minLocalStoragePct: 150\n')], 1, /config \S*pct.yaml: scheduler.minLocalStoragePct: must be between 0 and 100/],
      ['config file missing', () => ['--config', join(dir, 'missing.yaml')], 1, /config \S*missing.yaml: \(file\): cannot read: ENOENT/],
      ['an unknown flag', () => ['--bogus'], 2, /operator: Unknown option '--bogus'/],
      ['a flag without its value', () => ['--probeAddr'], 2, /operator: Option '--probeAddr <value>' argument missing/],
      ['--sdkMetricsAddr without a port', () => ['--sdkMetricsAddr', 'localhost'], 1, /^error: --sdkMetricsAddr "localhost": expected HOST:PORT with a port from 1 to 65535/m],
      ['--sdkMetricsAddr with port 0', () => ['--sdkMetricsAddr', '127.0.0.1:0'], 1, /^error: --sdkMetricsAddr "127.0.0.1:0": expected HOST:PORT/m],
      ['a boolean flag with a value', () => ['--no-watch=yes'], 2, /operator: Option '--no-watch' does not take an argument/],
      ['--temporal-tls-cert without --temporal-tls-key', () => ['--temporal-tls-cert', join(dir, 'c.pem')], 1, /--temporal-tls-cert and --temporal-tls-key go together/],
      ['--dbInfo that is not base64', () => ['--dbInfo', `${PASSWORD}!!`, '--k8sCluster', 'k'], 1, /^error: --dbInfo: not valid base64 \(standard alphabet, padded\)$/m],
      ['--dbInfo with a bad DSN', () => ['--dbInfo', b64(`root:${PASSWORD}@tcp(127.0.0.1:3306)`), '--k8sCluster', 'k'], 1, /^error: --dbInfo: DSN: missing "\/" before the database name/m],
      ['--dbInfo with a bad DSN parameter', () => ['--obConnInfo', b64(`root:${PASSWORD}@tcp(127.0.0.1:3306)/db?timeout=soon`), '--k8sCluster', 'k'], 1, /^error: --obConnInfo: DSN parameter timeout: "soon" is not a Go duration/m],
      ['--dbInfo without --k8sCluster', () => ['--dbInfo', b64(`root:${PASSWORD}@tcp(127.0.0.1:3306)/db`)], 1, /^error: --k8sCluster is required with --dbInfo: it fills the cluster_name column$/m],
      ['--dbInfo and --obConnInfo that differ', () => ['--dbInfo', b64(`root:${PASSWORD}@tcp(a:1)/db`), '--obConnInfo', b64(`root:${PASSWORD}@tcp(b:1)/db`)], 1, /--dbInfo and --obConnInfo are one flag under two names/],
      ['--kubeconfig that does not exist', () => ['--kubeconfig', join(dir, 'nope.kubeconfig')], 1, /kubeconfig \S*nope.kubeconfig: file does not exist/],
      ['Temporal unreachable', () => ['--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', '127.0.0.1:1', '--namespace', c.ns, '--probeAddr', '127.0.0.1:0'], 1, /^error: Temporal at 127.0.0.1:1: cannot connect/m],
    ];
    // The processes run a few at a time up front (each is mostly Node start-up); each case then checks its result.
    const results = new Map<string, Promise<{ code: number | null; out: string }>>();
    before(async () => {
      const queue = [...cases];
      const runOne = async (): Promise<void> => {
        const next = queue.shift();
        if (!next) return;
        const [what, args] = next;
        const p = runCli(['operator', ...args()], { env: { DB_INFO: '', K8S_CLUSTER_NAME: '', CONTROLLER_CONFIG: '' } });
        results.set(what, p);
        await p;
        return runOne();
      };
      await Promise.all([runOne(), runOne(), runOne()]);
    });
    for (const [what, , code, re] of cases)
      it(`operator: ${what}`, async () => {
        const r = await results.get(what)!;
        assert.equal(r.code, code, r.out);
        assert.match(r.out, re);
        assert.ok(!r.out.includes(PASSWORD), 'the password never appears');
        assert.ok(!/at .*\.js:\d+:\d+/.test(r.out), `no stack trace: ${r.out}`);
      });

    it('operator: kube API unreachable — it says so (naming the address), is not ready, backs off, the token never appears', async () => {
      const probe = await freePort();
      const TOKEN = 'tok-' + randomBytes(8).toString('hex');
      const kc = file('unreachable.kubeconfig', [
        'apiVersion: v1', 'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        `users: [{name: u, user: {token: "${TOKEN}"}}]`,
        'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', '',
      ].join('\n'));
      const p = spawn(process.execPath, [CLI, 'operator', '--kubeconfig', kc, '--temporal-address', env.temporal.address, '--namespace', `unreach-${randomBytes(3).toString('hex')}`,
        '--task-queue', `tq-unreach-${randomBytes(3).toString('hex')}`, '--probeAddr', `127.0.0.1:${probe}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_FORMAT: 'json', DB_INFO: '' } });
      let out = '';
      p.stdout!.on('data', (b) => (out += b));
      p.stderr!.on('data', (b) => (out += b));
      try {
        await eventually(() => assert.match(out, /informer (storagepools|antstorvolumes|leases|nodes) in unreach-\w+ stopped; restarting in \d+ ms.*ECONNREFUSED 127\.0\.0\.1:1/), { timeoutMs: 30_000, what: 'unreachable API reported' });
        assert.equal(p.exitCode, null, 'still running (retrying), not crashed');
        // Nothing was listed: not ready (an informer that merely started is not a synced cache).
        const r = await eventually(async () => fetch(`http://127.0.0.1:${probe}/readyz`), { timeoutMs: 30_000 });
        assert.equal(r.status, 503);
        assert.match(await r.text(), /cache syncing/);
        // The retry delay grows while every list fails (it used to reset on each connect attempt).
        await eventually(() => assert.match(out, /restarting in (4000|8000|16000|30000) ms/), { timeoutMs: 30_000, what: 'backoff grows' });
        assert.ok(!out.includes(TOKEN), 'the token never appears');
      } finally {
        p.kill('SIGTERM');
        await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)));
      }
    });
  });
});
