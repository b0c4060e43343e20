import assert from 'node:assert/strict';
import { ledgerFreeBytes, release, repairDrift, reserve, type LedgerPolicy, type LedgerPoolInfo, type LedgerState, type ReserveRequest } from '../../src/scheduler/ledger.js';

const G = 2 ** 30;
const info = (o: Partial<LedgerPoolInfo> = {}): LedgerPoolInfo => ({ exists: true, deleting: false, schedulable: true, status: 'ready', capacityBytes: 10 * G, availableBytes: 10 * G, ...o });
const policy = (o: Partial<LedgerPolicy> = {}): LedgerPolicy => ({ maxRemoteVolumeCount: 3, minLocalStoragePct: 0, nodeReservations: [], ...o });
let n = 0;
const req = (o: Partial<ReserveRequest> = {}): ReserveRequest => {
  n++;
  return { uid: `u${n}`, key: `ns/v${n}`, bytes: G, sizeByte: G, remote: false, countsRemote: false, reservationId: '', viaReservation: false, ...o };
};

describe('unit: pool ledger', () => {
  it('never admits past capacity, whatever the order of requests', () => {
    const l: LedgerState = { bindings: {} };
    const results = Array.from({ length: 15 }, () => reserve(l, info(), policy(), req(), 0));
    assert.equal(results.filter((r) => r.accepted).length, 10);
    assert.ok(results.slice(10).every((r) => r.reason === 'PoolFreeSize'));
    assert.equal(ledgerFreeBytes(l, info(), policy()), 0);
  });
  it('is idempotent by uid: a retried reserve does not count twice; release is idempotent', () => {
    const l: LedgerState = { bindings: {} };
    const r = req({ bytes: 6 * G });
    assert.equal(reserve(l, info(), policy(), r, 0).accepted, true);
    const again = reserve(l, info(), policy(), r, 1);
    assert.deepEqual([again.accepted, again.already], [true, true]);
    assert.equal(ledgerFreeBytes(l, info(), policy()), 4 * G);
    assert.equal(release(l, r.uid), true);
    assert.equal(release(l, r.uid), false);
    assert.equal(ledgerFreeBytes(l, info(), policy()), 10 * G);
  });
  it('a release naming its request gives back only that grant: two requesters of one volume never take away each other’s (v0.8.0)', () => {
    const l: LedgerState = { bindings: {} };
    const r = req({ bytes: 6 * G });
    // The placer's request, then the volume's own workflow's request for the same volume: one binding, two grants.
    assert.equal(reserve(l, info(), policy(), r, 0, 'placer-1').accepted, true);
    assert.equal(reserve(l, info(), policy(), r, 1, 'own-1').already, true);
    assert.deepEqual(l.bindings[r.uid]!.grants, ['placer-1', 'own-1']);
    assert.equal(ledgerFreeBytes(l, info(), policy()), 4 * G, 'counted once');
    // A stray grant given back by the placer: the other grant keeps the binding (its holder may be binding it).
    assert.equal(release(l, r.uid, 'placer-1'), false);
    assert.ok(l.bindings[r.uid]);
    // A request that was never granted here releases nothing.
    assert.equal(release(l, r.uid, 'someone-else'), false);
    assert.ok(l.bindings[r.uid]);
    assert.equal(release(l, r.uid, 'own-1'), true, 'the last grant given back drops the binding');
    assert.equal(ledgerFreeBytes(l, info(), policy()), 10 * G);
    // A release by uid alone (deletion, a volume's own workflow) drops it whatever granted it.
    reserve(l, info(), policy(), r, 2, 'placer-2');
    assert.equal(release(l, r.uid), true);
    // An adopted binding was granted to no request: a named release leaves it.
    reserve(l, info(), policy(), { ...r, adopt: true }, 3, 'adopt-1');
    assert.equal(release(l, r.uid, 'adopt-1'), false);
    assert.ok(l.bindings[r.uid]);
  });
  it('refuses unschedulable, deleting or missing pools; adoption is never refused', () => {
    for (const i of [info({ schedulable: false }), info({ deleting: true }), info({ exists: false })])
      assert.equal(reserve({ bindings: {} }, i, policy(), req(), 0).reason, 'PoolUnschedulable');
    const l: LedgerState = { bindings: {} };
    assert.equal(reserve(l, info({ schedulable: false }), policy(), req({ bytes: 50 * G, adopt: true }), 0).accepted, true);
    assert.equal(ledgerFreeBytes(l, info(), policy()), -40 * G);
  });
  it('enforces maxRemoteVolumeCount on counted remote volumes', () => {
    const l: LedgerState = { bindings: {} };
    for (let i = 0; i < 3; i++) assert.equal(reserve(l, info(), policy(), req({ remote: true, countsRemote: true }), 0).accepted, true);
    assert.equal(reserve(l, info(), policy(), req({ remote: true, countsRemote: true }), 0).reason, 'RemoteVolMaxCount');
    assert.equal(reserve(l, info(), policy(), req({ remote: true, countsRemote: false }), 0).accepted, true, 'excused remote');
    assert.equal(reserve(l, info(), policy(), req({ remote: false }), 0).accepted, true, 'local');
  });
  it('enforces MinLocalStorage when enabled', () => {
    const l: LedgerState = { bindings: {} };
    const p = policy({ minLocalStoragePct: 50 });
    assert.equal(reserve(l, info(), p, req({ remote: true, countsRemote: true, bytes: 4 * G, sizeByte: 4 * G }), 0).accepted, true);
    assert.equal(reserve(l, info(), p, req({ remote: true, countsRemote: true, bytes: 2 * G, sizeByte: 2 * G }), 0).reason, 'LocalStorageTooLow');
  });
  it('holds standing reservations: others cannot take their bytes, the owner can', () => {
    const l: LedgerState = { bindings: {} };
    const p = policy({ nodeReservations: [{ id: 'app', size: 4 * G }] });
    assert.equal(ledgerFreeBytes(l, info(), p), 6 * G);
    assert.equal(reserve(l, info(), p, req({ bytes: 7 * G }), 0).reason, 'PoolFreeSize');
    assert.equal(reserve(l, info(), p, req({ bytes: 6 * G }), 0).accepted, true);
    assert.equal(reserve(l, info(), p, req({ bytes: 3 * G, reservationId: 'app', viaReservation: true }), 0).accepted, true);
    assert.equal(ledgerFreeBytes(l, info(), p), G);
  });
  it('reservation path: unknown id, too small, claimed', () => {
    const p = policy({ nodeReservations: [{ id: 'r', size: 2 * G }] });
    assert.equal(reserve({ bindings: {} }, info(), p, req({ reservationId: 'x', viaReservation: true }), 0).reason, 'ReservationNotMatch');
    assert.equal(reserve({ bindings: {} }, info(), p, req({ reservationId: 'r', viaReservation: true, sizeByte: 3 * G, bytes: 3 * G }), 0).reason, 'ReservationTooSmall');
  });
  it('holds a group member’s bytes: counted like a binding, taken over by the member, never twice', () => {
    const l: LedgerState = { bindings: {} };
    const hold = req({ uid: 'hold/g1/m1', key: 'ns/m1', bytes: 6 * G, hold: { ttlMs: 60_000 } });
    assert.equal(reserve(l, info(), policy(), hold, 0).accepted, true);
    assert.equal(l.bindings['hold/g1/m1']?.via, 'hold');
    assert.equal(l.bindings['hold/g1/m1']?.holdUntil, 60_000);
    // Others cannot take the held bytes.
    assert.equal(reserve(l, info(), policy(), req({ bytes: 5 * G }), 1).reason, 'PoolFreeSize');
    // The member claims its hold: its binding replaces the hold, whatever else is on the pool.
    const member = req({ uid: 'm1-uid', key: 'ns/m1', bytes: 6 * G, claimsHold: 'hold/g1/m1' });
    assert.equal(reserve(l, info(), policy(), member, 2).accepted, true);
    assert.deepEqual(Object.keys(l.bindings), ['m1-uid']);
    assert.equal(ledgerFreeBytes(l, info(), policy()), 4 * G);
    // A claim names the hold of its own key only; someone else's claim is a plain request.
    reserve(l, info(), policy(), req({ uid: 'hold/g1/m2', key: 'ns/m2', bytes: 3 * G, hold: { ttlMs: 60_000 } }), 3);
    assert.equal(reserve(l, info(), policy(), req({ uid: 'thief', key: 'ns/other', bytes: 3 * G, claimsHold: 'hold/g1/m2' }), 4).reason, 'PoolFreeSize');
    assert.ok(l.bindings['hold/g1/m2'], 'the hold is untouched by a refused claim');
  });
  it('drops a hold only when it lapses, and when its member shows up bound (adopted), never both counted', () => {
    const l: LedgerState = { bindings: {} };
    reserve(l, info(), policy(), req({ uid: 'hold/g/a', key: 'ns/a', bytes: G, hold: { ttlMs: 10_000 } }), 0);
    reserve(l, info(), policy(), req({ uid: 'hold/g/b', key: 'ns/b', bytes: G, hold: { ttlMs: 10_000 } }), 0);
    // Young holds survive drift repair though no volume shows them, even past the grace period.
    assert.deepEqual(repairDrift(l, [], 5_000, 1_000).dropped, []);
    // Member a is bound in the API (adopted after a restart): its hold goes, its binding stays.
    const a = { uid: 'a-uid', key: 'ns/a', bytes: G, sizeByte: G, remote: true, countsRemote: true, reservationId: '', claimsHold: 'hold/g/a' };
    repairDrift(l, [a], 6_000, 1_000);
    assert.deepEqual(Object.keys(l.bindings).sort(), ['a-uid', 'hold/g/b']);
    assert.equal(l.bindings['a-uid']?.via, 'adopt');
    assert.equal('claimsHold' in l.bindings['a-uid']!, false);
    // b's hold lapses.
    assert.deepEqual(repairDrift(l, [a], 10_000, 1_000).dropped, ['ns/b']);
    assert.deepEqual(Object.keys(l.bindings), ['a-uid']);
    // Adoption of a member whose hold is still there replaces it too.
    reserve(l, info(), policy(), req({ uid: 'hold/g/c', key: 'ns/c', bytes: G, hold: { ttlMs: 10_000 } }), 11_000);
    reserve(l, info(), policy(), req({ uid: 'c-uid', key: 'ns/c', bytes: G, adopt: true, claimsHold: 'hold/g/c' }), 11_001);
    assert.deepEqual(Object.keys(l.bindings).sort(), ['a-uid', 'c-uid']);
  });
  it('repairs drift: adopts API bindings, drops stale entries after the grace period, keeps in-flight ones', () => {
    const l: LedgerState = { bindings: {} };
    reserve(l, info(), policy(), req({ uid: 'stale', key: 'ns/stale' }), 0);
    reserve(l, info(), policy(), req({ uid: 'young', key: 'ns/young' }), 900);
    reserve(l, info(), policy(), req({ uid: 'flight', key: 'ns/flight' }), 0);
    reserve(l, info(), policy(), req({ uid: 'kept', key: 'ns/kept', bytes: G }), 0);
    const api = [
      { uid: 'kept', key: 'ns/kept', bytes: 2 * G, sizeByte: 2 * G, remote: false, countsRemote: false, reservationId: '' },
      { uid: 'new', key: 'ns/new', bytes: G, sizeByte: G, remote: true, countsRemote: true, reservationId: '' },
    ];
    const rep = repairDrift(l, api, 1000, 500, new Set(['flight']));
    assert.deepEqual(rep, { adopted: ['ns/new'], dropped: ['ns/stale'], resized: ['ns/kept'] });
    assert.deepEqual(Object.keys(l.bindings).sort(), ['flight', 'kept', 'new', 'young']);
    assert.equal(l.bindings['kept']!.bytes, 2 * G);
  });
});
