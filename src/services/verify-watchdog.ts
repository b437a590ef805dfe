import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';

/**
 * The watchdog of a single-input `kyso verify`: that one file is verified in the main thread (a worker would
 * load the whole verification stack a second time, which start-up cannot afford), so nothing in the main
 * thread can stop it once one synchronous step runs long (an inflate, a parse loop, a chain of microtasks
 * that never lets a timer fire). Another thread can: it samples the clock and the process's resident
 * memory, and when the file is over its time budget (plus a grace that lets the main thread's own timer
 * win when it is responsive) or over --max-memory, it writes that file's ERROR report (rendered beforehand
 * by the command, exactly as the main thread would have written it) to fd 1 and ends the process with the
 * documented exit code.
 *
 * Two implementations of that thread, the same behaviour:
 *  - **A native thread** (src/native/watchdog.c, built into dist/native/ by scripts/build-native.mjs where a C
 *    compiler is found, Linux): a POSIX thread that sleeps between samples and calls _exit. Costs microseconds.
 *  - **A worker thread** (SCRIPT below), everywhere else, or with KYSO_WATCHDOG=worker: a worker is a whole Node
 *    environment, on Node 20 bootstrapped without a snapshot: ~70 ms of CPU, and ~15 ms of the wall time of one
 *    small verify on 2 CPUs (median of 31 paired runs, issue 16), even started ahead (prestartWatchdog) so that
 *    its start-up overlaps the loading of the verification stack.
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
 *  - vm's `timeout` (a native thread of Node's own): it covers one synchronous call, not the awaits of a
 *    verification, nor memory; a child process: it cannot make this process exit 5. Rejected (issue 16).
 *  - The worker ending the process: a worker's process.exit() ends only the worker and a signal exits with
 *    128+n, never 5. WASI's proc_exit with returnOnExit:false is documented to end the Node.js process with
 *    the given code (it calls the C library's exit(), from any thread), so the worker exits 5 whatever the
 *    main thread is doing. If that fails the process is killed (SIGKILL) after the report was written.
 *
 * The memory bound is on resident memory growth since the watchdog was armed (V8 cannot change the main
 * thread's heap limit after start-up; RSS also counts buffers, which a heap limit does not).
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
  /** The native thread where it was built (default), or the worker thread. */
  thread?: WatchdogThread;
}

