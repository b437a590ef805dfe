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
 *
 * `kyso verify --jobs N` (N ≥ 2) sets it too, before its workers start: each worker is an isolate that
 * JIT-compiles the whole verification stack again, and with the default budget that optimizing compilation took
 * ~0.7 s of CPU per isolate in a 1,000-file run, paid N times on the cores that verify (1,000 two-signature PDFs,
 * --jobs 2: 1.92 s → 1.62 s wall, CPU 3.6 s → 3.0 s). Not for --jobs 1, where the compiler runs on the otherwise
 * idle second core and the default is faster. The flag changes when code is optimized, never what it computes.
 * node:v8 is loaded here, when needed: a single sign or verify never loads it (~2 ms of start-up).
 */
export const BATCH_V8_FLAGS = '--interrupt-budget=1000000';

let tuned = false;

/** Whether this process runs under BATCH_V8_FLAGS (a verify pool picks the code caches trained under them). */
export function tunedForBatch(): boolean {
  return tuned;
}

export async function tuneForBatch(): Promise<void> {
  if (tuned) return;
  tuned = true;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString(BATCH_V8_FLAGS);
}
