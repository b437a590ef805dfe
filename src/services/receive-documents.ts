import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, open } from 'node:fs/promises';
import path from 'node:path';
import { inputError, isKysoError, msg, type KysoError, type Msg } from '../core/errors.js';
import { decodeAttachmentToFile } from '../exchange/edxml-attachment.js';
import { codeString, formatEdxmlTimestamp } from '../exchange/edxml-format.js';
import { parseEdxmlFile, type ParsedEdoc } from '../exchange/edxml-parse.js';
import type { ResponseFor } from '../exchange/edxml-types.js';
import type { ReceivedItem } from '../exchange/transport.js';
import { fsyncDir, writeFileDurable } from '../outbox/durable-file.js';
import type { ReceivedRecord } from '../outbox/outbox-store.js';
import { deliverAll, type DeliveryResult } from './outbox-deliver.js';
import type { ExchangeSession } from './outbox-session.js';
import { queueStatus } from './status-send.js';
import { isContentFault, MAX_ATTEMPTS, Quarantine, repeatedFailure, type QuarantineEntry } from './quarantine.js';

/** What receive needs from signature verification (the verify service, injected). */
export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE' | 'NO_SIGNATURE' | 'ERROR';
export interface PdfVerdict {
  indication: Indication;
  subIndication?: string;
  /** one line for the clerk and for the status 02 reason */
  summary: Msg;
}
export type VerifyPdf = (file: string) => Promise<PdfVerdict>;

export interface ReceiveOptions {
  /** inbox folder (default <data dir>/inbox) */
  outDir?: string;
  verifyPdf: VerifyPdf;
}

export interface ReceivedAttachment {
  name: string;
  file?: string;
  sha256?: string;
  size?: number;
  verdict?: PdfVerdict;
  error?: { code: string; message: Msg };
}

export interface ReceivedDocument {
  docId: string;
  from: string;
  documentId?: string;
  code?: string;
  subject?: string;
  dir?: string;
  /** new: stored in this run; already: stored earlier (nothing stored twice); unparseable: acked `fail`;
   * quarantined: hostile content (a cap broken, or unfinished 3 times) moved to quarantine/ and acked `fail` */
  outcome: 'new' | 'already' | 'unparseable' | 'error' | 'quarantined';
  statusCode?: '01' | '02';
  reason?: string;
  /** the clerk must look: INDETERMINATE or unsigned attachments, or no PDF at all */
  flagged: boolean;
  flags: string[];
  attachments: ReceivedAttachment[];
  acked: boolean;
  status?: DeliveryResult;
  error?: { code: string; category: string; message: Msg };
}

export interface ReceivedStatus {
  docId: string;
  from: string;
  documentId?: string;
  statusCode?: string;
  description?: string;
  /** the outbox item it was attached to (none when we never sent that document) */
  itemId?: string;
  outcome: 'new' | 'already' | 'unparseable' | 'error';
  error?: { code: string; category: string; message: Msg };
}

export interface ReceiveResult {
  profile: string;
  inbox: string;
  documents: ReceivedDocument[];
  statuses: ReceivedStatus[];
  /** status messages (and other queued items) delivered or left queued in this run */
  outbox: DeliveryResult[];
  /** every message in quarantine (this run's and earlier ones) */
  quarantined: QuarantineEntry[];
}

/** A file/folder name from untrusted text: letters (Vietnamese included), digits, space . _ - only; no leading dot. */
export const safeName = (s: string) =>
  s.normalize('NFC').replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^[.\s]+/, '_').trim().slice(0, 120) || '_';

/**
 * `kyso receive`: documents (list → fetch → parse → store atomically → verify → queue status 01/02 → ack
 * → deliver status) then status messages from others (→ the matching outbox item's history). Re-running
 * is safe: the received table and the inbox folder name (from the docId) make every step idempotent.
 */
