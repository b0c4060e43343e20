/**
 * Replays every committed history fixture (test/histories/<workflowType>/*.json) with the current workflow
 * code. Any error — nondeterminism or otherwise — fails the suite.
 */
import { bundleWorkflows } from '../../src/workflow-bundle.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import * as workflows from '../../src/workflows/index.js';

const HIST_DIR = join(REPO_ROOT, 'test', 'histories');

function fixtures(): { file: string; workflowId: string; json: string }[] {
  const out: { file: string; workflowId: string; json: string }[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.json')) out.push({ file: p.slice(HIST_DIR.length + 1), workflowId: f.replace(/\.json$/, ''), json: readFileSync(p, 'utf8') });
    }
  };
  walk(HIST_DIR);
  return out.sort((a, b) => (a.file < b.file ? -1 : 1));
}

describe('replay: recorded workflow histories', function () {
  let bundle: WorkflowBundleWithSourceMap;
  const files = fixtures();

  before(async function () {
    bundle = await bundleWorkflows({ log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error });
  });

  it('has fixtures for every workflow type', () => {
    const types = new Set(files.map((f) => f.file.split('/')[0]));
    // Every workflow type the bundle exports (every registered kind's, and MetaSync's) has recorded histories.
    const exported = Object.entries(workflows).filter(([, f]) => typeof f === 'function').map(([name]) => name);
    assert.ok(exported.length >= 4, `workflow types: ${exported.join(', ')}`);
    for (const t of exported) assert.ok(types.has(t), `${t} fixtures (npm run record-histories)`);
  });

  it('round-trips history JSON (guards the protobufjs duplicate-install pitfall)', () => {
    const f = files[0]!;
    const h = historyFromJSON(JSON.parse(f.json));
    assert.ok((h.events?.length ?? 0) > 3);
    const again = historyFromJSON(JSON.parse(historyToJSON(h)));
    assert.equal(again.events?.length, h.events?.length);
    assert.equal(String(again.events?.[0]?.eventType), String(h.events?.[0]?.eventType));
  });

  it('replays every fixture without error', async () => {
    const inputs = files.map((f) => ({ workflowId: f.workflowId, history: historyFromJSON(JSON.parse(f.json)) }));
    let n = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, inputs)) {
      n++;
      assert.equal(r.error, undefined, `replay of ${r.workflowId}: ${r.error}`);
    }
    assert.equal(n, files.length);
  });

  it('fails a replay when the workflow code changed incompatibly (the check has teeth)', async () => {
    const f = files.find((x) => x.file.startsWith('volumeWorkflow/'))!;
    const h = historyFromJSON(JSON.parse(f.json));
    // Rename the first scheduled activity: the workflow code will schedule a different one.
    const ev = h.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    ev.activityTaskScheduledEventAttributes!.activityType!.name = 'somethingElse';
    await assert.rejects(Worker.runReplayHistory({ workflowBundle: bundle }, h, f.workflowId));
  });
});
