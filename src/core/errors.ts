/**
 * The one error type of kyso. Code is stable and matched by programs; `category` decides the exit code
 * (mapped in exactly one place: src/cli/exit-codes.ts). Messages carry both languages so that services
 * never need to know which one the clerk reads.
 */
export interface Msg {
  en: string;
  vi: string;
}

export type ErrorCategory =
  | 'usage' // 2
  | 'credentials' // 4
  | 'input' // 5
  | 'exchange-retry' // 6
  | 'exchange-rejected' // 7
  | 'output' // 74: the output could not be written (disk full, read-only, permission denied)
  | 'internal' // 70
  | 'interrupted'; // 130

export interface KysoErrorOptions {
  hint?: Msg;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class KysoError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly msg: Msg;
  readonly hint?: Msg;
  readonly details?: Record<string, unknown>;

  constructor(code: string, category: ErrorCategory, msg: Msg, opts: KysoErrorOptions = {}) {
    super(msg.en, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KysoError';
    this.code = code;
    this.category = category;
    this.msg = msg;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

export const usageError = (code: string, msg: Msg, opts?: KysoErrorOptions) => new KysoError(code, 'usage', msg, opts);
export const inputError = (code: string, msg: Msg, opts?: KysoErrorOptions) => new KysoError(code, 'input', msg, opts);
export const credentialError = (code: string, msg: Msg, opts?: KysoErrorOptions) =>
  new KysoError(code, 'credentials', msg, opts);

export function isKysoError(e: unknown): e is KysoError {
  return e instanceof KysoError;
}

/** Both languages of the same sentence, for messages built from parts. */
export function msg(en: string, vi: string): Msg {
  return { en, vi };
}