export async function receiveDocuments(opts: ReceiveOptions, s: ExchangeSession): Promise<ReceiveResult> {
  const transport = await s.transport();
  const profile = s.profile;
  const inbox = path.resolve(opts.outDir ?? s.inboxDir);
  await mkdir(inbox, { recursive: true });
  const result: ReceiveResult = { profile: profile.name, inbox, documents: [], statuses: [], outbox: [], quarantined: [] };
  const statusItems: string[] = [];

  for (const it of await transport.listReceived('edoc')) {
    const doc = await receiveOne(it, opts, s, inbox);
    result.documents.push(doc);
    const rec = s.store.getReceived(profile.name, it.docId);
    if (rec?.statusItemId && doc.outcome !== 'error') statusItems.push(rec.statusItemId);
  }
  let statusList: ReceivedItem[] = [];
  try {
    statusList = await transport.listReceived('status');
  } catch (e) {
    // the documents above are done; report the status list as not fetched (exit 6 / 4)
    result.statuses.push({ docId: '', from: '', outcome: 'error', error: errInfo(e) });
  }
  for (const it of statusList) {
    result.statuses.push(await receiveStatus(it, s));
  }
  // deliver the status messages queued now, and any left queued by an earlier run
  const queued = s.store.list({ states: ['queued', 'sending'], profile: profile.name }).filter((i) => i.messageType === 'status').map((i) => i.id);
  const ids = [...new Set([...statusItems, ...queued])];
  result.outbox = await deliverAll(ids, s.deliverDeps);
  result.quarantined = await new Quarantine(s.dataDir).list();
  for (const d of result.documents) {
    const rec = s.store.getReceived(profile.name, d.docId);
    if (rec?.statusItemId) d.status = result.outbox.find((o) => o.id === rec.statusItemId);
  }
  return result;
}

function errInfo(e: unknown): { code: string; category: string; message: Msg } {
  if (isKysoError(e)) return { code: e.code, category: e.category, message: e.msg };
  const m = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', category: 'internal', message: msg(m, m) };
}

async function receiveOne(it: ReceivedItem, opts: ReceiveOptions, s: ExchangeSession, inbox: string): Promise<ReceivedDocument> {
  const profile = s.profile;
  const transport = await s.transport();
  const now = () => s.deliverDeps.now();
  const base: ReceivedDocument = { docId: it.docId, from: it.from, outcome: 'new', flagged: false, flags: [], attachments: [], acked: false };
  let rec = s.store.getReceived(profile.name, it.docId);
  try {
    if (rec && rec.state !== 'stored' && rec.state !== 'unparseable') rec = undefined;
    let doc: ReceivedDocument;
    if (rec) {
      doc = await fromMetadata(rec, base);
      doc.outcome = rec.acked ? 'already' : doc.outcome === 'unparseable' ? 'unparseable' : 'already';
    } else {
      const q = await guardedFetch(it, opts, s, inbox);
      if ('quarantined' in q) return q.quarantined;
      doc = q.doc;
      rec = s.store.getReceived(profile.name, it.docId)!;
    }
    // queue the business status (durably) before the transport ack, so it cannot be lost
    if (rec.state === 'stored' && !rec.statusItemId && doc.statusCode) {
      const info = rec.info as { responseFor: ResponseFor; from: string };
      const item = await queueStatus(s, {
        to: info.from,
        responseFor: info.responseFor,
        statusCode: doc.statusCode,
        description: doc.statusCode === '01' ? statusDescription01(doc) : `Từ chối tiếp nhận: ${doc.reason ?? ''}`.trim(),
        timestamp: formatEdxmlTimestamp(now()),
      });
      rec = { ...rec, statusItemId: item.id, statusCode: doc.statusCode };
      s.store.putReceived(rec);
    }
    if (!rec.acked) {
      await transport.ack(it.docId, rec.state === 'unparseable' ? 'fail' : 'done');
      rec = { ...rec, acked: true };
      s.store.putReceived(rec);
    }
    doc.acked = true;
    return doc;
  } catch (e) {
    return { ...base, outcome: 'error', error: errInfo(e), acked: rec?.acked ?? false };
  }
}

