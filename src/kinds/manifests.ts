/**
 * What `npm run manifests` writes from the registered kinds (the kubebuilder way: generated, committed, and a unit
 * test fails when they are stale): deploy/crds/<group>_<plural>.yaml from each kind's crd.yaml, the ClusterRole in
 * deploy/rbac.yaml from each kind's rules, and src/workflows/index.ts, the workflow bundle's entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { GROUP } from '../api/constants.js';
import type { KindModule, RbacRule } from './kind.js';

/** Rules every kind's reconciler shares: Events on its objects, Nodes (LockPool, orphans), Leases (heartbeats). */
const COMMON_RULES: RbacRule[] = [
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'delete'] },
];

/** Workflows that belong to no kind (MetaSync mirrors every kind into MySQL). */
const SHARED_WORKFLOW_MODULES = ['./metasync.js'];

const generated = (from: string) => `# Generated from ${from} by \`npm run manifests\`; edit that file instead.\n`;

export function renderCrds(kinds: readonly KindModule[], repoRoot: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of kinds) {
    const src = `src/kinds/${k.folder}/crd.yaml`;
    const text = readFileSync(join(repoRoot, src), 'utf8');
    out.set(`${GROUP}_${k.plural}.yaml`, generated(src) + text);
  }
  return out;
}

export function renderRbac(kinds: readonly KindModule[]): string {
  // Lists of plain values in flow style ([get, list, watch]), as people write RBAC by hand.
  const doc = (o: object) => {
    const d = new Document(o);
    visit(d, { Seq: (_k, node) => void (node.items.every(isScalar) && (node.flow = true)) });
    return d.toString({ lineWidth: 0 });
  };
  return [
    generated('the rbac fragments of src/kinds/*/index.ts') + '# What the Disk-Controller needs, and nothing more.\n' +
      doc({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'disk-controller', namespace: 'obnvmf' } }),
    doc({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'disk-controller' },
      rules: [...kinds.flatMap((k) => k.rbac), ...COMMON_RULES],
    }),
    doc({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'disk-controller' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'disk-controller' },
      subjects: [{ kind: 'ServiceAccount', name: 'disk-controller', namespace: 'obnvmf' }],
    }),
  ].join('---\n');
}

export function renderWorkflowIndex(kinds: readonly KindModule[]): string {
  const lines = [
    '// Generated from src/kinds/index.ts by `npm run manifests`; edit that list instead.',
    '/** Workflow entry point for the worker bundle: every exported function is a workflow type. */',
    ...kinds.map((k) => `export * from '../kinds/${k.folder}/workflow.js';`),
    ...SHARED_WORKFLOW_MODULES.map((m) => `export * from '${m}';`),
  ];
  return lines.join('\n') + '\n';
}
