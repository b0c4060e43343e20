/**
 * `simulate`: the pure dry run over a fixture cluster (the same decision the workflows make, in creation order,
 * with the ledger's verdict), its inputs (YAML files and inline what-ifs) and their errors, and the CLI's output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { resolveChain } from '../../src/scheduler/chain.js';
import { simulatePlacement, type SimulationResult } from '../../src/scheduler/simulate.js';
import { loadObjectsFile, poolFromSpec, volumeFromSpec } from '../../src/cli/simulate-input.js';
import { cfg, GiB, pool, vol } from './builders.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'simulate-cluster.yaml');
const byName = (r: SimulationResult) => Object.fromEntries(r.volumes.map((v) => [v.volume.split('/')[1]!, v]));

describe('simulate: the dry run', () => {
  it('places pending volumes in creation order, each seeing the ones before it, and reports why', () => {
    const c = cfg();
    const input = loadObjectsFile(FIXTURE);
    const r = simulatePlacement(c, resolveChain(c), input);
    const v = byName(r);
    assert.deepEqual(Object.keys(v), ['want-local-a', 'want-local-a-2', 'zone-b', 'no-uuid'], 'pending only, in creation order');
    assert.equal(v['want-local-a']!.result, 'placed');
    assert.equal(v['want-local-a']!.pool, 'node-a');
    // 100Gi − 20Gi bound − 50Gi simulated = 30Gi: the second MustLocal volume (40Gi) no longer fits on its node.
    assert.equal(v['want-local-a-2']!.result, 'pending');
    assert.match(v['want-local-a-2']!.message, /^NoStoragePoolAvailable: /);
    assert.deepEqual(v['want-local-a-2']!.decision.reasons, { PoolFreeSize: 1, PositionNotMatch: 1, PoolUnschedulable: 1 });
    assert.equal(v['zone-b']!.pool, 'node-b', 'zone=b selects node-b and node-c; node-c is locked');
    assert.equal(v['no-uuid']!.result, 'invalid');
    assert.match(v['no-uuid']!.message, /spec\.uuid is empty/);
    const p = Object.fromEntries(r.pools.map((x) => [x.pool, x]));
    assert.deepEqual(
      [p['node-a']!.freeBefore, p['node-a']!.freeAfter, p['node-b']!.freeBefore, p['node-b']!.freeAfter].map((b) => b / GiB),
      [80, 30, 140, 130],
    );
    assert.equal(p['node-c']!.schedulable, false);
    assert.deepEqual(input.skipped, { Lease: 1 });
  });

  it('asks the ledger like the workflow does: a pool the filters accept but the ledger refuses is skipped, with the reason', () => {
    // No Basic filter: the filter pass does not look at capacity, the ledger still does.
    const c = cfg({ filters: ['Affinity'] });
    const r = simulatePlacement(c, resolveChain(c), {
      pools: [pool('small', { bytes: 10 * GiB }), pool('large', { bytes: 100 * GiB })],
      volumes: [vol({ name: 'v', size: 20 * GiB, host: 'small', position: 'PreferLocal' })],
    });
    const v = r.volumes[0]!;
    assert.equal(v.decision.candidates[0]!.pool, 'large', 'after the refusal, the pass runs again without the refused pool');
    assert.equal(v.pool, 'large');
    assert.deepEqual(v.ledgerRefused, { small: 'PoolFreeSize' });
  });

  it('puts what-if volumes last, in the order given, and marks what-if objects', () => {
    const c = cfg();
    const big = volumeFromSpec('name=big,size=90Gi,position=MustLocal,hostNode=node-9', 0);
    const r = simulatePlacement(c, resolveChain(c), {
      pools: [pool('node-1', { bytes: 100 * GiB }), poolFromSpec('name=node-9,size=100Gi')],
      volumes: [vol({ name: 'first', size: 50 * GiB, host: 'node-9', position: 'MustLocal' }), big],
      addedVolumes: new Set([big.metadata.uid!]),
      addedPools: new Set(['simulated:pool:node-9']),
    });
    assert.deepEqual(r.volumes.map((x) => [x.volume, x.added, x.result]), [
      ['obnvmf/first', false, 'placed'],
      ['obnvmf/big', true, 'pending'],
    ]);
    assert.equal(r.pools.find((p) => p.pool === 'node-9')!.added, true);
  });

  it('leaves its inputs untouched (a dry run writes nothing, not even to the objects it was given)', () => {
    const c = cfg();
    const input = loadObjectsFile(FIXTURE);
    const before = JSON.stringify(input);
    simulatePlacement(c, resolveChain(c), input);
    assert.equal(JSON.stringify(input), before);
  });
});

describe('simulate: inputs and their errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-sim-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads multi-document manifests, defaulting the namespace', () => {
    const p = file('m.yaml', 'kind: StoragePool\nmetadata: {name: a}\nspec: {}\n---\n---\nkind: AntstorVolume\nmetadata: {name: v, namespace: x}\nspec: {uuid: u, sizeByte: 1}\n');
    const r = loadObjectsFile(p, 'ns1');
    assert.deepEqual(r.pools.map((x) => x.metadata.namespace), ['ns1']);
    assert.deepEqual(r.volumes.map((x) => x.metadata.namespace), ['x']);
  });

  for (const [what, text, error] of [
    ['bad YAML', 'kind: [', /m\.yaml: document 1: /],
    ['no kind', 'metadata: {name: a}', /document 1: kind is missing/],
    ['no name', 'kind: StoragePool\nmetadata: {}', /document 1 \(StoragePool\): metadata\.name is missing/],
    ['spec not an object', 'kind: AntstorVolume\nmetadata: {name: v}\nspec: 3', /AntstorVolume obnvmf\/v\): spec must be an object/],
    ['a scalar document', 'hello', /document 1: expected a Kubernetes object, got string/],
    ['a duplicate', 'kind: StoragePool\nmetadata: {name: a}\n---\nkind: StoragePool\nmetadata: {name: a}', /document 2: StoragePool obnvmf\/a appears twice/],
    ['a bad list item', 'kind: List\nitems: [3]', /document 1: items\[0\]: expected a Kubernetes object/],
  ] as const) {
    it(`names the file, the document and the field: ${what}`, () => {
      assert.throws(() => loadObjectsFile(file('m.yaml', text)), (e: Error) => {
        assert.match(e.message, error);
        assert.ok(e.message.startsWith(join(dir, 'm.yaml')), e.message);
        return true;
      });
    });
  }

  it('names a file it cannot read', () => {
    assert.throws(() => loadObjectsFile(join(dir, 'absent.yaml')), /absent\.yaml: cannot read: ENOENT/);
  });

  it('builds what-if pools and volumes from key=value lists', () => {
    const p = poolFromSpec('name=node-9,size=4Ti,ip=10.0.0.9,label.zone=c,nodeLabel.rack=r1');
    assert.equal(p.spec.nodeInfo.id, 'node-9');
    assert.equal(p.spec.kernelLvm?.bytes, 4 * 2 ** 40);
    assert.equal(p.status?.status, 'ready');
    assert.deepEqual(p.metadata.labels, { zone: 'c' });
    assert.deepEqual(p.spec.nodeInfo.labels, { rack: 'r1' });
    const v = volumeFromSpec('size=2Ti,position=MustLocal,hostNode=node-9,annotation.obnvmf/pool-label-selector=zone=c', 2);
    assert.equal(v.metadata.name, 'what-if-3');
    assert.equal(v.spec.sizeByte, 2 * 2 ** 40);
    assert.equal(v.spec.positionAdvice, 'MustLocal');
    assert.deepEqual(v.metadata.annotations, { 'obnvmf/pool-label-selector': 'zone=c' });
  });

  for (const [flag, spec, error] of [
    ['--add-pool', 'size=1Ti', /--add-pool "size=1Ti": name is required/],
    ['--add-pool', 'name=x', /--add-pool "name=x": size is required/],
    ['--add-pool', 'name=x,size=lots', /size: "lots" is not a quantity/],
    ['--add-pool', 'name=x,size=1Ti,colour=red', /unknown key "colour" \(expected name, size, /],
    ['--add-pool', 'name=x,size=1Ti,status=sleepy', /status: "sleepy" is not one of ready, locked, offline, unknown/],
    ['--add-volume', 'name=v,size=-1Gi', /size: "-1Gi" must be a positive whole number of bytes/],
    ['--add-volume', 'name=v,size=1Gi,name=w', /key "name" given twice/],
    ['--add-volume', 'name=v,size', /"size" is not key=value/],
  ] as const) {
    it(`${flag} ${spec}: a clear error naming the flag and the key`, () => {
      assert.throws(() => (flag === '--add-pool' ? poolFromSpec(spec) : volumeFromSpec(spec, 0)), error);
    });
  }
});

describe('simulate: the command (from a file; the live cluster is covered in e2e)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'simulate', ...args], { encoding: 'utf8', timeout: 30_000 });

  it('prints a table of volumes and pools and exits 4 when something would stay pending', () => {
    const r = cli('--from', FIXTURE);
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stdout, /^VOLUME +SIZE +POSITION +RESULT +POOL +WHY$/m);
    assert.match(r.stdout, /^obnvmf\/want-local-a +50Gi +MustLocal +placed +node-a +placed on node-a \(1\/3 pools qualified; /m);
    assert.match(r.stdout, /^obnvmf\/want-local-a-2 +40Gi +MustLocal +pending +- +NoStoragePoolAvailable: /m);
    assert.match(r.stdout, /^node-a +100Gi +80Gi +30Gi +1 +1 +yes$/m);
    assert.match(r.stdout, /2 of 4 pending volumes would be placed; nothing was written/);
    assert.match(r.stderr, /ignored 1 Lease/);
  });

  it('-o json answers "where would a 2 TiB MustLocal volume go?" with a what-if pool, and exits 0 when all fit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-sim-'));
    const only = join(dir, 'pools.yaml');
    writeFileSync(only, 'kind: StoragePool\nmetadata: {name: node-1}\nspec: {nodeInfo: {id: node-1}, kernelLvm: {name: vg, bytes: 1099511627776}}\nstatus: {status: ready, capacity: {storage: 1Ti}, conditions: [{type: Spdk, status: OK}]}\n');
    const r = cli('--from', only, '--add-pool', 'name=node-9,size=4Ti', '--add-volume', 'name=big,size=2Ti,position=MustLocal,hostNode=node-9', '-o', 'json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as SimulationResult;
    assert.equal(out.volumes.length, 1);
    assert.equal(out.volumes[0]!.pool, 'node-9');
    assert.equal(out.volumes[0]!.added, true);
    assert.deepEqual(out.volumes[0]!.decision.reasons, { PoolFreeSize: 1 });
    assert.equal(out.pools.find((p) => p.pool === 'node-9')!.freeAfter, 2 * 2 ** 40);
  });

  it('refuses bad flags with exit 1 or 2 and a message naming them, printing no result', () => {
    let r = cli('--from', FIXTURE, '-o', 'yaml');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /-o\/--output: expected table or json, got "yaml"/);
    r = cli('--from', FIXTURE, '--add-volume', 'name=x,size=1Gi,sise=2');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /simulate: --add-volume "name=x,size=1Gi,sise=2": unknown key "sise"/);
    assert.equal(r.stdout, '');
    r = cli('--from', FIXTURE, '--add-volume', 'name=want-local-a,size=1Gi');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /AntstorVolume obnvmf\/want-local-a already exists/);
    r = cli('--from', FIXTURE, '--from', FIXTURE);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /StoragePool obnvmf\/node-a is given in more than one file/);
    r = cli('--from', FIXTURE, '--config', join(tmpdir(), 'no-such-config.yaml'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no-such-config\.yaml/);
  });
});