/**
 * fetchAndStore under the quarantine rules (src/services/quarantine.ts): an attempt is counted before the
 * work and forgotten after it; content that breaks a cap is quarantined at once, a verification that times
 * out (or a run that dies on the message) is retried until the MAX_ATTEMPTS-th time; either way the message
 * is then acked `fail` so the inbox moves on. Local faults are never quarantined.
 */
async function guardedFetch(it: ReceivedItem, opts: ReceiveOptions, s: ExchangeSession, inbox: string): Promise<{ doc: ReceivedDocument } | { quarantined: ReceivedDocument }> {
  const profile = s.profile;
  const q = new Quarantine(s.dataDir);
  const n = await q.begin(profile.name, it.docId);
  const isolate = async (code: string, reason: Msg): Promise<{ quarantined: ReceivedDocument }> => {
    await q.put({ docId: it.docId, from: it.from, profile: profile.name, code, reason, attempts: n, at: s.deliverDeps.now() });
    await (await s.transport()).ack(it.docId, 'fail');
    return { quarantined: { docId: it.docId, from: it.from, outcome: 'quarantined', flagged: true, flags: [], attachments: [], acked: true, dir: q.folderOf(it.docId), error: { code, category: 'input', message: reason } } };
  };
  if (n > MAX_ATTEMPTS) return isolate('REPEATED_FAILURE', repeatedFailure(n - 1));
  try {
    const doc = await fetchAndStore(it, opts, s, inbox);
    await q.done(profile.name, it.docId);
    return { doc };
  } catch (e) {
    if (!isContentFault(e)) {
      await q.done(profile.name, it.docId);
      throw e;
    }
    const err = e as KysoError;
    if (err.code === 'VERIFY_TIMEOUT' && n < MAX_ATTEMPTS) throw e;
    return isolate(err.code, err.code === 'VERIFY_TIMEOUT' ? repeatedFailure(n, err.msg) : err.msg);
  }
}

function statusDescription01(doc: ReceivedDocument): string {
  return doc.flagged ? 'Đã đến - chờ văn thư kiểm tra chữ ký số' : 'Đã đến - chữ ký số hợp lệ';
}

async function fromMetadata(rec: ReceivedRecord, base: ReceivedDocument): Promise<ReceivedDocument> {
  try {
    const meta = JSON.parse(await readFile(path.join(rec.dir!, 'metadata.json'), 'utf8')) as ReceivedDocument;
    return { ...base, ...meta, outcome: 'already' };
  } catch {
    return { ...base, outcome: 'already', dir: rec.dir, documentId: rec.documentId, statusCode: rec.statusCode as '01' | '02' | undefined, flagged: rec.flagged };
  }
}

