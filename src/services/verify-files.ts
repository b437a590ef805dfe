import { statSync } from 'node:fs';
import { listFolder, readablePathFor } from '../io/byte-names.js';
import { joinName, showPath, type FsPath } from '../core/fs-path.js';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { KysoError, msg, type ErrorCategory, type Msg } from '../core/errors.js';
import type { ProgressSink } from '../core/types.js';
import type { VerifyDocumentOptions } from './verify-document.js';
import { summarize, type FileReport, type VerifyRunResult, type VerifySettings } from './verify-types.js';
import { releaseWatchdog, startWatchdog, type Watchdog, type WatchdogThread } from './verify-watchdog.js';
import { tuneForBatch, tunedForBatch } from '../core/v8-tuning.js';

/** One input file: the absolute path to read and the name to show (as the user wrote it). */
export interface VerifyInput {
  path: string;
  display: string;
  /** Set when the input could not even be listed (missing path): reported as ERROR, run goes on. */
  missing?: boolean;
  /** Path relative to the argument that found it (the argument itself for a file); used by --shard. */
  rel?: string;
  /** Its name in the folder is not UTF-8 (path and display carry it \xNN-escaped): reported as ERROR INPUT_NAME_NOT_UTF8. */
  notUtf8?: boolean;
}

const MAX_WALK_DEPTH = 64;

/** Expands files and folders (recursively, *.pdf, sorted) into a list of inputs. */
export async function collectPdfFiles(inputs: string[], cwd: string): Promise<VerifyInput[]> {
  const out: VerifyInput[] = [];
  const seen = new Set<string>();
  const push = (abs: string, display: string, rel: string) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push({ path: abs, display, rel });
  };
  // A folder's path is bytes (FsPath) once a name on the way is not UTF-8 (issue 14): it is listed, and its
  // files opened, by those bytes.
  const walk = async (dirAbs: FsPath, dirDisplay: string, depth: number, dirRel = '') => {
    if (depth > MAX_WALK_DEPTH) return;
    let entries;
    try {
      entries = await listFolder(dirAbs);
    } catch {
      out.push({ path: showPath(dirAbs), display: dirDisplay, missing: true, rel: dirRel || dirDisplay });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = typeof dirAbs === 'string' ? joinName(dirAbs, e.bytes) : Buffer.concat([dirAbs, Buffer.from('/'), e.bytes]);
      const disp = path.join(dirDisplay, e.name);
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(child, disp, depth + 1, rel);
      else if (!(e.isFile || e.isSymbolicLink) || !/\.pdf$/i.test(e.name)) continue;
      else if (typeof child === 'string') push(child, disp, rel);
      else {
        // read by its bytes (a string path would name no file); shown escaped
        const readable = readablePathFor(dirAbs, e.bytes);
        if (readable) push(readable, disp, rel);
        else out.push({ path: showPath(child), display: disp, rel, missing: true, notUtf8: true });
      }
    }
  };
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    let st;
    try {
      // in place, not in the thread pool: a metadata call, and one round trip less before a single verify starts
      st = statSync(abs);
    } catch {
      out.push({ path: abs, display: input, missing: true, rel: input });
      continue;
    }
    if (st.isDirectory()) await walk(abs, input, 0);
    else push(abs, input, input);
  }
  return out;
}

/** Loads the trust store and the revocation fetcher the settings describe (in each worker too). */
export async function prepareVerify(settings: VerifySettings, now: () => Date): Promise<VerifyDocumentOptions> {
  // Loaded on demand (pkijs): the main thread of a worker pool never needs it.
  const { loadTrustStore, trustHosts } = await import('../crypto/trust-store.js');
  const trustStore = await loadTrustStore({ defaultTrust: settings.defaultTrust, extra: settings.trust, assetsDir: settings.assetsDir });
  // kyso receive: fetch only from the trust material's own hosts plus the configured ones, and (added by path
  // validation, chain-builder.ts) the OCSP/CRL URLs of a chain verified up to an anchor (no SSRF)
  const allowHosts = settings.fetchAllowHosts ? [...new Set([...settings.fetchAllowHosts, ...trustHosts(trustStore)])] : undefined;
  // Loaded only when needed: the fetcher pulls in undici, which a --revocation off worker does not need.
  const fetcher =
    settings.revocation === 'off'
      ? undefined
      : (await import('../crypto/revocation-fetcher.js')).createRevocationFetcher({ cacheDir: settings.cacheDir, timeoutMs: 5000, now, allowHosts });
  return {
    trustStore,
    revocationMode: settings.revocation,
    at: settings.at ? new Date(settings.at) : undefined,
    now,
    fetcher,
    signedVersionDir: settings.signedVersionDir,
    pdfPassword: settings.pdfPassword,
  };
}

