import { randomBytes } from 'node:crypto';
import { acquireLock } from '../io/lock-file.js';
import { mkdir, readFile, rename, rm, stat, open } from 'node:fs/promises';
import path from 'node:path';
import { inputError, isKysoError, KysoError, msg, type Msg } from '../core/errors.js';
import { decodeAttachmentToFile } from '../exchange/edxml-attachment.js';
import { codeString, formatEdxmlTimestamp } from '../exchange/edxml-format.js';
import { parseEdxmlFile, type ParsedEdoc } from '../exchange/edxml-parse.js';
import type { ResponseFor } from '../exchange/edxml-types.js';
import type { ReceivedItem } from '../exchange/transport.js';
import { unzipToDir } from '../exchange/unzip-capped.js';
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
  /** another receive holds the lock: wait this long for it (Infinity: no limit) instead of failing at once */
  waitMs?: number;
}

export interface ReceivedAttachment {
  name: string;
  file?: string;
  sha256?: string;
  size?: number;
  verdict?: PdfVerdict;
  error?: { code: string; message: Msg };
  /** a zip attachment: the files inside (unpacked next to it), each PDF verified */
  entries?: ReceivedAttachment[];
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
  /** a revocation (1), update (2) or replacement (3): no automatic status, the clerk answers 15/16 */
  business?: { type: 1 | 2 | 3; reason?: string; concerns: string; original?: string };
  /** the sender asked for this document back (status 13): the clerk answers 15/16 */
  recall?: { statusDocId: string; description?: string };
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
  /** a status 13 (recall request) about a document we received: its docId here */
  recallOf?: string;
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
  /** the lock file of a run that was gone (killed, another container) was removed to start this one */
  brokeStaleLock?: { file: string; pid?: number; host?: string; startedAt?: string };
}

/**
 * A file/folder name from untrusted text: letters (Vietnamese included), digits, space . _ - only; no
 * leading dot; at most 150 UTF-8 bytes (file systems allow 255 and the temp names add a few), shortened
 * in the middle so the start and the extension (".pdf") stay.
 */
export function safeName(s: string, maxBytes = 150): string {
  const clean = s.normalize('NFC').replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^[.\s]+/, '_').trim() || '_';
  if (Buffer.byteLength(clean) <= maxBytes) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
  const stem = [...clean.slice(0, clean.length - ext.length)];
  const budget = maxBytes - Buffer.byteLength(ext) - 3; // "…" is 3 bytes
  let head = '';
  let tail = '';
  for (let i = 0, j = stem.length - 1; i <= j; ) {
    const h = stem[i]!;
    if (Buffer.byteLength(head + h + tail) > budget) break;
    head += h;
    i++;
    if (i > j) break;
    const t = stem[j]!;
    if (Buffer.byteLength(head + t + tail) > budget) break;
    tail = t + tail;
    j--;
  }
  return `${head}…${tail}${ext}`;
}

/** errno codes of faults on THIS machine (disk full, permissions, read-only, name too long): never the sender's fault. */
// ENOENT: Node's recursive mkdir reports a read-only parent as ENOENT, and a folder removed under us is ours too
const LOCAL_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG', 'EMFILE', 'ENFILE', 'EIO', 'ENOTDIR', 'ENOENT', 'EBUSY', 'EISDIR']);

export function localFaultOf(e: unknown): string | undefined {
  for (let c: unknown = e, n = 0; c && n < 5; c = (c as { cause?: unknown }).cause, n++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && LOCAL_FAULTS.has(code)) return code;
  }
  return undefined;
}

/** A local fault as the run reports it: the message stays unacked and is fetched again by the next run. */
function localFault(e: unknown, code: string): KysoError {
  const what = (e as Error).message ?? code;
  return new KysoError(
    'RECEIVE_LOCAL_FAULT',
    'exchange-retry',
    msg(
      `a fault on this computer (${code}: ${what}); the message is left on the exchange (not acknowledged, no status sent) and will be fetched again by the next kyso receive`,
      `lỗi trên máy này (${code}: ${what}); gói tin vẫn để trên trục (chưa xác nhận, không gửi trạng thái) và sẽ được nhận lại ở lần kyso receive sau`,
    ),
    { cause: e, details: { errno: code } },
  );
}

