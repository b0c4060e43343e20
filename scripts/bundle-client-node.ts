/**
 * Build step after tsc: replaces dist/src/kube/client-node.js (tsc's plain re-export of @kubernetes/client-node)
 * with an esbuild bundle of only the exports that module names, tree-shaken and minified. Loading client-node's
 * package entry costs ~27 MiB of live heap and ~70 MiB of RSS; the bundle ~9 MiB and ~18 MiB (src/kube/client-node.ts
 * says why, README -> Performance -> v0.19.0 what it did to the controller).
 *
 * It bundles from the TypeScript source, so running it twice, or after a tsc that did not re-emit, gives the same
 * file. Usage: node dist/scripts/bundle-client-node.js [outfile] (default: dist/src/kube/client-node.js).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../src/embedded/bins.js';

export const CLIENT_NODE_ENTRY = join(REPO_ROOT, 'src/kube/client-node.ts');
export const CLIENT_NODE_OUT = join(REPO_ROOT, 'dist/src/kube/client-node.js');
/** The bundle's first line. Some of client-node's dependencies are CommonJS and call require(); an ES module has none. */
export const CLIENT_NODE_BANNER = "import { createRequire as __clientNodeRequire } from 'node:module'; const require = __clientNodeRequire(import.meta.url);";

export async function bundleClientNode(outfile = CLIENT_NODE_OUT): Promise<void> {
  await build({
    entryPoints: [CLIENT_NODE_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // Class names stay readable in errors and logs (~0.6 MiB of heap).
    keepNames: true,
    // A linked map: stack traces through the bundle map back under --enable-source-maps.
    sourcemap: true,
    banner: { js: CLIENT_NODE_BANNER },
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleClientNode(process.argv[2]);
}
