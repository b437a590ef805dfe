import { readFile } from 'node:fs/promises';
import { isKysoError, msg, type Msg } from '../core/errors.js';
import type { RetrySettings } from '../core/config.js';
import type { ExchangeTransport } from '../exchange/transport.js';
import type { OutboxItem, OutboxStore } from '../outbox/outbox-store.js';
import { sha256File } from '../outbox/durable-file.js';
import { isDeliverable, sameSha256, transition, type AttemptResult, type OutboxState } from '../outbox/state-machine.js';

/** Effects the delivery loop needs; all injected so tests and `kyso demo` can drive it in-process. */
export interface DeliverDeps {
  store: OutboxStore;
  /** transport of the item's profile (opened lazily by the caller) */
  transportFor: (profile: string) => Promise<{ transport: ExchangeTransport; retry: RetrySettings }>;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** this process, recorded as the item's owner while sending */
  owner: { pid: number; host: string };
  /** is the process that owns a `sending` item still running? (same host only) */
  isAlive: (pid: number) => boolean;
  /** progress lines for stderr (the CLI shows them only on a TTY) */
  onEvent?: (e: DeliveryEvent) => void;
}

export type DeliveryEvent =
  | { kind: 'attempt'; id: string; n: number }
  | { kind: 'retry-wait'; id: string; ms: number; reason: string }
  | { kind: 'reconciled'; id: string; docId: string };

export interface DeliveryResult {
  id: string;
  documentId: string;
  messageType: string;
  to: string[];
  state: OutboxState | 'busy';
  docId?: string;
  /** attempts made in this run */
  attempts: number;
  /** delivered because the server already had it (found in its sent list) */
  reconciled: boolean;
  nextAttemptAt?: string;
  error?: { code: string; category: string; message: Msg };
}

/**
 * Delivers one outbox item: claim (durably `sending`) → reconcile if an earlier attempt may have reached the
 * server → send → record. Retries exchange-retry errors up to retry.maxAttempts times in this run with
 * back-off, then leaves the item queued. Never throws for exchange outcomes; they are in the result.
 */
export async function deliverItem(id: string, deps: DeliverDeps, opts: { explicit?: boolean } = {}): Promise<DeliveryResult> {
  const initial = deps.store.get(id);
  if (!initial) throw new Error(`outbox item ${id} vanished`);
  const base = { id, documentId: initial.documentId, messageType: initial.messageType, to: initial.to };
  if (initial.state === 'failed' && opts.explicit) deps.store.requeue(id, deps.now());
  if (!isDeliverable(initial.state, Boolean(opts.explicit))) {
    return { ...base, state: initial.state, docId: initial.docId, attempts: 0, reconciled: false };
  }
  const { transport, retry } = await deps.transportFor(initial.profile);
  let n = 0;
  for (;;) {
    n++;
    const claim = deps.store.beginAttempt(id, deps.owner, deps.now(), (it) => canClaim(it, deps));
    if (!claim) {
      const it = deps.store.get(id)!;
      return { ...base, state: it.state === 'sending' ? 'busy' : it.state, docId: it.docId, attempts: n - 1, reconciled: false };
    }
    const item = claim.item;
    deps.onEvent?.({ kind: 'attempt', id, n });
    const result = await attemptOnce(item, transport);
    const tr = transition(result, { attemptInRun: n, retry, random: deps.random, wasUncertain: item.uncertain });
    const now = deps.now();
    deps.store.finishAttempt(id, claim.seq, now, {
      outcome: tr.outcome,
      state: tr.state,
      uncertain: tr.uncertain,
      nextAttemptAt: tr.state === 'queued' ? new Date(now.getTime() + tr.delayMs) : undefined,
      docId: result.kind === 'delivered' ? result.docId : undefined,
      httpStatus: result.httpStatus,
      answer: result.answer,
      errorCode: result.kind === 'error' ? result.code : undefined,
      errorMessage: result.kind === 'error' ? result.message : undefined,
    });
    if (result.kind === 'delivered') {
      if (result.reconciled) deps.onEvent?.({ kind: 'reconciled', id, docId: result.docId });
      return { ...base, state: 'delivered', docId: result.docId, attempts: n, reconciled: result.reconciled };
    }
    const error = { code: result.code, category: result.category, message: errorMsg(result) };
    if (tr.state !== 'queued' || !tr.retryNow) {
      const after = deps.store.get(id)!;
      return { ...base, state: tr.state, attempts: n, reconciled: false, nextAttemptAt: after.nextAttemptAt, error };
    }
    deps.onEvent?.({ kind: 'retry-wait', id, ms: tr.delayMs, reason: result.code });
    await deps.sleep(tr.delayMs);
  }
}

