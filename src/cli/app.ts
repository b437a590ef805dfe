import type { Command } from 'commander';
import { isKysoError, type KysoError } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import type { Context } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { tr } from './i18n.js';
import { redactUrls } from '../core/url-safety.js';
import { escapeControl } from './escape.js';
import { jsonReplacer } from './report-json.js';
import { loadCatalogue } from './catalogue/load.js';

export interface CommandOutcome<T> {
  exitCode: number;
  result: T;
}

export interface App {
  ctx: Context;
  /**
   * Runs one command body: renders its result (JSON envelope or human text), turns errors into one line
   * on stderr (or the JSON envelope's `error`) and records the exit code. Commands call this exactly once.
   */
  run<T>(json: boolean, body: () => Promise<CommandOutcome<T>>, render: (result: T) => void): Promise<void>;
  warn(w: Warning): void;
  exitCode: number;
  /** Runs another kyso command line in-process with the given context (used by `kyso demo`). */
  invoke(argv: string[], ctx: Context): Promise<number>;
}

export const SCHEMA_VERSION = 1;

export function createApp(ctx: Context): App {
  const app: App = {
    ctx,
    exitCode: 0,
    invoke: async () => {
      throw new Error('invoke is set by main()');
    },
    warn(w) {
      ctx.stderr.write(`kyso: ${ctx.lang === 'vi' ? 'cảnh báo' : 'warning'}: ${escapeControl(redactUrls(tr(ctx.lang, w)))}\n`);
    },
    async run(json, body, render) {
      try {
        if (json) await loadCatalogue(); // the envelope may carry problems (report-json.ts)
        const { exitCode, result } = await body();
        app.exitCode = exitCode;
        if (json) writeJson(ctx, { schemaVersion: SCHEMA_VERSION, ok: exitCode === 0, result, error: null });
        else render(result);
      } catch (e) {
        app.exitCode = reportError(ctx, e, json);
      }
    },
  };
  return app;
}

/** The one way a JSON document reaches stdout: every error object in it gets the one shape (jsonReplacer). */
export function writeJson(ctx: Context, doc: unknown): void {
  ctx.stdout.write(JSON.stringify(doc, jsonReplacer, 2) + '\n');
}

/** One line (plus an optional hint) on stderr; in --json mode the envelope on stdout as well. */
export function reportError(ctx: Context, e: unknown, json: boolean): number {
  if (isKysoError(e)) {
    const err = e as KysoError;
    // no URL credentials (user:password@) in any message, whoever built it (issue 12)
    const line = escapeControl(redactUrls(tr(ctx.lang, err.msg)));
    if (json) {
      writeJson(ctx, {
        schemaVersion: SCHEMA_VERSION,
        ok: false,
        result: null,
        error: err,
      });
    }
    ctx.stderr.write(`kyso: ${line}\n`);
    if (err.hint) ctx.stderr.write(`  ${redactUrls(tr(ctx.lang, err.hint))}\n`);
    return exitCodeFor(err.category);
  }
  const m = redactUrls(e instanceof Error ? e.message : String(e));
  if (json) {
    writeJson(ctx, { schemaVersion: SCHEMA_VERSION, ok: false, result: null, error: { code: 'INTERNAL', message: { en: `internal error (a bug): ${m}`, vi: `lỗi nội bộ (lỗi phần mềm): ${m}` } } });
  }
  ctx.stderr.write(
    ctx.lang === 'vi'
      ? `kyso: lỗi nội bộ (lỗi phần mềm): ${m}\n  Hãy báo lỗi kèm lệnh đã chạy và "kyso --version".\n`
      : `kyso: internal error (a bug): ${m}\n  Please report it with the command you ran and "kyso --version".\n`,
  );
  if (ctx.env.KYSO_DEBUG && e instanceof Error && e.stack) ctx.stderr.write(e.stack + '\n');
  return EXIT.internal;
}

export type Register = (program: Command, app: App) => void;
