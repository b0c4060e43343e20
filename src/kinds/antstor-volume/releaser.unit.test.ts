/** Which deletions the releaser finishes itself (releaser-activities.ts) and which go to the volume's own workflow. */
import assert from 'node:assert/strict';
import { Finalizers } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import { releasable, releaserRefuses } from './releaser-rules.js';

function deleting(o: { finalizers?: string[]; target?: string; deleting?: boolean } = {}): AntstorVolume {
  return {
    metadata: {
      name: 'v',
      namespace: 'ns',
      uid: 'u',
      finalizers: o.finalizers ?? [Finalizers.InState],
      ...(o.deleting === false ? {} : { deletionTimestamp: '2026-12-07T00:00:00Z' }),
    },
    spec: { uuid: 'x', sizeByte: 1, ...(o.target === '' ? {} : { targetNodeId: o.target ?? 'p1' }) },
  } as AntstorVolume;
}

describe('releaser: which deletions it finishes', () => {
  it('finishes a bound volume being deleted with only the in-state finalizer left', () => {
    assert.equal(releaserRefuses(deleting(), 'p1', false), undefined);
  });

  it('hands every other case to the volume\'s own workflow, saying why', () => {
    const cases: [AntstorVolume, string, boolean, RegExp][] = [
      [deleting(), 'p1', true, /plugins/],
      [deleting({ deleting: false }), 'p1', false, /not being deleted/],
      [deleting({ target: 'p2' }), 'p1', false, /bound to p2, not p1/],
      [deleting({ target: '' }), 'p1', false, /bound to no pool/],
      [deleting({ finalizers: [] }), 'p1', false, /no in-state finalizer/],
      [deleting({ finalizers: [Finalizers.InState, Finalizers.KernelLVol, Finalizers.SpdkTarget] }), 'p1', false, new RegExp(`waiting for finalizers ${Finalizers.KernelLVol}, ${Finalizers.SpdkTarget}`)],
    ];
    for (const [v, pool, plugins, why] of cases) assert.match(releaserRefuses(v, pool, plugins) ?? '', why);
  });

  it('the watcher hands over exactly the deletions the releaser finishes', () => {
    assert.equal(releasable(deleting()), true);
    assert.equal(releasable(deleting({ deleting: false })), false);
    assert.equal(releasable(deleting({ target: '' })), false);
    assert.equal(releasable(deleting({ finalizers: [Finalizers.InState, Finalizers.KernelLVol] })), false);
    assert.equal(releasable(deleting({ finalizers: [] })), false);
  });
});
