/**
 * The registered kinds: a new kind is a folder under src/kinds/ (whose index.ts default-exports its KindModule) and
 * one line here; then `npm run manifests` (see the README's "Add a kind"). The order is the order of the generated
 * manifests and of the watch registrations.
 */
import type { KindModule } from './kind.js';

export const KINDS: readonly KindModule[] = [
  (await import('./storage-pool/index.js')).default,
  (await import('./antstor-volume/index.js')).default,
  (await import('./antstor-snapshot/index.js')).default,
  (await import('./volume-migration/index.js')).default,
  (await import('./antstor-volume-group/index.js')).default,
  (await import('./antstor-data-control/index.js')).default,
];

export type { KindModule, WatchContext } from './kind.js';
