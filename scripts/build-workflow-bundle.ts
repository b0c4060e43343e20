/** Prebuilds the workflow bundle for production images (the worker then starts without webpack). */
import { writeFileSync } from 'node:fs';
import { bundleWorkflows } from '../src/workflow-bundle.js';

const out = process.argv[2] ?? 'dist/workflow-bundle.js';
const { code } = await bundleWorkflows();
writeFileSync(out, code);
console.log(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
