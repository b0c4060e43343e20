/** The /metrics HTTP endpoint (LiteIO's --metricsAddr; "0" turns it off). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrape } from './registry.js';

/** `:9090` → all interfaces; `127.0.0.1:0` → a free port. */
export function parseListenAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = i < 0 ? '' : addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(i < 0 ? addr : addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`listen address "${addr}": the port must be a number 0-65535`);
  return { host: host || '0.0.0.0', port };
}

/** An extra handler on the metrics address (controller-runtime's AddMetricsExtraHandler), by exact path. */
export type ExtraHandler = (url: URL) => Promise<{ status: number; contentType: string; body: string }>;

export async function startMetricsServer(addr: string, extra: Record<string, ExtraHandler> = {}): Promise<{ server: Server; url: string }> {
  const { host, port } = parseListenAddr(addr);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metrics');
    const handler = Object.hasOwn(extra, url.pathname) ? extra[url.pathname] : undefined;
    if (handler) {
      handler(url).then(
        (a) => res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body),
        (e) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${url.pathname}: ${(e as Error).message}`),
      );
      return;
    }
    if (!req.url?.startsWith('/metrics')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; try /metrics${Object.keys(extra).map((p) => ` or ${p}`).join('')}`);
      return;
    }
    scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (e) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${(e as Error).message}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`--metricsAddr ${addr}: ${e.message}`)));
    server.listen(port, host, resolve);
  });
  const a = server.address() as AddressInfo;
  return { server, url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics` };
}
