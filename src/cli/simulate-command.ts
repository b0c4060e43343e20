/**
 * `disk-controller simulate`: a dry run. Where each pending volume would go and why, from the config and either
 * the live cluster (read-only lists) or a YAML file, with what-if pools and volumes added on the command line.
 * Writes nothing anywhere.
 */
import { formatBytes } from '../api/quantity.js';
import { GROUP, KIND_POOL, KIND_VOLUME, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../api/constants.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import { resolveChain } from '../scheduler/chain.js';
import { simulatePlacement, type SimulationResult } from '../scheduler/simulate.js';
import { commonOptions, controllerConfig, watchNamespace } from './common.js';
import { loadObjectsFile, poolFromSpec, volumeFromSpec, type LoadedObjects } from './simulate-input.js';

const { config, namespace, kubeconfig } = commonOptions;

export const simulateOptionsSpec = {
  options: {
    config,
    namespace,
    kubeconfig,
    from: { type: 'string', multiple: true },
    'add-pool': { type: 'string', multiple: true },
    'add-volume': { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
  },
  usage: `usage: disk-controller simulate [--from FILE …] [--add-pool SPEC …] [--add-volume SPEC …] [-o table|json] [flags]

Where would each pending volume go, and why? Runs the configured filters, priorities and ledger rules over the
pools and volumes, placing pending volumes one after another in creation order (what-if volumes last). Writes
nothing.

  --from FILE           pools and volumes from YAML (kubectl get -o yaml, or manifests; repeat for more files);
                        default: the live cluster (read-only lists)
  --add-pool SPEC       a what-if pool: name=node-9,size=4Ti[,hostname=H][,ip=A][,status=ready][,label.K=V][,nodeLabel.K=V]
  --add-volume SPEC     a what-if volume: name=big,size=2Ti[,position=MustLocal][,hostNode=node-1][,type=KernelLVol]
                        [,label.K=V][,annotation.K=V]   (repeat either flag for more)
  -o, --output FORMAT   table (default) or json
  --config PATH         controller config YAML (the scheduler section decides)
  --namespace NS        namespace of the objects (default obnvmf, env WATCH_NAMESPACE)
  --kubeconfig PATH     kubeconfig for the live cluster (default: KUBECONFIG, in-cluster, ~/.kube/config)

exit codes: 0 every pending volume would be placed; 1 an error; 4 some volume would stay pending or is invalid`,
} as const;

async function loadFromCluster(v: Record<string, unknown>, ns: string): Promise<LoadedObjects> {
  // Loaded here: reading a file needs no Kubernetes client.
  const { loadKubeConfig, makeClients } = await import('../kube/client.js');
  const kc = loadKubeConfig(v['kubeconfig'] as string | undefined);
  const { custom } = makeClients(kc);
  const server = kc.getCurrentCluster()?.server ?? 'the API server';
  const list = async <T>(plural: string, kind: string): Promise<T[]> => {
    try {
      const r = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural })) as { items?: T[] };
      return r.items ?? [];
    } catch (e) {
      const code = (e as { code?: number }).code;
      throw new Error(`cannot list ${kind}s in namespace ${ns} from ${server}: ${code ? `HTTP ${code}` : (e as Error).message}`);
    }
  };
  return {
    pools: await list<StoragePool>(PLURAL_POOL, KIND_POOL),
    volumes: await list<AntstorVolume>(PLURAL_VOLUME, KIND_VOLUME),
    skipped: {},
  };
}

/** Several files as one input; the same object in two files is an error naming both. */
function mergeLoaded(parts: LoadedObjects[]): LoadedObjects {
  const out: LoadedObjects = { pools: [], volumes: [], skipped: {} };
  for (const p of parts) {
    out.pools.push(...p.pools);
    out.volumes.push(...p.volumes);
    for (const [k, n] of Object.entries(p.skipped)) out.skipped[k] = (out.skipped[k] ?? 0) + n;
  }
  for (const [kind, xs] of [[KIND_POOL, out.pools], [KIND_VOLUME, out.volumes]] as const) {
    const seen = new Set<string>();
    for (const x of xs) {
      const k = `${x.metadata.namespace}/${x.metadata.name}`;
      if (seen.has(k)) throw new Error(`--from: ${kind} ${k} is given in more than one file`);
      seen.add(k);
    }
  }
  return out;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (i === r.length - 1 ? 0 : r[i]!.length))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]! + 2))).join('').trimEnd()).join('\n');
}

