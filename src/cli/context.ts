import { fstatSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KysoError, msg } from '../core/errors.js';
import { cleanupTempsSync } from '../io/temp-registry.js';
import { EXIT } from './exit-codes.js';
import type { Lang } from '../core/types.js';

export interface OutStream {
  write(s: string): void;
  readonly isTTY: boolean;
  readonly columns?: number;
}

/**
 * Everything a command may touch outside itself. Tests build one with fake streams; bin/kyso.js
 * passes realContext(). Services get the parts they need as parameters, never this whole object.
 */
export interface Context {
  stdout: OutStream;
  stderr: OutStream;
  stdinIsTTY: boolean;
  /** Reads standard input to the end (for `--pin-file -`). */
  readStdin(): Promise<Buffer>;
  env: Record<string, string | undefined>;
  cwd: string;
  now(): Date;
  /** Asks on the terminal; `mask` hides what is typed. Only called when stdinIsTTY. */
  prompt(question: string, opts: { mask: boolean }): Promise<string>;
  /**
   * Registers work for Ctrl-C / SIGTERM / SIGHUP (cleanup, then the report of what was done); handlers run
   * newest first and are told the signal's name. Returns an unregister function.
   */
  onInterrupt(fn: (signal?: string) => void | Promise<void>): () => void;
  /**
   * Ends the process now with `code` once stdout and stderr are flushed, even while abandoned work is still
   * pending (a verification stopped by its watchdog). Only the real process has it; in-process runs do not.
   */
  exitNow?(code: number): void;
  lang: Lang;
  /** the global `--config FILE` (trusted like the user file; replaces the project file) */
  configFile?: string;
}

/**
 * Whether `fd` is a terminal. node:tty answers exactly, but loading it loads net and the stream modules (~6 ms
 * of every start-up on a 2-CPU machine, issue 16), so the plain cases are answered by one fstat first: a
 * terminal is a character device, and the memory devices of Linux (major 1: /dev/null, /dev/zero…, what
 * stdin is under cron, CI and `< /dev/null`) never are one.
 */
export function isTerminal(fd: number): boolean {
  let rdev: number;
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    rdev = st.rdev;
  } catch {
    return false; // closed
  }
  // major(rdev) as glibc encodes it: 12 bits from bit 8, the rest from bit 32
  if (process.platform === 'linux' && ((Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff)) === 1) return false;
  const { isatty } = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return isatty(fd);
}

/** Gives up the CPU for a moment (a full non-blocking pipe: its reader has not caught up). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * stdout or stderr of the real process. A terminal gets Node's stream (it knows the window's width and
 * colours). A file or a pipe is written in place with writeSync, as Node's own stream does on Linux, where
 * those writes are synchronous anyway: building process.stdout for a pipe loads net and the stream modules
 * (issue 16), for nothing a CLI uses. A reader that goes away (`kyso --help | head`) is not an error: the
 * process stops quietly, like other Unix tools, with the exit code it already has.
 */
function realOut(fd: 1 | 2): OutStream & { flush(done: () => void): void } {
  const gone = () => process.exit(process.exitCode ?? 0);
  if (isTerminal(fd)) {
    const stream = fd === 1 ? process.stdout : process.stderr;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') gone();
      throw e;
    });
    return {
      write: (s) => void stream.write(s),
      isTTY: true,
      get columns() {
        return stream.columns;
      },
      flush: (done) => void stream.write('', done),
    };
  }
  return {
    write: (s) => {
      const b = Buffer.from(s, 'utf8');
      for (let off = 0; off < b.length; ) {
        try {
          off += writeSync(fd, b, off, b.length - off);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') pause(1);
          else if (code === 'EPIPE') gone();
          else throw e;
        }
      }
    },
    isTTY: false,
    columns: undefined,
    flush: (done) => done(),
  };
}

export function realContext(): Omit<Context, 'lang'> & { lang?: Lang } {
  const stdout = realOut(1);
  const stderr = realOut(2);
  const handlers = new Set<(signal?: string) => void | Promise<void>>();
  let installed = false;
  const install = () => {
    if (installed) return;
    installed = true;
    const onSig = (sig: NodeJS.Signals) => {
      // temp files of the one atomic writer go first, synchronously (nothing may outlive the signal)
      cleanupTempsSync();
      void (async () => {
        for (const h of [...handlers].reverse()) {
          try {
            await h(sig);
          } catch {
            /* cleanup is best effort */
          }
        }
        // the command kept running during the awaits above and may have started another temp file
        cleanupTempsSync({ settle: true });
        process.exit(signalExitCode(sig));
      })();
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    process.once('SIGHUP', onSig);
    process.once('exit', () => cleanupTempsSync());
  };
  const exitNow = (code: number) => {
    let pending = 2;
    const done = () => {
      if (--pending === 0) process.exit(code);
    };
    stdout.flush(done);
    stderr.flush(done);
  };
  // installed up front: any command may have temp files of the atomic writer to remove on a signal
  install();
  return {
    exitNow,
    stdout,
    stderr,
    // not process.stdin.isTTY: that getter builds the stdin stream (loading the stream modules, ~8 ms of every
    // start-up, issue 16) when all that is asked is whether fd 0 is a terminal
    stdinIsTTY: isTerminal(0),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    prompt: (q, o) => promptTTY(q, o.mask),
    onInterrupt: (fn) => {
      install();
      handlers.add(fn);
      return () => handlers.delete(fn);
    },
  };
}

/** 128 + the signal number, as shells report it: SIGINT 130, SIGTERM 143, SIGHUP 129. */
export function signalExitCode(sig: string): number {
  return sig === 'SIGINT' ? EXIT.interrupted : sig === 'SIGHUP' ? EXIT.hangup : EXIT.terminated;
}

/** Masked prompt on the controlling terminal (stderr for the question, raw stdin for the answer). */
function promptTTY(question: string, mask: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo goes off before the question shows, so an answer typed the moment it appears is never echoed.
    if (mask) stdin.setRawMode?.(true);
    process.stderr.write(question);
    if (!mask) {
      let buf = '';
      const done = (answer: string) => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
        resolve(answer);
      };
      const onData = (d: Buffer) => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl >= 0) done(buf.slice(0, nl).replace(/\r$/, ''));
      };
      // end of input (Ctrl-D) is an empty answer
      const onEnd = () => {
        process.stderr.write('\n');
        done('');
      };
      if (stdin.readableEnded) return onEnd();
      stdin.resume();
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      return;
    }
    let value = '';
    stdin.resume();
    const finish = (err?: Error) => {
      stdin.setRawMode?.(false);
      stdin.off('data', onData);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new KysoError('INTERRUPTED', 'interrupted', msg('interrupted', 'đã dừng theo yêu cầu')));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Reads a small text file (used by secrets); kept here so only src/cli touches process-level I/O. */
export function readTextFile(path: string): string {
  return readFileSync(path, 'utf8');
}
