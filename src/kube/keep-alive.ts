/**
 * API clients that reuse their connections. client-node 1.x builds a new https.Agent for every request, so every
 * call to the API server opens a new TLS connection: a full handshake on both sides (measured: the largest CPU
 * cost of a placement in the controller). Here the request still goes through the KubeConfig's own authentication
 * (tokens and exec credentials are read per request as before), and its fresh agent is swapped for a kept-alive
 * one with the same TLS material — one per distinct set, so rotated client certificates get a new pool.
 */
import { Agent, type AgentOptions } from 'node:https';
import { createConfiguration, ServerConfiguration, type Configuration, type KubeConfig, type RequestContext, type SecurityAuthentication } from './client-node.js';

const MAX_POOLS = 4;

function keyOf(o: AgentOptions): string {
  const s = (v: unknown): string => (v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : Array.isArray(v) ? v.map(s).join('|') : String(v));
  return [s(o.ca), s(o.cert), s(o.key), s(o.pfx), s(o.rejectUnauthorized), s(o.servername)].join('\n');
}

export function keepAliveAuth(kc: KubeConfig): SecurityAuthentication {
  const agents = new Map<string, Agent>();
  return {
    getName: () => 'keep-alive',
    async applySecurityAuthentication(ctx: RequestContext): Promise<void> {
      await kc.applySecurityAuthentication(ctx);
      const fresh = ctx.getAgent();
      if (!(fresh instanceof Agent)) return; // plain HTTP or a proxy agent: left as client-node made it
      const key = keyOf(fresh.options);
      let agent = agents.get(key);
      if (!agent) {
        agent = new Agent({ ...fresh.options, keepAlive: true, maxSockets: 32 });
        agents.set(key, agent);
        for (const [k, old] of agents) {
          if (agents.size <= MAX_POOLS) break;
          agents.delete(k);
          old.destroy();
        }
      }
      ctx.setAgent(agent);
    },
  };
}

/** `kc.makeApiClient(Api)` with kept-alive connections. */
export function makeKeepAliveApiClient<T>(kc: KubeConfig, auth: SecurityAuthentication, api: new (config: Configuration) => T): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig: no current cluster');
  return new api(createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: auth } }));
}
