import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isKysoError, msg, type Msg } from '../core/errors.js';
import type { RetrySettings } from '../core/config.js';
import type { ExchangeTransport } from '../exchange/transport.js';
import type { OutboxItem, OutboxStore } from '../outbox/outbox-store.js';
import { sha256File } from '../outbox/durable-file.js';
import { reconcile } from '../outbox/reconcile.js';
import { isDeliverable, transition, type AttemptResult, type OutboxState } from '../outbox/state-machine.js';

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
  | { kind: 'reconciled'; id: string; docId: string }
  | { kind: 'unknown'; id: string; why: string };

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
export async function deliverItem(id: string, deps: DeliverDeps, opts: { explicit?: boolean; requeryOnly?: boolean } = {}): Promise<DeliveryResult> {
  const initial = deps.store.get(id);
  if (!initial) throw new Error(`outbox item ${id} vanished`);
  const base = { id, documentId: initial.documentId, messageType: initial.messageType, to: initial.to };
  if (initial.state === 'failed' && opts.explicit) deps.store.requeue(id, deps.now());
  // an `unknown` item is never sent again here: only its sent list is queried (requeryOnly)
  const requery = initial.state === 'unknown';
  if (requery && !opts.requeryOnly) {
    return { ...base, state: 'unknown', docId: initial.docId, attempts: 0, reconciled: false, error: unknownError(initial.lastError?.message) };
  }
  if (!requery && !isDeliverable(initial.state, Boolean(opts.explicit))) {
    return { ...base, state: initial.state, docId: initial.docId, attempts: 0, reconciled: false };
  }
  const { transport, retry } = await deps.transportFor(initial.profile);
  let n = 0;
  for (;;) {
    n++;
    const token = randomBytes(12).toString('hex');
    const claim = deps.store.beginAttempt(id, deps.owner, deps.now(), (it) => (requery ? it.state === 'unknown' : canClaim(it, deps)), { token, ms: LEASE_MS });
    if (!claim) {
      const it = deps.store.get(id)!;
      return { ...base, state: it.state === 'sending' ? 'busy' : it.state, docId: it.docId, attempts: n - 1, reconciled: false };
    }
    const item = claim.item;
    deps.onEvent?.({ kind: 'attempt', id, n });
    // heartbeat: the lease runs out LEASE_MS after the last beat, so a long upload keeps its item and a
    // crashed owner's item is taken over once the lease is over (whatever host name it had)
    const beat = setInterval(() => {
      try {
        deps.store.heartbeat(id, token, new Date(deps.now().getTime() + LEASE_MS));
      } catch {
        /* the database is busy: the next beat tries again */
      }
    }, HEARTBEAT_MS);
    beat.unref();
    let result: AttemptResult;
    try {
      result = await attemptOnce(item, transport, deps, requery);
    } finally {
      clearInterval(beat);
    }
    let tr = transition(result, { attemptInRun: n, retry, random: deps.random, wasUncertain: item.uncertain });
    // the sent list could not be asked (a transient error): tried again in this run like a send; once the
    // run's tries are spent the item is `unknown`, never queued for a blind resend. An item that is
    // already unknown stays unknown whatever happens.
    if (result.kind === 'error' && tr.state === 'queued' && (requery || (result.code === 'SENT_LIST_FAILED' && !tr.retryNow))) {
      tr = { ...tr, state: 'unknown', outcome: 'unknown', uncertain: true };
    }
    const now = deps.now();
    deps.store.finishAttempt(id, claim.seq, now, {
      outcome: tr.outcome,
      state: tr.state,
      uncertain: tr.uncertain,
      nextAttemptAt: tr.state === 'queued' ? new Date(now.getTime() + tr.delayMs) : undefined,
      docId: result.kind === 'delivered' ? result.docId : undefined,
      httpStatus: result.httpStatus,
      answer: result.answer,
      errorCode: result.kind !== 'delivered' ? result.code : undefined,
      errorMessage: result.kind !== 'delivered' ? result.message : undefined,
      errorMessageVi: result.kind !== 'delivered' ? result.messageVi : undefined,
    });
    if (result.kind === 'delivered') {
      if (result.reconciled) deps.onEvent?.({ kind: 'reconciled', id, docId: result.docId });
      return { ...base, state: 'delivered', docId: result.docId, attempts: n, reconciled: result.reconciled };
    }
    if (result.kind === 'unknown') {
      deps.onEvent?.({ kind: 'unknown', id, why: result.message });
      return { ...base, state: 'unknown', attempts: n, reconciled: false, error: unknownError(result.message) };
    }
    const error = tr.state === 'unknown' ? unknownError(result.message) : { code: result.code, category: result.category, message: errorMsg(result) };
    if ((tr.state !== 'queued' && tr.state !== 'unknown') || !tr.retryNow) {
      const after = deps.store.get(id)!;
      return { ...base, state: tr.state, attempts: n, reconciled: false, nextAttemptAt: after.nextAttemptAt, error };
    }
    deps.onEvent?.({ kind: 'retry-wait', id, ms: tr.delayMs, reason: result.code });
    await deps.sleep(tr.delayMs);
  }
}

