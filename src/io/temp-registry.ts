/**
 * The live temp files of this process (src/io/atomic-write.ts creates and publishes them), removed by
 * cleanupTempsSync on SIGINT, SIGTERM and SIGHUP. A module of its own, on node:fs alone: the CLI's context
 * registers the signal handlers at every start-up, `kyso --help` included, which then loads neither
 * node:crypto nor node:fs/promises (issue 16).
 */
import { unlinkSync } from 'node:fs';

/** Registered temp paths (atomic-write reads it to tell its own temp files apart). */
export const live = new Set<string>();

/** Records a temp file so that cleanupTempsSync (signals) removes it; returns an unregister function. */
export function trackTemp(p: string): () => void {
  live.add(p);
  return () => live.delete(p);
}

/** Forgets a temp file (it was published or removed). */
export function untrackTemp(p: string): void {
  live.delete(p);
}

/** Removes every registered temp file (synchronous: safe inside a signal handler). */
export function cleanupTempsSync(opts: { settle?: boolean } = {}): void {
  const missing: string[] = [];
  for (const p of live) {
    try {
      unlinkSync(p);
      live.delete(p);
    } catch (e) {
      // not there yet: an asynchronous copy (the thread pool's copyFile creates its target when it starts)
      // may still create it, so the path stays registered for the last pass
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') missing.push(p);
      else live.delete(p);
    }
  }
  if (!opts.settle || !missing.length) return;
  // The last pass before the process exits: give a creation already under way in the thread pool a moment
  // (100 ms at most, only when a registered temp file was missing) and remove it if it appears.
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 10 && missing.length; i++) {
    Atomics.wait(tick, 0, 0, 10);
    for (let k = missing.length - 1; k >= 0; k--) {
      try {
        unlinkSync(missing[k]!);
        missing.splice(k, 1);
      } catch {
        /* still not there */
      }
    }
  }
  live.clear();
}

