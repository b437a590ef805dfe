import { parentPort, workerData } from 'node:worker_threads';
import { prepareVerify } from './verify-files.js';
import { verifyDocument, errorReport } from './verify-document.js';
import type { VerifySettings } from './verify-types.js';

/**
 * Worker-thread entry for `kyso verify --jobs N` (loaded from dist/services/verify-worker.js). It runs the
 * same verifyDocument as the main thread, one file per message, and posts the report back.
 */
const settings = (workerData as { settings: VerifySettings }).settings;
const port = parentPort!;

const ready = prepareVerify(settings, () => new Date()).catch((e: unknown) => {
  port.postMessage({ id: -1, fatal: e instanceof Error ? e.message : String(e) });
  return undefined;
});

port.on('message', (m: { id: number; path: string; display: string }) => {
  void (async () => {
    const opts = await ready;
    if (!opts) return;
    let report;
    try {
      report = await verifyDocument(m.path, m.display, opts);
    } catch (e) {
      report = errorReport(m.display, e);
    }
    port.postMessage({ id: m.id, report });
  })();
});