function missingReport(i: VerifyInput): FileReport {
  if (i.notUtf8) {
    const n = msg(
      `${i.display}: the file name is not UTF-8 (an old encoding such as CP1258 or VNI): rename the file to check it`,
      `${i.display}: tên tệp không ở dạng UTF-8 (bảng mã cũ như CP1258, VNI): hãy đổi tên tệp rồi kiểm tra lại`,
    );
    return { file: i.display, indication: 'ERROR', error: { code: 'INPUT_NAME_NOT_UTF8', message: n.en, messageVi: n.vi }, signatures: [] };
  }
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
  const t0 = Date.now();
  try {
    // Loaded on first use: the main thread of a worker pool never verifies and need not load pdf-lib/pkijs.
    const { verifyDocument } = await import('./verify-document.js');
    const r = await Promise.race([verifyDocument(i.path, i.display, opts), timeout]);
    // A file that took longer than its budget is over it, even when it finished before the timer got a turn.
    return Date.now() - t0 > timeoutMs && r.error?.code !== 'VERIFY_TIMEOUT' ? timeoutReport(i, timeoutMs) : r;
  } finally {
    clearTimeout(timer);
  }
}

export interface VerifyRunOptions {
  settings: VerifySettings;
  jobs: number;
  now: () => Date;
  progress: ProgressSink;
  /** told of each file's report as soon as it is known (the report written on Ctrl-C lists what was done) */
  onReport?(index: number, report: FileReport): void;
  /** URL of the compiled worker module (default: verify-worker.cjs beside the bundle, .js beside tsc's output). */
  workerUrl?: URL;
  /** Verify in this thread whatever the number of inputs (programmatic callers without dist/). */
  inProcess?: boolean;
  /** verify in a worker thread (memory cap, killable on timeout) even for one file (kyso receive: hostile input) */
  isolate?: boolean;
  /**
   * The CLI's single-input run: the stdout the command would write for a run whose only file has this report.
   * Given, one input verified in this thread is guarded by a watchdog thread (verify-watchdog.ts) that holds
   * --timeout and --max-memory even while this thread is stuck in one synchronous step: it writes that
   * output and ends the process with `watchdogExitCode`.
   */
  watchdogOutput?: (run: VerifyRunResult) => string;
  watchdogExitCode?: number;
  /** which thread is the watchdog (verify-watchdog.ts: the native one where it was built) */
  watchdogThread?: WatchdogThread;
}

export const DEFAULT_FILE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_MEMORY_MB = 1024;

/**
 * Verifies every input, in order. One input is verified in this thread (start-up matters there); given
 * `watchdogOutput`, a watchdog thread ends the process at the time budget or memory cap even while this
 * thread is stuck (verify-watchdog.ts). From two inputs on, every file is verified in a
 * worker thread (also with --jobs 1) with a heap cap, so that a file over its time budget or memory is
 * stopped for real (the worker is terminated) and the next file goes on.
 */
export async function verifyFiles(inputs: VerifyInput[], o: VerifyRunOptions): Promise<VerifyRunResult> {
  const timeoutMs = o.settings.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const reports: FileReport[] = new Array(inputs.length);
  o.progress.start(inputs.length, 'verify');
  try {
    const jobs = Math.max(1, Math.min(o.jobs, inputs.length));
    // Run from the TypeScript sources (tests) there is no compiled worker: verify in this thread.
    // kyso receive isolates even one file (hostile input: memory cap, killed at the timeout).
    if ((inputs.length <= 1 && !o.isolate) || o.inProcess || import.meta.url.endsWith('.ts')) {
      // Started before the verification stack loads (its start-up overlaps that), armed when the file starts.
      const guard = inputs.length === 1 && !inputs[0]!.missing && o.watchdogOutput ? guardSingle(inputs[0]!, timeoutMs, o) : undefined;
      if (!guard) releaseWatchdog();
      const opts = await prepareVerify(o.settings, o.now);
      for (let k = 0; k < inputs.length; k++) {
        guard?.arm();
        reports[k] = await verifyInput(inputs[k]!, opts, timeoutMs);
        // The watchdog fired first: it is writing this file's report and ending the process; write nothing.
        if (guard && !guard.disarm()) await new Promise<never>(() => undefined);
        o.onReport?.(k, reports[k]!);
        o.progress.tick();
      }
    } else {
      // Bad settings (unreadable --trust) stop the run: each worker loads the trust store first and reports a
      // failure as a fatal message, which runPool rethrows as the same KysoError (the main thread does not
      // load the verification stack itself: it only hands out files and collects reports).
      releaseWatchdog(); // (started ahead by the command: each worker holds its own file's budget)
      if (inputs.every((i) => i.missing)) await (await import('../crypto/trust-store.js')).loadTrustStore({ defaultTrust: o.settings.defaultTrust, extra: o.settings.trust, assetsDir: o.settings.assetsDir });
      await runPool(inputs, reports, jobs, timeoutMs, o);
    }
  } finally {
    o.progress.done();
  }
  return { summary: summarize(reports), files: reports };
}

