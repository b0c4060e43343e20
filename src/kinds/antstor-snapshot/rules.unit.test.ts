/** LiteIO's snapshot reconciler steps, in its order (snapshot_reconciler.go; src/kinds/antstor-snapshot/rules.ts). */
import { strict as assert } from 'node:assert';
import type { AntstorVolume } from '../../api/types.js';
import { decideSnapshotStep, type SnapshotFacts } from './rules.js';
import { FOUR_MIB, SnapshotLabels, type AntstorSnapshot } from './types.js';

const MiB = 2 ** 20;
const labelled = { [SnapshotLabels.OriginVolumeName]: 'vol', [SnapshotLabels.OriginVolumeNamespace]: 'obnvmf' };

function snap(o: { name?: string; size?: number; labels?: Record<string, string> | null; target?: string; status?: string; deleting?: boolean; finalizers?: string[] } = {}): AntstorSnapshot {
  return {
    metadata: {
      name: o.name ?? 'snap',
      namespace: 'obnvmf',
      uid: `uid-${o.name ?? 'snap'}`,
      ...(o.labels === null ? {} : { labels: o.labels ?? labelled }),
      ...(o.deleting ? { deletionTimestamp: '2026-12-01T00:00:00Z' } : {}),
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
    spec: { volType: 'SpdkLVol', size: o.size ?? 8 * MiB, originVolName: 'vol', originVolNamespace: 'obnvmf', ...(o.target ? { originVolTargetNodeId: o.target } : {}) },
    ...(o.status ? { status: { status: o.status as never } } : {}),
  };
}

function vol(o: { target?: string; reserve?: string | null } = {}): AntstorVolume {
  return {
    metadata: { name: 'vol', namespace: 'obnvmf', ...(o.reserve === null ? {} : { annotations: { 'obnvmf/snapshot-reserved-bytes': o.reserve ?? String(64 * MiB) } }) },
    spec: { sizeByte: 1 << 30, ...(o.target === '' ? {} : { targetNodeId: o.target ?? 'node-1' }) },
  } as AntstorVolume;
}

const facts = (f: Partial<SnapshotFacts>): SnapshotFacts => ({ snapshot: snap(), origin: vol(), siblings: [], originPoolExists: true, ...f });

describe('AntstorSnapshot steps (LiteIO order)', () => {
  it('adds the origin labels first, when the snapshot has none', () => {
    const s = decideSnapshotStep(facts({ snapshot: snap({ labels: null, size: 1 }) }));
    assert.deepEqual(s, { kind: 'addOriginLabels', labels: labelled });
  });

  it('refuses a size under 4 MiB and rounds a larger one down to a multiple of 4 MiB', () => {
    const small = decideSnapshotStep(facts({ snapshot: snap({ size: 4 * MiB - 1 }) }));
    assert.equal(small.kind, 'wait');
    assert.match((small as { message: string }).message, /at least 4MiB/);
    assert.deepEqual(decideSnapshotStep(facts({ snapshot: snap({ size: 9 * MiB }) })), { kind: 'roundSize', size: 8 * MiB });
    assert.equal(decideSnapshotStep(facts({ snapshot: snap({ size: FOUR_MIB }) })).kind, 'bind');
  });

  it('allows one snapshot per origin that is not merged, and waits on that sibling', () => {
    const other = snap({ name: 'other', status: 'creating' });
    const s = decideSnapshotStep(facts({ siblings: [snap(), other] }));
    assert.equal(s.kind, 'wait');
    assert.equal((s as { sibling?: string }).sibling, 'other');
    assert.match((s as { message: string }).message, /only have one snapshot/);
    assert.equal(decideSnapshotStep(facts({ siblings: [snap({ name: 'other', status: 'merged' })] })).kind, 'bind');
  });

  it('waits for the origin volume to exist, be scheduled and reserve enough for the snapshot', () => {
    const msg = (f: Partial<SnapshotFacts>) => {
      const s = decideSnapshotStep(facts(f));
      assert.equal(s.kind, 'wait');
      assert.equal((s as { on: string }).on, 'origin');
      return (s as { message: string }).message;
    };
    assert.match(msg({ origin: undefined }), /cannot find origin volume obnvmf\/vol/);
    assert.match(msg({ origin: vol({ target: '' }) }), /is not scheduled/);
    assert.match(msg({ origin: vol({ reserve: null }) }), /no obnvmf\/snapshot-reserved-bytes/);
    assert.match(msg({ origin: vol({ reserve: '12abc' }) }), /invalid reserved space "12abc"/);
    assert.match(msg({ origin: vol({ reserve: String(4 * MiB) }) }), /snap size too large: 8388608, reserved size 4194304/);
  });

  it('binds to the origin pool, then sets creating, then merging when the merge label appears', () => {
    assert.deepEqual(decideSnapshotStep(facts({})), { kind: 'bind', targetNodeId: 'node-1' });
    assert.deepEqual(decideSnapshotStep(facts({ snapshot: snap({ target: 'node-1' }) })), { kind: 'setStatus', status: 'creating' });
    assert.equal(decideSnapshotStep(facts({ snapshot: snap({ target: 'node-1', status: 'creating' }) })).kind, 'idle');
    const merging = snap({ target: 'node-1', status: 'ready', labels: { ...labelled, [SnapshotLabels.MergeStartTimestamp]: '1700000000' } });
    assert.deepEqual(decideSnapshotStep(facts({ snapshot: merging })), { kind: 'setStatus', status: 'merging' });
    assert.equal(decideSnapshotStep(facts({ snapshot: snap({ status: 'merged', size: 1 }) })).kind, 'idle');
  });

  it('deletion: clears finalizers when merged or when the origin pool is gone, otherwise waits for the agent', () => {
    const del = (o: Parameters<typeof snap>[0]) => snap({ target: 'node-1', deleting: true, finalizers: ['antstor.alipay.com/snapshot'], ...o });
    assert.equal(decideSnapshotStep(facts({ snapshot: del({ status: 'merged' }) })).kind, 'clearFinalizers');
    assert.equal(decideSnapshotStep(facts({ snapshot: del({ status: 'creating' }), originPoolExists: false })).kind, 'clearFinalizers');
    assert.equal(decideSnapshotStep(facts({ snapshot: del({ status: 'creating' }) })).kind, 'awaitAgent');
    assert.equal(decideSnapshotStep(facts({ snapshot: del({ finalizers: [] }) })).kind, 'idle');
  });
});