function unknownError(why: string | undefined) {
  return {
    code: 'DELIVERY_UNKNOWN',
    category: 'exchange-retry',
    message: msg(
      `the server may or may not have this message (${why ?? 'ambiguous answer'}); it is NOT sent again automatically. Check on the platform whether the recipient has it: if not, run kyso outbox resend <id> --not-delivered; kyso outbox retry asks the server's sent list again`,
      `chưa rõ máy chủ đã nhận gói tin hay chưa (${why ?? 'câu trả lời không rõ ràng'}); kyso KHÔNG tự gửi lại. Hãy kiểm tra trên trục xem bên nhận đã có văn bản chưa: nếu chưa, chạy kyso outbox resend <id> --not-delivered; kyso outbox retry sẽ hỏi lại danh sách đã gửi của máy chủ`,
    ),
  };
}

/** How long a claim holds without a heartbeat, and how often the sender renews it. */
export const LEASE_MS = 60_000;
export const HEARTBEAT_MS = 15_000;

function canClaim(it: OutboxItem, deps: DeliverDeps): boolean {
  if (it.state === 'queued') return true;
  if (it.state !== 'sending') return false;
  // `sending`: the owner holds a lease it renews by heartbeat; once the lease is over anyone may take it
  const until = it.leaseUntil ? Date.parse(it.leaseUntil) : Date.parse(it.updatedAt) + 30 * 60_000;
  if (deps.now().getTime() > until) return true;
  if (it.ownerPid === undefined) return true;
  // on this machine a dead owner is known at once (a faster path only; the lease decides elsewhere)
  if (it.ownerHost === deps.owner.host) return it.ownerPid === deps.owner.pid || !deps.isAlive(it.ownerPid);
  return false;
}

function errorMsg(r: Extract<AttemptResult, { kind: 'error' }>): Msg {
  return (r as { msg?: Msg }).msg ?? msg(r.message, r.messageVi ?? r.message);
}

/** One attempt: reconcile when uncertain, then send. Exchange errors become a result, never a throw. */
async function attemptOnce(item: OutboxItem, transport: ExchangeTransport, deps: DeliverDeps, requeryOnly: boolean): Promise<AttemptResult> {
  try {
    // A status message has no notation/title the sent list could be matched on: it is sent again (the
    // receiver records a status once per docId; a repeated status changes nothing there).
    if ((item.uncertain || requeryOnly) && item.messageType === 'edoc') {
      let sent;
      try {
        sent = await transport.listSent();
      } catch (e) {
        const why = isKysoError(e) ? e.msg.en : (e as Error).message;
        const whyVi = isKysoError(e) ? e.msg.vi : why;
        // network, 5xx, 429: worth asking again in this run; FAIL / 404 / credentials: unknown at once
        if (isKysoError(e) && e.category === 'exchange-retry') {
          const d = e.details ?? {};
          return { kind: 'error', category: 'exchange-retry', code: 'SENT_LIST_FAILED', message: `the sent-list query failed: ${why}`, messageVi: `không hỏi được danh sách đã gửi: ${whyVi}`, mayHaveReached: true, retryAfterMs: typeof d.retryAfterMs === 'number' ? d.retryAfterMs : undefined };
        }
        return { kind: 'unknown', code: 'SENT_LIST_FAILED', message: `the sent-list query failed: ${why}`, messageVi: `không hỏi được danh sách đã gửi: ${whyVi}` };
      }
      const r = reconcile(item, sent, deps.store.knownDocIds(item.id), deps.now());
      if (r.kind === 'found') return { kind: 'delivered', docId: r.docId, reconciled: true, answer: 'found in the server sent list' };
      if (r.kind === 'ambiguous') return { kind: 'unknown', code: 'SENT_LIST_AMBIGUOUS', message: r.why, messageVi: `danh sách đã gửi không cho biết chắc gói tin nào là của mục này (${r.why})` };
      if (requeryOnly) return { kind: 'unknown', code: 'SENT_LIST_NOT_FOUND', message: 'not in the server sent list (yet)', messageVi: 'chưa có trong danh sách đã gửi của máy chủ' };
    }
    // the stored bytes must still be the ones recorded (streamed: a 200 MB message is never held in memory)
    let actual: string;
    try {
      actual = (await sha256File(item.bytesPath)).sha256;
    } catch (e) {
      return { kind: 'error', category: 'input', code: 'OUTBOX_BYTES_MISSING', message: `${item.bytesPath}: the stored edXML is missing (${(e as Error).message})`, messageVi: `${item.bytesPath}: không còn tệp edXML đã lưu (${(e as Error).message})` };
    }
    if (actual !== item.sha256) {
      return { kind: 'error', category: 'input', code: 'OUTBOX_BYTES_CORRUPT', message: `${item.bytesPath}: the stored edXML no longer matches its SHA-256`, messageVi: `${item.bytesPath}: tệp edXML đã lưu không còn khớp với SHA-256 của nó` };
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
        messageVi: e.msg.vi,
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
export async function deliverAll(ids: string[], deps: DeliverDeps, opts: { explicit?: boolean; requeryOnly?: boolean } = {}): Promise<DeliveryResult[]> {
  const out: DeliveryResult[] = [];
  for (const id of ids) out.push(await deliverItem(id, deps, opts));
  return out;
}
