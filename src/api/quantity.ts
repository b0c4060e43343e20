/**
 * Parses Kubernetes resource quantities ("100Gi", "1.5G", "1e9", 1073741824) to a number of units.
 * Written by hand: the only maintained parser (client-node's quantityToScalar) lives in an ESM package with
 * network dependencies, and this module must stay pure so workflows and the scheduler can share it.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E))?$/;

export class QuantityError extends Error {}

/** Returns the quantity's value; throws QuantityError naming the bad text. */
export function parseQuantity(q: string | number | undefined | null): number {
  if (q === undefined || q === null || q === '') return 0;
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new QuantityError(`invalid quantity ${q}`);
    return q;
  }
  const m = RE.exec(q.trim());
  if (!m) throw new QuantityError(`invalid quantity "${q}"`);
  const base = Number(m[1]);
  if (m[2]) return base * BINARY[m[2]]!;
  if (m[3]) return base * 10 ** Number(m[3].slice(1));
  return base * DECIMAL[m[4] ?? '']!;
}

/** Like parseQuantity but returns 0 for unparsable text (LiteIO counts bad values as 0). */
export function quantityOrZero(q: string | number | undefined | null): number {
  try {
    return parseQuantity(q);
  } catch {
    return 0;
  }
}

/** Human-readable binary size, e.g. 1073741824 -> "1Gi". */
export function formatBytes(n: number): string {
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const u of units) {
    const v = BINARY[u]!;
    if (Math.abs(n) >= v && n % v === 0) return `${n / v}${u}`;
  }
  for (const u of units) {
    const v = BINARY[u]!;
    if (Math.abs(n) >= v) return `${(n / v).toFixed(1)}${u}`;
  }
  return String(n);
}
