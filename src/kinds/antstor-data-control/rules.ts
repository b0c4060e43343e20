/**
 * LiteIO's data-control reconciler as a pure decision (data_control_reconciler.go, liteio.md §10): wait for every
 * volume group to be ready, give every member the DataControl's host, take the host as target (KernelLVM), then copy
 * the CSI publish parameters to members that have none. One write per pass.
 */
import { Labels } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import type { AntstorVolumeGroup } from '../antstor-volume-group/types.js';
import type { AntstorDataControl } from './types.js';

export type DataControlStep =
  | { kind: 'idle'; why: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'wait'; on: 'group'; message: string }
  | { kind: 'setMemberHost'; member: { namespace: string; name: string } }
  | { kind: 'bind'; targetNodeId: string; labels: Record<string, string> }
  | { kind: 'copyPubParams'; member: { namespace: string; name: string } };

export interface DataControlFacts {
  dc: AntstorDataControl;
  /** The groups of spec.volumeGroups by `ns/name` (undefined: not found). */
  groups: Map<string, AntstorVolumeGroup | undefined>;
  /** Their members by `ns/name` (undefined: not found). */
  members: Map<string, AntstorVolume | undefined>;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

export function decideDataControlStep(f: DataControlFacts): DataControlStep {
  const dc = f.dc;
  if (dc.metadata.deletionTimestamp) return { kind: 'idle', why: 'deleting (nothing to undo, as LiteIO)' };
  const engine = dc.spec.engineType;
  if (engine !== 'KernelLVM' && engine !== 'SpdkLVStore') return { kind: 'invalid', message: `invalid type ${engine ?? ''}: spec.engineType must be KernelLVM or SpdkLVStore` };
  const refs = dc.spec.volumeGroups ?? [];
  for (const r of refs) {
    const g = f.groups.get(key(r.namespace, r.name));
    if (g?.status?.status !== 'ready') return { kind: 'wait', on: 'group', message: `VolumeGroup ${r.namespace}/${r.name} is not ready yet (${g ? g.status?.status || 'creating' : 'not found'})` };
  }
  const memberRefs = refs.flatMap((r) => (f.groups.get(key(r.namespace, r.name))?.spec.volumes ?? []).map((m) => ({ namespace: m.volId.namespace || r.namespace, name: m.volId.name })));
  if (!dc.spec.targetNodeId) {
    if (engine === 'SpdkLVStore') return { kind: 'invalid', message: 'engineType SpdkLVStore is not supported yet (as in LiteIO): the DataControl is not scheduled' };
    const host = dc.spec.hostNode?.id;
    if (!host) return { kind: 'invalid', message: 'spec.hostNode.id is empty: a KernelLVM DataControl runs on its host' };
    for (const m of memberRefs) {
      const v = f.members.get(key(m.namespace, m.name));
      if (!v) return { kind: 'wait', on: 'group', message: `member ${m.namespace}/${m.name} not found` };
      if (JSON.stringify(v.spec.hostNode ?? null) !== JSON.stringify(dc.spec.hostNode)) return { kind: 'setMemberHost', member: m };
    }
    return { kind: 'bind', targetNodeId: host, labels: { [Labels.TargetNodeId]: host } };
  }
  if (dc.status?.csiNodePubParams) {
    for (const m of memberRefs) {
      const v = f.members.get(key(m.namespace, m.name));
      if (v && !v.status?.csiNodePubParams?.targetPath) return { kind: 'copyPubParams', member: m };
    }
  }
  return { kind: 'idle', why: `on ${dc.spec.targetNodeId}` };
}