/** Starts the single-input watchdog with the two reports it may have to write (rendered now, while we can). */
function guardSingle(i: VerifyInput, timeoutMs: number, o: VerifyRunOptions): Watchdog {
  const one = (r: FileReport): VerifyRunResult => ({ summary: summarize([r]), files: [r] });
  return startWatchdog({
    timeoutMs,
    maxMemoryMb: o.settings.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB,
    timeoutOutput: o.watchdogOutput!(one(timeoutReport(i, timeoutMs))),
    memoryOutput: o.watchdogOutput!(one(outOfMemoryReport(i, o.settings.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB))),
    exitCode: o.watchdogExitCode ?? 5,
    thread: o.watchdogThread,
  });
}

export function outOfMemoryReport(i: VerifyInput, mb: number): FileReport {
  const m = msg(`${i.display}: verification needed more than ${mb} MiB of memory and was stopped (--max-memory)`, `${i.display}: kiểm tra cần hơn ${mb} MiB bộ nhớ và đã bị dừng (--max-memory)`);
  return { file: i.display, indication: 'ERROR', error: { code: 'VERIFY_OUT_OF_MEMORY', message: m.en, messageVi: m.vi }, signatures: [] };
}

/** One file handed to a worker: its index in the run and where to read it. */
export interface WorkerFile {
  id: number;
  path: string;
  display: string;
}

/** Messages from a worker: reports of finished files (batched; `ms`: how long the file took), or a fatal set-up error. */
export interface WorkerReply {
  results?: Array<{ id: number; report: FileReport; ms: number }>;
  fatal?: { message: string; code?: string; category?: ErrorCategory; msg?: Msg; hint?: Msg };
}

/** Files queued per worker (fewer near the end, so both workers finish together). */
const WORKER_QUEUE = 16;

/**
 * A pool of worker threads. Each worker gets a small queue of files (not one message per file) and sends
 * reports back in batches; it publishes the file it is working on and since when in a shared Int32Array,
 * so that the main thread can enforce the per-file time budget and attribute a crash to the right file.
 * A file that exceeds its budget gets ERROR VERIFY_TIMEOUT, its worker is terminated and replaced, and
 * the other files queued on that worker go to the replacement (a runaway parse cannot hold the run hostage).
 */
