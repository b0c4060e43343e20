/**
 * LiteIO's `--dbInfo` / `--obConnInfo`: base64 (std) of a Go MySQL driver DSN,
 *   [user[:password]@][net[(addr)]]/dbname[?param=value&…]
 * parsed the way go-sql-driver/mysql does (the last "@" before the last "/" ends the credentials; the first ":"
 * splits user and password), and mapped onto mysql2 connection options. Errors never contain the password.
 */
export interface MysqlTarget {
  user: string;
  password: string;
  host?: string;
  port?: number;
  socketPath?: string;
  database: string;
  charset?: string;
  connectTimeout?: number;
  ssl?: { rejectUnauthorized: boolean };
  multipleStatements?: boolean;
  /** Parameters the Go driver knows that have no mysql2 equivalent (ignored, reported once at start). */
  ignoredParams: string[];
}

export class DsnError extends Error {
  override name = 'DsnError';
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict std base64 (LiteIO silently ignores decode errors; we refuse). */
export function decodeDbInfo(b64: string, flag = '--dbInfo'): string {
  const s = b64.trim();
  if (!s) throw new DsnError(`${flag}: empty`);
  if (!B64.test(s) || s.length % 4 !== 0) throw new DsnError(`${flag}: not valid base64 (standard alphabet, padded)`);
  const text = Buffer.from(s, 'base64').toString('utf8');
  if (Buffer.from(text, 'utf8').toString('base64') !== s) throw new DsnError(`${flag}: not valid base64 of UTF-8 text`);
  return text;
}

/** Go duration ("5s", "500ms", "1m30s") to milliseconds. */
function goDuration(v: string, name: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = '';
  for (const m of v.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0];
  }
  if (!v || consumed !== v) throw new DsnError(`DSN parameter ${name}: "${v}" is not a Go duration (e.g. 5s, 500ms)`);
  return Math.round(total);
}

const KNOWN_IGNORED = new Set([
  'interpolateParams', 'parseTime', 'loc', 'readTimeout', 'writeTimeout', 'allowNativePasswords', 'allowOldPasswords',
  'clientFoundRows', 'columnsWithAlias', 'maxAllowedPacket', 'rejectReadOnly', 'checkConnLiveness', 'allowCleartextPasswords',
  'time_zone', 'sql_mode', 'autocommit',
]);

export function parseGoMysqlDsn(dsn: string): MysqlTarget {
  const slash = dsn.lastIndexOf('/');
  if (slash < 0) throw new DsnError('DSN: missing "/" before the database name (user:pass@tcp(host:port)/db)');
  const head = dsn.slice(0, slash);
  const tail = dsn.slice(slash + 1);
  const at = head.lastIndexOf('@');
  const cred = at >= 0 ? head.slice(0, at) : '';
  const netAddr = at >= 0 ? head.slice(at + 1) : head;
  const colon = cred.indexOf(':');
  const user = colon >= 0 ? cred.slice(0, colon) : cred;
  const password = colon >= 0 ? cred.slice(colon + 1) : '';

  const out: MysqlTarget = { user, password, database: '', ignoredParams: [] };
  const m = /^([a-z0-9]*)(?:\((.*)\))?$/.exec(netAddr);
  if (!m) throw new DsnError(`DSN: cannot read the network part "${netAddr}" (expected tcp(host:port) or unix(/path))`);
  const net = m[1] || 'tcp';
  const addr = m[2] ?? '';
  if (net === 'tcp') {
    const hp = addr || '127.0.0.1:3306';
    const v6 = /^\[(.+)\]:(\d+)$/.exec(hp) ?? /^\[(.+)\]$/.exec(hp);
    const hm = v6 ?? /^([^:]*)(?::(\d+))?$/.exec(hp);
    if (!hm) throw new DsnError(`DSN: address "${hp}" is not host:port`);
    out.host = hm[1] || '127.0.0.1';
    const port = Number(hm[2] ?? 3306);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DsnError(`DSN: port "${hm[2]}" is out of range`);
    out.port = port;
  } else if (net === 'unix') {
    if (!addr) throw new DsnError('DSN: unix() needs a socket path');
    out.socketPath = addr;
  } else throw new DsnError(`DSN: unsupported network "${net}" (tcp or unix)`);

  const q = tail.indexOf('?');
  out.database = decodeURIComponent(q >= 0 ? tail.slice(0, q) : tail);
  if (!out.database) throw new DsnError('DSN: database name is empty');
  if (q >= 0) {
    for (const part of tail.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      if (eq <= 0) throw new DsnError(`DSN parameter "${part.split('=')[0]}" has no value`);
      const k = part.slice(0, eq);
      const v = decodeURIComponent(part.slice(eq + 1));
      switch (k) {
        case 'charset':
          out.charset = v.split(',')[0]!.toUpperCase() === 'UTF8' ? 'UTF8_GENERAL_CI' : v.split(',')[0]!.toUpperCase() === 'UTF8MB4' ? 'UTF8MB4_GENERAL_CI' : v.split(',')[0]!.toUpperCase();
          break;
        case 'collation':
          out.charset = v.toUpperCase();
          break;
        case 'timeout':
          out.connectTimeout = goDuration(v, k);
          break;
        case 'tls':
          if (v === 'true') out.ssl = { rejectUnauthorized: true };
          else if (v === 'skip-verify' || v === 'preferred') out.ssl = { rejectUnauthorized: false };
          else if (v !== 'false') throw new DsnError(`DSN parameter tls: "${v}" is not supported (true, false, skip-verify, preferred)`);
          break;
        case 'multiStatements':
          if (v !== 'true' && v !== 'false') throw new DsnError(`DSN parameter multiStatements: "${v}" is not true or false`);
          out.multipleStatements = v === 'true';
          break;
        default:
          if (KNOWN_IGNORED.has(k)) out.ignoredParams.push(k);
          else throw new DsnError(`DSN parameter "${k}" is not supported`);
      }
    }
  }
  return out;
}

/** For logs and errors: where, never the password. */
export const describeTarget = (t: MysqlTarget): string =>
  `${t.user || '(no user)'}@${t.socketPath ? `unix(${t.socketPath})` : `tcp(${t.host}:${t.port})`}/${t.database}`;
