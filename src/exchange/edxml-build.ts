import { writeFileAtomic } from '../io/atomic-write.js';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { inputError, msg } from '../core/errors.js';
import { assertOrganId, formatEdxmlTimestamp, toWireDate } from './edxml-format.js';
import { EDXML_NS, ORGAN_ELEMENTS, type AttachmentInput, type EdocMessage, type Organ, type StaffInfo, type StatusMessage } from './edxml-types.js';

/*
 * Attachments: kyso sends each PDF raw (base64 of the file, ContentType application/pdf), not zipped.
 * Why: the receiver verifies the PAdES signature over the exact bytes, PDFs are already compressed, raw
 * base64 can be streamed in both directions without a zip layer, and the receivers seen in the wild
 * (com.vpcp.gateway) try unzip and fall back to raw bytes. kyso's parser still accepts zipped attachments.
 *
 * The XML around the attachments is produced by xmlbuilder2 (escaping, structure). xmlbuilder2's
 * namespace-aware serializer drops the `edXML:` prefix whenever the default namespace is the same URI,
 * but QCVN 102 receivers match the prefixed names of the samples literally; so the elements are built
 * with qualified names and the three namespace declarations are added to the serialized start tags
 * (the only string edit). Each attachment's base64 is then streamed between the serialized parts so a
 * 200 MB file is never held in memory.
 */

const bareCid = (id: string) => id.replace(/^cid:/i, '');
const placeholder = (i: number) => `@@KYSO-ATTACHMENT-${i}@@`;

function addText(parent: XMLBuilder, name: string, value: string | number | boolean | undefined): void {
  if (value === undefined) return;
  parent.ele(name).txt(String(value));
}

/** Every element of From/To is written, empty when unknown: platforms refuse a missing one (spec §1.4). */
const ORGAN_FIELDS: [keyof Organ, string][] = [
  ['organId', 'OrganId'],
  ['organizationInCharge', 'OrganizationInCharge'],
  ['organName', 'OrganName'],
  ['organAdd', 'OrganAdd'],
  ['email', 'Email'],
  ['telephone', 'Telephone'],
  ['fax', 'Fax'],
  ['website', 'Website'],
];

function addOrgan(parent: XMLBuilder, name: string, o: Organ, order: [keyof Organ, string][] = ORGAN_FIELDS): void {
  const e = parent.ele(name);
  for (const [k, el] of order) addText(e, `edXML:${el}`, o[k] ?? '');
}

function addStaff(parent: XMLBuilder, s: StaffInfo, order: 'doc' | 'status'): void {
  const e = parent.ele('edXML:StaffInfo');
  addText(e, 'edXML:Department', s.department ?? '');
  addText(e, 'edXML:Staff', s.staff ?? '');
  if (order === 'doc') {
    addText(e, 'edXML:Email', s.email ?? '');
    addText(e, 'edXML:Mobile', s.mobile ?? '');
  } else {
    addText(e, 'edXML:Mobile', s.mobile ?? '');
    addText(e, 'edXML:Email', s.email ?? '');
  }
}

function serialize(doc: XMLBuilder): string {
  const xml = doc.end({ prettyPrint: true });
  return xml
    .replace('<edXML>', `<edXML xmlns="${EDXML_NS}">`)
    .replace('<edXML:edXMLEnvelope>', `<edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">`)
    .replaceAll('<edXML:ContentTransferEncoded>', `<edXML:ContentTransferEncoded xmlns:edXML="${EDXML_NS}">`);
}

