/**
 * corev1.NodeSelector matching as k8s.io/component-helpers MatchNodeSelectorTerms does it: terms are ORed,
 * expressions within a term ANDed, an empty term matches nothing, matchFields supports metadata.name only.
 */
import type { NodeSelectorRequirement, NodeSelectorTerm, Toleration } from '../api/types.js';
import { matchRequirement, validateLabelKey, type Requirement } from './label-selector.js';

export class AffinityError extends Error {}

function toRequirement(r: NodeSelectorRequirement): Requirement {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) throw new AffinityError(`operator ${r.operator} on "${r.key}" needs values`);
      return { key: r.key, op: r.operator, values };
    case 'Exists':
    case 'DoesNotExist':
      if (values.length) throw new AffinityError(`operator ${r.operator} on "${r.key}" takes no values`);
      return { key: r.key, op: r.operator, values: [] };
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!))
        throw new AffinityError(`operator ${r.operator} on "${r.key}" needs one integer value`);
      return { key: r.key, op: r.operator, values };
    default:
      throw new AffinityError(`unknown operator "${r.operator}" on "${r.key}"`);
  }
}

/** Validates a requirement's key and operator; returns the error text or ''. */
export function validateNodeSelectorRequirement(r: NodeSelectorRequirement): string {
  const k = validateLabelKey(r.key ?? '');
  if (k) return k;
  try {
    toRequirement(r);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

function matchTerm(t: NodeSelectorTerm, name: string, labels: Record<string, string>): boolean {
  const exprs = t.matchExpressions ?? [];
  const fields = t.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const e of exprs) if (!matchRequirement(toRequirement(e), labels)) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name') throw new AffinityError(`matchFields supports only metadata.name, found "${f.key}"`);
    if (f.operator !== 'In' && f.operator !== 'NotIn')
      throw new AffinityError(`matchFields operator must be In or NotIn, found "${f.operator}"`);
    if ((f.values ?? []).length !== 1) throw new AffinityError('matchFields metadata.name needs exactly one value');
    if (!matchRequirement(toRequirement(f), { 'metadata.name': name })) return false;
  }
  return true;
}

/** Throws AffinityError on a malformed term (LiteIO treats that as no match). */
export function matchNodeSelectorTerms(
  terms: NodeSelectorTerm[],
  name: string,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  // An error in one term does not stop another term from matching (MatchNodeSelectorTerms collects errors).
  let firstErr: Error | undefined;
  for (const t of terms) {
    try {
      if (matchTerm(t, name, l)) return true;
    } catch (e) {
      firstErr ??= e as Error;
    }
  }
  if (firstErr) throw firstErr;
  return false;
}

/** True if ANY single requirement matches on its own (LockPool's OR semantics; unknown operators skipped). */
export function anyRequirementMatches(reqs: NodeSelectorRequirement[], labels: Record<string, string>): boolean {
  for (const r of reqs) {
    let req: Requirement;
    try {
      req = toRequirement(r);
    } catch {
      continue;
    }
    if (matchRequirement(req, labels)) return true;
  }
  return false;
}

export interface Taint {
  key: string;
  value?: string;
  effect?: string;
}

/** corev1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
    case '':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}
