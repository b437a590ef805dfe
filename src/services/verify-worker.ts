import { parentPort, workerData } from 'node:worker_threads';
import { isKysoError } from '../core/errors.js';
import { prepareVerify, type WorkerFile, type WorkerReply } from './verify-files.js';
import { verifyDocument, errorReport } from './verify-document.js';
import type { FileReport, VerifySettings } from './verify-types.js';

/**
 * Worker-thread entry for `kyso verify --jobs N` (dist/bundle/verify-worker.cjs, or dist/services/verify-worker.js of the tsc build). It runs the
 * same verifyDocument as the main thread over the files it is handed (a small queue at a time), publishes
 * which file it is on in `state` (for the main thread's time budget), and posts the reports back in
 * batches: one message per file cost more than the verification of a small file.
 */
const { settings, state, epoch } = workerData as { settings: VerifySettings; state: Int32Array; epoch: number };
const port = parentPort!;

const ready = prepareVerify(settings, () => new Date()).catch((e: unknown) => {
  const fatal: WorkerReply['fatal'] = isKysoError(e)
    ? { message: e.message, code: e.code, category: e.category, msg: e.msg, hint: e.hint }
    : { message: e instanceof Error ? e.message : String(e) };
  port.postMessage({ fatal } satisfies WorkerReply);
  return undefined;
});

const queue: WorkerFile[] = [];
let running = false;
/** Flush after this many reports or this long, whichever comes first (and whenever the queue is empty). */
const FLUSH_COUNT = 8;
const FLUSH_MS = 20;

async function drain(): Promise<void> {
  running = true;
  const opts = await ready;
  if (!opts) return;
  let out: Array<{ id: number; report: FileReport; ms: number }> = [];
  let since = Date.now();
  while (queue.length > 0) {
    const f = queue.shift()!;
    const t0 = Date.now();
    Atomics.store(state, 1, t0 - epoch);
    Atomics.store(state, 0, f.id);
    let report: FileReport;
    try {
      report = await verifyDocument(f.path, f.display, opts);
    } catch (e) {
      report = errorReport(f.display, e);
    }
    Atomics.store(state, 0, -1);
    out.push({ id: f.id, report, ms: Date.now() - t0 });
    if (queue.length === 0 || out.length >= FLUSH_COUNT || Date.now() - since >= FLUSH_MS) {
      port.postMessage({ results: out } satisfies WorkerReply);
      out = [];
      since = Date.now();
      // Let the next batch of files arrive before the queue runs dry.
      if (queue.length === 0) await new Promise<void>((r) => setImmediate(r));
    }
  }
  running = false;
}

port.on('message', (files: WorkerFile[]) => {
  queue.push(...files);
  if (!running) void drain();
});
