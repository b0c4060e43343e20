/**
 * The first module of a Temporal workflow thread when workflow stack traces are off (WORKFLOW_STACK_TRACES=0, the
 * default): it keeps the SDK from installing its promise hook, then runs the SDK's own thread module unchanged.
 *
 * Why: for the Temporal UI's "Stack Trace" tab, the SDK's hook records a stack trace for every promise workflow code
 * creates — a new Error, each frame looked up in the bundle's source map — and keeps it until the promise settles.
 * A pool's workflow keeps ~15 promises pending (its handlers' and main loop's conditions and timers), so at 1,000
 * pools that is ~25 MiB of live stack traces (measured from heap snapshots of the pools' thread, README), and every
 * workflow task pays the lookups. The SDK has no option for it; without a hook it reports stack traces as "not
 * enabled on this worker" when asked, and a failure's stack is still source-mapped (that part is not the hook).
 */
import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';

export interface ThreadEntryData {
  /** The SDK's thread module, as the SDK named it. */
  sdkThread: string;
}

/** The part of the SDK's `vm-shared` module (beside its thread module) this entry changes. */
interface SdkGlobalHandlers {
  promiseHookInstalled: boolean;
  setPromiseHook(): void;
}

const data = workerData as ThreadEntryData | undefined;
if (data?.sdkThread) {
  const sdkRequire = createRequire(data.sdkThread);
  // The SDK installs its hook from `globalHandlers.install()` when the first bundle loads; with this no-op it
  // records that no hook is installed, and creates every workflow with `stackTracesEnabled: false`. (Not by
  // making v8.promiseHooks.createHook fail: Node's own AsyncLocalStorage calls it too, from the same object.)
  const { globalHandlers } = sdkRequire('./vm-shared') as { globalHandlers?: SdkGlobalHandlers };
  if (globalHandlers && typeof globalHandlers.setPromiseHook === 'function') {
    globalHandlers.setPromiseHook = function setPromiseHook(this: SdkGlobalHandlers) {
      this.promiseHookInstalled = false;
    };
  }
  sdkRequire(data.sdkThread);
}
