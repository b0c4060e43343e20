/** The benchmark's profile helpers: API requests per placement from the API server's own counter. */
import assert from 'node:assert/strict';
import { parseRequestTotals, requestsPer } from '../../bench/apiserver-requests.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployedEnv, deployedMemoryEnv, deployedNodeOptions, withoutMemoryEnv } from '../../bench/workload.js';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { cpuCeiling } from '../../bench/proc-stats.js';

const sample = (patches: number, creates: number) => `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="volume.antstor.alipay.com",resource="antstorvolumes",scope="resource",subresource="",verb="PATCH",version="v1"} ${patches}
apiserver_request_total{code="409",component="apiserver",dry_run="",group="volume.antstor.alipay.com",resource="antstorvolumes",scope="resource",subresource="",verb="PATCH",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="volume.antstor.alipay.com",resource="antstorvolumes",scope="resource",subresource="status",verb="PATCH",version="v1"} ${patches} 1700000000000
apiserver_request_total{code="201",component="apiserver",dry_run="",group="volume.antstor.alipay.com",resource="antstorvolumes",scope="resource",subresource="",verb="POST",version="v1"} ${creates}
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="/readyz",verb="GET",version=""} 99
apiserver_request_total{code="0",component="apiserver",dry_run="",group="volume.antstor.alipay.com",resource="antstorvolumes",scope="namespace",subresource="",verb="WATCH",version="v1"} 3
apiserver_request_duration_seconds_count{verb="PATCH",resource="antstorvolumes"} 100000
`;

describe('bench: API requests per placement (apiserver_request_total)', () => {
  it('sums the counter by verb and resource/subresource, every response code together, skipping non-resource paths and other metrics', () => {
    const t = parseRequestTotals(sample(10, 4));
    assert.deepEqual(t, { 'PATCH antstorvolumes': 12, 'PATCH antstorvolumes/status': 10, 'POST antstorvolumes': 4, 'WATCH antstorvolumes': 3 });
  });

  it('divides what was served between two readings by the placements, and totals the writes apart', () => {
    const r = requestsPer(parseRequestTotals(sample(10, 4)), parseRequestTotals(sample(30, 14)), 10);
    assert.deepEqual(r.perPlacement, { 'PATCH antstorvolumes': 2, 'PATCH antstorvolumes/status': 2, 'POST antstorvolumes': 1 });
    assert.equal(r.writesPerPlacement, 5);
  });
});

describe('bench: the controller runs with the deployed Node flags', () => {
  it('reads NODE_OPTIONS of the operator container from deploy/deployment.yaml', () => {
    const text = readFileSync(join(REPO_ROOT, 'deploy', 'deployment.yaml'), 'utf8');
    const flags = deployedNodeOptions();
    assert.match(flags, /--max-old-space-size=\d+/);
    assert.ok(text.includes(`value: ${flags}`), 'the value written in the manifest');
  });

  it('passes the deployed MALLOC_* settings and NODE_OPTIONS, unless BENCH_CONTROLLER_* override them ("" for none)', () => {
    assert.match(deployedEnv('MALLOC_ARENA_MAX'), /^\d+$/);
    assert.match(deployedEnv('MALLOC_MMAP_THRESHOLD_'), /^\d+$/);
    assert.deepEqual(deployedMemoryEnv({}), {
      NODE_OPTIONS: deployedNodeOptions(),
      MALLOC_ARENA_MAX: deployedEnv('MALLOC_ARENA_MAX'),
      MALLOC_MMAP_THRESHOLD_: deployedEnv('MALLOC_MMAP_THRESHOLD_'),
    });
    assert.deepEqual(deployedMemoryEnv({ BENCH_CONTROLLER_MALLOC_ARENA_MAX: '', BENCH_CONTROLLER_MALLOC_MMAP_THRESHOLD: '', BENCH_CONTROLLER_NODE_OPTIONS: '' }), { NODE_OPTIONS: '' });
    assert.deepEqual(deployedMemoryEnv({ BENCH_CONTROLLER_MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX, '4');
    // The workflow threads' young generation is the operator's own default (not the Deployment's); the benchmark
    // passes an override through.
    assert.equal(deployedMemoryEnv({}).WORKFLOW_THREAD_YOUNG_MB, undefined);
    assert.equal(deployedMemoryEnv({ BENCH_CONTROLLER_WORKFLOW_THREAD_YOUNG_MB: '0' }).WORKFLOW_THREAD_YOUNG_MB, '0');
  });

  it('gives the controller none of the benchmark’s own memory settings', () => {
    const env = withoutMemoryEnv({ MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: '1', WORKFLOW_THREAD_YOUNG_MB: '3', POOL_PARK_IDLE_MS: '5' });
    assert.deepEqual(env, { POOL_PARK_IDLE_MS: '5' });
  });
});

describe('bench: the CPU ceiling of a workload', () => {
  // W1 with v0.19.0's defaults: 1,000 placements in 21.6 s on 2 cores, 43.3 s busy.
  const cpu = { wallSec: 21.6, cores: 2, machineBusySec: 43.3, byProcess: { controller: 13.3, 'kube-apiserver': 10.3, etcd: 1.7, temporal: 12.8, 'benchmark driver': 4.2 }, otherSec: 1 };

  it('divides each process\'s CPU by the items, and says what the cores allow with and without the controller', () => {
    const c = cpuCeiling(cpu, 1000)!;
    assert.deepEqual(c.msPerItem, { controller: 13.3, 'kube-apiserver': 10.3, etcd: 1.7, temporal: 12.8, 'benchmark driver': 4.2, other: 1 });
    assert.equal(c.totalMsPerItem, 43.3);
    assert.equal(c.ceilingPerSec, 46.2); // 2,000 ms of CPU per second / 43.3 ms per placement
    assert.equal(c.withoutControllerPerSec, 66.7); // 2,000 / (43.3 - 13.3)
  });

  it('gives nothing for no items or no CPU measured, and skips a process it could not read', () => {
    assert.equal(cpuCeiling(cpu, 0), undefined);
    assert.equal(cpuCeiling({ ...cpu, machineBusySec: 0 }, 1000), undefined);
    const c = cpuCeiling({ ...cpu, byProcess: { ...cpu.byProcess, postgres: NaN } }, 1000)!;
    assert.equal('postgres' in c.msPerItem, false);
  });
});
