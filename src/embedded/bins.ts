/**
 * Where the Go-built binaries are: TEMPORAL_CLI_PATH / KUBEBUILDER_ASSETS when set, else the build cache that
 * scripts/build-bins.sh fills (outside git). Mirrors scripts/bin-dir.sh.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (works from src/ and from dist/src/). */
export const REPO_ROOT = (() => {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'versions.sh'))) return dir;
    dir = join(dir, '..');
  }
  return process.cwd();
})();

export function pinnedVersions(): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, 'scripts', 'versions.sh'), 'utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z0-9_]+)=(\S+)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

export function binCacheDir(): string {
  const v = pinnedVersions();
  const base = process.env['DC_BIN_CACHE'] || join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'disk-controller-temporal');
  return join(base, `temporal-${v['TEMPORAL_CLI_VERSION']}-k8s-${v['K8S_VERSION']}-etcd-${v['ETCD_VERSION']}`);
}

function find(name: string, override: string | undefined): string {
  const p = override || join(binCacheDir(), name);
  if (!existsSync(p))
    throw new Error(`${name} binary not found at ${p}: run "npm run build-bins" (builds it from Go modules into the cache)`);
  return p;
}

export const temporalCliPath = () => find('temporal', process.env['TEMPORAL_CLI_PATH']);
export const kubeApiserverPath = () =>
  find('kube-apiserver', process.env['KUBEBUILDER_ASSETS'] ? join(process.env['KUBEBUILDER_ASSETS'], 'kube-apiserver') : undefined);
export const etcdPath = () => find('etcd', process.env['KUBEBUILDER_ASSETS'] ? join(process.env['KUBEBUILDER_ASSETS'], 'etcd') : undefined);
export const kubectlPath = () => find('kubectl', process.env['KUBECTL_PATH']);
