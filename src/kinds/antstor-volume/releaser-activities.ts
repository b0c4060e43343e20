/**
 * The releaser's activity (v0.17.0, batched deletion): a batch of bound volumes being deleted, each with only the
 * controller's in-state finalizer left, is released from its pools' ledgers and then finalized. A deletion used to
 * wake the volume's parked run (a new run, a load, a finalize, then the watcher's deletion signal and a second
 * release); here a whole batch costs one activity in one workflow's history, and the API writes (one finalizer patch
 * per volume) set the pace. Whatever is not that common case goes to the volume's own workflow, which runs the full
 * path (deletion hooks, agent finalizers, the dead-pool grace and forced cleanup).
 */
import { Finalizers } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { ReleaserItem, ReleaserOutcome } from '../../workflows/messages.js';
import { releaseFromLedger } from '../storage-pool/ledger-activities.js';
import { mapLimit, startVolumeWorkflow } from './placer-activities.js';
import { releaserRefuses } from './releaser-rules.js';


/** Finalizer patches at once: the API server's write rate, not ours, is the limit (bench: merge patches, 16 at a time). */
const PATCHES_AT_ONCE = 16;
/** Release signals at once (each is one small RPC to the Temporal server). */
const SIGNALS_AT_ONCE = 32;

/** The volume with its deletion showing: the cache's copy when it shows it, else the API server's. */
async function readDeleting(d: ActivityDeps, it: ReleaserItem): Promise<AntstorVolume | undefined> {
  const c = d.cache.getVolume(it.ref.name);
  if (c && c.metadata.uid === it.ref.uid && c.metadata.deletionTimestamp) return c;
  const v = await d.kube.getVolume(it.ref.namespace, it.ref.name);
  return v && v.metadata.uid === it.ref.uid ? v : undefined;
}

export function releaserActivities(d: ActivityDeps) {
  return {
    /**
     * Releases then finalizes each volume of the batch: every ledger release goes out (and is accepted by the
     * server) before any finalizer is removed, so the bytes are free by the time anyone sees a volume gone. A volume
     * already gone is released all the same (the release is idempotent); one that is not the common case is handed
     * to its own workflow, untouched.
     */
    async releaserFinalize({ items }: { items: ReleaserItem[] }): Promise<ReleaserOutcome[]> {
      const withPlugins = (d.pluginNames?.AntstorVolume ?? []).some((n) => n !== 'MetaSync');
      const read = await mapLimit(items, PATCHES_AT_ONCE, async (it) => ({ it, v: await readDeleting(d, it) }));
      const out: ReleaserOutcome[] = [];
      const release: { it: ReleaserItem; v?: AntstorVolume }[] = [];
      const handOff: ReleaserItem[] = [];
      for (const { it, v } of read) {
        const why = v ? releaserRefuses(v, it.pool, withPlugins) : undefined;
        if (why) {
          handOff.push(it);
          out.push({ uid: it.ref.uid, result: 'handoff', why });
        } else release.push({ it, ...(v ? { v } : {}) });
      }
      for (const { it } of release) d.assumed?.forget(it.ref.uid);
      const open = await mapLimit(release, SIGNALS_AT_ONCE, ({ it }) => releaseFromLedger(d, { namespace: it.ref.namespace, name: it.pool }, it.ref.uid));
      const finalized = await mapLimit(release, PATCHES_AT_ONCE, async ({ it, v }): Promise<ReleaserOutcome> => {
        if (!v) return { uid: it.ref.uid, result: 'gone' };
        const { ref } = it;
        const res = await d.kube.updateVolume(
          ref.namespace,
          ref.name,
          // Guarded on the copy it reads: the same volume, still only our finalizer left (no finalizer can be added
          // to an object being deleted, so an agent's cannot appear meanwhile).
          (cur) =>
            cur.metadata.uid === ref.uid && !releaserRefuses(cur, it.pool, false)
              ? { metadata: { finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== Finalizers.InState) } }
              : null,
          5,
          v,
        );
        // Unchanged: finalized meanwhile by someone else (its own workflow, another replica), or gone and replaced.
        return { uid: ref.uid, result: res.changed ? 'released' : 'gone' };
      });
      out.push(...finalized);
      // A parked pool (no open ledger) had nothing to release, but one that came back between the release and the
      // patch adopted the volume from the API server, finalizer and all: released again now that the volume is gone.
      const parked = release.filter((_, i) => !open[i]);
      await mapLimit(parked, SIGNALS_AT_ONCE, ({ it }) => releaseFromLedger(d, { namespace: it.ref.namespace, name: it.pool }, it.ref.uid));
      // The full path: its own workflow loads the volume and finishes (or waits for) the deletion.
      await mapLimit(handOff, PATCHES_AT_ONCE, (it) => startVolumeWorkflow(d, { ref: it.ref, timings: d.timings }, ''));
      return out;
    },
  };
}
