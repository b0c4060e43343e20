/**
 * How the workflow bundle is built, in one place for the worker, the replayer, the image and the tests.
 *
 * Our workflow modules are preloaded: evaluated once per workflow thread and shared by every workflow in it,
 * instead of once per workflow run. They hold no module state (constants, signal and query definitions, activity
 * proxies, pure functions), which is what the SDK's `preloadModules` requires. Measured with the SDK's reusable
 * V8 context: 60 KiB and 2.8 ms per workflow without it, 12 KiB and 1.9 ms with it — at 1,000 cached pool
 * workflows, ~47 MiB of the workflow thread's heap, and a module evaluation saved on every volume run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.js', import.meta.url));

export function workflowBundleOptions(logger?: BundleOptions['logger']): BundleOptions {
  return { workflowsPath: WORKFLOWS_PATH, preloadModules: [WORKFLOWS_PATH], ...(logger ? { logger } : {}) };
}

export function bundleWorkflows(logger?: BundleOptions['logger']): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode(workflowBundleOptions(logger));
}

/**
 * The bundle's inline source map, found as the SDK finds it (the last data-URL comment, base64 after `base64,`):
 * `head` is the code and the comment's prefix (webpack adds a charset), `map` the parsed map. Undefined without one.
 */
export function inlineSourceMap(code: string): { head: string; map: Record<string, unknown> } | undefined {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const b64 = at < 0 ? -1 : code.indexOf('base64,', at);
  if (b64 < 0) return undefined;
  const head = code.slice(0, b64 + 'base64,'.length);
  return { head, map: JSON.parse(Buffer.from(code.slice(head.length).trimEnd(), 'base64').toString('utf8')) as Record<string, unknown> };
}

/**
 * The bundle without the source text its inline source map carries (`sourcesContent`: ~0.7 MB of the ~2.1 MB
 * bundle), for workers that do not answer stack trace queries with source (WORKFLOW_STACK_TRACES off, the default).
 *
 * Why: the SDK keeps the bundle's code and its parsed source map in the main thread and in each workflow thread,
 * and the code again as each thread's script source: the source text was ~5 MiB of the controller's RSS. A failed
 * workflow task's stack is still mapped to file, line and column (`mappings` and `sources` stay); only the
 * Temporal UI's enhanced stack trace view, which needs stack traces on, shows source text.
 * A bundle without an inline map is returned as it is.
 */
export function withoutSourcesContent(code: string): string {
  const inline = inlineSourceMap(code);
  if (!inline || inline.map['sourcesContent'] === undefined) return code;
  const { sourcesContent: _, ...map } = inline.map;
  return `${inline.head}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

/** The bundle the workers load: `bundle` (built, or a prebuilt file), less its source text unless `keepSources`. */
export function workerWorkflowBundle(bundle: WorkflowBundleWithSourceMap | { codePath: string }, keepSources: boolean): { code: string } | { codePath: string } {
  if (keepSources) return bundle;
  return { code: withoutSourcesContent('codePath' in bundle ? readBundle(bundle.codePath) : bundle.code) };
}

function readBundle(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new Error(`workflow bundle (--workflow-bundle) ${path}: ${why}`);
  }
}
