/**
 * Loads and validates LiteIO's controller config YAML (scheduler + pluginConfigs). Every error names the file
 * and the field; nothing is half-applied: the caller gets a whole config or an exception.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { validateNodeSelectorRequirement } from '../scheduler/node-affinity.js';
import {
  DEFAULT_FILTERS,
  DEFAULT_PRIORITIES,
  defaultSchedulerConfig,
  type PriorityRef,
  type SchedulerConfig,
} from '../scheduler/config.js';

export interface ControllerConfig {
  scheduler: SchedulerConfig;
  /** Free-form per-plugin config, keyed by plugin name by convention. */
  pluginConfigs: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(source: string, field: string, detail: string) {
    super(`config ${source}: ${field}: ${detail}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(source: string, field: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new ConfigError(source, field, 'must be a map of string to string');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean')
      throw new ConfigError(source, `${field}.${k}`, 'must be a string');
    out[k] = String(val);
  }
  return out;
}

function int(source: string, field: string, v: unknown, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(source, field, `must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function nameList(source: string, field: string, v: unknown, def: string[]): string[] {
  if (v === undefined || v === null) return [...def];
  if (!Array.isArray(v)) throw new ConfigError(source, field, 'must be a list of names');
  const names = v.map((x, i) => {
    if (typeof x !== 'string' || !x) throw new ConfigError(source, `${field}[${i}]`, 'must be a non-empty string');
    return x;
  });
  return names.length ? names : [...def];
}

function priorityList(source: string, v: unknown): PriorityRef[] {
  const field = 'scheduler.priorities';
  if (v === undefined || v === null) return DEFAULT_PRIORITIES.map((name) => ({ name, weight: 1 }));
  if (!Array.isArray(v)) throw new ConfigError(source, field, 'must be a list of names or {name, weight}');
  const out = v.map((x, i): PriorityRef => {
    if (typeof x === 'string' && x) return { name: x, weight: 1 };
    if (isObj(x) && typeof x['name'] === 'string' && x['name']) {
      const w = x['weight'] ?? 1;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
        throw new ConfigError(source, `${field}[${i}].weight`, 'must be a number >= 0');
      return { name: x['name'], weight: w };
    }
    throw new ConfigError(source, `${field}[${i}]`, 'must be a name or {name, weight}');
  });
  return out.length ? out : DEFAULT_PRIORITIES.map((name) => ({ name, weight: 1 }));
}

/** Validates a parsed config document. `source` names it in errors (a path or "embedded default"). */
export function parseControllerConfig(doc: unknown, source: string): ControllerConfig {
  if (doc === undefined || doc === null) doc = {};
  if (!isObj(doc)) throw new ConfigError(source, '(top level)', 'must be a map with keys scheduler and pluginConfigs');
  for (const k of Object.keys(doc))
    if (k !== 'scheduler' && k !== 'pluginConfigs') throw new ConfigError(source, k, 'unknown key (expected scheduler, pluginConfigs)');
  const s = doc['scheduler'] ?? {};
  if (!isObj(s)) throw new ConfigError(source, 'scheduler', 'must be a map');
  const known = new Set(Object.keys(defaultSchedulerConfig()));
  for (const k of Object.keys(s)) if (!known.has(k)) throw new ConfigError(source, `scheduler.${k}`, 'unknown key');

  let maxRemote = int(source, 'scheduler.maxRemoteVolumeCount', s['maxRemoteVolumeCount'], 3);
  if (maxRemote <= 0) maxRemote = 3; // LiteIO's SetDefaults
  const minPct = int(source, 'scheduler.minLocalStoragePct', s['minLocalStoragePct'], 0);
  if (minPct < 0 || minPct > 100) throw new ConfigError(source, 'scheduler.minLocalStoragePct', 'must be between 0 and 100');

  const lock = s['lockSchedConfig'] ?? {};
  if (!isObj(lock)) throw new ConfigError(source, 'scheduler.lockSchedConfig', 'must be a map');
  const nodeSelector = (lock['nodeSelector'] ?? []) as unknown;
  if (!Array.isArray(nodeSelector)) throw new ConfigError(source, 'scheduler.lockSchedConfig.nodeSelector', 'must be a list');
  nodeSelector.forEach((r, i) => {
    const f = `scheduler.lockSchedConfig.nodeSelector[${i}]`;
    if (!isObj(r) || typeof r['key'] !== 'string') throw new ConfigError(source, f, 'must be {key, operator, values}');
    const err = validateNodeSelectorRequirement(r as never);
    if (err) throw new ConfigError(source, f, err);
  });
  const nodeTaints = (lock['nodeTaints'] ?? []) as unknown;
  if (!Array.isArray(nodeTaints)) throw new ConfigError(source, 'scheduler.lockSchedConfig.nodeTaints', 'must be a list');
  nodeTaints.forEach((t, i) => {
    const f = `scheduler.lockSchedConfig.nodeTaints[${i}]`;
    if (!isObj(t)) throw new ConfigError(source, f, 'must be a toleration {key, operator, value, effect}');
    const op = t['operator'] ?? 'Equal';
    if (op !== 'Equal' && op !== 'Exists') throw new ConfigError(source, `${f}.operator`, `must be Equal or Exists, got "${String(op)}"`);
  });

  const resv = (s['nodeReservations'] ?? []) as unknown;
  if (!Array.isArray(resv)) throw new ConfigError(source, 'scheduler.nodeReservations', 'must be a list of {id, size}');
  const nodeReservations = resv.map((r, i) => {
    const f = `scheduler.nodeReservations[${i}]`;
    if (!isObj(r) || typeof r['id'] !== 'string' || !r['id']) throw new ConfigError(source, `${f}.id`, 'must be a non-empty string');
    const size = r['size'];
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0)
      throw new ConfigError(source, `${f}.size`, 'must be a positive integer number of bytes');
    return { id: r['id'], size };
  });

  const pluginConfigs = doc['pluginConfigs'] ?? {};
  if (!isObj(pluginConfigs)) throw new ConfigError(source, 'pluginConfigs', 'must be a map');

  return {
    scheduler: {
      maxRemoteVolumeCount: maxRemote,
      remoteIgnoreAnnoSelector: stringMap(source, 'scheduler.remoteIgnoreAnnoSelector', s['remoteIgnoreAnnoSelector']),
      filters: nameList(source, 'scheduler.filters', s['filters'], DEFAULT_FILTERS),
      priorities: priorityList(source, s['priorities']),
      lockSchedConfig: { nodeSelector: nodeSelector as never, nodeTaints: nodeTaints as never },
      nodeCacheSelector: stringMap(source, 'scheduler.nodeCacheSelector', s['nodeCacheSelector']),
      minLocalStoragePct: minPct,
      nodeReservations,
    },
    pluginConfigs,
  };
}

export function parseControllerConfigYaml(text: string, source: string): ControllerConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const pos = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
    throw new ConfigError(source, '(yaml)', `not valid YAML${pos}: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseControllerConfig(doc, source);
}

export function loadControllerConfig(path: string | undefined): ControllerConfig {
  if (!path) return parseControllerConfig({}, 'embedded default');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, '(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseControllerConfigYaml(text, path);
}
