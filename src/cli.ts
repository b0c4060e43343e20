#!/usr/bin/env node
/**
 * disk-controller CLI.
 *   operator   run the controller against a Kubernetes API server and a Temporal cluster
 *   dev        run everything locally: embedded Temporal dev server and kube-apiserver + etcd when
 *              TEMPORAL_ADDRESS / KUBECONFIG are not given (--demo creates sample pools and volumes)
 *   explain    print a volume's placement record: candidates, rejections by filter and reason, scores, pool
 *   replay     replay downloaded workflow histories against this build's workflow code (upgrade check)
 */
import { parseArgs } from 'node:util';
import { runOperatorCommand, operatorOptionsSpec } from './cli/operator-command.js';
import { runDevCommand, devOptionsSpec } from './cli/dev-command.js';
import { runExplainCommand, explainOptionsSpec } from './cli/explain-command.js';
import { runReplayCommand, replayOptionsSpec } from './cli/replay-command.js';

const USAGE = `usage: disk-controller <command> [flags]

commands:
  operator   run the Disk-Controller (watcher + Temporal worker)
  dev        run locally with embedded Temporal and kube-apiserver (add --demo for sample objects)
  explain    explain a volume's placement: disk-controller explain <namespace>/<name>
  replay     check an upgrade: disk-controller replay <history.json> [more.json …] (exit 1 if any would break)

run "disk-controller <command> --help" for the command's flags`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const commands = {
    operator: [operatorOptionsSpec, runOperatorCommand],
    dev: [devOptionsSpec, runDevCommand],
    explain: [explainOptionsSpec, runExplainCommand],
    replay: [replayOptionsSpec, runReplayCommand],
  } as const;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const entry = commands[cmd as keyof typeof commands];
  if (!entry) {
    console.error(`unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  const [spec, run] = entry;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`${cmd}: ${(e as Error).message}\n\n${spec.usage}`);
    return 2;
  }
  if (parsed.values['help']) {
    console.log(spec.usage);
    return 0;
  }
  return (run as (v: Record<string, unknown>, p: string[]) => Promise<number>)(parsed.values, parsed.positionals);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