export function renderSimulation(r: SimulationResult): string {
  const out: string[] = [];
  if (r.volumes.length === 0) out.push('no pending volumes');
  else
    out.push(
      table([
        ['VOLUME', 'SIZE', 'POSITION', 'RESULT', 'POOL', 'WHY'],
        ...r.volumes.map((v) => [
          `${v.volume}${v.added ? ' (what-if)' : ''}`,
          formatBytes(v.sizeByte),
          v.positionAdvice || '-',
          v.result,
          v.pool ?? '-',
          v.message + (Object.keys(v.ledgerRefused).length ? `; ledger refused ${Object.entries(v.ledgerRefused).map(([p, why]) => `${p} (${why})`).join(', ')}` : ''),
        ]),
      ]),
    );
  out.push('');
  out.push(
    table([
      ['POOL', 'CAPACITY', 'FREE NOW', 'FREE AFTER', 'BOUND', 'PLACED', 'SCHEDULABLE'],
      ...r.pools.map((p) => [
        `${p.pool}${p.added ? ' (what-if)' : ''}`,
        formatBytes(p.capacityBytes),
        formatBytes(p.freeBefore),
        formatBytes(p.freeAfter),
        String(p.bound),
        String(p.placed),
        p.schedulable ? 'yes' : 'no',
      ]),
    ]),
  );
  const placed = r.volumes.filter((v) => v.result === 'placed').length;
  out.push('');
  out.push(`${placed} of ${r.volumes.length} pending volumes would be placed; nothing was written`);
  return out.join('\n');
}

export async function runSimulateCommand(v: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length) {
    console.error(`simulate: unexpected argument ${JSON.stringify(positionals[0])}\n\n${simulateOptionsSpec.usage}`);
    return 2;
  }
  const format = (v['output'] as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') {
    console.error(`simulate: -o/--output: expected table or json, got ${JSON.stringify(format)}`);
    return 2;
  }
  const ns = watchNamespace(v);
  try {
    const cfg = controllerConfig(v);
    const chain = resolveChain(cfg.scheduler, (v['config'] as string | undefined) ?? process.env['CONTROLLER_CONFIG'] ?? 'embedded default');
    // What-ifs are parsed before anything is read, so a typo fails fast.
    const addPools = ((v['add-pool'] as string[] | undefined) ?? []).map((s) => poolFromSpec(s, ns));
    const addVolumes = ((v['add-volume'] as string[] | undefined) ?? []).map((s, i) => volumeFromSpec(s, i, ns));
    const from = (v['from'] as string[] | undefined) ?? [];
    const base = from.length ? mergeLoaded(from.map((f) => loadObjectsFile(f, ns))) : await loadFromCluster(v, ns);
    const names = (xs: { metadata: { namespace?: string; name?: string } }[]) => new Set(xs.map((x) => `${x.metadata.namespace}/${x.metadata.name}`));
    const havePools = names(base.pools);
    const haveVolumes = names(base.volumes);
    for (const p of addPools)
      if (havePools.has(`${p.metadata.namespace}/${p.metadata.name}`)) throw new Error(`--add-pool: StoragePool ${p.metadata.namespace}/${p.metadata.name} already exists`);
    for (const a of addVolumes)
      if (haveVolumes.has(`${a.metadata.namespace}/${a.metadata.name}`)) throw new Error(`--add-volume: AntstorVolume ${a.metadata.namespace}/${a.metadata.name} already exists`);
    const result = simulatePlacement(cfg.scheduler, chain, {
      pools: [...base.pools, ...addPools],
      volumes: [...base.volumes, ...addVolumes],
      addedPools: new Set(addPools.map((p) => p.metadata.uid!)),
      addedVolumes: new Set(addVolumes.map((a) => a.metadata.uid!)),
    });
    if (format === 'json') console.log(JSON.stringify(result, null, 2));
    else {
      const skipped = Object.entries(base.skipped);
      if (skipped.length) console.error(`simulate: ignored ${skipped.map(([k, n]) => `${n} ${k}`).join(', ')} (only StoragePools and AntstorVolumes matter)`);
      console.log(renderSimulation(result));
    }
    return result.volumes.every((x) => x.result === 'placed') ? 0 : 4;
  } catch (e) {
    console.error(`simulate: ${(e as Error).message}`);
    return 1;
  }
}