function validateEdoc(m: EdocMessage): void {
  assertOrganId(m.from.organId, 'sender organ id');
  if (m.to.length === 0) {
    throw inputError('EDXML_NO_RECIPIENT', msg('the document has no recipient (To)', 'văn bản chưa có nơi nhận (To)'));
  }
  for (const t of m.to) assertOrganId(t.organId, 'recipient organ id');
  if (!/^[0-9A-Z.]{1,35},\d{4}\/\d{2}\/\d{2},.+\/.+$/.test(m.documentId)) {
    throw inputError(
      'EDXML_DOCUMENT_ID',
      msg(
        `invalid DocumentId "${m.documentId}": expected {OrganId},{yyyy/MM/dd},{number}/{notation}`,
        `DocumentId không hợp lệ "${m.documentId}": cần dạng {Mã cơ quan},{yyyy/MM/dd},{số}/{ký hiệu}`,
      ),
    );
  }
  const ids = new Set<string>();
  for (const a of m.attachments) {
    if (ids.has(bareCid(a.contentId))) {
      throw inputError('EDXML_ATTACHMENT_ID', msg(`two attachments share the content id "${a.contentId}"`, `hai tệp đính kèm trùng mã "${a.contentId}"`));
    }
    ids.add(bareCid(a.contentId));
    if (!a.path && !a.bytes) {
      throw inputError('EDXML_ATTACHMENT_EMPTY', msg(`attachment "${a.name}" has no content`, `tệp đính kèm "${a.name}" không có nội dung`));
    }
  }
}

