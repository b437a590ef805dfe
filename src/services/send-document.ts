import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { inputError, msg, usageError } from '../core/errors.js';
import { buildEdocToFile } from '../exchange/edxml-build.js';
import { codeString, fromWireDate, makeDocumentId, vnDate } from '../exchange/edxml-format.js';
import { parseEdxmlFile } from '../exchange/edxml-parse.js';
import { describeViolations, strictRuleViolations } from '../exchange/edxml-rules.js';
import type { BusinessDocType, EdocMessage, Organ } from '../exchange/edxml-types.js';
import { loadDirectory, organFor } from '../exchange/org-directory.js';
import { fsyncDir, sha256File } from '../outbox/durable-file.js';
import type { OutboxItem } from '../outbox/outbox-store.js';
import { deliverItem, type DeliveryResult } from './outbox-deliver.js';
import type { ExchangeSession } from './outbox-session.js';
import { pageCountOf } from './send-pages.js';
import { organOf, parseRecipients, resolveMeta, type DocumentMeta } from './send-meta.js';

/** `--revoke | --update-of | --replace <ref>`: ref is the original's DocumentId, outbox id (prefix) or docId. */
export interface BusinessChange {
  kind: 'revoke' | 'update' | 'replace';
  ref: string;
  reason?: string;
}

export interface SendOptions {
  /** signed PDFs: the first is the main document, the others its attachments (one edXML message) */
  files: string[];
  /** organ ids (comma lists allowed); for a revoke/update/replace, default: the original's recipients */
  to: string[];
  meta: DocumentMeta;
  /** where the metadata came from, for messages (e.g. the --meta file) */
  metaSource?: string;
  business?: BusinessChange;
}

export interface SendResult {
  item: DeliveryResult;
  profile: string;
  from: string;
  documentId: string;
  businessType: BusinessDocType;
  files: { file: string; sha256: string; size: number }[];
  /** an identical message was already in the outbox: that item was resumed, nothing new queued */
  resumed: boolean;
  edxml: { path: string; sha256: string; size: number };
}

const BUSINESS: Record<BusinessChange['kind'], { type: BusinessDocType; reason: string }> = {
  revoke: { type: 1, reason: 'Thu hồi văn bản điện tử' },
  update: { type: 2, reason: 'Cập nhật văn bản điện tử' },
  replace: { type: 3, reason: 'Văn bản thay thế' },
};

/**
 * `kyso send`: validate → build the edXML into the data folder → check it against the strictest platform
 * rules (parsed back from the bytes) → record the outbox item keyed by its message identity (sender,
 * DocumentId, recipients, business type; UNIQUE, one transaction) → only then deliver. The same message
 * sent again (concurrently, or after a credentials failure was fixed) resumes the existing item.
 */
