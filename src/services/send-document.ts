import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { inputError, msg, usageError } from '../core/errors.js';
import { buildEdocToFile } from '../exchange/edxml-build.js';
import { makeDocumentId, vnDate } from '../exchange/edxml-format.js';
import type { EdocMessage } from '../exchange/edxml-types.js';
import { fsyncDir, sha256File } from '../outbox/durable-file.js';
import { deliverItem, type DeliveryResult } from './outbox-deliver.js';
import type { ExchangeSession } from './outbox-session.js';
import { organOf, parseRecipients, resolveMeta, type DocumentMeta } from './send-meta.js';

export interface SendOptions {
  /** signed PDFs: the first is the main document, the others its attachments (one edXML message) */
  files: string[];
  /** organ ids (comma lists allowed) */
  to: string[];
  meta: DocumentMeta;
  /** where the metadata came from, for messages (e.g. the --meta file) */
  metaSource?: string;
}

export interface SendResult {
  item: DeliveryResult;
  profile: string;
  from: string;
  files: { file: string; sha256: string; size: number }[];
  /** an identical document was already in the outbox: that item was resumed, nothing new queued */
  resumed: boolean;
  edxml: { path: string; sha256: string; size: number };
}

/**
 * `kyso send`: validate → build the edXML into the data folder (fsynced) → record the outbox item
 * (committed) → only then deliver. Sending the same document (same DocumentId, recipients and PDFs) again
 * resumes the existing item instead of queueing a second copy.
 */
export async function sendDocument(opts: SendOptions, s: ExchangeSession): Promise<SendResult> {
  if (!opts.files.length) throw usageError('FILES_MISSING', msg('no PDF given: kyso send <signed.pdf>... --to <organId>', 'chưa chọn tệp PDF: kyso send <tệp-đã-ký.pdf>... --to <mã-cơ-quan>'));
  const to = parseRecipients(opts.to);
  const profile = s.profile;
  const now = s.deliverDeps.now();
  const meta = resolveMeta(opts.meta, { place: profile.organ.place, today: vnDate(now) }, opts.metaSource);
  const files: SendResult['files'] = [];
  for (const f of opts.files) {
    await assertPdf(f);
    const { sha256, size } = await sha256File(f);
    files.push({ file: f, sha256, size });
  }
  // the secret and the adapter first: a missing secret must not leave a queued item behind
  await s.transport();
  const documentId = makeDocumentId(profile.organId, meta.promulgation.date, meta.code.number, meta.code.notation);

  const existing = s.store
    .list({ profile: profile.name })
    .find((it) => it.messageType === 'edoc' && it.documentId === documentId && sameSet(it.to, to) && it.state !== 'rejected' && it.state !== 'failed');
  if (existing) {
    const same = existing.files.length === files.length && existing.files.every((f, i) => f === `${path.basename(files[i]!.file)}:${files[i]!.sha256}`);
    if (!same) {
      throw usageError('DOCUMENT_ALREADY_QUEUED', msg(
        `document ${documentId} to ${to.join(', ')} is already in the outbox (item ${existing.id}, ${existing.state}) with other files; a changed document needs a new number/notation`,
        `văn bản ${documentId} gửi ${to.join(', ')} đã có trong hộp thư đi (mục ${existing.id}, ${existing.state}) với tệp khác; văn bản đã thay đổi cần số/ký hiệu mới`,
      ));
    }
    const item = await deliverItem(existing.id, s.deliverDeps);
    return { item, profile: profile.name, from: profile.organId, files, resumed: true, edxml: { path: existing.bytesPath, sha256: existing.sha256, size: existing.size } };
  }

  const id = randomUUID();
  const m: EdocMessage = {
    from: organOf(profile.organId, profile.organ),
    to: to.map((organId) => ({ organId })),
    code: meta.code,
    promulgation: meta.promulgation,
    documentType: meta.documentType,
    subject: meta.subject,
    content: meta.content,
    signer: meta.signer,
    dueDate: meta.dueDate,
    toPlaces: meta.toPlaces,
    priority: meta.priority,
    steeringType: meta.steeringType,
    documentId,
    businessDocType: 0,
    attachments: files.map((f, i) => ({ contentId: `${id}-${i + 1}`, name: path.basename(f.file), contentType: 'application/pdf', description: path.basename(f.file), path: f.file })),
  };
  await mkdir(s.outboxDir, { recursive: true, mode: 0o700 });
  const bytesPath = path.join(s.outboxDir, `${id}.edxml`);
  const built = await buildEdocToFile(m, bytesPath, { now });
  await fsyncDir(s.outboxDir);
  // the exact bytes are on disk (fsynced by the builder); the row is committed before any network call
  try {
    s.store.insert(
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
      },
      now,
    );
  } catch (e) {
    await rm(bytesPath, { force: true });
    throw e;
  }
  const item = await deliverItem(id, s.deliverDeps);
  return { item, profile: profile.name, from: profile.organId, files, resumed: false, edxml: { path: bytesPath, sha256: built.sha256, size: built.size } };
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
