// Generated from src/kinds/index.ts by `npm run manifests`; edit that list instead.
/** Workflow entry point for the worker bundle: every exported function is a workflow type. */
export * from '../kinds/storage-pool/workflow.js';
export * from '../kinds/antstor-volume/workflow.js';
export * from '../kinds/antstor-snapshot/workflow.js';
export * from '../kinds/volume-migration/workflow.js';
export * from '../kinds/antstor-volume-group/workflow.js';
export * from '../kinds/antstor-data-control/workflow.js';
export * from './metasync.js';