/** Fetches, parses, stores (temp folder → rename) and verifies one document; records it in the database. */
async function fetchAndStore(it: ReceivedItem, opts: ReceiveOptions, s: ExchangeSession, inbox: string): Promise<ReceivedDocument> {
  const transport = await s.transport();
  const profile = s.profile;
  const receivedAt = s.deliverDeps.now().toISOString();
  const finalDir = path.join(inbox, safeName(it.docId));
  const tmpDir = path.join(inbox, `.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(tmpDir, { recursive: true });
  let responseFor: ResponseFor | undefined;
  const doc: ReceivedDocument = { docId: it.docId, from: it.from, outcome: 'new', dir: finalDir, flagged: false, flags: [], attachments: [], acked: false };
  try {
    const edxmlPath = path.join(tmpDir, 'message.edxml');
    // streamed to disk when the adapter can (large messages never sit in memory)
    if (transport.getEdocToFile) await transport.getEdocToFile(it.docId, edxmlPath);
    else await writeFileDurable(edxmlPath, await transport.getEdoc(it.docId));
    let parsed: ParsedEdoc | undefined;
    try {
      const p = await parseEdxmlFile(edxmlPath);
      if (p.kind !== 'edoc') throw Object.assign(new Error('a status message where a document was expected'), { code: 'EDXML_NOT_DOCUMENT' });
      parsed = p;
    } catch (e) {
      doc.outcome = 'unparseable';
      doc.error = errInfo(e);
    }
    if (parsed) {
      const m = parsed.message;
      doc.from = m.from.organId;
      doc.documentId = m.documentId;
      doc.code = codeString(m.code);
      doc.subject = m.subject;
      responseFor = { organId: m.from.organId, code: codeString(m.code), promulgationDate: m.promulgation.date, documentId: m.documentId };
      const used = new Set<string>();
      for (const a of m.attachments) {
        let name = safeName(a.name || `${a.contentId}.bin`);
        while (used.has(name) || name === 'message.edxml' || name === 'metadata.json') name = `_${name}`;
        used.add(name);
        const att: ReceivedAttachment = { name: a.name };
        try {
          const d = await decodeAttachmentToFile(parsed, a.contentId, path.join(tmpDir, name));
          att.file = name;
          att.sha256 = d.sha256;
          att.size = d.size;
        } catch (e) {
          // hostile content (a zip bomb): quarantine, not a status 02 (src/services/quarantine.ts)
          if (isContentFault(e)) throw e;
          // the attachment cannot be decoded (cut short, bad base64/zip): proven damaged
          att.error = errInfo(e);
        }
        if (att.file && (await isPdf(path.join(tmpDir, name)))) {
          try {
            att.verdict = await opts.verifyPdf(path.join(tmpDir, name));
            if (att.verdict.subIndication === 'VERIFY_TIMEOUT') throw inputError('VERIFY_TIMEOUT', att.verdict.summary);
          } catch (e) {
            if (isContentFault(e)) throw e;
            // a verifier failure proves nothing about the document: the clerk decides
            const m = errInfo(e).message;
            att.verdict = { indication: 'INDETERMINATE', subIndication: 'VERIFY_ERROR', summary: msg(`verification could not run: ${m.en}`, `không chạy được kiểm tra chữ ký: ${m.vi}`) };
          }
        }
        doc.attachments.push(att);
      }
      decide(doc);
      // the same document (sender + DocumentId) already arrived under another docId: keep it, tell the clerk
      const twin = s.store.findReceivedByDocumentId(profile.name, m.from.organId, m.documentId).find((r) => r.docId !== it.docId);
      if (twin) {
        doc.flags.push(`same document as docId ${twin.docId} (received ${twin.receivedAt})`);
        doc.flagged = true;
      }
    }
    await writeFileDurable(path.join(tmpDir, 'metadata.json'), JSON.stringify({ ...doc, dir: undefined, acked: undefined, profile: profile.name, receivedAt, message: parsed ? summary(parsed) : undefined }, null, 2) + '\n');
    await fsyncDir(tmpDir);
    try {
      await rename(tmpDir, finalDir);
    } catch (e) {
      // stored by an earlier run that stopped before recording it: keep that copy
      if (!(await exists(finalDir))) throw e;
      await rm(tmpDir, { recursive: true, force: true });
    }
    await fsyncDir(inbox);
  } catch (e) {
    await rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  // verdicts are computed over the files before the rename; verify paths in metadata are relative
  s.store.putReceived({
    docId: it.docId,
    profile: profile.name,
    messageType: 'edoc',
    from: doc.from,
    documentId: doc.documentId,
    dir: finalDir,
    state: doc.outcome === 'unparseable' ? 'unparseable' : 'stored',
    verdict: doc.statusCode === '02' ? 'rejected' : doc.flagged ? 'flagged' : doc.outcome === 'unparseable' ? 'unparseable' : 'passed',
    flagged: doc.flagged,
    statusCode: undefined,
    acked: false,
    receivedAt,
    info: responseFor ? { responseFor, from: doc.from, code: doc.code, subject: doc.subject } : undefined,
  });
  return doc;
}

/**
 * 02 when a signature fails (TOTAL_FAILED) or an attachment cannot be decoded; else 01, flagged for the
 * clerk when anything is not proven (INDETERMINATE, unreadable by our reader, unsigned, no PDF).
 */
function decide(doc: ReceivedDocument): void {
  const failures: string[] = [];
  let pdfs = 0;
  for (const a of doc.attachments) {
    if (a.error) {
      failures.push(`${a.name}: ${a.error.message.vi}`);
      continue;
    }
    if (!a.verdict) continue;
    pdfs++;
    const v = a.verdict;
    if (v.indication === 'TOTAL_FAILED') failures.push(`${a.name}: ${v.summary.vi}${v.subIndication ? ` (${v.subIndication})` : ''}`);
    // ERROR = our reader could not read it: not a proven failure, so flagged rather than rejected
    else if (v.indication === 'INDETERMINATE' || v.indication === 'ERROR') doc.flags.push(`${a.name}: ${v.indication}${v.subIndication ? ` ${v.subIndication}` : ''} — ${v.summary.en}`);
    else if (v.indication === 'NO_SIGNATURE') doc.flags.push(`${a.name}: no signature`);
  }
  if (pdfs === 0 && failures.length === 0) doc.flags.push('no PDF attachment');
  if (failures.length) {
    doc.statusCode = '02';
    doc.reason = failures.join('; ');
  } else {
    doc.statusCode = '01';
  }
  doc.flagged = doc.flags.length > 0;
}

function summary(p: ParsedEdoc): Record<string, unknown> {
  const m = p.message;
  return {
    from: m.from,
    to: m.to,
    documentId: m.documentId,
    code: m.code,
    promulgation: m.promulgation,
    documentType: m.documentType,
    subject: m.subject,
    content: m.content,
    signer: m.signer,
    dueDate: m.dueDate,
    priority: m.priority,
    businessDocType: m.businessDocType,
    businessDocReason: m.businessDocReason,
    envelopeSignature: p.hasEnvelopeSignature,
  };
}

async function isPdf(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, 1024, 0);
    return buf.subarray(0, bytesRead).includes('%PDF-');
  } finally {
    await fh.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** A status message from another organisation: attach it to the outbox item of the document it is about. */
async function receiveStatus(it: ReceivedItem, s: ExchangeSession): Promise<ReceivedStatus> {
  const profile = s.profile;
  const transport = await s.transport();
  const prev = s.store.getReceived(profile.name, it.docId);
  const out: ReceivedStatus = { docId: it.docId, from: it.from, outcome: 'new' };
  try {
    if (prev?.acked) return { ...out, outcome: 'already', documentId: prev.documentId, statusCode: prev.statusCode };
    if (!prev) {
      const bytes = await transport.getEdoc(it.docId);
      const receivedAt = s.deliverDeps.now().toISOString();
      const dir = path.join(s.dataDir, 'status-in');
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${safeName(it.docId)}.edxml`);
      await writeFileDurable(file, bytes);
      let rec: ReceivedRecord = { docId: it.docId, profile: profile.name, messageType: 'status', from: it.from, dir: file, state: 'stored', flagged: false, acked: false, receivedAt };
      try {
        const p = await parseEdxmlFile(file);
        if (p.kind !== 'status') throw Object.assign(new Error('a document where a status message was expected'), { code: 'EDXML_NOT_STATUS' });
        const m = p.message;
        out.from = m.from.organId;
        out.documentId = m.responseFor.documentId;
        out.statusCode = m.statusCode;
        out.description = m.description;
        const { itemId } = s.store.addStatusEvent(m.responseFor.documentId, {
          sourceDocId: it.docId,
          statusCode: m.statusCode,
          description: m.description,
          at: m.timestamp,
          from: m.from.organId,
          receivedAt,
        });
        out.itemId = itemId;
        rec = { ...rec, from: m.from.organId, documentId: m.responseFor.documentId, statusCode: m.statusCode };
      } catch (e) {
        out.outcome = 'unparseable';
        out.error = errInfo(e);
        rec = { ...rec, state: 'unparseable' };
      }
      s.store.putReceived(rec);
    }
    const rec = s.store.getReceived(profile.name, it.docId)!;
    await transport.ack(it.docId, rec.state === 'unparseable' ? 'fail' : 'done');
    s.store.putReceived({ ...rec, acked: true });
    if (prev) return { ...out, outcome: 'already', documentId: rec.documentId, statusCode: rec.statusCode };
    return out;
  } catch (e) {
    return { ...out, outcome: 'error', error: errInfo(e) };
  }
}

