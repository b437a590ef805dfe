import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { msg } from '../core/errors.js';
import type { ProgressSink } from '../core/types.js';
import { loadTrustStore } from '../crypto/trust-store.js';
import { verifyDocument, type VerifyDocumentOptions } from './verify-document.js';
import { summarize, type FileReport, type VerifyRunResult, type VerifySettings } from './verify-types.js';

/** One input file: the absolute path to read and the name to show (as the user wrote it). */
export interface VerifyInput {
  path: string;
  display: string;
  /** Set when the input could not even be listed (missing path): reported as ERROR, run goes on. */
  missing?: boolean;
}

const MAX_WALK_DEPTH = 64;

/** Expands files and folders (recursively, *.pdf, sorted) into a list of inputs. */
export async function collectPdfFiles(inputs: string[], cwd: string): Promise<VerifyInput[]> {
  const out: VerifyInput[] = [];
  const seen = new Set<string>();
  const push = (abs: string, display: string) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push({ path: abs, display });
  };
  const walk = async (dirAbs: string, dirDisplay: string, depth: number) => {
    if (depth > MAX_WALK_DEPTH) return;
    let entries;
    try {
      entries = await readdir(dirAbs, { withFileTypes: true });
    } catch {
      out.push({ path: dirAbs, display: dirDisplay, missing: true });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dirAbs, e.name);
      const disp = path.join(dirDisplay, e.name);
      if (e.isDirectory()) await walk(abs, disp, depth + 1);
      else if ((e.isFile() || e.isSymbolicLink()) && /\.pdf$/i.test(e.name)) push(abs, disp);
    }
  };
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    let st;
    try {
      st = await stat(abs);
    } catch {
      out.push({ path: abs, display: input, missing: true });
      continue;
    }
    if (st.isDirectory()) await walk(abs, input, 0);
    else push(abs, input);
  }
  return out;
}

/** Loads the trust store and the revocation fetcher the settings describe (in each worker too). */
export async function prepareVerify(settings: VerifySettings, now: () => Date): Promise<VerifyDocumentOptions> {
  const trustStore = await loadTrustStore({ defaultTrust: settings.defaultTrust, extra: settings.trust, assetsDir: settings.assetsDir });
  // Loaded only when needed: the fetcher pulls in undici, which a --revocation off worker does not need.
  const fetcher =
    settings.revocation === 'off'
      ? undefined
      : (await import('../crypto/revocation-fetcher.js')).createRevocationFetcher({ cacheDir: settings.cacheDir, timeoutMs: 5000, now });
  return {
    trustStore,
    revocationMode: settings.revocation,
    at: settings.at ? new Date(settings.at) : undefined,
    now,
    fetcher,
  };
}

function missingReport(i: VerifyInput): FileReport {
  const m = msg(`${i.display}: file not found`, `${i.display}: không tìm thấy tệp`);
  return { file: i.display, indication: 'ERROR', error: { code: 'INPUT_NOT_FOUND', message: m.en, messageVi: m.vi }, signatures: [] };
}

export function timeoutReport(i: VerifyInput, ms: number): FileReport {
  const m = msg(`${i.display}: verification took longer than ${Math.round(ms / 1000)} s and was stopped`, `${i.display}: kiểm tra quá ${Math.round(ms / 1000)} giây và đã bị dừng`);
  return { file: i.display, indication: 'ERROR', error: { code: 'VERIFY_TIMEOUT', message: m.en, messageVi: m.vi }, signatures: [] };
}

