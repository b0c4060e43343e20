/** CPU seconds and resident memory of a process, from /proc (Linux), sampled while a workload runs. */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

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

/** Busy CPU seconds of the whole machine (all cores), from the first line of /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is work.
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / TICKS;
}

/** CPU seconds of every process whose command name (/proc/<pid>/comm) is `comm` (e.g. the system's postgres). */
export function cpuSecondsByComm(comm: string): number {
  let s = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) s += cpuSeconds(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return s;
}

/**
 * Where the machine's CPU went during a workload: each named process (by PID, or by command name for servers this
 * run did not start, such as PostgreSQL), this process, and the rest; with the machine's busy seconds and the wall
 * time, so a run shows whether the cores were saturated and by whom.
 */
export interface CpuSplit {
  wallSec: number;
  cores: number;
  machineBusySec: number;
  byProcess: Record<string, number>;
  otherSec: number;
}

export function cpuSplit(sources: Record<string, () => number>): { stop(): CpuSplit } {
  const read = () => {
    const r: Record<string, number> = {};
    for (const [k, f] of Object.entries(sources)) {
      try {
        r[k] = f();
      } catch {
        r[k] = NaN;
      }
    }
    const u = process.cpuUsage();
    r['benchmark driver'] = (u.user + u.system) / 1e6;
    return r;
  };
  const t0 = Date.now();
  const m0 = machineBusySeconds();
  const p0 = read();
  return {
    stop() {
      const p1 = read();
      const byProcess: Record<string, number> = {};
      for (const k of Object.keys(p1)) byProcess[k] = +((p1[k]! - p0[k]!) || 0).toFixed(1);
      const machineBusySec = +(machineBusySeconds() - m0).toFixed(1);
      const named = Object.values(byProcess).reduce((a, b) => a + b, 0);
      return { wallSec: +((Date.now() - t0) / 1000).toFixed(1), cores: cpus().length, machineBusySec, byProcess, otherSec: +(machineBusySec - named).toFixed(1) };
    },
  };
}

/** What a workload's CPU per item allows on this machine's cores (cpuCeiling). */
export interface CpuCeiling {
  /** CPU milliseconds per item (placement, deletion) by process, and the machine's total (the rest included). */
  msPerItem: Record<string, number>;
  totalMsPerItem: number;
  /** Items per second all the cores allow at that CPU per item: a run near it is CPU-bound. */
  ceilingPerSec: number;
  /** The same without the controller's CPU: what the servers and the benchmark's driver alone allow here. */
  withoutControllerPerSec: number;
}

/**
 * The CPU ceiling of a workload: its CPU per item by process, and the rate the cores allow at that cost, with and
 * without the controller's share. The second is the limit no controller, however light, passes on this machine.
 */
export function cpuCeiling(cpu: CpuSplit, items: number, controller = 'controller'): CpuCeiling | undefined {
  if (!(items > 0) || !(cpu.machineBusySec > 0)) return undefined;
  const ms = (s: number) => +((1000 * s) / items).toFixed(2);
  const msPerItem: Record<string, number> = {};
  for (const [k, s] of Object.entries(cpu.byProcess)) if (Number.isFinite(s)) msPerItem[k] = ms(s);
  msPerItem['other'] = ms(Math.max(0, cpu.otherSec));
  const total = (1000 * cpu.machineBusySec) / items;
  const rest = total - (1000 * (cpu.byProcess[controller] ?? 0)) / items;
  return {
    msPerItem,
    totalMsPerItem: +total.toFixed(2),
    ceilingPerSec: +((1000 * cpu.cores) / total).toFixed(1),
    withoutControllerPerSec: +((1000 * cpu.cores) / Math.max(rest, 1e-6)).toFixed(1),
  };
}
