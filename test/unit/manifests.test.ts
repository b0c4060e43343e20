/** The reconciler seam: the generated manifests and bundle entry are current, and every kind is wired once. */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { KINDS } from '../../src/kinds/index.js';
import { renderCrds, renderRbac, renderWorkflowIndex } from '../../src/kinds/manifests.js';
import { GROUP } from '../../src/api/constants.js';

const stale = 'is stale: run `npm run manifests`';

describe('reconciler seam: kinds registered in src/kinds/index.ts', () => {
  it('deploy/crds holds exactly the registered kinds’ CRDs, as generated', () => {
    const crds = renderCrds(KINDS, REPO_ROOT);
    const dir = join(REPO_ROOT, 'deploy', 'crds');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort(), [...crds.keys()].sort(), `deploy/crds ${stale}`);
    for (const [f, text] of crds) assert.equal(readFileSync(join(dir, f), 'utf8'), text, `deploy/crds/${f} ${stale}`);
  });

  it('deploy/rbac.yaml and src/workflows/index.ts are as generated', () => {
    assert.equal(readFileSync(join(REPO_ROOT, 'deploy', 'rbac.yaml'), 'utf8'), renderRbac(KINDS), `deploy/rbac.yaml ${stale}`);
    assert.equal(readFileSync(join(REPO_ROOT, 'src', 'workflows', 'index.ts'), 'utf8'), renderWorkflowIndex(KINDS), `src/workflows/index.ts ${stale}`);
  });

  it('each kind’s folder has its CRD (matching kind and plural) and a workflow module', () => {
    for (const k of KINDS) {
      const dir = join(REPO_ROOT, 'src', 'kinds', k.folder);
      const crd = parse(readFileSync(join(dir, 'crd.yaml'), 'utf8'));
      assert.equal(crd.spec.names.kind, k.kind, `${k.folder}/crd.yaml kind`);
      assert.equal(crd.spec.names.plural, k.plural, `${k.folder}/crd.yaml plural`);
      assert.equal(crd.spec.group, GROUP);
      assert.equal(crd.metadata.name, `${k.plural}.${GROUP}`);
      assert.ok(existsSync(join(dir, 'workflow.ts')), `${k.folder}/workflow.ts`);
    }
  });

  it('the ClusterRole lets each kind read, watch and patch its objects and their status', () => {
    const docs = parseAllDocuments(renderRbac(KINDS)).map((d) => d.toJSON());
    const role = docs.find((d) => d.kind === 'ClusterRole');
    const allows = (resource: string, verb: string) =>
      role.rules.some((r: { apiGroups: string[]; resources: string[]; verbs: string[] }) => r.apiGroups.includes(GROUP) && r.resources.includes(resource) && r.verbs.includes(verb));
    for (const k of KINDS) {
      for (const verb of ['get', 'list', 'watch', 'patch']) assert.ok(allows(k.plural, verb), `${k.kind}: ${verb} ${k.plural}`);
      assert.ok(allows(`${k.plural}/status`, 'patch'), `${k.kind}: patch ${k.plural}/status`);
    }
  });

  it('kinds are distinct and their activities do not collide', async () => {
    for (const key of ['kind', 'plural', 'cacheKey', 'folder'] as const) assert.equal(new Set(KINDS.map((k) => k[key])).size, KINDS.length, `${key} repeated`);
    const { createActivities } = await import('../../src/activities/index.js');
    const dup = [KINDS[0]!, KINDS[0]!];
    assert.throws(() => createActivities({} as never, dup), /already registered by another kind/);
  });

  it('deploy/deployment.yaml and the README deploy the image of this version', () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const dep = parse(readFileSync(join(REPO_ROOT, 'deploy', 'deployment.yaml'), 'utf8')) as { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(dep.spec.template.spec.containers[0]!.image, `disk-controller-temporal:${version}`);
    const tags = [...readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').matchAll(/disk-controller-temporal:(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    assert.ok(tags.length > 0);
    assert.deepEqual([...new Set(tags)], [version]);
  });
});
