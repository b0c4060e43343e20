/** `dev --demo`: sample pools and volumes, and where each volume landed. */
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../api/constants.js';
import type { AntstorVolume } from '../api/types.js';

const GiB = 2 ** 30;

/** `cli`: how to run the CLI from where `dev` was started (e.g. `node dist/src/cli.js`), for the explain hint. */
export async function runDemo(kc: KubeConfig, namespace: string, out: (s: string) => void, cli = 'disk-controller'): Promise<void> {
  const co = kc.makeApiClient(CustomObjectsApi);
  const G = { group: GROUP, version: VERSION, namespace };
  const pools = [
    { name: 'demo-node-1', gib: 100, zone: 'a' },
    { name: 'demo-node-2', gib: 200, zone: 'a' },
    { name: 'demo-node-3', gib: 50, zone: 'b' },
  ];
  for (const p of pools) {
    await co.createNamespacedCustomObject({
      ...G,
      plural: PLURAL_POOL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'StoragePool',
        metadata: { name: p.name, labels: { 'obnvmf/node-sn': p.name, zone: p.zone } },
        spec: {
          nodeInfo: { id: p.name, ip: '192.0.2.1', hostname: p.name, labels: { 'topology.kubernetes.io/zone': p.zone } },
          kernelLvm: { name: 'vg0', vgUUID: randomUUID(), bytes: p.gib * GiB },
        },
      },
    });
    await co.patchNamespacedCustomObjectStatus(
      {
        ...G,
        plural: PLURAL_POOL,
        name: p.name,
        body: { status: { status: 'ready', capacity: { storage: `${p.gib}Gi` }, vgFreeSize: `${p.gib}Gi`, conditions: [{ type: 'Spdk', status: 'OK' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
  const vols: { name: string; gib: number; host?: string; annotations?: Record<string, string>; position?: string }[] = [
    { name: 'demo-vol-local', gib: 20, host: 'demo-node-1', position: 'MustLocal' },
    { name: 'demo-vol-prefer-remote', gib: 10, host: 'demo-node-1', position: 'PreferRemote' },
    { name: 'demo-vol-zone-b', gib: 10, host: 'demo-node-2', annotations: { 'obnvmf/pool-label-selector': 'zone=b' } },
    { name: 'demo-vol-big', gib: 150, host: 'demo-node-2', position: 'PreferLocal' },
    { name: 'demo-vol-too-big', gib: 500, host: 'demo-node-2' },
  ];
  for (const v of vols) {
    await co.createNamespacedCustomObject({
      ...G,
      plural: PLURAL_VOLUME,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'AntstorVolume',
        metadata: { name: v.name, annotations: v.annotations ?? {} },
        spec: {
          uuid: randomUUID(),
          sizeByte: v.gib * GiB,
          ...(v.position ? { positionAdvice: v.position } : {}),
          ...(v.host ? { hostNode: { id: v.host, ip: '192.0.2.9', hostname: v.host } } : {}),
        },
      },
    });
  }
  const deadline = Date.now() + 60_000;
  let done: AntstorVolume[] = [];
  while (Date.now() < deadline) {
    const items = ((await co.listNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME })) as { items: AntstorVolume[] }).items;
    done = items.filter((x) => vols.some((v) => v.name === x.metadata.name) && (x.spec.targetNodeId || x.status?.msg));
    if (done.length === vols.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  out('demo: where each volume landed');
  for (const v of vols) {
    const x = done.find((d) => d.metadata.name === v.name);
    out(`  ${v.name.padEnd(24)} ${String(v.gib).padStart(4)} GiB  ->  ${x?.spec.targetNodeId || `not placed: ${x?.status?.msg ?? 'pending'}`}`);
  }
  out('demo: try, in another shell with the two exports above:');
  out(`  ${cli} explain ${namespace}/demo-vol-zone-b`);
}
