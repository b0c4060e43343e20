/** A private MariaDB server for outage tests: its own data dir and port on 127.0.0.1, stopped by its PID. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, startProcess, waitUntil, type ManagedProcess } from '../../src/embedded/process.js';

export interface PrivateMariaDb {
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly running: boolean;
}

export async function privateMariaDb(dir: string): Promise<PrivateMariaDb> {
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(data, 'mysql')))
    execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  const port = await freePort();
  let proc: ManagedProcess | undefined;
  const db: PrivateMariaDb = {
    port,
    get running() {
      return !!proc && proc.child.exitCode === null;
    },
    async start() {
      proc = startProcess('mariadbd', '/usr/sbin/mariadbd', [
        '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`,
        `--pid-file=${join(dir, 'pid')}`, '--user=root', '--skip-log-bin', '--innodb-buffer-pool-size=32M', '--skip-name-resolve',
      ], join(dir, 'mariadbd.log'));
      await waitUntil('private MariaDB', async () => {
        const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
        await c.end();
        return true;
      }, { timeoutMs: 30_000, intervalMs: 200, proc });
    },
    async stop() {
      await proc?.stop(15_000);
    },
  };
  return db;
}
