/** What a volume's workflow acts on: everything but status and the API server's own bookkeeping. */
import type { AntstorVolume } from '../../api/types.js';

export function volumeWakeKey(v: AntstorVolume): string {
  const m = v.metadata;
  return JSON.stringify([v.spec, m.labels, m.annotations, m.finalizers, m.deletionTimestamp, m.uid]);
}
