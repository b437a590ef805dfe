import { msg, usageError } from '../core/errors.js';
import type { ReceivedRecord } from '../outbox/outbox-store.js';
import type { ExchangeSession } from './outbox-session.js';

/**
 * What the other side asked us to change: a revocation, update or replacement received (BussinessDocType
 * 1/2/3, linked to the original on receipt) and a status 13 recall request (recorded on the document it
 * asks back). Each waits for the clerk's `kyso status <docId> 15|16`; `kyso outbox` shows them, with the
 * link to the original and the answer.
 */
export type ChangeKind = 'revoke' | 'update' | 'replace' | 'recall';

export interface ChangeAnswer {
  code: '15' | '16';
  /** the outbox item of the status message */
  itemId: string;
  at: string;
}

export interface ReceivedChange {
  /** the docId to answer with (`kyso status <docId> 15|16`): the change message's, or the recalled document's */
  docId: string;
  profile: string;
  from: string;
  kind: ChangeKind;
  /** DocumentId of the received message */
  documentId: string | null;
  /** DocumentId of the document it concerns (the revoked / updated / replaced / recalled one) */
  concerns: string;
  /** docId under which that document was received here (null: never received here) */
  original: string | null;
  reason: string | null;
  /** a recall: the docId of the status 13 message */
  requestDocId: string | null;
  receivedAt: string;
  answer: ChangeAnswer | null;
}

interface BusinessInfo {
  type: 1 | 2 | 3;
  reason?: string;
  concerns?: string;
  original?: string;
  answer?: ChangeAnswer;
}
interface RecallInfo {
  statusDocId: string;
  description?: string;
  at?: string;
  answer?: ChangeAnswer;
}

const KIND = { 1: 'revoke', 2: 'update', 3: 'replace' } as const;

/** The changes a received record carries (a change message: one; a recalled document: one; both: two). */
export function changesOf(rec: ReceivedRecord): ReceivedChange[] {
  const info = (rec.info ?? {}) as { business?: BusinessInfo; recall?: RecallInfo };
  const out: ReceivedChange[] = [];
  const base = { docId: rec.docId, profile: rec.profile, from: rec.from, documentId: rec.documentId ?? null, receivedAt: rec.receivedAt };
  if (info.business && KIND[info.business.type]) {
    out.push({
      ...base,
      kind: KIND[info.business.type],
      concerns: info.business.concerns ?? rec.documentId ?? '',
      original: info.business.original ?? null,
      reason: info.business.reason ?? null,
      requestDocId: null,
      answer: info.business.answer ?? null,
    });
  }
  if (info.recall) {
    out.push({
      ...base,
      kind: 'recall',
      concerns: rec.documentId ?? '',
      original: rec.docId,
      reason: info.recall.description ?? null,
      requestDocId: info.recall.statusDocId,
      receivedAt: info.recall.at ?? rec.receivedAt,
      answer: info.recall.answer ?? null,
    });
  }
  return out;
}

/** `kyso outbox list`: every received change (this profile, or all), oldest first. */
export function listReceivedChanges(s: ExchangeSession, opts: { allProfiles?: boolean } = {}): ReceivedChange[] {
  return s.store.listReceivedChanges(opts.allProfiles || !s.hasProfile ? undefined : s.profile.name).flatMap(changesOf);
}

/** `kyso outbox show <docId>`: the changes received under this exchange docId (empty when none). */
export function findReceivedChange(s: ExchangeSession, docId: string): ReceivedChange[] {
  const recs = s.hasProfile ? s.store.findReceived(docId, s.profile.name) : [];
  return (recs.length ? recs : s.store.findReceived(docId)).flatMap(changesOf);
}

const KIND_TEXT: Record<ChangeKind, { en: string; vi: string }> = {
  revoke: { en: 'revocation', vi: 'thu hồi' },
  update: { en: 'update', vi: 'cập nhật' },
  replace: { en: 'replacement', vi: 'thay thế' },
  recall: { en: 'recall request (13)', vi: 'yêu cầu lấy lại (13)' },
};

export function kindText(kind: ChangeKind, lang: 'vi' | 'en'): string {
  return KIND_TEXT[kind][lang];
}

/**
 * The received message a 15/16 answers, from what the clerk typed: the exchange docId of a received
 * revocation/update/replacement, of a document whose sender asked it back (13), or the DocumentId of such
 * a message when only one waits for an answer. Unknown, ambiguous, nothing to answer, or already answered:
 * a usage error (exit 2) that says which docIds would fit.
 */
