/** `npm run manifests`: writes deploy/crds, deploy/rbac.yaml and src/workflows/index.ts from src/kinds (see src/kinds/manifests.ts). */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/embedded/bins.js';
import { KINDS } from '../src/kinds/index.js';
import { renderCrds, renderRbac, renderWorkflowIndex } from '../src/kinds/manifests.js';

const crdDir = join(REPO_ROOT, 'deploy', 'crds');
const crds = renderCrds(KINDS, REPO_ROOT);
for (const f of readdirSync(crdDir)) if (f.endsWith('.yaml') && !crds.has(f)) rmSync(join(crdDir, f));
for (const [f, text] of crds) writeFileSync(join(crdDir, f), text);
writeFileSync(join(REPO_ROOT, 'deploy', 'rbac.yaml'), renderRbac(KINDS));
writeFileSync(join(REPO_ROOT, 'src', 'workflows', 'index.ts'), renderWorkflowIndex(KINDS));
console.log(`wrote ${crds.size} CRDs, deploy/rbac.yaml and src/workflows/index.ts for ${KINDS.map((k) => k.kind).join(', ')}`);
