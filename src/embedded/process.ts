/** Child processes we start: logged to a file, stopped by the PID we started (never by name). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface ManagedProcess {
  name: string;
  pid: number;
  logPath: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string;
}

/** Every child started here (and handed to trackChild) that has not exited yet. */
const live = new Set<ChildProcess>();

/** Counts a child among those killStartedProcesses stops; it leaves the set when it exits. */
export function trackChild(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * SIGKILLs every child started here that is still running, by the PID it was started with; synchronous, so it can
 * run in a process 'exit' handler (the benchmark's, so that a crash leaves no servers behind). Returns their PIDs.
 */
export function killStartedProcesses(): number[] {
  const pids: number[] = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      child.kill('SIGKILL');
      pids.push(child.pid);
    }
  }
  live.clear();
  return pids;
}

export function startProcess(name: string, bin: string, args: string[], logPath: string, env?: NodeJS.ProcessEnv): ManagedProcess {
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = trackChild(spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', (e) => log.write(`\n[spawn error] ${e.message}\n`));
  const tail = (lines = 30) => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
    log.end();
  };
  return { name, pid: child.pid ?? -1, logPath, child, exited, stop, tail };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true, the process exits, or the timeout passes. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; proc?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let exited = false;
  opts.proc?.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${what}: ${opts.proc!.name} exited during start-up. Last log lines (${opts.proc!.logPath}):\n${opts.proc!.tail()}`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not ready after ${opts.timeoutMs} ms${opts.proc ? `. Last log lines (${opts.proc.logPath}):\n${opts.proc.tail()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