export function resolveChangeToAnswer(s: ExchangeSession, ref: string): { rec: ReceivedRecord; change: ReceivedChange } {
  const profile = s.profile.name;
  let recs = s.store.findReceived(ref, profile);
  if (!recs.length) {
    const elsewhere = s.store.findReceived(ref);
    if (elsewhere.length) {
      const names = [...new Set(elsewhere.map((r) => r.profile))].join(', ');
      throw usageError('RECEIVED_OTHER_PROFILE', msg(
        `docId "${ref}" was received under profile ${names}, not "${profile}": answer it with --profile ${elsewhere[0]!.profile}`,
        `docId "${ref}" được nhận theo hồ sơ ${names}, không phải "${profile}": hãy trả lời với --profile ${elsewhere[0]!.profile}`,
      ));
    }
  }
  const pendingOf = (r: ReceivedRecord) => changesOf(r).filter((c) => !c.answer);
  if (recs.length === 1) {
    const rec = recs[0]!;
    const all = changesOf(rec);
    // a recall request on a change message is the newer question: answered first
    const pending = pendingOf(rec).sort((a, b) => Number(b.kind === 'recall') - Number(a.kind === 'recall'));
    if (pending[0]) return { rec, change: pending[0] };
    if (all.length) {
      const a = all.at(-1)!.answer!;
      throw usageError('CHANGE_ANSWERED', msg(
        `docId "${ref}" (${kindText(all.at(-1)!.kind, 'en')}) was already answered ${a.code} on ${a.at} (outbox item ${a.itemId.slice(0, 8)}; see kyso outbox show ${a.itemId.slice(0, 8)})`,
        `docId "${ref}" (${kindText(all.at(-1)!.kind, 'vi')}) đã được trả lời ${a.code} lúc ${a.at} (mục ${a.itemId.slice(0, 8)}; xem kyso outbox show ${a.itemId.slice(0, 8)})`,
      ));
    }
    const linked = s.store.listReceivedChanges(profile).flatMap(pendingOf).filter((c) => c.original === rec.docId);
    const hint = linked.length ? linked.map((c) => `kyso status ${c.docId} 15|16 (${c.kind})`).join('; ') : '';
    throw usageError('CHANGE_NOTHING_TO_ANSWER', msg(
      `docId "${ref}" is a document with no revocation, update, replacement or recall request to answer: 15/16 answer those${hint ? `; waiting for an answer about it: ${hint}` : ' (see kyso outbox list)'}`,
      `docId "${ref}" là văn bản không có yêu cầu thu hồi, cập nhật, thay thế hay lấy lại nào cần trả lời: 15/16 dùng để trả lời các yêu cầu đó${hint ? `; đang chờ trả lời về văn bản này: ${hint}` : ' (xem kyso outbox list)'}`,
    ));
  }
  if (recs.length === 0) {
    // a DocumentId: the received messages with it that wait for an answer
    recs = s.store.findReceivedDocs(profile, ref.trim());
    const pending = recs.flatMap((r) => pendingOf(r).map((change) => ({ rec: r, change })));
    if (pending.length === 1) return pending[0]!;
    if (pending.length > 1) {
      const list = pending.map((p) => `${p.change.docId} (${p.change.kind})`).join(', ');
      throw usageError('CHANGE_AMBIGUOUS', msg(
        `"${ref}" matches ${pending.length} received messages waiting for an answer: ${list}; give the docId of the one you answer`,
        `"${ref}" khớp ${pending.length} gói tin đến đang chờ trả lời: ${list}; hãy nhập docId của gói tin cần trả lời`,
      ));
    }
    throw usageError('RECEIVED_UNKNOWN', msg(
      `no received revocation, update, replacement or recall request with docId or DocumentId "${ref}" in ${s.dataDir} (see kyso outbox list)`,
      `không có yêu cầu thu hồi, cập nhật, thay thế hay lấy lại nào đã nhận với docId hoặc DocumentId "${ref}" trong ${s.dataDir} (xem kyso outbox list)`,
    ));
  }
  // one docId under one profile is one row (primary key): not reached
  throw usageError('CHANGE_AMBIGUOUS', msg(`"${ref}" matches ${recs.length} received messages`, `"${ref}" khớp ${recs.length} gói tin đến`));
}

/** The Description of a 15/16 names the change it answers (the sender tells an update from a revocation of one DocumentId by it). */
const ANSWER_LABEL: Record<ChangeKind, { '15': string; '16': string; word: string }> = {
  revoke: { '15': 'Đồng ý lệnh thu hồi', '16': 'Từ chối lệnh thu hồi', word: 'thu hồi' },
  update: { '15': 'Đồng ý lệnh cập nhật nội dung', '16': 'Từ chối lệnh cập nhật nội dung', word: 'cập nhật' },
  replace: { '15': 'Đồng ý văn bản thay thế', '16': 'Từ chối văn bản thay thế', word: 'thay thế' },
  recall: { '15': 'Đồng ý lấy lại', '16': 'Từ chối lấy lại', word: 'lấy lại' },
};

export function answerDescription(kind: ChangeKind, code: '15' | '16', description?: string): string {
  const l = ANSWER_LABEL[kind];
  if (!description) return l[code];
  return description.normalize('NFC').toLowerCase().includes(l.word) ? description : `${l[code]}: ${description}`;
}

/** Records the clerk's 15/16 on the received record (the change, or the recall request, it answers). */
export function recordAnswer(s: ExchangeSession, rec: ReceivedRecord, change: ReceivedChange, answer: ChangeAnswer): void {
  const fresh = s.store.getReceived(rec.profile, rec.docId) ?? rec;
  const info = { ...(fresh.info ?? {}) } as Record<string, unknown>;
  const key = change.kind === 'recall' ? 'recall' : 'business';
  info[key] = { ...(info[key] as object), answer };
  info.answered = answer.code;
  s.store.putReceived({ ...fresh, statusCode: answer.code, info });
}