/**
 * `kyso receive`: documents (list → fetch → parse → store atomically → verify → queue status 01/02 → ack
 * → deliver status) then status messages from others (→ the matching outbox item's history). Re-running
 * is safe: the received table and the inbox folder name (from the docId) make every step idempotent.
 * One run per profile and data folder at a time: the lock file `<data dir>/receive-<profile>.lock`
 * (src/io/lock-file.ts); a second run exits "already running" (6), or waits for the first with `waitMs`.
 */
export async function receiveDocuments(opts: ReceiveOptions, s: ExchangeSession): Promise<ReceiveResult> {
  const profile = s.profile;
  const d = s.deliverDeps;
  const file = receiveLockFile(s.dataDir, profile.name);
  let got;
  try {
    got = await acquireLock(file, { owner: d.owner, isAlive: d.isAlive, now: d.now, sleep: d.sleep }, { command: `kyso receive --profile ${profile.name}`, waitMs: opts.waitMs });
  } catch (e) {
    const code = localFaultOf(e);
    throw code ? localFault(e, code) : e;
  }
  if (!got.ok) {
    const h = got.holder;
    const who = h ? `pid ${h.pid} on ${h.host}, since ${h.startedAt}` : 'owner unknown';
    const whoVi = h ? `pid ${h.pid} trên máy ${h.host}, từ ${h.startedAt}` : 'không rõ tiến trình';
    throw new KysoError(
      'RECEIVE_RUNNING',
      'exchange-retry',
      msg(
        `another kyso receive is already running for profile "${profile.name}" (${who}; lock file ${file}); try again when it has finished, or use --wait`,
        `một lệnh kyso receive khác đang chạy cho hồ sơ "${profile.name}" (${whoVi}; tệp khóa ${file}); hãy chạy lại khi lệnh đó xong, hoặc dùng --wait`,
      ),
      { details: { lockFile: file, holder: h ?? null } },
    );
  }
  try {
    const r = await receiveLocked(opts, s);
    if (got.lock.broke) r.brokeStaleLock = { file, ...('unreadable' in got.lock.broke ? {} : { pid: got.lock.broke.pid, host: got.lock.broke.host, startedAt: got.lock.broke.startedAt }) };
    return r;
  } finally {
    await got.lock.release();
  }
}

/** The lock file of `kyso receive` for one profile in a data folder. */
export function receiveLockFile(dataDir: string, profile: string): string {
  return path.join(dataDir, `receive-${safeName(profile, 100)}.lock`);
}

