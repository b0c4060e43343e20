/** Workflow entry point for the worker bundle. */
export { volumeWorkflow } from './volume.js';
export { poolWorkflow } from './pool.js';
export { metaSyncWorkflow } from './metasync.js';
