import { Worker } from 'node:worker_threads';

/**
 * The watchdog of a single-input `kyso verify`: that one file is verified in the main thread (a worker would
 * load the whole verification stack a second time, which start-up cannot afford), so nothing in the main
 * thread can stop it once one synchronous step runs long (an inflate, a parse loop, a chain of microtasks
 * that never lets a timer fire). A small thread can: it samples the clock and the process's resident
 * memory, and when the file is over its time budget (plus a grace that lets the main thread's own timer
 * win when it is responsive) or over --max-memory, it writes that file's ERROR report (rendered beforehand
 * by the command, exactly as the main thread would have written it) to fd 1 with writeSync and ends the
 * process with the documented exit code.
 *
 * Options weighed (issue 10):
 *  - Verifying the one file in a worker whenever a budget applies: every single verify would pay a second
 *    isolate's start-up and module loading; rejected for start-up.
 *  - Making every long step yield (async inflate, loops yielding every N objects): it cannot cover steps we do
 *    not own (pdf-lib and pkijs parsers, a single native call) and one missed loop silently breaks the
 *    promise; kept only where it is cheap (verify-document yields between stages).
 *  - Interrupting the main thread's JavaScript (inspector Runtime.terminateExecution from the thread): works
 *    in a microtask but aborts Node's own timer/immediate bookkeeping when the stuck code runs inside a
 *    callback ("async hook stack has become corrupted", exit 1 with a native stack); rejected.
 *  - This thread ending the process: a worker's process.exit() ends only the worker and a signal exits with
 *    128+n, never 5. WASI's proc_exit with returnOnExit:false is documented to end the Node.js process with
 *    the given code (it calls the C library's exit(), from any thread), so the watchdog exits 5 whatever
 *    the main thread is doing. If that fails the process is killed (SIGKILL) after the report was written.
 *
 * Cost: one thread with a ~1 KB script (no bundle), started without waiting for it; measured in issue 10's
 * report. The memory bound is on resident memory growth since the watchdog started (V8 cannot change the
 * main thread's heap limit after start-up; RSS also counts buffers, which a heap limit does not).
 */
export interface WatchdogOptions {
  /** The file's time budget (--timeout); the watchdog fires `grace` later. */
  timeoutMs: number;
  /** Allowed growth of resident memory, MiB (--max-memory). */
  maxMemoryMb: number;
  /** What to write on fd 1 when the time budget is exceeded / when memory is exceeded. */
  timeoutOutput: string;
  memoryOutput: string;
  /** Exit code of the process when the watchdog fires (EXIT.input = 5). */
  exitCode: number;
  /** Sampling period (default 25 ms). */
  pollMs?: number;
}

export interface Watchdog {
  /**
   * Called by the main thread as soon as the file's report is known (or its own timer fired). Returns true
   * when the main thread owns the output; false when the watchdog has already fired and is writing the
   * report and ending the process (the caller must write nothing more).
   */
  disarm(): boolean;
}

/** Extra time after the budget before the thread acts: the main thread's own timer wins when it can run. */
export function watchdogGraceMs(timeoutMs: number): number {
  return Math.min(2000, 250 + Math.round(timeoutMs / 10));
}

// CommonJS, evaluated in the thread: states 0 = armed, 1 = disarmed by the main thread, 2 = fired.
const SCRIPT = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, deadline, rssLimit, out, exitCode, pollMs } = workerData;
function writeAll(fd, s) {
  const b = Buffer.from(s, 'utf8');
  let off = 0;
  while (off < b.length) {
    try { off += writeSync(fd, b, off, b.length - off); }
    catch (e) { if (e && e.code === 'EAGAIN') continue; return; }
  }
}
function endProcess(code) {
  try {
    const { WASI } = require('node:wasi');
    const wasi = new WASI({ version: 'preview1', returnOnExit: false });
    // (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
    //   (memory (export "memory") 0) (func (export "_start") (call 0 (i32.const CODE))))
    const name = (s) => [s.length, ...Buffer.from(s)];
    const imp = [...name('wasi_snapshot_preview1'), ...name('proc_exit'), 0, 0];
    const exp = [2, ...name('memory'), 2, 0, ...name('_start'), 0, 1];
    const body = [0, 0x41, code & 0x3f, 0x10, 0, 0x0b];
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      1, 8, 2, 0x60, 1, 0x7f, 0, 0x60, 0, 0,
      2, imp.length + 1, 1, ...imp,
      3, 2, 1, 1,
      5, 3, 1, 0, 0,
      7, exp.length, ...exp,
      10, body.length + 2, 1, body.length, ...body]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { wasi_snapshot_preview1: wasi.wasiImport });
    wasi.start(inst);
  } catch {}
  process.kill(process.pid, 'SIGKILL');
}
function fire(kind) {
  if (Atomics.compareExchange(state, 0, 0, 2) !== 0) return;
  writeAll(1, out[kind]);
  endProcess(exitCode);
}
const timer = setInterval(() => {
  if (Atomics.load(state, 0) !== 0) { clearInterval(timer); return; }
  if (Date.now() >= deadline) fire('timeout');
  else if (process.memoryUsage.rss() > rssLimit) fire('memory');
}, pollMs);
`;

export function startWatchdog(o: WatchdogOptions): Watchdog {
  const state = new Int32Array(new SharedArrayBuffer(4));
  const rssLimit = process.memoryUsage.rss() + o.maxMemoryMb * 1024 * 1024;
  const deadline = Date.now() + o.timeoutMs + watchdogGraceMs(o.timeoutMs);
  const w = new Worker(SCRIPT, {
    eval: true,
    // WASI prints an ExperimentalWarning on Node 20; nothing of the thread's own goes to stderr.
    execArgv: ['--no-warnings'],
    workerData: { state, deadline, rssLimit, out: { timeout: o.timeoutOutput, memory: o.memoryOutput }, exitCode: o.exitCode, pollMs: o.pollMs ?? 25 },
    // The thread itself needs almost nothing.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  w.unref();
  // A thread that cannot start (resource limits of the host) must not fail the verification it guards.
  w.on('error', () => undefined);
  return {
    disarm(): boolean {
      const won = Atomics.compareExchange(state, 0, 0, 1) === 0;
      if (won) void w.terminate();
      return won;
    },
  };
}
