/** The rules a volume follows while a pool's ledger has not answered (src/kinds/antstor-volume/ledger-wait.ts). */
import assert from 'node:assert/strict';
import { describeProbe, judgeLedgerWait, poolProgressing, type LedgerWaitState } from './ledger-wait.js';
import type { LedgerProbe } from '../../workflows/messages.js';

const o = { giveUpMs: 60_000, capMs: 600_000 };
const busy = (historyLength: number): LedgerProbe => ({ running: true, historyLength, failingActivities: 0 });

/** Feeds probes 20 s apart from t=20 s and returns the verdicts. */
function run(probes: LedgerProbe[]): string[] {
  const st: LedgerWaitState = { startedAt: 0, lastProgressAt: 0 };
  return probes.map((p, i) => judgeLedgerWait(p, st, (i + 1) * 20_000, o));
}

describe('ledger wait: when a volume waits, asks again or gives up on a pool', () => {
  it('waits for a busy pool whose history grows, past the give-up time', () => {
    assert.deepEqual(run([busy(10), busy(30), busy(50), busy(70), busy(90)]), ['wait', 'wait', 'wait', 'wait', 'wait']);
  });

  it('gives up on a pool whose history stops growing, one give-up time after it last moved', () => {
    // moved at 20 s (first probe) and 40 s; stuck from then: 100 s - 40 s = 60 s.
    assert.deepEqual(run([busy(10), busy(30), busy(30), busy(30), busy(30)]), ['wait', 'wait', 'wait', 'wait', 'giveUp']);
  });

  it('a pending workflow task on its first attempt counts as progress even when no event was added', () => {
    const p: LedgerProbe = { running: true, historyLength: 30, taskAttempt: 1, taskWaitingMs: 500, failingActivities: 0 };
    assert.equal(poolProgressing(p, 30, o.giveUpMs), true);
  });

  it('gives up on a pool whose workflow task keeps failing, though signals still lengthen its history', () => {
    const failing = (n: number): LedgerProbe => ({ running: true, historyLength: n, taskAttempt: 7, failingActivities: 0 });
    assert.deepEqual(run([failing(10), failing(20), failing(30)]), ['wait', 'wait', 'giveUp']);
    assert.match(describeProbe(failing(1)), /workflow task is failing \(attempt 7\)/);
  });

  it('gives up on a pool whose workflow task no worker takes', () => {
    const unclaimed: LedgerProbe = { running: true, historyLength: 12, taskAttempt: 1, taskWaitingMs: 90_000, failingActivities: 0 };
    assert.equal(poolProgressing(unclaimed, 11, o.giveUpMs), false);
    assert.match(describeProbe(unclaimed), /no worker has taken its workflow task for 90s/);
  });

  it('gives up on a pool whose activities are failing (it cannot load its view)', () => {
    const p: LedgerProbe = { running: true, historyLength: 40, failingActivities: 1 };
    assert.equal(poolProgressing(p, 20, o.giveUpMs), false);
    assert.match(describeProbe(p), /1 of its activities are failing/);
  });

  it('asks a closed pool workflow again (the request restarts it), then gives up if it stays closed', () => {
    const closed: LedgerProbe = { running: false, historyLength: 0, failingActivities: 0 };
    assert.deepEqual(run([closed, closed, closed]), ['reask', 'reask', 'giveUp']);
    assert.match(describeProbe(closed), /not running; asking again/);
  });

  it('gives up at the cap even on a pool that keeps moving (a request it lost is never answered)', () => {
    const st: LedgerWaitState = { startedAt: 0, lastProgressAt: 0 };
    let v = 'wait';
    let t = 0;
    for (let n = 1; v === 'wait'; n++) v = judgeLedgerWait(busy(n * 10), st, (t = n * 20_000), o);
    assert.equal(v, 'giveUp');
    assert.equal(t, o.capMs);
  });
});
