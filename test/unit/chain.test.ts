import assert from 'node:assert/strict';
import { formatNoPoolMessage, resolveChain, schedule, validateVolumeForScheduling } from '../../src/scheduler/chain.js';
import { leastResourcePriority, positionAdvicePriority } from '../../src/scheduler/priorities.js';
import { registerFilter, registerPriority } from '../../src/scheduler/registry.js';
import { cfg, GiB, node, pool, vol } from './builders.js';

describe('unit: priorities', () => {
  it('LeastResource scores fuller pools higher from vgFreeSize (bin-packing), 0 for no total', () => {
    const c = { config: cfg() };
    assert.equal(leastResourcePriority(c, node(pool('p', { bytes: 100, vgFree: 25 })), vol()), 75);
    assert.equal(leastResourcePriority(c, node(pool('p', { bytes: 100, vgFree: 100 })), vol()), 0);
    assert.equal(leastResourcePriority(c, node(pool('p', { bytes: 100, vgFree: 200 })), vol()), 0);
    const empty = pool('p', { bytes: 0 });
    empty.status!.capacity = {};
    assert.equal(leastResourcePriority(c, node(empty), vol()), 0);
  });
  it('PositionAdvice gives +20 for PreferLocal on the host and PreferRemote elsewhere', () => {
    const c = { config: cfg() };
    assert.equal(positionAdvicePriority(c, node(pool('p')), vol({ host: 'p', position: 'PreferLocal' })), 20);
    assert.equal(positionAdvicePriority(c, node(pool('p')), vol({ host: 'h', position: 'PreferLocal' })), 0);
    assert.equal(positionAdvicePriority(c, node(pool('p')), vol({ host: 'h', position: 'PreferRemote' })), 20);
    assert.equal(positionAdvicePriority(c, node(pool('p')), vol({ host: 'p', position: 'PreferRemote' })), 0);
  });
});