/** The serialized document message, split around each attachment's base64 text. */
export function buildEdocSkeleton(m: EdocMessage, now: Date = new Date()): string[] {
  validateEdoc(m);
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele('edXML');
  const env = root.ele('edXML:edXMLEnvelope');
  const header = env.ele('edXML:edXMLHeader');
  const mh = header.ele('edXML:MessageHeader');
  addOrgan(mh, 'edXML:From', m.from);
  for (const t of m.to) addOrgan(mh, 'edXML:To', t);
  addText(mh, 'edXML:DocumentId', m.documentId);
  const code = mh.ele('edXML:Code');
  addText(code, 'edXML:CodeNumber', m.code.number);
  addText(code, 'edXML:CodeNotation', m.code.notation);
  const pi = mh.ele('edXML:PromulgationInfo');
  addText(pi, 'edXML:Place', m.promulgation.place);
  addText(pi, 'edXML:PromulgationDate', toWireDate(m.promulgation.date, 'promulgation date'));
  const dt = mh.ele('edXML:DocumentType');
  addText(dt, 'edXML:Type', m.documentType.type);
  addText(dt, 'edXML:TypeDetail', m.documentType.typeDetail);
  addText(dt, 'edXML:TypeName', m.documentType.typeName);
  addText(mh, 'edXML:Subject', m.subject);
  // Content, OtherInfo, SteeringType and ToPlaces are always written: a provincial platform refuses a
  // null Content and its store step fails without OtherInfo (spec "What real platforms check")
  addText(mh, 'edXML:Content', m.content ?? m.subject);
  const si = mh.ele('edXML:SignerInfo');
  addText(si, 'edXML:Competence', m.signer.competence ?? '');
  addText(si, 'edXML:Position', m.signer.position);
  addText(si, 'edXML:FullName', m.signer.fullName);
  if (m.dueDate !== undefined) addText(mh, 'edXML:DueDate', toWireDate(m.dueDate, 'due date'));
  const oi = mh.ele('edXML:OtherInfo');
  const o = m.otherInfo ?? {};
  addText(oi, 'edXML:Priority', m.priority ?? 0);
  addText(oi, 'edXML:SphereOfPromulgation', o.sphereOfPromulgation ?? '');
  addText(oi, 'edXML:TyperNotation', o.typerNotation ?? '');
  addText(oi, 'edXML:PromulgationAmount', o.promulgationAmount ?? 1);
  addText(oi, 'edXML:PageAmount', o.pageAmount ?? 0);
  addText(oi, 'edXML:Direction', o.direction ?? false);
  const ap = oi.ele('edXML:Appendixes');
  for (const a of o.appendixes ?? []) addText(ap, 'edXML:Appendix', a);
  // 1.12 ResponseFor sits between OtherInfo (1.11) and SteeringType (1.13), as in the update/revocation samples
  for (const r of m.responseFor ?? []) {
    const e = mh.ele('edXML:ResponseFor');
    addText(e, 'edXML:OrganId', r.organId);
    addText(e, 'edXML:Code', r.code);
    addText(e, 'edXML:DocumentId', r.documentId);
    addText(e, 'edXML:PromulgationDate', toWireDate(r.promulgationDate));
  }
  addText(mh, 'edXML:SteeringType', m.steeringType ?? 0);
  const tp = mh.ele('edXML:ToPlaces');
  for (const p of m.toPlaces ?? []) addText(tp, 'edXML:Place', p);
  const thl = header.ele('edXML:TraceHeaderList');
  for (const th of m.traceHeaders ?? [{ organId: m.from.organId, timestamp: formatEdxmlTimestamp(now) }]) {
    const e = thl.ele('edXML:TraceHeader');
    addText(e, 'edXML:OrganId', th.organId);
    addText(e, 'edXML:Timestamp', th.timestamp);
  }
  const bu = thl.ele('edXML:Bussiness'); // sic: QCVN 102 spells it this way
  addText(bu, 'edXML:DocumentId', m.businessDocumentId ?? m.documentId);
  addText(bu, 'edXML:BussinessDocType', m.businessDocType);
  addText(bu, 'edXML:BussinessDocReason', m.businessDocReason);
  addText(bu, 'edXML:Paper', m.paper ?? 0);
  if (m.businessDocumentInfo) {
    const b = m.businessDocumentInfo;
    const e = bu.ele('edXML:BussinessDocumentInfo');
    addText(e, 'edXML:DocumentInfo', b.documentInfo);
    addText(e, 'edXML:DocumentReceiver', b.documentReceiver);
    if (b.receivers) {
      const rl = e.ele('edXML:ReceiverList');
      for (const r of b.receivers) {
        const re = rl.ele('edXML:Receiver');
        addText(re, 'edXML:OrganId', r.organId);
        addText(re, 'edXML:ReceiverType', r.receiverType);
      }
    }
  }
  if (m.replacementInfo?.length) {
    const rl = bu.ele('edXML:ReplacementInfoList');
    for (const r of m.replacementInfo) {
      const e = rl.ele('edXML:ReplacementInfo');
      addText(e, 'edXML:DocumentId', r.documentId);
      const ol = e.ele('edXML:OrganIdList');
      for (const id of r.organIds) addText(ol, 'edXML:OrganId', id);
    }
  }
  addStaff(bu, m.businessStaff ?? {}, 'doc');
  const body = env.ele('edXML:edXMLBody');
  const man = body.ele('edXML:edXMLManifest', { version: '1.0' });
  for (const a of m.attachments) {
    const r = man.ele('edXML:Reference');
    addText(r, 'edXML:ContentId', `cid:${bareCid(a.contentId)}`);
    addText(r, 'edXML:ContentType', a.contentType);
    addText(r, 'edXML:Description', a.description);
    addText(r, 'edXML:AttachmentName', a.name);
  }
  if (m.attachments.length > 0) {
    const ae = root.ele('AttachmentEncoded');
    m.attachments.forEach((a, i) => {
      const e = ae.ele('Attachment');
      addText(e, 'ContentId', `cid:${bareCid(a.contentId)}`);
      addText(e, 'AttachmentName', a.name);
      addText(e, 'Description', a.description);
      addText(e, 'ContentType', a.contentType);
      addText(e, 'edXML:ContentTransferEncoded', placeholder(i));
    });
  }
  const xml = serialize(doc);
  const parts: string[] = [];
  let rest = xml;
  for (let i = 0; i < m.attachments.length; i++) {
    const at = rest.indexOf(placeholder(i));
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + placeholder(i).length);
  }
  parts.push(rest);
  return parts;
}