/** In-process verification of one input with a time budget (async work only; the worker pool can kill). */
export async function verifyInput(i: VerifyInput, opts: VerifyDocumentOptions, timeoutMs: number): Promise<FileReport> {
  if (i.missing) return missingReport(i);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<FileReport>((resolve) => {
    timer = setTimeout(() => resolve(timeoutReport(i, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([verifyDocument(i.path, i.display, opts), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface VerifyRunOptions {
  settings: VerifySettings;
  jobs: number;
  now: () => Date;
  progress: ProgressSink;
  /** URL of the compiled worker module (dist/services/verify-worker.js). */
  workerUrl?: URL;
}

export const DEFAULT_FILE_TIMEOUT_MS = 30_000;

/** Verifies every input, in order, in this thread (jobs <= 1) or in a pool of worker threads. */
export async function verifyFiles(inputs: VerifyInput[], o: VerifyRunOptions): Promise<VerifyRunResult> {
  const timeoutMs = o.settings.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const reports: FileReport[] = new Array(inputs.length);
  o.progress.start(inputs.length, 'verify');
  try {
    const jobs = Math.max(1, Math.min(o.jobs, inputs.length));
    if (jobs <= 1) {
      const opts = await prepareVerify(o.settings, o.now);
      for (let k = 0; k < inputs.length; k++) {
        reports[k] = await verifyInput(inputs[k]!, opts, timeoutMs);
        o.progress.tick();
      }
    } else {
      // Fail fast on bad settings (unreadable --trust) before starting threads.
      await loadTrustStore({ defaultTrust: o.settings.defaultTrust, extra: o.settings.trust, assetsDir: o.settings.assetsDir });
      await runPool(inputs, reports, jobs, timeoutMs, o);
    }
  } finally {
    o.progress.done();
  }
  return { summary: summarize(reports), files: reports };
}

interface WorkerReply {
  id: number;
  report?: FileReport;
  fatal?: string;
}

/**
 * A pool of worker threads, each running verifyDocument on one file at a time. A file that exceeds its
 * time budget gets ERROR VERIFY_TIMEOUT and its worker is terminated and replaced (a runaway parse cannot
 * hold the run hostage).
 */
async function runPool(inputs: VerifyInput[], reports: FileReport[], jobs: number, timeoutMs: number, o: VerifyRunOptions): Promise<void> {
  const workerUrl = o.workerUrl ?? new URL('./verify-worker.js', import.meta.url);
  let next = 0;
  await new Promise<void>((resolveAll, rejectAll) => {
    let active = 0;
    let failed = false;
    let crashesInARow = 0;
    const workers = new Set<Worker>();
    const abort = (err: Error) => {
      failed = true;
      for (const x of workers) void x.terminate();
      rejectAll(err);
    };
    const startWorker = () => {
      if (failed) return;
      const w = new Worker(workerUrl, { workerData: { settings: o.settings }, resourceLimits: { maxOldGenerationSizeMb: 256 } });
      workers.add(w);
      w.once('exit', () => workers.delete(w));
      active++;
      let current = -1;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        active--;
        if (active === 0 && !failed) resolveAll();
      };
      const feed = () => {
        while (next < inputs.length && inputs[next]!.missing) {
          reports[next] = missingReport(inputs[next]!);
          next++;
          o.progress.tick();
        }
        if (next >= inputs.length) {
          current = -1;
          void w.terminate().then(finish, finish);
          return;
        }
        current = next++;
        timer = setTimeout(() => {
          reports[current] = timeoutReport(inputs[current]!, timeoutMs);
          o.progress.tick();
          current = -1;
          done = true; // this worker is gone; replace it
          active--;
          void w.terminate();
          startWorker();
        }, timeoutMs);
        timer.unref(); // never keeps the process alive after an abort
        w.postMessage({ id: current, path: inputs[current]!.path, display: inputs[current]!.display });
      };
      w.on('message', (m: WorkerReply) => {
        if (m.fatal) {
          clearTimeout(timer);
          abort(new Error(m.fatal));
          return;
        }
        if (m.id !== current || !m.report) return;
        crashesInARow = 0;
        clearTimeout(timer);
        reports[current] = m.report;
        o.progress.tick();
        feed();
      });
      w.on('error', (e) => {
        clearTimeout(timer);
        if (++crashesInARow >= 3) {
          // Three workers in a row died without finishing a file: the worker itself is broken (e.g. dist/
          // not built), not the files. Stop with an internal error instead of failing every file.
          abort(new Error(`verify worker threads keep crashing: ${e.message}`));
          return;
        }
        if (current >= 0 && !reports[current]) {
          const i = inputs[current]!;
          const en = `${i.display}: verification crashed (${e.message.slice(0, 200)})`;
          reports[current] = { file: i.display, indication: 'ERROR', error: { code: 'VERIFY_CRASHED', message: en, messageVi: `${i.display}: kiểm tra bị lỗi (${e.message.slice(0, 200)})` }, signatures: [] };
          o.progress.tick();
        }
        if (!done) {
          done = true;
          active--;
          startWorker();
        }
      });
      w.once('online', feed);
    };
    for (let k = 0; k < jobs; k++) startWorker();
  });
}