export async function sendDocument(opts: SendOptions, s: ExchangeSession): Promise<SendResult> {
  const profile = s.profile;
  const now = s.deliverDeps.now();
  const biz = opts.business;
  const original = biz ? await loadOriginal(s, biz.ref) : undefined;
  if (!opts.files.length && biz?.kind !== 'revoke') {
    throw usageError('FILES_MISSING', msg('no PDF given: kyso send <signed.pdf>... --to <organId>', 'chưa chọn tệp PDF: kyso send <tệp-đã-ký.pdf>... --to <mã-cơ-quan>'));
  }
  const to = opts.to.length || !original ? parseRecipients(opts.to) : original.item.to;
  // metadata: an update/revocation starts from the original's, a replacement too except its own number
  const baseMeta: DocumentMeta = original ? metaOf(original.message) : {};
  if (biz?.kind === 'replace' && !opts.meta.code) {
    throw usageError('META_MISSING', msg('a replacement is a new document: give its own --code number/notation', 'văn bản thay thế là văn bản mới: hãy nhập --code số/ký hiệu của nó'));
  }
  const merged: DocumentMeta = { ...baseMeta, ...stripUndefined(opts.meta) };
  if (biz && biz.kind !== 'replace') {
    // the same document: its number and date stay the original's
    merged.code = baseMeta.code;
    merged.promulgationDate = baseMeta.promulgationDate;
  }
  if (!biz && merged.promulgationDate === undefined) {
    // a re-run on another day must find the same item: reuse the date of a queued copy of this number
    const code = typeof merged.code === 'string' ? merged.code.trim() : undefined;
    const twin = code ? s.store.list({ profile: profile.name }).find((it) => it.messageType === 'edoc' && (it.businessType ?? 0) === 0 && it.code === code && sameSet(it.to, to) && it.state !== 'rejected') : undefined;
    if (twin) merged.promulgationDate = twin.documentId.split(',')[1]?.replaceAll('/', '-');
  }
  const meta = resolveMeta(merged, { place: profile.organ.place, today: vnDate(now) }, opts.metaSource);
  const files: SendResult['files'] = [];
  for (const f of opts.files) {
    await assertPdf(f);
    const { sha256, size } = await sha256File(f);
    files.push({ file: f, sha256, size });
  }
  const documentId = makeDocumentId(profile.organId, meta.promulgation.date, meta.code.number, meta.code.notation);
  const businessType: BusinessDocType = biz ? BUSINESS[biz.kind].type : 0;
  const reason = biz ? (biz.reason ?? BUSINESS[biz.kind].reason) : undefined;
  if (biz?.kind === 'replace' && documentId === original!.item.documentId) {
    throw usageError('REPLACE_SAME_NUMBER', msg('a replacement needs a number/notation or date other than the replaced document', 'văn bản thay thế cần số/ký hiệu hoặc ngày khác văn bản bị thay thế'));
  }
  const metaHash = sha256Json({ meta, files: files.map((f) => `${path.basename(f.file)}:${f.sha256}`), reason, ref: original?.item.documentId });
  // identity: for an update/replacement each distinct content is its own message
  const identity = sha256Json({ from: profile.organId, documentId, to: [...to].sort(), businessType, ...(businessType >= 2 ? { metaHash } : {}) });

  const existing = s.store.findByIdentity(identity);
  if (existing) return resume(existing, metaHash, s, { profile: profile.name, from: profile.organId, documentId, businessType, files });

  // the secret and the adapter first: a missing secret must not leave a queued item behind
  await s.transport();
  const dir = await loadDirectory(s.dataDir);
  const own = organFor(dir, profile.organId);
  const fromOrgan: Organ = { ...own, ...stripUndefined(organOf(profile.organId, profile.organ)) };
  const id = randomUUID();
  const pages = files.length ? await pageCountOf(files[0]!.file) : 0;
  const m: EdocMessage = {
    from: fromOrgan,
    to: to.map((organId) => organFor(dir, organId)),
    code: meta.code,
    promulgation: meta.promulgation,
    documentType: meta.documentType,
    subject: meta.subject,
    content: meta.content ?? meta.subject,
    signer: meta.signer,
    dueDate: meta.dueDate,
    toPlaces: meta.toPlaces ?? [],
    priority: meta.priority ?? 0,
    otherInfo: {
      sphereOfPromulgation: meta.sphereOfPromulgation ?? '',
      typerNotation: meta.typerNotation ?? '',
      promulgationAmount: meta.promulgationAmount ?? 1,
      pageAmount: pages,
      direction: false,
      appendixes: meta.appendixes ?? [],
    },
    steeringType: meta.steeringType ?? 0,
    documentId,
    businessDocType: businessType,
    businessDocReason: reason,
    responseFor:
      original && biz!.kind !== 'replace'
        ? [{ organId: original.message.from.organId, code: codeString(original.message.code), promulgationDate: original.message.promulgation.date, documentId: original.item.documentId }]
        : undefined,
    replacementInfo: original && biz!.kind === 'replace' ? [{ documentId: original.item.documentId, organIds: original.item.to }] : undefined,
    attachments: files.map((f, i) => ({ contentId: `${id}-${i + 1}`, name: path.basename(f.file), contentType: 'application/pdf', description: path.basename(f.file), path: f.file })),
  };
  await mkdir(s.outboxDir, { recursive: true, mode: 0o700 });
  const bytesPath = path.join(s.outboxDir, `${id}.edxml`);
  const built = await buildEdocToFile(m, bytesPath, { now });
  try {
    // the strictest platform rules, on the bytes as built: refused here, before anything is queued
    const parsed = await parseEdxmlFile(bytesPath);
    const bad = parsed.kind === 'edoc' ? strictRuleViolations(parsed, now) : [];
    if (bad.length) {
      throw usageError('PLATFORM_RULES', msg(`the exchange platforms would refuse this document: ${describeViolations(bad, 'en')}`, `trục liên thông sẽ từ chối văn bản này: ${describeViolations(bad, 'vi')}`), {
        details: { violations: bad },
      });
    }
    await fsyncDir(s.outboxDir);
  } catch (e) {
    await rm(bytesPath, { force: true });
    throw e;
  }
  // the exact bytes are on disk (fsynced by the builder); the row is committed before any network call
  let r;
  try {
    r = s.store.insertOrGet(
      {
        id,
        profile: profile.name,
        messageType: 'edoc',
        documentId,
        from: profile.organId,
        to,
        bytesPath,
        sha256: built.sha256,
        size: built.size,
        subject: meta.subject,
        files: files.map((f) => `${path.basename(f.file)}:${f.sha256}`),
        identity,
        metaHash,
        code: codeString(meta.code),
        businessType,
      },
      now,
    );
  } catch (e) {
    await rm(bytesPath, { force: true });
    throw e;
  }
  if (!r.inserted) {
    // another `kyso send` of the same message committed first: ours is dropped, theirs resumed
    await rm(bytesPath, { force: true });
    return resume(r.item, metaHash, s, { profile: profile.name, from: profile.organId, documentId, businessType, files });
  }
  const item = await deliverItem(id, s.deliverDeps);
  return { item, profile: profile.name, from: profile.organId, documentId, businessType, files, resumed: false, edxml: { path: bytesPath, sha256: built.sha256, size: built.size } };
}

