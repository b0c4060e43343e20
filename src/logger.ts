/**
 * A small structured logger (JSON lines on stderr, or plain text with LOG_FORMAT=text). It redacts anything
 * that looks like a secret: DSN passwords, bearer tokens and fields named like password/token/secret.
 */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

const SECRET_KEY = /pass(word)?|secret|token|dsn|dbinfo|obconninfo|authorization/i;

/** Masks secrets inside free text: `user:pw@tcp(` → `user:***@tcp(`, `Bearer abc` → `Bearer ***`. */
export function redactText(s: string): string {
  return s
    .replace(/([^\s:/@]+):\S*?@(tcp|unix)\(/g, '$1:***@$2(')
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1***')
    .replace(/(password|passwd|pwd|token)=([^&\s]+)/gi, '$1=***');
}

function redact(v: unknown, depth = 0): unknown {
  if (depth > 4) return '[…]';
  if (typeof v === 'string') return redactText(v);
  if (v instanceof Error) return redactText(v.message);
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? '***' : redact(x, depth + 1);
    return out;
  }
  return v;
}

export function createLogger(
  level: LogLevel = (process.env['LOG_LEVEL'] as LogLevel) || 'info',
  fields: Record<string, unknown> = {},
  format: 'json' | 'text' = process.env['LOG_FORMAT'] === 'text' ? 'text' : 'json',
  /** Where lines go (stderr by default; tests capture them). */
  sink: (line: string) => void = (l) => void process.stderr.write(l),
): Logger {
  const min = LEVELS[level] ?? LEVELS.info;
  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, meta?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const rec = redact({ ...fields, ...meta }) as Record<string, unknown>;
    const line =
      format === 'text'
        ? `${new Date().toISOString()} ${lvl.toUpperCase()} ${redactText(msg)}${Object.keys(rec).length ? ' ' + JSON.stringify(rec) : ''}`
        : JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: redactText(msg), ...rec });
    sink(line + '\n');
  };
  return {
    debug: (m, x) => write('debug', m, x),
    info: (m, x) => write('info', m, x),
    warn: (m, x) => write('warn', m, x),
    error: (m, x) => write('error', m, x),
    child: (f) => createLogger(level, { ...fields, ...f }, format, sink),
  };
}
