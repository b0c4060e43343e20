#!/usr/bin/env node
/**
 * disk-controller CLI.
 *   operator   run the controller against a Kubernetes API server and a Temporal cluster
 *   dev        run everything locally: embedded Temporal dev server and kube-apiserver + etcd when
 *              TEMPORAL_ADDRESS / KUBECONFIG are not given (--demo creates sample pools and volumes)
 *   explain    print a volume's placement record: candidates, rejections by filter and reason, scores, pool
 *   replay     replay downloaded workflow histories against this build's workflow code (upgrade check)
 *   simulate   dry run: where each pending volume would go and why (live cluster or a YAML file, plus what-ifs)
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
const USAGE = `usage: disk-controller <command> [flags]

commands:
  operator   run the Disk-Controller (watcher + Temporal worker)
  dev        run locally with embedded Temporal and kube-apiserver (add --demo for sample objects)
  explain    explain a volume's placement: disk-controller explain <namespace>/<name>
  replay     check an upgrade: disk-controller replay <history.json> [more.json …] (exit 1 if any would break)
  simulate   dry run: where would each pending volume go, and why? (--from FILE, --add-pool, --add-volume, -o json)

run "disk-controller <command> --help" for the command's flags`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // Each command's module is loaded only when it runs: `simulate` and `explain` start without loading the worker.
  type Spec = { options: NonNullable<ParseArgsConfig['options']>; usage: string };
  type Run = (v: Record<string, unknown>, p: string[]) => Promise<number>;
  const commands: Record<string, () => Promise<[Spec, Run]>> = {
    operator: async () => import('./cli/operator-command.js').then((m) => [m.operatorOptionsSpec, m.runOperatorCommand as Run]),
    dev: async () => import('./cli/dev-command.js').then((m) => [m.devOptionsSpec, m.runDevCommand as Run]),
    explain: async () => import('./cli/explain-command.js').then((m) => [m.explainOptionsSpec, m.runExplainCommand]),
    replay: async () => import('./cli/replay-command.js').then((m) => [m.replayOptionsSpec, m.runReplayCommand]),
    simulate: async () => import('./cli/simulate-command.js').then((m) => [m.simulateOptionsSpec, m.runSimulateCommand]),
  };
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const load = Object.hasOwn(commands, cmd) ? commands[cmd] : undefined;
  if (!load) {
    console.error(`unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  const [spec, run] = await load();
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
  return run(parsed.values, parsed.positionals);
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
