/**
 * Kubernetes label-selector strings (k8s.io/apimachinery labels.Parse): `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, comma = AND, empty = everything.
 * Hand-written: no maintained npm package parses this syntax.
 */
export type SelectorOp = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  op: SelectorOp;
  values: string[];
}

export class SelectorParseError extends Error {
  constructor(
    readonly selector: string,
    detail: string,
  ) {
    super(`invalid label selector "${selector}": ${detail}`);
  }
}

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE_RE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

/** Returns an error text for an invalid qualified label key, or '' when valid. */
export function validateLabelKey(key: string): string {
  const parts = key.split('/');
  if (parts.length > 2) return `key "${key}" has more than one "/"`;
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN_RE.test(prefix))
      return `key "${key}" has an invalid prefix`;
  }
  if (!name || name.length > 63 || !NAME_RE.test(name)) return `key "${key}" has an invalid name`;
  return '';
}

export function validateLabelValue(v: string): string {
  return v.length <= 63 && VALUE_RE.test(v) ? '' : `value "${v}" is not a valid label value`;
}

type Tok = { t: 'id' | 'op' | '(' | ')' | ',' | '!'; v: string };

function tokenize(s: string, sel: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ t: c, v: c }); i++; continue; }
    if (c === '!' && s[i + 1] === '=') { out.push({ t: 'op', v: '!=' }); i += 2; continue; }
    if (c === '!') { out.push({ t: '!', v: '!' }); i++; continue; }
    if (c === '=' && s[i + 1] === '=') { out.push({ t: 'op', v: '==' }); i += 2; continue; }
    if (c === '=' || c === '<' || c === '>') { out.push({ t: 'op', v: c }); i++; continue; }
    let j = i;
    while (j < s.length && !/[\s(),!=<>]/.test(s[j]!)) j++;
    if (j === i) throw new SelectorParseError(sel, `unexpected character "${c}" at ${i}`);
    out.push({ t: 'id', v: s.slice(i, j) });
    i = j;
  }
  return out;
}

/** Parses a selector string; throws SelectorParseError with the position of the problem. */
export function parseLabelSelector(sel: string): Requirement[] {
  const toks = tokenize(sel, sel);
  const reqs: Requirement[] = [];
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  const expectKey = (): string => {
    const t = next();
    if (!t || t.t !== 'id') throw new SelectorParseError(sel, `expected a key, found ${t ? `"${t.v}"` : 'end of string'}`);
    const err = validateLabelKey(t.v);
    if (err) throw new SelectorParseError(sel, err);
    return t.v;
  };
  const value = (allowEmpty: boolean): string => {
    const t = peek();
    if (!t || t.t !== 'id') {
      if (allowEmpty) return '';
      throw new SelectorParseError(sel, `expected a value, found ${t ? `"${t.v}"` : 'end of string'}`);
    }
    p++;
    const err = validateLabelValue(t.v);
    if (err) throw new SelectorParseError(sel, err);
    return t.v;
  };
  if (toks.length === 0) return reqs;
  for (;;) {
    const t = peek();
    if (!t) throw new SelectorParseError(sel, 'expected a requirement after ","');
    if (t.t === '!') {
      p++;
      reqs.push({ key: expectKey(), op: 'DoesNotExist', values: [] });
    } else {
      const key = expectKey();
      const o = peek();
      if (!o || o.t === ',') {
        reqs.push({ key, op: 'Exists', values: [] });
      } else if (o.t === 'op') {
        p++;
        if (o.v === '=' || o.v === '==') reqs.push({ key, op: 'In', values: [value(true)] });
        else if (o.v === '!=') reqs.push({ key, op: 'NotIn', values: [value(true)] });
        else {
          const v = value(false);
          if (!/^-?\d+$/.test(v)) throw new SelectorParseError(sel, `"${o.v}" needs an integer value, found "${v}"`);
          reqs.push({ key, op: o.v === '>' ? 'Gt' : 'Lt', values: [v] });
        }
      } else if (o.t === 'id' && (o.v === 'in' || o.v === 'notin')) {
        p++;
        const open = next();
        if (!open || open.t !== '(') throw new SelectorParseError(sel, `expected "(" after "${o.v}"`);
        const values: string[] = [];
        for (;;) {
          values.push(value(true));
          const sep = next();
          if (!sep) throw new SelectorParseError(sel, 'missing ")"');
          if (sep.t === ')') break;
          if (sep.t !== ',') throw new SelectorParseError(sel, `expected "," or ")", found "${sep.v}"`);
        }
        reqs.push({ key, op: o.v === 'in' ? 'In' : 'NotIn', values });
      } else {
        throw new SelectorParseError(sel, `expected an operator after "${key}", found "${o.v}"`);
      }
    }
    const sep = next();
    if (!sep) break;
    if (sep.t !== ',') throw new SelectorParseError(sel, `expected ",", found "${sep.v}"`);
  }
  return reqs;
}

export function matchRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'In':
      return has && r.values.includes(v!);
    case 'NotIn':
      return !has || !r.values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.op === 'Gt' ? a > b : a < b;
    }
  }
}

export function matchSelector(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => matchRequirement(r, l));
}
