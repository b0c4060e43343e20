/** `dev --demo`: sample pools and volumes and where each landed; a volume group and a migration. */
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '../kube/client-node.js';
import { GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../api/constants.js';
import type { AntstorVolume } from '../api/types.js';
import { PLURAL_GROUP, type AntstorVolumeGroup } from '../kinds/antstor-volume-group/types.js';
import { PLURAL_MIGRATION, type VolumeMigration } from '../kinds/volume-migration/types.js';

const GiB = 2 ** 30;

/** `cli`: how to run the CLI from where `dev` was started (e.g. `node dist/src/cli.js`), for the explain hint. */
export async function runDemo(kc: KubeConfig, namespace: string, out: (s: string) => void, cli = 'disk-controller'): Promise<void> {
  const co = kc.makeApiClient(CustomObjectsApi);
  const G = { group: GROUP, version: VERSION, namespace };
  const pools = [
    { name: 'demo-node-1', gib: 100, zone: 'a' },
    { name: 'demo-node-2', gib: 200, zone: 'a' },
    { name: 'demo-node-3', gib: 50, zone: 'b' },
    // SPDK pools, for the migration.
    { name: 'demo-spdk-1', gib: 50, zone: 'c', spdk: true },
    { name: 'demo-spdk-2', gib: 50, zone: 'c', spdk: true },
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
          ...(p.spdk ? { spdkLVStore: { name: 'lvs0', uuid: randomUUID(), bytes: p.gib * GiB } } : { kernelLvm: { name: 'vg0', vgUUID: randomUUID(), bytes: p.gib * GiB } }),
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
  const vols: { name: string; gib: number; host?: string; annotations?: Record<string, string>; position?: string; type?: string }[] = [
    { name: 'demo-vol-local', gib: 20, host: 'demo-node-1', position: 'MustLocal' },
    { name: 'demo-vol-prefer-remote', gib: 10, host: 'demo-node-1', position: 'PreferRemote' },
    { name: 'demo-vol-zone-b', gib: 10, host: 'demo-node-2', annotations: { 'obnvmf/pool-label-selector': 'zone=b' } },
    { name: 'demo-vol-big', gib: 150, host: 'demo-node-2', position: 'PreferLocal' },
    { name: 'demo-vol-too-big', gib: 500, host: 'demo-node-2' },
    { name: 'demo-vol-spdk', gib: 5, host: 'demo-spdk-1', position: 'PreferLocal', type: 'SpdkLVol' },
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
          ...(v.type ? { type: v.type } : {}),
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
  await demoGroupAndMigration(co, namespace, out);
  out('demo: try, in another shell with the two exports above:');
  out(`  ${cli} explain ${namespace}/demo-vol-zone-b`);
}

/**
 * A volume group (its members held on the pools, then created and placed) and a migration of the SPDK volume (the
 * destination placed on the other SPDK pool; the demo stands in for the volumes' agents, not for the migration's,
 * so it stops where the agents would connect the pipe).
 */
async function demoGroupAndMigration(co: CustomObjectsApi, namespace: string, out: (s: string) => void): Promise<void> {
  const G = { group: GROUP, version: VERSION, namespace };
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  await co.createNamespacedCustomObject({
    ...G,
    plural: PLURAL_GROUP,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'AntstorVolumeGroup',
      metadata: { name: 'demo-group' },
      spec: {
        uuid: randomUUID(),
        totalSize: 60 * GiB,
        desiredVolumeSpec: { sizeSymmetry: 'Asymmetric', countRange: { max: 3 }, sizeRange: { min: '10Gi', max: '30Gi' }, annotations: { 'obnvmf/pool-label-selector': 'zone=a' } },
        stragety: { name: 'BestFit', allowEmptyNode: true },
      },
    },
  });
  // The SPDK volume's agent stands in here: the volume is ready, with its NVMe-oF target.
  await waitFor(async () => !!((await co.getNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name: 'demo-vol-spdk' })) as AntstorVolume).spec.targetNodeId);
  await co.patchNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name: 'demo-vol-spdk', body: { spec: { spdkTarget: { subsysNqn: 'nqn.2026-12.io.demo:vol', nsUuid: randomUUID(), address: '192.0.2.1' } } } }, merge);
  await co.patchNamespacedCustomObjectStatus({ ...G, plural: PLURAL_VOLUME, name: 'demo-vol-spdk', body: { status: { status: 'ready' } } }, merge);
  await co.createNamespacedCustomObject({
    ...G,
    plural: PLURAL_MIGRATION,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'VolumeMigration', metadata: { name: 'demo-migration' }, spec: { sourceVolume: { namespace, name: 'demo-vol-spdk' } } },
  });
  const group = await waitFor(async () => {
    const g = (await co.getNamespacedCustomObject({ ...G, plural: PLURAL_GROUP, name: 'demo-group' })) as AntstorVolumeGroup;
    if (!g.spec.volumes?.length) return undefined;
    const members = await Promise.all(g.spec.volumes.map((m) => co.getNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name: m.volId.name }).catch(() => undefined) as Promise<AntstorVolume | undefined>));
    return members.every((m) => m?.spec.targetNodeId) ? g : undefined;
  });
  out('demo: volume group demo-group (60 GiB): every member held on its pool before any was created, then placed');
  for (const m of group?.spec.volumes ?? []) out(`  ${m.volId.name.padEnd(24)} ${String(m.size / GiB).padStart(4)} GiB  ->  ${m.targetNodeName}`);
  // The destination's agent stands in too, once the scheduler has placed it: ready, with its target.
  const destName = await waitFor(async () => {
    const m = (await co.getNamespacedCustomObject({ ...G, plural: PLURAL_MIGRATION, name: 'demo-migration' })) as VolumeMigration;
    const name = m.spec.destVolume?.name;
    if (!name) return undefined;
    const d = (await co.getNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name })) as AntstorVolume;
    return d.spec.targetNodeId ? name : undefined;
  });
  if (destName) {
    await co.patchNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name: destName, body: { spec: { spdkTarget: { address: '192.0.2.2' } } } }, merge);
    await co.patchNamespacedCustomObjectStatus({ ...G, plural: PLURAL_VOLUME, name: destName, body: { status: { status: 'ready' } } }, merge);
  }
  const mig = await waitFor(async () => {
    const m = (await co.getNamespacedCustomObject({ ...G, plural: PLURAL_MIGRATION, name: 'demo-migration' })) as VolumeMigration;
    return m.status?.phase === 'SetupPipe' ? m : undefined;
  });
  const dest = mig?.spec.destVolume;
  out(`demo: migration demo-migration of demo-vol-spdk: phase ${mig?.status?.phase ?? 'pending'}, destination ${dest?.name ?? '?'} on ${dest?.targetNodeId ?? '?'}`);
  out(`  waiting for the agents: ${mig?.status?.message ?? ''}`);
}

/** Polls `f` until it returns something truthy (or 60 s pass: the demo prints what there is). */
async function waitFor<T>(f: () => Promise<T | undefined | false>): Promise<T | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}
