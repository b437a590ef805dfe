import type { SentItem } from '../exchange/transport.js';
import type { OutboxItem } from './outbox-store.js';
import { sameSha256 } from './state-machine.js';

/*
 * Did a document reach the server? The real axis's sent list (getSentEdocList) carries `senderDocId,
 * toCode, notation, title, sentTime, receiveStatus`: no content hash and no edXML DocumentId. A row is
 * ours when every field it carries agrees with the item (notation = "number/notation", title = subject,
 * toCode one of the recipients, sentTime not before the item was queued) and its docId is not already
 * recorded for another item of this outbox. kyso's own hub and others may add documentId / sha256:
 * when present they must agree too.
 */

export type ReconcileResult = { kind: 'found'; docId: string } | { kind: 'none' } | { kind: 'ambiguous'; why: string };

/** Clock skew allowed between this machine and the server when comparing sentTime. */
export const SENT_TIME_SLACK_MS = 10 * 60_000;

const norm = (s: string | undefined) => (s ?? '').normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();

/** sentTime as the servers write it: ISO 8601, "yyyy-MM-dd HH:mm:ss", "dd/MM/yyyy HH:mm:ss" (Vietnam time). */
export function parseSentTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  let m = /^(\d{2})\/(\d{2})\/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
  if (m) return Date.parse(`${m[3]}-${m[2]}-${m[1]}T${m[4]}:${m[5]}:${m[6] ?? '00'}+07:00`);
  m = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (m) return Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}+07:00`);
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

export function reconcile(item: OutboxItem, rows: SentItem[], knownDocIds: Set<string>, now: Date): ReconcileResult {
  const from = Date.parse(item.createdAt) - SENT_TIME_SLACK_MS;
  const to = now.getTime() + SENT_TIME_SLACK_MS;
  const byDoc = new Map<string, Set<string>>();
  let unidentifiable = 0;
  for (const r of rows) {
    if (!r.docId || knownDocIds.has(r.docId)) continue;
    if (r.messageType && r.messageType !== item.messageType) continue;
    const identifying = r.notation !== undefined || r.documentId !== undefined || r.sha256 !== undefined;
    if (!identifying) {
      unidentifiable++;
      continue;
    }
    if (r.documentId !== undefined && r.documentId !== item.documentId) continue;
    if (r.sha256 !== undefined && !sameSha256(item.sha256, r.sha256)) continue;
    if (r.notation !== undefined && norm(r.notation) !== norm(item.code)) continue;
    if (r.title !== undefined && item.subject !== undefined && norm(r.title) !== norm(item.subject)) continue;
    const t = parseSentTime(r.sentTime);
    if (t !== undefined && (t < from || t > to)) continue;
    const recipients = r.to?.length ? r.to.filter((x) => item.to.includes(x)) : item.to;
    if (r.to?.length && recipients.length === 0) continue;
    const set = byDoc.get(r.docId) ?? new Set<string>();
    for (const x of recipients) set.add(x);
    byDoc.set(r.docId, set);
  }
  if (byDoc.size === 0) {
    return unidentifiable > 0 ? { kind: 'ambiguous', why: `the sent list has ${unidentifiable} row(s) without notation, DocumentId or hash` } : { kind: 'none' };
  }
  if (byDoc.size > 1) return { kind: 'ambiguous', why: `${byDoc.size} sent messages match (docIds ${[...byDoc.keys()].join(', ')})` };
  const [docId, got] = [...byDoc.entries()][0]!;
  const missing = item.to.filter((x) => !got.has(x));
  if (missing.length) return { kind: 'ambiguous', why: `sent message ${docId} matches but lists no delivery to ${missing.join(', ')}` };
  return { kind: 'found', docId };
}
