/**
 * Requests the API server served during a workload, by verb and resource, from its own
 * `apiserver_request_total` counter (/metrics, read with the admin kubeconfig): how many API writes one placement
 * costs, and whose they are.
 */
import { request } from 'node:https';
import type { KubeControlPlane } from '../src/embedded/kube-control-plane.js';

export type RequestCounts = Record<string, number>;

function get(kube: KubeControlPlane, path: string): Promise<string> {
  const token = kube.kubeConfig.getCurrentUser()?.token ?? '';
  return new Promise((resolve, reject) => {
    const req = request(`${kube.server}${path}`, { headers: { authorization: `Bearer ${token}` }, ca: kube.caPem, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.end();
  });
}

const LABEL = /(\w+)="([^"]*)"/g;

/** `apiserver_request_total` summed by "VERB resource[/subresource]" (WATCH and LIST included). */
export async function requestCounts(kube: KubeControlPlane): Promise<RequestCounts> {
  return parseRequestTotals(await get(kube, '/metrics'));
}

/** The `apiserver_request_total` samples of a Prometheus text exposition, summed by verb and resource. */
export function parseRequestTotals(text: string): RequestCounts {
  const out: RequestCounts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(line.indexOf('{') + 1, close).matchAll(LABEL)) labels[m[1]!] = m[2]!;
    if (!labels['resource']) continue;
    const key = `${labels['verb']} ${labels['resource']}${labels['subresource'] ? `/${labels['subresource']}` : ''}`;
    out[key] = (out[key] ?? 0) + Number(line.slice(close + 1).trim().split(/\s+/)[0]); // value [timestamp]
  }
  return out;
}

/** What was served between two readings, per placement; writes (POST, PUT, PATCH, DELETE) totalled apart. */
export function requestsPer(before: RequestCounts, after: RequestCounts, per: number): { perPlacement: Record<string, number>; writesPerPlacement: number } {
  const perPlacement: Record<string, number> = {};
  let writes = 0;
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d <= 0) continue;
    perPlacement[k] = +(d / per).toFixed(2);
    if (/^(POST|PUT|PATCH|DELETE|APPLY) /.test(k)) writes += d;
  }
  return { perPlacement, writesPerPlacement: +(writes / per).toFixed(2) };
}
