/** CPU seconds and resident memory of a process, from /proc (Linux), sampled while a workload runs. */
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime + stime
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Tracks peak RSS of a process until stopped. */
export function peakRss(pid: number, intervalMs = 250): { stop(): number } {
  let peak = 0;
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      /* exited */
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(t);
      try {
        peak = Math.max(peak, rssMiB(pid));
      } catch {
        /* exited */
      }
      return peak;
    },
  };
}

export const pct = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
