import type { ErrorCategory } from '../core/errors.js';

/** The only place where error categories become process exit codes (see shared/architecture.md). */
export const EXIT = {
  ok: 0,
  verifyFailed: 1,
  usage: 2,
  verifyIndeterminate: 3,
  credentials: 4,
  input: 5,
  exchangeRetry: 6,
  exchangeRejected: 7,
  internal: 70,
  /** EX_IOERR of sysexits.h: an output could not be written */
  output: 74,
  /** SIGHUP (128 + 1): the terminal closed */
  hangup: 129,
  interrupted: 130,
  /** SIGTERM (128 + 15) */
  terminated: 143,
} as const;

export function exitCodeFor(category: ErrorCategory): number {
  switch (category) {
    case 'usage':
      return EXIT.usage;
    case 'credentials':
      return EXIT.credentials;
    case 'input':
      return EXIT.input;
    case 'exchange-retry':
      return EXIT.exchangeRetry;
    case 'exchange-rejected':
      return EXIT.exchangeRejected;
    case 'interrupted':
      return EXIT.interrupted;
    case 'output':
      return EXIT.output;
    case 'internal':
      return EXIT.internal;
  }
}

/** When one run has several outcomes: the first of `order` that occurs wins. */
export function combineExitCodes(codes: number[], order: number[]): number {
  for (const c of order) if (codes.includes(c)) return c;
  return codes.find((c) => c !== 0) ?? 0;
}

export const SIGN_EXIT_ORDER = [EXIT.credentials, EXIT.output, EXIT.input, EXIT.usage, EXIT.ok];
export const VERIFY_EXIT_ORDER = [EXIT.verifyFailed, EXIT.input, EXIT.verifyIndeterminate, EXIT.ok];