export interface Watchdog {
  /** Starts the clock and takes the memory baseline: the file's verification begins now. */
  arm(): void;
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

// CommonJS, evaluated in the thread. state[0]: 0 = live, 1 = disarmed by the main thread, 2 = fired;
// state[1]: 1 once armed; state[2]: deadline (ms after epoch); state[3]: memory limit (KiB of RSS).
const SCRIPT = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, epoch, pollMs } = workerData;
// the reports and exit code come with startWatchdog (a thread started ahead gets them then); until they are
// here the thread waits, armed or not
let out, exitCode;
parentPort.once('message', (m) => { out = m.out; exitCode = m.exitCode; });
parentPort.unref();
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
    process.removeAllListeners('warning'); // WASI's ExperimentalWarning (Node 20): nothing of ours on stderr
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
  if (Atomics.load(state, 1) !== 1 || out === undefined) return;
  if (Date.now() - epoch >= Atomics.load(state, 2)) fire('timeout');
  else if (process.memoryUsage.rss() / 1024 > Atomics.load(state, 3)) fire('memory');
}, pollMs);
`;

/** A thread started ahead (prestartWatchdog), not yet handed its reports; at most one per process. */
let ahead: { w: Worker; state: Int32Array; epoch: number } | undefined;

const load = createRequire(import.meta.url);

/** src/native/watchdog.c as loaded: arm(budgetMs, rssLimitKiB, pollMs, exitCode, timeoutOutput, memoryOutput). */
interface NativeWatchdog {
  arm(budgetMs: number, rssLimitKiB: number, pollMs: number, exitCode: number, timeoutOutput: string, memoryOutput: string): void;
  disarm(): boolean;
}
let native: NativeWatchdog | null | undefined;

/** Which thread guards the file: `worker` where KYSO_WATCHDOG=worker (tests run both; a way out should the native one misbehave). */
export type WatchdogThread = 'native' | 'worker';
export function watchdogThread(env: Record<string, string | undefined>): WatchdogThread {
  return env.KYSO_WATCHDOG === 'worker' ? 'worker' : 'native';
}

/** The native thread where it was built (dist/native/, beside dist/bundle/ and tsc's dist/services/), else null. */
function nativeWatchdog(kind: WatchdogThread): NativeWatchdog | null {
  if (kind === 'worker') return null;
  if (native !== undefined) return native;
  native = null;
  if (process.platform === 'linux') {
    try {
      native = load('../native/kyso-watchdog.node') as NativeWatchdog;
    } catch {
      /* not built on this machine: the worker thread */
    }
  }
  return native;
}

function spawnThread(pollMs = 25): { w: Worker; state: Int32Array; epoch: number } {
  const state = new Int32Array(new SharedArrayBuffer(16));
  const epoch = Date.now();
  const { Worker } = load('node:worker_threads') as typeof import('node:worker_threads');
  const w = new Worker(SCRIPT, {
    eval: true,
    // Its own stdio is never used (it writes fd 1 directly): no piping streams set up in either thread.
    stdout: true,
    stderr: true,
    env: {},
    workerData: { state, epoch, pollMs },
  });
  w.unref();
  // A thread that cannot start (resource limits of the host) must not fail the verification it guards.
  w.on('error', () => undefined);
  return { w, state, epoch };
}

/**
 * Starts the worker thread as soon as `kyso verify` is known to run in the real process (bin/kyso.js,
 * src/cli/main.ts), before its command and verification stack load: the thread's start-up then overlaps all of that
 * loading, and is over before the file is (issue 16: −14 ms for one small file on 2 CPUs). Unarmed and without its
 * reports until startWatchdog takes it; a run that does not use it (several inputs, an error before verifying) ends
 * it through releaseWatchdog. Nothing to start ahead where the native thread is used.
 */
export function prestartWatchdog(kind: WatchdogThread): void {
  if (!nativeWatchdog(kind)) ahead ??= spawnThread();
}

/** Ends a thread started ahead that no verification took. */
export function releaseWatchdog(): void {
  if (!ahead) return;
  Atomics.store(ahead.state, 0, 1);
  void ahead.w.terminate();
  ahead = undefined;
}

/**
 * The watchdog for one file: the native thread where there is one (started by `arm()`, it costs nothing before),
 * else the worker thread, started now or taken from prestartWatchdog, unarmed: its start-up (a Node environment,
 * some tens of ms of CPU on another core) then overlaps the loading of the verification stack and trust store in
 * this thread. `arm()` starts the budget when the file's verification begins.
 */
export function startWatchdog(o: WatchdogOptions): Watchdog {
  const n = nativeWatchdog(o.thread ?? 'native');
  if (!n) return workerWatchdog(o);
  let fallback: Watchdog | undefined;
  return {
    arm(): void {
      const budget = o.timeoutMs + watchdogGraceMs(o.timeoutMs);
      const limit = Math.round(process.memoryUsage.rss() / 1024) + o.maxMemoryMb * 1024;
      try {
        n.arm(budget, limit, o.pollMs ?? 25, o.exitCode, o.timeoutOutput, o.memoryOutput);
      } catch {
        // no thread to be had from the C library (a host's limits): the worker thread, armed now
        fallback = workerWatchdog(o);
        fallback.arm();
      }
    },
    disarm: (): boolean => (fallback ? fallback.disarm() : n.disarm()),
  };
}

function workerWatchdog(o: WatchdogOptions): Watchdog {
  const { w, state, epoch } = ahead ?? spawnThread(o.pollMs);
  ahead = undefined;
  w.postMessage({ out: { timeout: o.timeoutOutput, memory: o.memoryOutput }, exitCode: o.exitCode });
  return {
    arm(): void {
      Atomics.store(state, 2, Math.min(2 ** 31 - 1, Date.now() - epoch + o.timeoutMs + watchdogGraceMs(o.timeoutMs)));
      Atomics.store(state, 3, Math.min(2 ** 31 - 1, Math.round(process.memoryUsage.rss() / 1024) + o.maxMemoryMb * 1024));
      Atomics.store(state, 1, 1);
    },
    disarm(): boolean {
      // Not terminated: a disarmed thread stops its own timer and ends when its loop is empty, and the process may
      // end before that (Node stops its threads at exit). Waiting here for terminate() kept the process ~3 ms after
      // its report was written (issue 16).
      return Atomics.compareExchange(state, 0, 0, 1) === 0;
    },
  };
}
