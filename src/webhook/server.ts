/**
 * The admission webhook's HTTPS server (LiteIO's `--enableWebhook`, `--port`, `--tlsdir`): serves the mutating and
 * validating AntstorVolume webhooks on controller-runtime's paths, with `tls.crt` / `tls.key` from the TLS
 * directory. The files are re-read when they change (cert-manager and mounted Secrets rotate them in place), so a
 * rotation needs no restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../logger.js';
import { parseListenAddr } from '../metrics/server.js';
import { answerReview, mutateVolume, validateVolume, type AdmissionRequest, type AdmissionResponse } from './volume-admission.js';

/** controller-runtime's generated paths, as in LiteIO's webhook configuration. */
export const WEBHOOK_PATHS: Record<string, (req: AdmissionRequest) => AdmissionResponse> = {
  '/mutate-volume-antstor-alipay-com-v1-antstorvolume': mutateVolume,
  '/validate-volume-antstor-alipay-com-v1-antstorvolume': validateVolume,
};

/** controller-runtime's default certificate directory. */
export const DEFAULT_TLS_DIR = '/tmp/k8s-webhook-server/serving-certs';
const MAX_BODY = 3 * 1024 * 1024; // the API server sends objects up to ~1.5 MiB

function readPair(dir: string): { cert: Buffer; key: Buffer; mtimes: string } {
  const files = ['tls.crt', 'tls.key'].map((f) => join(dir, f));
  try {
    const [cert, key] = files.map((f) => readFileSync(f));
    return { cert: cert!, key: key!, mtimes: files.map((f) => statSync(f).mtimeMs).join('/') };
  } catch (e) {
    throw new Error(`--tlsdir ${dir}: cannot read tls.crt and tls.key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export interface WebhookServer {
  server: Server;
  /** https://host:port (the real port when 0 was asked for). */
  url: string;
  close(): void;
}

export async function startWebhookServer(o: { addr: string; tlsDir: string; log: Logger; reloadEveryMs?: number }): Promise<WebhookServer> {
  const { host, port } = parseListenAddr(o.addr);
  let pair = readPair(o.tlsDir);
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (e) {
    throw new Error(`--tlsdir ${o.tlsDir}: tls.crt and tls.key are not a usable pair (${(e as Error).message})`);
  }
  const server = createServer({ cert: pair.cert, key: pair.key }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://webhook').pathname;
    const decide = Object.hasOwn(WEBHOOK_PATHS, path) ? WEBHOOK_PATHS[path] : undefined;
    if (!decide || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: POST one of ${Object.keys(WEBHOOK_PATHS).join(', ')}`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (size > MAX_BODY) throw new Error(`admission review: the body is larger than ${MAX_BODY} bytes`);
        const review = answerReview(Buffer.concat(chunks).toString('utf8'), decide);
        if (review.response && !review.response.allowed) o.log.info('admission refused', { path, message: review.response.status?.message });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(review));
      } catch (e) {
        o.log.warn('admission review not understood', { path, error: (e as Error).message });
        res.writeHead(400, { 'content-type': 'text/plain' }).end((e as Error).message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`webhook --port ${o.addr}: ${e.message}`)));
    server.listen(port, host, resolve);
  });
  // Rotation: a periodic look at the files' mtimes (fs.watch misses a mounted Secret's symlink swap).
  const timer = setInterval(() => {
    try {
      const next = readPair(o.tlsDir);
      if (next.mtimes === pair.mtimes) return;
      server.setSecureContext({ cert: next.cert, key: next.key });
      pair = next;
      o.log.info('webhook certificate reloaded', { tlsDir: o.tlsDir });
    } catch (e) {
      o.log.error('webhook certificate not reloaded; serving the previous one', { error: (e as Error).message });
    }
  }, o.reloadEveryMs ?? 30_000);
  timer.unref();
  const a = server.address() as AddressInfo;
  return {
    server,
    url: `https://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => {
      clearInterval(timer);
      server.close();
    },
  };
}
