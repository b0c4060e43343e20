/**
 * Inputs of `simulate`: StoragePools and AntstorVolumes from a YAML file (`kubectl get -o yaml` lists or
 * multi-document manifests) and the inline what-ifs of --add-pool / --add-volume. Every error names the file or
 * flag, the document or object, and the field.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, DEFAULT_NAMESPACE, KIND_POOL, KIND_VOLUME } from '../api/constants.js';
import { parseQuantity } from '../api/quantity.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';

export interface LoadedObjects {
  pools: StoragePool[];
  volumes: AntstorVolume[];
  /** Kinds skipped (Lease, Namespace …), with counts: a manifest may carry them beside pools and volumes. */
  skipped: Record<string, number>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads pools and volumes from a YAML file. Objects without a namespace get `namespace`. */
export function loadObjectsFile(path: string, namespace = DEFAULT_NAMESPACE): LoadedObjects {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: LoadedObjects = { pools: [], volumes: [], skipped: {} };
  const seen = new Set<string>();
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`${path}: not a YAML stream`);
  docs.forEach((doc, di) => {
    const where = `${path}: document ${di + 1}`;
    if (doc.errors.length) throw new Error(`${where}: ${doc.errors[0]!.message.split('\n')[0]}`);
    const js: unknown = doc.toJS();
    if (js === null || js === undefined) return;
    if (!isObj(js)) throw new Error(`${where}: expected a Kubernetes object, got ${Array.isArray(js) ? 'a list' : typeof js}`);
    const items: [unknown, string][] = Array.isArray(js['items'])
      ? (js['items'] as unknown[]).map((it, i) => [it, `${where}: items[${i}]`])
      : [[js, where]];
    for (const [obj, at] of items) {
      if (!isObj(obj)) throw new Error(`${at}: expected a Kubernetes object`);
      const kind = obj['kind'];
      if (typeof kind !== 'string' || !kind) throw new Error(`${at}: kind is missing`);
      if (kind !== KIND_POOL && kind !== KIND_VOLUME) {
        out.skipped[kind] = (out.skipped[kind] ?? 0) + 1;
        continue;
      }
      const meta = obj['metadata'];
      if (!isObj(meta)) throw new Error(`${at} (${kind}): metadata is missing`);
      const name = meta['name'];
      if (typeof name !== 'string' || !name) throw new Error(`${at} (${kind}): metadata.name is missing`);
      const ns = typeof meta['namespace'] === 'string' && meta['namespace'] ? meta['namespace'] : namespace;
      const id = `${kind} ${ns}/${name}`;
      if (seen.has(id)) throw new Error(`${at}: ${id} appears twice`);
      seen.add(id);
      if (obj['spec'] !== undefined && !isObj(obj['spec'])) throw new Error(`${at} (${id}): spec must be an object`);
      const o = { ...obj, metadata: { ...meta, name, namespace: ns, uid: typeof meta['uid'] === 'string' ? meta['uid'] : `simulated:${id}` } };
      if (kind === KIND_POOL) out.pools.push(o as unknown as StoragePool);
      else out.volumes.push(o as unknown as AntstorVolume);
    }
  });
  return out;
}

/** `k=v,k2=v2` → entries; `label.x=y` keeps its dotted key. Values may not contain commas. */
function parseSpec(flag: string, text: string, allowed: readonly string[], prefixes: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${flag} "${text}": "${part}" is not key=value`);
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (!allowed.includes(k) && !prefixes.some((p) => k.startsWith(p) && k.length > p.length))
      throw new Error(`${flag} "${text}": unknown key "${k}" (expected ${[...allowed, ...prefixes.map((p) => `${p}<key>`)].join(', ')})`);
    if (m.has(k)) throw new Error(`${flag} "${text}": key "${k}" given twice`);
    m.set(k, v);
  }
  return m;
}

function prefixed(m: Map<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of m) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function bytes(flag: string, text: string, field: string, raw: string | undefined): number {
  if (raw === undefined || raw === '') throw new Error(`${flag} "${text}": ${field} is required (e.g. ${field}=2Ti)`);
  let n: number;
  try {
    n = parseQuantity(raw);
  } catch {
    throw new Error(`${flag} "${text}": ${field}: "${raw}" is not a quantity (e.g. 100Gi, 2Ti, 1073741824)`);
  }
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} "${text}": ${field}: "${raw}" must be a positive whole number of bytes`);
  return n;
}

