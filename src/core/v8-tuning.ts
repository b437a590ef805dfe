/**
 * V8's tiering for a batch of documents (issue 16). With V8's defaults, a batch of 200 small PDFs had TurboFan
 * compiling dozens of hot functions on the second CPU of a 2-CPU machine, competing with the thread pool, and the
 * process then waited ~60 ms at exit for those jobs to end: 0.74 s for the batch, 0.57 s with TurboFan waiting for
 * ~15 times more work (measured side by side, `npm run bench -- startup`). Hot loops of a long run still reach it:
 * a 3 MB, 7,000-page PDF signs and verifies no slower (`--no-opt` instead made it 15% slower).
 *
 * Set when a batch starts signing, not when the process starts: V8 accepts a code cache only under the flags it was
 * made with, and that holds for Node's own built-in modules too. Set at start-up, the flag made every built-in that a
 * command loads afterwards (crypto, zlib, worker_threads, fs/promises…) compile from source: one `kyso verify` or
 * one `kyso sign` took 10–20 ms longer. By the time a batch starts, what it needs is loaded; what a batch loads later
 * (a time-stamp client, the CMS checker for a file that is already signed) compiles from source once.
 */
export const BATCH_V8_FLAGS = '--interrupt-budget=1000000';

let tuned = false;

export async function tuneForBatch(): Promise<void> {
  if (tuned) return;
  tuned = true;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString(BATCH_V8_FLAGS);
}