/** Writes base64 of one attachment, streaming from its file (3-byte aligned chunks). */
async function* base64Of(a: AttachmentInput): AsyncGenerator<Buffer> {
  if (a.bytes) {
    yield Buffer.from(Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength).toString('base64'), 'latin1');
    return;
  }
  let carry = Buffer.alloc(0);
  let stream;
  try {
    await stat(a.path!);
    stream = createReadStream(a.path!, { highWaterMark: 3 * 256 * 1024 });
  } catch (e) {
    throw inputError('EDXML_ATTACHMENT_READ', msg(`cannot read attachment ${a.path}`, `không đọc được tệp đính kèm ${a.path}`), { cause: e });
  }
  for await (const c of stream) {
    const buf = carry.length ? Buffer.concat([carry, c as Buffer]) : (c as Buffer);
    const n = buf.length - (buf.length % 3);
    if (n > 0) yield Buffer.from(buf.subarray(0, n).toString('base64'), 'latin1');
    carry = Buffer.from(buf.subarray(n));
  }
  if (carry.length) yield Buffer.from(carry.toString('base64'), 'latin1');
}

export interface BuiltFile {
  path: string;
  size: number;
  /** lowercase hex SHA-256 of the written bytes */
  sha256: string;
}

/**
 * Builds a document message into `outPath` (temp file in the same folder, fsync, rename), streaming the
 * attachments' base64. Memory stays flat whatever the attachment size.
 */
export async function buildEdocToFile(m: EdocMessage, outPath: string, opts: { now?: Date } = {}): Promise<BuiltFile> {
  const parts = buildEdocSkeleton(m, opts.now);
  const written = await writeFileAtomic(outPath, async (write) => {
    for (let i = 0; i < parts.length; i++) {
      await write(Buffer.from(parts[i]!, 'utf8'));
      if (i < m.attachments.length) for await (const b of base64Of(m.attachments[i]!)) await write(b);
    }
  });
  return { path: outPath, ...written };
}

/** Builds a document message in memory (for small documents; use buildEdocToFile for large ones). */
export async function buildEdoc(m: EdocMessage, opts: { now?: Date } = {}): Promise<Uint8Array> {
  const parts = buildEdocSkeleton(m, opts.now);
  const out: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    out.push(Buffer.from(parts[i]!, 'utf8'));
    if (i < m.attachments.length) for await (const b of base64Of(m.attachments[i]!)) out.push(b);
  }
  return new Uint8Array(Buffer.concat(out));
}

/** A date from another system's message is echoed back: yyyy/MM/dd when it is a date, else as received. */
function wireDateOrAsIs(d: string): string {
  try {
    return toWireDate(d);
  } catch {
    return d;
  }
}

/** Builds a status message (QCVN 102, status_processing layout). */
export function buildStatus(s: StatusMessage): Uint8Array {
  assertOrganId(s.from.organId, 'sender organ id');
  // the other side's organ id is whatever the platform uses (vxp.saas.03, tax codes…): only non-empty
  if (!s.responseFor.organId.trim() || !s.responseFor.documentId.trim()) {
    throw inputError('EDXML_RESPONSE_FOR', msg('the status message has no ResponseFor organ id / DocumentId', 'gói tin trạng thái thiếu mã cơ quan / DocumentId trong ResponseFor'));
  }
  if (!/^\d{2}$/.test(s.statusCode)) {
    throw inputError('EDXML_STATUS_CODE', msg(`invalid status code "${s.statusCode}": expected two digits such as 03`, `mã trạng thái không hợp lệ "${s.statusCode}": cần hai chữ số, ví dụ 03`));
  }
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele('edXML');
  const mh = root.ele('edXML:edXMLEnvelope').ele('edXML:edXMLHeader').ele('edXML:MessageHeader');
  addOrgan(mh, 'edXML:From', s.from, ORGAN_ELEMENTS);
  const r = mh.ele('edXML:ResponseFor');
  addText(r, 'edXML:OrganId', s.responseFor.organId);
  addText(r, 'edXML:Code', s.responseFor.code);
  addText(r, 'edXML:PromulgationDate', wireDateOrAsIs(s.responseFor.promulgationDate));
  addText(r, 'edXML:DocumentId', s.responseFor.documentId);
  addStaff(mh, s.staff ?? {}, 'status');
  addText(mh, 'edXML:StatusCode', s.statusCode);
  addText(mh, 'edXML:Description', s.description);
  addText(mh, 'edXML:Timestamp', s.timestamp);
  return new Uint8Array(Buffer.from(serialize(doc), 'utf8'));
}