const POOL_KEYS = ['name', 'size', 'hostname', 'ip', 'status', 'namespace'] as const;
const POOL_STATUSES = ['ready', 'locked', 'offline', 'unknown'];
const VOLUME_KEYS = ['name', 'size', 'namespace', 'position', 'hostNode', 'type', 'uuid'] as const;

/**
 * `--add-pool name=node-9,size=4Ti[,hostname=h][,ip=a][,status=ready][,label.K=V][,nodeLabel.K=V]`: a KernelLVM
 * pool of that size, empty and ready unless told otherwise.
 */
export function poolFromSpec(text: string, namespace = DEFAULT_NAMESPACE): StoragePool {
  const flag = '--add-pool';
  const m = parseSpec(flag, text, POOL_KEYS, ['label.', 'nodeLabel.']);
  const name = m.get('name');
  if (!name) throw new Error(`${flag} "${text}": name is required (the pool's name and node id)`);
  const size = bytes(flag, text, 'size', m.get('size'));
  const status = m.get('status') || 'ready';
  if (!POOL_STATUSES.includes(status)) throw new Error(`${flag} "${text}": status: "${status}" is not one of ${POOL_STATUSES.join(', ')}`);
  return {
    apiVersion: API_VERSION,
    kind: KIND_POOL,
    metadata: { name, namespace: m.get('namespace') || namespace, uid: `simulated:pool:${name}`, labels: prefixed(m, 'label.') },
    spec: {
      nodeInfo: {
        id: name,
        hostname: m.get('hostname') || name,
        ...(m.get('ip') ? { ip: m.get('ip')! } : {}),
        labels: prefixed(m, 'nodeLabel.'),
      },
      kernelLvm: { name: 'simulated-vg', vgUUID: `simulated-${name}`, bytes: size },
    },
    status: {
      status: status as 'ready',
      capacity: { storage: String(size) },
      vgFreeSize: String(size),
      // A healthy agent reports its data plane OK (the Basic filter checks the Spdk condition).
      conditions: [{ type: 'Spdk', status: 'OK' }],
    },
  } as StoragePool;
}

/**
 * `--add-volume name=big,size=2Ti[,position=MustLocal][,hostNode=node-1][,type=KernelLVol][,label.K=V]
 * [,annotation.K=V]`: a new volume to place after everything already pending.
 */
export function volumeFromSpec(text: string, index: number, namespace = DEFAULT_NAMESPACE): AntstorVolume {
  const flag = '--add-volume';
  const m = parseSpec(flag, text, VOLUME_KEYS, ['label.', 'annotation.']);
  const name = m.get('name') || `what-if-${index + 1}`;
  const size = bytes(flag, text, 'size', m.get('size'));
  const ns = m.get('namespace') || namespace;
  return {
    apiVersion: API_VERSION,
    kind: KIND_VOLUME,
    metadata: { name, namespace: ns, uid: `simulated:volume:${ns}/${name}`, labels: prefixed(m, 'label.'), annotations: prefixed(m, 'annotation.') },
    spec: {
      uuid: m.get('uuid') || `simulated-${name}`,
      sizeByte: size,
      ...(m.get('position') ? { positionAdvice: m.get('position') } : {}),
      ...(m.get('hostNode') ? { hostNode: { id: m.get('hostNode')! } } : {}),
      ...(m.get('type') ? { type: m.get('type') } : {}),
    },
  } as AntstorVolume;
}
