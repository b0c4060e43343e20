/** Samples the API server while a burst runs and records any instant at which a pool is over capacity. */
import type { TestCluster } from './cluster.js';

export interface Sampler {
  samples: number;
  violations: string[];
  /** First pool each volume was seen bound to; a later different pool is a violation (bound twice). */
  firstTarget: Map<string, string>;
  stop(): Promise<void>;
}

export function sampleCapacity(c: TestCluster, capacity: Record<string, number>, intervalMs = 100): Sampler {
  const s: Sampler = { samples: 0, violations: [], firstTarget: new Map(), stop: async () => undefined };
  let running = true;
  const loop = (async () => {
    while (running) {
      const vols = await c.listVolumes().catch(() => undefined);
      if (vols) {
        s.samples++;
        const used: Record<string, number> = {};
        for (const v of vols) {
          const t = v.spec.targetNodeId;
          if (!t) continue;
          used[t] = (used[t] ?? 0) + v.spec.sizeByte;
          const first = s.firstTarget.get(v.metadata.uid!);
          if (first === undefined) s.firstTarget.set(v.metadata.uid!, t);
          else if (first !== t) s.violations.push(`sample ${s.samples}: ${v.metadata.name} moved from ${first} to ${t}`);
        }
        for (const [p, b] of Object.entries(used))
          if (b > (capacity[p] ?? 0)) s.violations.push(`sample ${s.samples}: pool ${p} holds ${b} > ${capacity[p] ?? 0}`);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  s.stop = async () => {
    running = false;
    await loop;
  };
  return s;
}

/** Runs `fn` over items with at most `n` in flight. */
export async function inParallel<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}
