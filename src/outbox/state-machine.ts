/**
 * The outbox state machine, pure (no I/O, no clock, no randomness of its own).
 *
 *   queued ──begin──▶ sending ──ok──────────────▶ delivered
 *     ▲                  │  ├─exchange-retry──▶ queued (nextAttemptAt = now + backoff; uncertain if the
 *     │                  │  │                   request may have reached the server)
 *     │                  │  ├─exchange-rejected▶ rejected
 *     │                  │  └─credentials/input▶ failed
 *     └──retry (explicit)┴─ failed
 *
 * An item found in `sending` whose owner is gone (a crash or SIGKILL) and an item marked `uncertain`
 * are reconciled with the server's sent list before any new send, so a document is never delivered twice.
 */
import type { ErrorCategory } from '../core/errors.js';
import type { RetrySettings } from '../core/config.js';

/**
 * `unknown`: the server's answer was ambiguous and its sent list could not settle it (query failed, or
 * rows that match only in part). Never resent automatically: `outbox retry` re-queries the sent list only;
 * `outbox resend <id> --not-delivered` is the clerk's explicit decision.
 */
export type OutboxState = 'queued' | 'sending' | 'delivered' | 'rejected' | 'failed' | 'unknown';
export const FINAL_STATES: readonly OutboxState[] = ['delivered', 'rejected'];

export type AttemptOutcome = 'pending' | 'delivered' | 'reconciled' | 'retry' | 'rejected' | 'failed' | 'interrupted' | 'unknown';

/** What one attempt ended with, as the delivery loop reports it. */
export type AttemptResult =
  | { kind: 'delivered'; docId: string; httpStatus?: number; answer?: string; reconciled: boolean }
  | { kind: 'unknown'; code: string; message: string; messageVi?: string; httpStatus?: number; answer?: string }
  | { kind: 'error'; category: ErrorCategory | 'unknown'; code: string; message: string; messageVi?: string; httpStatus?: number; answer?: string; retryAfterMs?: number; mayHaveReached?: boolean };

export interface Transition {
  state: OutboxState;
  outcome: AttemptOutcome;
  /** the request may have reached the server: reconcile before the next send */
  uncertain: boolean;
  /** may the same run try again (after `delayMs`)? */
  retryNow: boolean;
  delayMs: number;
}

/**
 * Exponential back-off with "equal jitter": half the exponential delay plus a random half, capped at maxMs.
 * `n` is the 1-based number of the attempt that just failed. A server's Retry-After is a floor.
 */
export function backoffDelay(n: number, retry: RetrySettings, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.max(0, n - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** Longest Retry-After honoured inside one run; anything longer leaves the item queued for later. */
export const MAX_IN_RUN_WAIT_MS = 60_000;

/**
 * Decides the next state after an attempt. `attemptInRun` is the 1-based attempt number in this run,
 * `wasUncertain` whether an earlier attempt may have reached the server (and was not reconciled).
 */
export function transition(
  r: AttemptResult,
  ctx: { attemptInRun: number; retry: RetrySettings; random: () => number; wasUncertain: boolean },
): Transition {
  if (r.kind === 'delivered') {
    return { state: 'delivered', outcome: r.reconciled ? 'reconciled' : 'delivered', uncertain: false, retryNow: false, delayMs: 0 };
  }
  if (r.kind === 'unknown') return { state: 'unknown', outcome: 'unknown', uncertain: true, retryNow: false, delayMs: 0 };
  switch (r.category) {
    case 'credentials':
    case 'input':
    case 'usage':
      return { state: 'failed', outcome: 'failed', uncertain: ctx.wasUncertain, retryNow: false, delayMs: 0 };
    case 'exchange-rejected':
      return { state: 'rejected', outcome: 'rejected', uncertain: ctx.wasUncertain, retryNow: false, delayMs: 0 };
    case 'interrupted':
      return { state: 'queued', outcome: 'interrupted', uncertain: true, retryNow: false, delayMs: 0 };
    case 'unknown':
    case 'internal':
      // a bug, not the network: keep the item (it may have reached the server), do not hammer the server
      return { state: 'queued', outcome: 'retry', uncertain: true, retryNow: false, delayMs: 0 };
    default: {
      // exchange-retry: keep the item; reconcile first if it may have reached
      const uncertain = ctx.wasUncertain || r.mayHaveReached === true;
      const delayMs = backoffDelay(ctx.attemptInRun, ctx.retry, ctx.random, r.retryAfterMs);
      const retryNow = ctx.attemptInRun < ctx.retry.maxAttempts && delayMs <= Math.max(ctx.retry.maxMs, MAX_IN_RUN_WAIT_MS);
      return { state: 'queued', outcome: 'retry', uncertain, retryNow, delayMs };
    }
  }
}

/** Is the item in a state that `deliver` should pick up? (`failed` only on an explicit retry.) */
export function isDeliverable(state: OutboxState, explicit: boolean): boolean {
  return state === 'queued' || state === 'sending' || (explicit && state === 'failed');
}

/**
 * SHA-256 as the VDXP SDK writes `hash-file`: Java's Integer.toHexString per byte drops leading zeros.
 * Servers may report either form; reconciliation accepts both.
 */
export function sdkHexQuirk(sha256Hex: string): string {
  let out = '';
  for (let i = 0; i < sha256Hex.length; i += 2) out += parseInt(sha256Hex.slice(i, i + 2), 16).toString(16);
  return out;
}

export function sameSha256(ours: string, theirs: string | undefined): boolean {
  if (!theirs) return false;
  const t = theirs.toLowerCase();
  return t === ours.toLowerCase() || t === sdkHexQuirk(ours.toLowerCase());
}
