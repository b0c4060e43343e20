/** Prebuilds the workflow bundle for production images (the worker then starts without webpack). */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/operator.js';

const out = process.argv[2] ?? 'dist/workflow-bundle.js';
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
writeFileSync(out, code);
console.log(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