async function resume(
  existing: OutboxItem,
  metaHash: string,
  s: ExchangeSession,
  base: Pick<SendResult, 'profile' | 'from' | 'documentId' | 'businessType' | 'files'>,
): Promise<SendResult> {
  if (existing.metaHash && existing.metaHash !== metaHash) {
    throw usageError(
      'DOCUMENT_CHANGED',
      msg(
        `document ${existing.documentId} to ${existing.to.join(', ')} is already in the outbox (item ${existing.id.slice(0, 8)}, ${existing.state}) with other metadata or files; to correct a sent document send an update: kyso send <pdf> --update-of "${existing.documentId}" (or --replace with a new number)`,
        `văn bản ${existing.documentId} gửi ${existing.to.join(', ')} đã có trong hộp thư đi (mục ${existing.id.slice(0, 8)}, ${existing.state}) với siêu dữ liệu hoặc tệp khác; để sửa văn bản đã gửi hãy gửi bản cập nhật: kyso send <pdf> --update-of "${existing.documentId}" (hoặc --replace với số mới)`,
      ),
    );
  }
  const item = await deliverItem(existing.id, s.deliverDeps, { explicit: existing.state === 'failed' });
  return { ...base, item, resumed: true, edxml: { path: existing.bytesPath, sha256: existing.sha256, size: existing.size } };
}

/** The original of a revoke/update/replace: an edoc item of this outbox, and its edXML as sent. */
async function loadOriginal(s: ExchangeSession, ref: string) {
  const items = s.store.findSent(ref.trim()).filter((i) => (i.businessType ?? 0) === 0 || i.documentId === ref.trim());
  const ids = new Set(items.map((i) => i.documentId));
  if (items.length === 0) {
    throw usageError('ORIGINAL_UNKNOWN', msg(
      `no sent document "${ref}" in the outbox of ${s.dataDir} (give its DocumentId, outbox id or docId; see kyso outbox list)`,
      `không có văn bản đã gửi "${ref}" trong hộp thư đi ${s.dataDir} (nhập DocumentId, mã mục hoặc docId; xem kyso outbox list)`,
    ));
  }
  if (ids.size > 1) {
    throw usageError('ORIGINAL_AMBIGUOUS', msg(`"${ref}" matches several documents (${[...ids].join('; ')}): give the DocumentId`, `"${ref}" khớp nhiều văn bản (${[...ids].join('; ')}): hãy nhập DocumentId`));
  }
  const item = items.find((i) => i.state === 'delivered') ?? items[0]!;
  let parsed;
  try {
    parsed = await parseEdxmlFile(item.bytesPath);
  } catch (e) {
    throw inputError('ORIGINAL_UNREADABLE', msg(`${item.bytesPath}: the original's edXML cannot be read`, `${item.bytesPath}: không đọc được edXML của văn bản gốc`), { cause: e });
  }
  if (parsed.kind !== 'edoc') throw inputError('ORIGINAL_UNREADABLE', msg(`${item.bytesPath}: not a document message`, `${item.bytesPath}: không phải gói tin văn bản`));
  return { item, message: parsed.message };
}

function metaOf(m: EdocMessage<unknown>): DocumentMeta {
  return stripUndefined({
    code: codeString(m.code),
    subject: m.subject,
    type: m.documentType.type,
    typeName: m.documentType.typeName,
    typeDetail: m.documentType.typeDetail,
    content: m.content,
    signerName: m.signer.fullName,
    signerPosition: m.signer.position,
    signerCompetence: m.signer.competence || undefined,
    priority: m.priority,
    dueDate: m.dueDate,
    promulgationPlace: m.promulgation.place,
    promulgationDate: fromWireDate(m.promulgation.date),
    toPlaces: m.toPlaces,
    steeringType: m.steeringType,
    sphereOfPromulgation: m.otherInfo?.sphereOfPromulgation || undefined,
    typerNotation: m.otherInfo?.typerNotation || undefined,
    promulgationAmount: m.otherInfo?.promulgationAmount,
    appendixes: m.otherInfo?.appendixes,
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function sha256Json(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex');
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

async function assertPdf(file: string): Promise<void> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(
      'FILE_UNREADABLE',
      code === 'ENOENT' ? msg(`${file}: file not found`, `${file}: không tìm thấy tệp`) : msg(`${file}: cannot read the file (${code})`, `${file}: không đọc được tệp (${code})`),
    );
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw inputError('FILE_IS_FOLDER', msg(`${file}: is a folder, not a PDF file`, `${file}: là thư mục, không phải tệp PDF`));
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, 1024, 0);
    if (!buf.subarray(0, bytesRead).includes('%PDF-')) throw inputError('NOT_PDF', msg(`${file}: not a PDF file`, `${file}: không phải tệp PDF`));
  } finally {
    await fh.close();
  }
}
