/**
 * `disk-controller replay <history.json> [more.json …]`: replays workflow histories (downloaded from the Temporal UI
 * or `temporal workflow show -o json`) against this build's workflow code, to tell before an upgrade whether running
 * workflows would break. Exit 0: all replay; 1: at least one breaks; 2: bad input.
 */
import { bundleWorkflows } from '../workflow-bundle.js';
import { readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';

export const replayOptionsSpec = {
  options: {},
  usage: `usage: disk-controller replay <history.json> [more.json …]

Replays each workflow history (Temporal UI "Download", or \`temporal workflow show -o json\`) against this build's
workflow code. Prints "ok <file> (<workflowType>, <n> events)" or "BREAKS <file>: <error>" per file.
Exit 0 when all replay, 1 when any breaks, 2 on bad input (missing file, not JSON, not a history).`,
} as const;

type History = ReturnType<typeof historyFromJSON>;

function loadHistory(file: string): { history: History; workflowType: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  // The UI and the CLI write {"events": [...]}; accept a bare array of events too.
  if (Array.isArray(json)) json = { events: json };
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0)
    throw new Error(`${file}: not a workflow history: expected an object with a non-empty "events" array`);
  let history: History;
  try {
    history = historyFromJSON(json);
  } catch (e) {
    throw new Error(`${file}: not a workflow history: ${(e as Error).message}`);
  }
  const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!workflowType) throw new Error(`${file}: not a workflow history: the first event is not WorkflowExecutionStarted`);
  return { history, workflowType };
}

export async function runReplayCommand(_v: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length === 0) {
    console.error(`replay: give at least one history file\n\n${replayOptionsSpec.usage}`);
    return 2;
  }
  const loaded: { file: string; history: History; workflowType: string }[] = [];
  for (const file of positionals) {
    try {
      loaded.push({ file, ...loadHistory(file) });
    } catch (e) {
      console.error(`replay: ${(e as Error).message}`);
      return 2;
    }
  }
  // The verdict is in the per-file lines: keep the SDK's worker-state and core nondeterminism logs off the terminal.
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
    });
  } catch {
    /* a runtime is already installed: keep its logger */
  }
  const quiet = () => undefined;
  const workflowBundle = await bundleWorkflows({ log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m: string) => console.error(m) });
  // The workflow id is only a label in a replay: use the position so equal file names stay apart.
  const inputs = loaded.map((l, i) => ({ workflowId: `replay-${i}`, history: l.history }));
  const errors = new Map<string, unknown>();
  for await (const r of Worker.runReplayHistories({ workflowBundle }, inputs)) errors.set(r.workflowId, r.error);
  let broken = 0;
  loaded.forEach((l, i) => {
    const id = `replay-${i}`;
    if (!errors.has(id)) {
      broken++;
      console.log(`BREAKS ${l.file}: no replay result`);
      return;
    }
    const err = errors.get(id);
    if (err === undefined) console.log(`ok ${l.file} (${l.workflowType}, ${l.history.events?.length ?? 0} events)`);
    else {
      broken++;
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      console.log(`BREAKS ${l.file}: ${msg.replace(/\s*\n\s*/g, ' ')}`);
    }
  });
  return broken ? 1 : 0;
}