/** An item `sending` for longer than this is taken over even if a process with the owner's pid exists. */
export const STALE_SENDING_MS = 30 * 60_000;

function canClaim(it: OutboxItem, deps: DeliverDeps): boolean {
  if (it.state === 'queued') return true;
  if (it.state !== 'sending') return false;
  // `sending`: claim only when its owner is gone (crashed); a live owner is still working on it
  if (it.ownerPid === undefined) return true;
  if (it.ownerHost && it.ownerHost !== deps.owner.host) return false;
  if (it.ownerPid === deps.owner.pid) return true;
  // a lease far older than any request timeout: the pid was reused by an unrelated process
  if (deps.now().getTime() - Date.parse(it.updatedAt) > STALE_SENDING_MS) return true;
  return !deps.isAlive(it.ownerPid);
}

function errorMsg(r: Extract<AttemptResult, { kind: 'error' }>): Msg {
  return (r as { msg?: Msg }).msg ?? msg(r.message, r.message);
}

/** One attempt: reconcile when uncertain, then send. Exchange errors become a result, never a throw. */
async function attemptOnce(item: OutboxItem, transport: ExchangeTransport): Promise<AttemptResult> {
  try {
    if (item.uncertain) {
      // A server that reports neither DocumentId nor SHA-256 in its sent list cannot be reconciled with:
      // then the item is sent again (the only way to deliver it) and a duplicate is possible.
      const sent = await transport.listSent();
      const hit =
        sent.find((s) => sameSha256(item.sha256, s.sha256) && (s.documentId === undefined || s.documentId === item.documentId)) ??
        // a server listing DocumentIds without hashes: a document (not a status) is unique per DocumentId here,
        // because `kyso send` resumes the existing item for the same DocumentId and recipients
        sent.find((s) => s.sha256 === undefined && item.messageType === 'edoc' && s.documentId === item.documentId && (s.messageType ?? 'edoc') === 'edoc');
      if (hit) return { kind: 'delivered', docId: hit.docId, reconciled: true, answer: 'found in the server sent list' };
    }
    // the stored bytes must still be the ones recorded (streamed: a 200 MB message is never held in memory)
    let actual: string;
    try {
      actual = (await sha256File(item.bytesPath)).sha256;
    } catch (e) {
      return { kind: 'error', category: 'input', code: 'OUTBOX_BYTES_MISSING', message: `${item.bytesPath}: the stored edXML is missing (${(e as Error).message})` };
    }
    if (actual !== item.sha256) {
      return { kind: 'error', category: 'input', code: 'OUTBOX_BYTES_CORRUPT', message: `${item.bytesPath}: the stored edXML no longer matches its SHA-256` };
    }
    const meta = { from: item.from, to: item.to, messageType: item.messageType, sha256: item.sha256 };
    const { docId } = transport.sendEdocFile ? await transport.sendEdocFile(item.bytesPath, meta) : await transport.sendEdoc(await readFile(item.bytesPath), meta);
    return { kind: 'delivered', docId, reconciled: false, httpStatus: 200 };
  } catch (e) {
    if (isKysoError(e)) {
      const d = e.details ?? {};
      const r: AttemptResult & { msg?: Msg } = {
        kind: 'error',
        category: e.category,
        code: e.code,
        message: e.msg.en,
        httpStatus: typeof d.status === 'number' ? d.status : undefined,
        answer: d.body === undefined ? undefined : typeof d.body === 'string' ? d.body : JSON.stringify(d.body),
        retryAfterMs: typeof d.retryAfterMs === 'number' ? d.retryAfterMs : undefined,
        mayHaveReached: d.mayHaveReached === true,
      };
      r.msg = e.msg;
      return r;
    }
    return { kind: 'error', category: 'unknown', code: 'EXCHANGE_UNEXPECTED', message: e instanceof Error ? e.message : String(e), mayHaveReached: true };
  }
}

/** Delivers several items one after another (the order they were queued). */
export async function deliverAll(ids: string[], deps: DeliverDeps, opts: { explicit?: boolean } = {}): Promise<DeliveryResult[]> {
  const out: DeliveryResult[] = [];
  for (const id of ids) out.push(await deliverItem(id, deps, opts));
  return out;
}
