/**
 * `disk-controller replay` as an operator runs it before an upgrade: a committed history replays (exit 0), a history
 * whose first scheduled activity was renamed breaks (exit 1), and a file that is not JSON is bad input (exit 2).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/embedded/bins.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
const FIXTURE = join(REPO_ROOT, 'test', 'histories', 'volumeWorkflow', 'bound__v0.3.0.json');

function replay(...files: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'replay', ...files], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}

describe('e2e: `disk-controller replay <history.json>`', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'replay-cmd-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a committed history replays: exit 0 and the ok line', () => {
    const events = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { events: unknown[] }).events.length;
    const r = replay(FIXTURE);
    assert.equal(r.code, 0, r.all);
    assert.ok(r.stdout.split('\n').includes(`ok ${FIXTURE} (volumeWorkflow, ${events} events)`), r.all);
  });

  it('a history the code no longer matches: exit 1 and a BREAKS line', () => {
    const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { events: Record<string, any>[] };
    const ev = json.events.find((e) => e['activityTaskScheduledEventAttributes'])!;
    ev['activityTaskScheduledEventAttributes'].activityType.name = 'somethingElse';
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(json));
    const r = replay(FIXTURE, tampered);
    assert.equal(r.code, 1, r.all);
    assert.match(r.stdout, new RegExp(`^BREAKS ${tampered.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`, 'm'), r.all);
    assert.match(r.stdout, new RegExp(`^ok ${FIXTURE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'), 'the good file is still ok');
  });

  it('a file that is not JSON: exit 2, naming the file', () => {
    const bad = join(dir, 'not-json.json');
    writeFileSync(bad, 'this is not json {');
    const r = replay(FIXTURE, bad);
    assert.equal(r.code, 2, r.all);
    assert.ok(r.stderr.includes(bad), r.all);
    assert.match(r.stderr, /not JSON/, r.all);
  });
});