describe('unit: filter chain and placement decision', () => {
  const c = cfg();
  it('NoStoragePoolAvailable lists reasons most frequent first, then by name', () => {
    assert.equal(formatNoPoolMessage({ PoolFreeSize: 1, PoolUnschedulable: 3, NodeAffinity: 1 }), 'NoStoragePoolAvailable: PoolUnschedulable: 3, NodeAffinity: 1, PoolFreeSize: 1');
  });
  it('counts each rejected pool once, under the filter that rejected it, with examples', () => {
    const nodes = [node(pool('a', { status: 'offline' })), node(pool('b', { bytes: GiB })), node(pool('c', { labels: {} })), node(pool('d'))];
    const v = vol({ host: 'd', size: 2 * GiB, annotations: { 'obnvmf/pool-label-selector': 'obnvmf/node-sn' } });
    const d = schedule(c, resolveChain(c), nodes, v);
    assert.equal(d.error, undefined);
    assert.deepEqual(d.filters.map((f) => [f.filter, f.in, f.rejected]), [
      ['Basic', 4, { PoolUnschedulable: 1, PoolFreeSize: 1 }],
      ['Affinity', 2, { PoolAffinity: 1 }],
    ]);
    assert.deepEqual(d.filters[1]!.examples, { PoolAffinity: ['c'] });
    assert.deepEqual(d.candidates.map((x) => x.pool), ['d']);
  });
  it('reports NoStoragePoolAvailable with counts when nothing qualifies', () => {
    const d = schedule(c, resolveChain(c), [node(pool('a', { bytes: GiB })), node(pool('b', { bytes: GiB })), node(pool('x', { status: 'unknown' }))], vol({ size: 2 * GiB, host: 'a' }));
    assert.equal(d.error, 'NoStoragePoolAvailable: PoolFreeSize: 2, PoolUnschedulable: 1');
  });
  it('breaks ties deterministically: score, then free bytes, then a per-volume spread', () => {
    const nodes = [node(pool('z', { bytes: 50 * GiB, vgFree: 50 * GiB })), node(pool('m', { bytes: 50 * GiB, vgFree: 50 * GiB })), node(pool('big', { bytes: 80 * GiB, vgFree: 80 * GiB }))];
    const v = vol({ host: 'h' });
    const first = schedule(c, resolveChain(c), nodes, v).candidates.map((x) => x.pool);
    assert.equal(first[0], 'big', 'more free bytes wins a score tie');
    for (const order of [[...nodes].reverse(), [nodes[1]!, nodes[2]!, nodes[0]!]])
      assert.deepEqual(schedule(c, resolveChain(c), order, v).candidates.map((x) => x.pool), first, 'input order does not matter');
  });
  it('spreads a burst of equal volumes over equal pools', () => {
    const nodes = ['p0', 'p1', 'p2', 'p3', 'p4'].map((n) => node(pool(n)));
    const firsts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const p = schedule(c, resolveChain(c), nodes, vol({ host: 'h' })).candidates[0]!.pool;
      firsts[p] = (firsts[p] ?? 0) + 1;
    }
    assert.equal(Object.keys(firsts).length, 5);
    for (const n of Object.values(firsts)) assert.ok(n >= 20 && n <= 60, JSON.stringify(firsts));
  });
  it('excludes pools whose ledger refused the volume, under the pseudo-filter "Ledger"', () => {
    const d = schedule(c, resolveChain(c), ['a', 'b', 'c'].map((n) => node(pool(n))), vol({ host: 'h' }), { refused: { a: 'PoolFreeSize', b: 'PoolFreeSize' } });
    assert.deepEqual(d.filters[0], { filter: 'Ledger', in: 3, rejected: { PoolFreeSize: 2 }, examples: { PoolFreeSize: ['a', 'b'] } });
    assert.deepEqual(d.candidates.map((x) => x.pool), ['c']);
  });
  it('applies per-priority weights (weight 1 = LiteIO)', () => {
    const nodes = [node(pool('full', { bytes: 100, vgFree: 10 })), node(pool('host', { bytes: 100, vgFree: 100 }))];
    const v = vol({ host: 'host', position: 'PreferLocal', size: 1 });
    const lite = cfg();
    assert.equal(schedule(lite, resolveChain(lite), nodes, v).candidates[0]!.pool, 'full'); // 90 vs 20
    const weighted = cfg({ priorities: [{ name: 'LeastResource', weight: 0.1 }, { name: 'PositionAdvice', weight: 1 }] });
    const d = schedule(weighted, resolveChain(weighted), nodes, v);
    assert.equal(d.candidates[0]!.pool, 'host'); // 9 vs 20
    assert.deepEqual(d.candidates[0]!.scores, { LeastResource: 0, PositionAdvice: 20 });
  });
  it('obnvmf/selected-tgt-node skips every filter', () => {
    const d = schedule(c, resolveChain(c), [node(pool('a', { status: 'offline' }))], vol({ annotations: { 'obnvmf/selected-tgt-node': 'a' } }));
    assert.equal(d.override, 'a');
    assert.deepEqual(d.candidates.map((x) => x.pool), ['a']);
    const miss = schedule(c, resolveChain(c), [node(pool('a'))], vol({ annotations: { 'obnvmf/selected-tgt-node': 'zz' } }));
    assert.match(miss.error!, /selected-tgt-node=zz names no known pool/);
  });
  it('refuses invalid volumes with a clear message naming the field', () => {
    assert.match(validateVolumeForScheduling(vol({ uuid: '' })), /^InvalidVolume: AntstorVolume obnvmf\/v\d+: spec.uuid is empty$/);
    assert.match(validateVolumeForScheduling(vol({ size: 0 })), /spec.sizeByte must be a positive number/);
    assert.match(
      validateVolumeForScheduling(vol({ annotations: { 'obnvmf/node-label-selector': 'a in (b' } })),
      /^InvalidSelector: AntstorVolume obnvmf\/v\d+: annotation obnvmf\/node-label-selector: invalid label selector "a in \(b"/,
    );
  });
  it('custom filters and priorities register by name; an unknown name fails resolution and names it', () => {
    registerFilter('OnlyEven', (ctx, n) => (/[02468]$/.test(n.pool.metadata.name!) ? true : (ctx.addReason('Odd'), false)));
    registerPriority('PreferTwo', (_c, n) => (n.pool.metadata.name === 'p2' ? 1000 : 0));
    const cc = cfg({ filters: ['Basic', 'OnlyEven'], priorities: [{ name: 'PreferTwo', weight: 1 }] });
    const d = schedule(cc, resolveChain(cc), ['p1', 'p2', 'p4'].map((n) => node(pool(n))), vol({ host: 'p1' }));
    assert.deepEqual(d.filters[1]!.rejected, { Odd: 1 });
    assert.equal(d.candidates[0]!.pool, 'p2');
    assert.throws(() => resolveChain(cfg({ filters: ['Basic', 'Nope'] })), /unknown filter "Nope"/);
    assert.throws(() => resolveChain(cfg({ priorities: [{ name: 'Nah', weight: 1 }] })), /unknown priority "Nah"/);
  });
  it('a throwing custom filter rejects with FilterError instead of crashing the pass', () => {
    registerFilter('Boom', () => {
      throw new Error('boom');
    });
    const cc = cfg({ filters: ['Boom'] });
    const d = schedule(cc, resolveChain(cc), [node(pool('a'))], vol());
    assert.equal(d.error, 'NoStoragePoolAvailable: FilterError(Boom): 1');
  });
});

describe('unit: placement decision stays compact at 1,000 pools', () => {
  it('is a few KiB whatever the pool count (examples capped, candidates capped)', () => {
    const c = cfg();
    const statuses = ['ready', 'unknown', 'offline', 'locked'];
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      node(pool(`storage-node-${String(i).padStart(4, '0')}.example.internal`, { bytes: (i % 7) * 10 * GiB, status: statuses[i % 4]!, labels: { rack: `r${i % 13}` } })),
    );
    const v = vol({ host: 'h', size: 5 * GiB, annotations: { 'obnvmf/pool-label-selector': 'rack in (r1,r2,r3)' } });
    const d = schedule(c, resolveChain(c), nodes, v);
    const bytes = Buffer.byteLength(JSON.stringify(d));
    assert.ok(d.qualified > 0 && d.pools === 1000);
    assert.ok(bytes < 4096, `decision is ${bytes} bytes`);
  });
});