async function receiveLocked(opts: ReceiveOptions, s: ExchangeSession): Promise<ReceiveResult> {
  const transport = await s.transport();
  const profile = s.profile;
  const inbox = path.resolve(opts.outDir ?? s.inboxDir);
  try {
    await mkdir(inbox, { recursive: true });
  } catch (e) {
    const code = localFaultOf(e);
    throw code ? localFault(e, code) : e;
  }
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
    // queue the business status (durably) before the transport ack, so it cannot be lost; a revocation,
    // update or replacement gets none: the clerk answers it with 15/16
    if (rec.state === 'stored' && !rec.statusItemId && doc.statusCode && !doc.business) {
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
    const local = localFaultOf(e);
    return { ...base, outcome: 'error', error: errInfo(local ? localFault(e, local) : e), acked: rec?.acked ?? false };
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
  let finalDir = path.join(inbox, safeName(it.docId));
  const tmpDir = path.join(inbox, `.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(tmpDir, { recursive: true });
  let responseFor: ResponseFor | undefined;
  const doc: ReceivedDocument = { docId: it.docId, from: it.from, outcome: 'new', dir: finalDir, flagged: false, flags: [], attachments: [], acked: false };
  try {
    const edxmlPath = path.join(tmpDir, 'message.edxml');
    // streamed to disk when the adapter can (large messages never sit in memory)
    if (transport.getEdocToFile) await transport.getEdocToFile(it.docId, edxmlPath);
    else await writeFileDurable(edxmlPath, await transport.getEdoc(it.docId));
    // a JSON error body (or an HTML page) where the message should be: the server's fault, not the
    // sender's; nothing is stored or acknowledged, the next run fetches it again
    await assertXmlBody(edxmlPath, it.docId);
    let parsed: ParsedEdoc | undefined;
    try {
      const p = await parseEdxmlFile(edxmlPath);
      if (p.kind !== 'edoc') throw Object.assign(new Error('a status message where a document was expected'), { code: 'EDXML_NOT_DOCUMENT' });
      parsed = p;
    } catch (e) {
      if (localFaultOf(e)) throw e;
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
          // disk full, permissions…: our fault, the message is fetched again next run; hostile content (a zip
          // bomb): quarantine (src/services/quarantine.ts), never a status 02
          if (localFaultOf(e) || isContentFault(e)) throw e;
          // the attachment cannot be decoded (cut short, bad base64/zip): proven damaged
          att.error = errInfo(e);
        }
        if (att.file) {
          const kind = await sniff(path.join(tmpDir, name));
          if (kind === 'pdf') att.verdict = await verifyOne(opts, path.join(tmpDir, name));
          else if (kind === 'zip') await unpackZip(opts, doc, att, tmpDir, name, used);
        }
        doc.attachments.push(att);
      }
      decide(doc);
      if (m.businessDocType === 1 || m.businessDocType === 2 || m.businessDocType === 3) {
        // a revocation / update / replacement: linked to the original, shown, answered by the clerk (15/16)
        const refs = [...(m.responseFor ?? []).map((r) => r.documentId), m.businessDocumentId, ...(m.replacementInfo ?? []).map((r) => r.documentId), m.businessDocType !== 3 ? m.documentId : undefined].filter(
          (x): x is string => Boolean(x),
        );
        const orig = refs
          .flatMap((ref) => s.store.findReceivedByDocumentId(profile.name, m.from.organId, ref))
          .find((r) => r.docId !== it.docId && !(r.info as { business?: unknown } | undefined)?.business);
        const concerns = refs[0] ?? m.documentId;
        doc.business = { type: m.businessDocType, reason: m.businessDocReason, concerns, original: orig?.docId };
        const what = { 1: 'revocation', 2: 'update', 3: 'replacement' }[m.businessDocType];
        doc.flags.push(`${what} of ${concerns}${orig ? ` (received as docId ${orig.docId})` : ' (original not received here)'}${m.businessDocReason ? `: ${m.businessDocReason}` : ''}; answer with kyso status ${it.docId} 15 (accept) or 16 (refuse)`);
        if (doc.statusCode === '01') doc.statusCode = undefined;
        doc.flagged = true;
      } else {
        // the same document (sender + DocumentId) already arrived under another docId: keep it, tell the clerk
        const twin = s.store.findReceivedByDocumentId(profile.name, m.from.organId, m.documentId).find((r) => r.docId !== it.docId);
        if (twin) {
          doc.flags.push(`same document as docId ${twin.docId} (received ${twin.receivedAt})`);
          doc.flagged = true;
        }
      }
    }
    await writeFileDurable(path.join(tmpDir, 'metadata.json'), JSON.stringify({ ...doc, dir: undefined, acked: undefined, docId: it.docId, profile: profile.name, receivedAt, message: parsed ? summary(parsed) : undefined }, null, 2) + '\n');
    await fsyncDir(tmpDir);
    for (let n = 2; ; n++) {
      try {
        await rename(tmpDir, finalDir);
        break;
      } catch (e) {
        if (!(await exists(finalDir))) throw e;
        // stored by an earlier run that stopped before recording it: keep that copy; a folder of ANOTHER
        // message whose docId maps to the same name: this one gets the next free name
        if ((await storedDocId(finalDir)) === it.docId) {
          await rm(tmpDir, { recursive: true, force: true });
          break;
        }
        finalDir = path.join(inbox, `${safeName(it.docId, 140)}-${n}`);
        doc.dir = finalDir;
      }
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
    info: responseFor ? { responseFor, from: doc.from, code: doc.code, subject: doc.subject, business: doc.business } : undefined,
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
  for (const a of doc.attachments.flatMap((x) => [x, ...(x.entries ?? [])])) {
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

/** What a decoded attachment is, by its first bytes: a PDF ("%PDF-" near the start), a zip ("PK\x03\x04"), or other. */
async function sniff(file: string): Promise<'pdf' | 'zip' | 'other'> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, 1024, 0);
    const b = buf.subarray(0, bytesRead);
    if (b.length >= 4 && b.readUInt32LE(0) === 0x04034b50) return 'zip';
    return b.includes('%PDF-') ? 'pdf' : 'other';
  } finally {
    await fh.close();
  }
}

async function verifyOne(opts: ReceiveOptions, file: string): Promise<PdfVerdict> {
  try {
    const v = await opts.verifyPdf(file);
    // a PDF whose verification runs out of time is hostile content: counted towards the quarantine
    if (v.subIndication === 'VERIFY_TIMEOUT') throw inputError('VERIFY_TIMEOUT', v.summary);
    return v;
  } catch (e) {
    if (localFaultOf(e) || isContentFault(e)) throw e;
    // a verifier failure proves nothing about the document: the clerk decides
    const m = errInfo(e).message;
    return { indication: 'INDETERMINATE', subIndication: 'VERIFY_ERROR', summary: msg(`verification could not run: ${m.en}`, `không chạy được kiểm tra chữ ký: ${m.vi}`) };
  }
}

/**
 * A zip attachment: unpacked (through the capped unzip) into a folder next to it, and each PDF inside
 * verified on its own. An archive over the caps is hostile content, not damage: flagged for the clerk.
 */
async function unpackZip(opts: ReceiveOptions, doc: ReceivedDocument, att: ReceivedAttachment, tmpDir: string, name: string, used: Set<string>): Promise<void> {
  let folder = safeName(`${name}.files`);
  while (used.has(folder)) folder = `_${folder}`;
  used.add(folder);
  let entries;
  try {
    entries = await unzipToDir(path.join(tmpDir, name), path.join(tmpDir, folder));
  } catch (e) {
    if (localFaultOf(e) || isContentFault(e)) throw e; // over the caps: quarantined, not answered
    att.error = errInfo(e);
    return;
  }
  att.entries = [];
  for (const en of entries) {
    const sub: ReceivedAttachment = { name: en.name, file: path.join(folder, en.name), size: en.size };
    if ((await sniff(en.path)) === 'pdf') sub.verdict = await verifyOne(opts, en.path);
    att.entries.push(sub);
  }
}

async function storedDocId(dir: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')) as { docId?: string }).docId;
  } catch {
    return undefined;
  }
}

/** Refuses a download that is not XML (a JSON error body, an HTML page): a transport problem, retried next run. */
async function assertXmlBody(file: string, docId: string): Promise<void> {
  const fh = await open(file, 'r');
  let head: string;
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  } finally {
    await fh.close();
  }
  if (head.startsWith('<') && !/^<!doctype html|^<html/i.test(head)) return;
  let desc = head.slice(0, 200);
  try {
    const j = JSON.parse(head) as Record<string, unknown>;
    desc = `${String(j.ErrorCode ?? j.errorCode ?? '')} ${String(j.ErrorDesc ?? j.errorDesc ?? j.message ?? '')}`.trim() || desc;
  } catch {
    /* not JSON either: show the start */
  }
  throw new KysoError('EXCHANGE_DOWNLOAD_NOT_EDXML', 'exchange-retry', msg(
    `docId ${docId}: the exchange answered something other than an edXML message (${desc}); nothing stored or acknowledged, the next kyso receive fetches it again`,
    `docId ${docId}: trục trả về nội dung không phải gói tin edXML (${desc}); chưa lưu, chưa xác nhận, lần kyso receive sau sẽ nhận lại`,
  ));
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
        if (m.statusCode === '13') {
          // the sender asks for a document it sent us back: linked to it, left for the clerk (15/16)
          // the document itself, not a revocation/update of it that shares its DocumentId
          const same = s.store.findReceivedByDocumentId(profile.name, m.from.organId, m.responseFor.documentId);
          const orig = same.find((r) => !(r.info as { business?: unknown } | undefined)?.business) ?? same[0];
          if (orig) {
            out.recallOf = orig.docId;
            s.store.putReceived({ ...orig, flagged: true, info: { ...orig.info, recall: { statusDocId: it.docId, description: m.description, at: m.timestamp } } });
          }
        }
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
        if (localFaultOf(e)) throw e;
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
    const local = localFaultOf(e);
    return { ...out, outcome: 'error', error: errInfo(local ? localFault(e, local) : e) };
  }
}