async function runPool(inputs: VerifyInput[], reports: FileReport[], jobs: number, timeoutMs: number, o: VerifyRunOptions): Promise<void> {
  // two or more isolates JIT-compiling the same stack on the same cores: V8 waits for more work (core/v8-tuning.ts)
  if (jobs > 1) await tuneForBatch();
  // (loaded here: a single input, verified in this thread, never loads the worker machinery)
  const { Worker } = await import('node:worker_threads');
  // the bundle's files are .cjs (scripts/build.mjs), tsc's per-module dist/ has .js. The bundle's workers start from
  // verify-worker-boot.cjs, which compiles the verification stack from code caches trained in a worker under the
  // V8 flags this pool runs with: ~25 ms less per worker (issue 16).
  const workerUrl = o.workerUrl ?? new URL(import.meta.url.endsWith('.cjs') ? './verify-worker-boot.cjs' : './verify-worker.js', import.meta.url);
  const kysoCacheProfile = tunedForBatch() ? 'workerjobs' : 'worker';
  const epoch = Date.now();
  let next = 0;
  const retry: number[] = [];
  let remaining = inputs.length;
  const record = (id: number, r: FileReport) => {
    if (reports[id]) return;
    reports[id] = r;
    o.onReport?.(id, r);
    remaining--;
    o.progress.tick();
  };
  for (let k = 0; k < inputs.length; k++) if (inputs[k]!.missing) record(k, missingReport(inputs[k]!));
  if (remaining === 0) return;
  await new Promise<void>((resolveAll, rejectAll) => {
    let failed = false;
    let finished = false;
    let crashesInARow = 0;
    const workers = new Set<Worker>();
    const checks = new Set<NodeJS.Timeout>();
    const stopAll = () => {
      for (const c of checks) clearInterval(c);
      for (const x of workers) void x.terminate();
    };
    const abort = (err: Error) => {
      if (failed || finished) return;
      failed = true;
      stopAll();
      rejectAll(err);
    };
    const maybeDone = () => {
      if (remaining > 0 || failed || finished) return;
      finished = true;
      stopAll();
      resolveAll();
    };
    const take = (): number | undefined => {
      while (retry.length > 0) {
        const id = retry.shift()!;
        if (!reports[id]) return id;
      }
      while (next < inputs.length) {
        const id = next++;
        if (!reports[id]) return id;
      }
      return undefined;
    };
    const startWorker = () => {
      if (failed || finished) return;
      // [0] = id of the file being verified (-1: none), [1] = when it started (ms since epoch).
      const state = new Int32Array(new SharedArrayBuffer(8));
      state[0] = -1;
      const w = new Worker(workerUrl, { workerData: { settings: o.settings, state, epoch, kysoCacheProfile }, resourceLimits: { maxOldGenerationSizeMb: o.settings.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB } });
      workers.add(w);
      const queued = new Set<number>();
      let gone = false;
      const retire = () => {
        gone = true;
        clearInterval(check);
        checks.delete(check);
        workers.delete(w);
        void w.terminate();
        for (const id of queued) if (!reports[id]) retry.push(id);
        queued.clear();
      };
      const feed = () => {
        const perWorker = Math.max(1, Math.min(WORKER_QUEUE, Math.ceil((inputs.length - next + retry.length) / jobs)));
        const batch: WorkerFile[] = [];
        while (queued.size + batch.length < perWorker) {
          const id = take();
          if (id === undefined) break;
          batch.push({ id, path: inputs[id]!.path, display: inputs[id]!.display });
        }
        for (const f of batch) queued.add(f.id);
        if (batch.length > 0) w.postMessage(batch);
        else if (queued.size === 0) {
          // Nothing left for this worker.
          gone = true;
          clearInterval(check);
          checks.delete(check);
          workers.delete(w);
          void w.terminate();
          maybeDone();
        }
      };
      // The time budget: checked a few times per budget (at most every 200 ms).
      const check = setInterval(
        () => {
          if (gone) return;
          const id = Atomics.load(state, 0);
          if (id < 0 || reports[id] || !queued.has(id)) return;
          if (Date.now() - epoch - Atomics.load(state, 1) <= timeoutMs) return;
          queued.delete(id);
          record(id, timeoutReport(inputs[id]!, timeoutMs));
          retire();
          maybeDone();
          startWorker();
        },
        Math.max(1, Math.min(200, Math.floor(timeoutMs / 4))),
      );
      check.unref(); // never keeps the process alive after an abort
      checks.add(check);
      w.on('message', (m: WorkerReply) => {
        if (gone) return;
        if (m.fatal) {
          const f = m.fatal;
          abort(f.code && f.category && f.msg ? new KysoError(f.code, f.category, f.msg, { hint: f.hint }) : new Error(f.message));
          return;
        }
        for (const r of m.results ?? []) {
          if (!queued.delete(r.id)) continue;
          crashesInARow = 0;
          // As in this thread (verifyInput): a file that took longer than its budget is over it, even when it finished
          // before the budget check above got a turn (a check every timeoutMs/4, and a worker with warm caches
          // verifies a small file within a few ms).
          record(r.id, r.ms > timeoutMs && r.report.error?.code !== 'VERIFY_TIMEOUT' ? timeoutReport(inputs[r.id]!, timeoutMs) : r.report);
        }
        maybeDone();
        if (!finished && !failed) feed();
      });
      w.on('error', (e) => {
        if (gone) return;
        if (++crashesInARow >= 3) {
          // Three workers in a row died without finishing a file: the worker itself is broken (e.g. dist/
          // not built), not the files. Stop with an internal error instead of failing every file.
          abort(new Error(`verify worker threads keep crashing: ${e.message}`));
          return;
        }
        const id = Atomics.load(state, 0);
        if (id >= 0 && queued.has(id) && !reports[id]) {
          queued.delete(id);
          const i = inputs[id]!;
          const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
          if (oom) record(id, outOfMemoryReport(i, o.settings.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB));
          else {
            const m = msg(`${i.display}: verification crashed (${e.message.slice(0, 200)})`, `${i.display}: kiểm tra bị lỗi (${e.message.slice(0, 200)})`);
            record(id, { file: i.display, indication: 'ERROR', error: { code: 'VERIFY_CRASHED', message: m.en, messageVi: m.vi }, signatures: [] });
          }
        }
        retire();
        maybeDone();
        startWorker();
      });
      w.on('exit', () => {
        if (gone || failed || finished) return;
        // Exited without an error event (e.g. out of memory handled by the runtime): treat as a crash.
        w.emit('error', new Error('the worker thread exited'));
      });
      feed();
    };
    for (let k = 0; k < jobs; k++) startWorker();
  });
}
