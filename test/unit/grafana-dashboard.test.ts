/** deploy/grafana-dashboard.json: valid JSON whose every query names only metrics the controller exports. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { registry } from '../../src/metrics/registry.js';

describe('Grafana dashboard', () => {
  it('queries only metrics the registry defines, and shows each of them', async () => {
    const d = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const defined = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const p of d.panels)
      for (const t of p.targets)
        for (const m of t.expr.match(/disk_controller_[a-z_]+/g) ?? []) used.add(m.replace(/_(bucket|sum|count)$/, ''));
    for (const m of used) assert.ok(defined.has(m), `dashboard queries ${m}, which the controller does not export`);
    for (const m of ['placements_total', 'volume_bind_latency_seconds', 'pending_volumes', 'pool_capacity_bytes', 'pool_bound_bytes', 'pool_free_bytes', 'plugin_failures_total', 'workflow_task_failures_total'])
      assert.ok(used.has(`disk_controller_${m}`), `dashboard shows disk_controller_${m}`);
  });
});
