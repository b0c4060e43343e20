/** LiteIO's row mappings (syncmeta/types.go, volgroup.go, datacontrol.go). Pure. */
import { Labels } from '../../api/constants.js';
import { MAX_EXACT_BYTES, poolTotalBytes, poolVgFreeBytes } from '../../api/objects.js';
import type { AntstorVolume, StoragePool } from '../../api/types.js';
import type { AntstorDataControl } from '../../kinds/antstor-data-control/types.js';
import { GroupLabels, type AntstorVolumeGroup } from '../../kinds/antstor-volume-group/types.js';

export type Row = Record<string, string | number>;

/**
 * A byte count for a BIGINT UNSIGNED column: a negative or absurd value an older CRD let in would make MySQL
 * refuse the row (and with it the whole flush, forever), so it is written as 0 — the controller reports it.
 */
const bytesColumn = (n: number): number => (Number.isSafeInteger(n) && n >= 0 && n <= MAX_EXACT_BYTES ? n : 0);

export function poolRow(p: StoragePool): Row {
  const spdk = !!p.spec?.spdkLVStore?.name;
  const lvm = !!p.spec?.kernelLvm?.name;
  return {
    name: p.metadata.name!,
    vg_type: spdk ? 'SpdkLVol' : lvm ? 'KernelLVol' : '',
    vg_name: spdk ? p.spec.spdkLVStore!.name! : lvm ? p.spec.kernelLvm!.name! : '',
    reserved_vol: JSON.stringify(p.spec?.kernelLvm?.reservedLVol?.length ? p.spec.kernelLvm.reservedLVol : null),
    total_size: bytesColumn(poolTotalBytes(p)),
    free_size: bytesColumn(Math.max(0, poolVgFreeBytes(p))),
    node_id: p.spec?.nodeInfo?.id ?? '',
    node_ip: p.spec?.nodeInfo?.ip ?? '',
    node_hostname: p.spec?.nodeInfo?.hostname ?? '',
    status: p.status?.status ?? '',
  };
}

export function volumeRow(v: AntstorVolume): Row {
  const s = v.spec ?? ({} as AntstorVolume['spec']);
  const t = s.spdkTarget ?? {};
  const ctx = v.status?.csiNodePubParams?.volumeContext ?? {};
  return {
    name: v.metadata.name!,
    uid: s.uuid ?? '',
    labels: JSON.stringify(v.metadata.labels ?? {}),
    pvc_ns: v.metadata.labels?.[Labels.PVCNamespace] ?? '',
    pvc_name: v.metadata.labels?.[Labels.PVCName] ?? '',
    lvol_dev_path: s.kernelLvol?.devPath ?? '',
    // LiteIO stores the LVS name (not the lvol name) for SPDK volumes; kept for compatibility.
    lvol_name: s.kernelLvol?.name || s.spdkLvol?.lvsName || '',
    is_thin: 0,
    position_advice: s.positionAdvice ?? '',
    size: bytesColumn(s.sizeByte ?? 0),
    t_node_id: s.targetNodeId ?? '',
    h_node_id: s.hostNode?.id ?? '',
    h_node_ip: s.hostNode?.ip ?? '',
    h_node_hostname: s.hostNode?.hostname ?? '',
    spdk_subsys_nqn: t.subsysNqn ?? '',
    spdk_svc_id: t.svcID ?? '',
    spdk_sn: t.sn ?? '',
    spdk_trans_type: t.transType ?? '',
    spdk_bdev_name: t.bdevName ?? '',
    spdk_ns_uuid: t.nsUuid ?? '',
    spdk_address: t.address ?? '',
    csi_staging_path: v.status?.csiNodePubParams?.stagingTargetPath ?? '',
    csi_publish_path: v.status?.csiNodePubParams?.targetPath ?? '',
    pod_ns: ctx['csi.storage.k8s.io/pod.namespace'] ?? '',
    pod_name: ctx['csi.storage.k8s.io/pod.name'] ?? '',
    status: v.status?.status ?? '',
  };
}

/** antstor_volgroup (syncmeta/volgroup.go). */
export function volumeGroupRow(g: AntstorVolumeGroup): Row {
  return {
    name: g.metadata.name!,
    uid: g.spec?.uuid ?? '',
    size: Number.isSafeInteger(g.spec?.totalSize) ? g.spec.totalSize : 0,
    data_control_name: g.metadata.labels?.[GroupLabels.DataControlName] ?? '',
    volumes: JSON.stringify(g.spec?.volumes ?? null),
    status: g.status?.status ?? '',
  };
}

/** antstor_datacontrol (syncmeta/datacontrol.go). */
export function dataControlRow(d: AntstorDataControl): Row {
  const ctx = d.status?.csiNodePubParams?.volumeContext ?? {};
  return {
    name: d.metadata.name!,
    uid: d.spec?.uuid ?? '',
    raid_level: d.spec?.raid?.level ?? '',
    t_node_id: d.spec?.targetNodeId ?? '',
    engine_type: d.spec?.engineType ?? '',
    lvm_vg: d.spec?.lvm?.vg ?? '',
    lvm_lv: d.spec?.lvm?.lvol ?? '',
    pvc_ns: d.metadata.labels?.[Labels.PVCNamespace] ?? '',
    pvc_name: d.metadata.labels?.[Labels.PVCName] ?? '',
    h_node_id: d.spec?.hostNode?.id ?? '',
    h_node_ip: d.spec?.hostNode?.ip ?? '',
    h_node_hostname: d.spec?.hostNode?.hostname ?? '',
    pod_ns: ctx['csi.storage.k8s.io/pod.namespace'] ?? '',
    pod_name: ctx['csi.storage.k8s.io/pod.name'] ?? '',
    status: d.status?.status ?? '',
  };
}

/** A row's version: the object's resourceVersion as a number (0 when it is not a plain integer). */
export const rowVersion = (resourceVersion: string | undefined): number => (resourceVersion && /^\d+$/.test(resourceVersion) ? Number(resourceVersion) : 0);
