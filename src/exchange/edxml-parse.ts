import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { inputError, msg } from '../core/errors.js';
import { fromWireDate } from './edxml-format.js';
import { encodedPlaceholder, scanEdxml, type EdxmlSource, type EncodedRange } from './edxml-scan.js';
import {
  EDXML_NS,
  type BusinessDocType,
  type EdocMessage,
  type Organ,
  type ParsedAttachment,
  type ResponseFor,
  type StaffInfo,
  type StatusMessage,
} from './edxml-types.js';

export interface ParsedEdoc {
  kind: 'edoc';
  message: EdocMessage<ParsedAttachment>;
  /** the envelope carries an XMLDSig <Signature> (kyso does not validate it; the PDF's PAdES is what counts) */
  hasEnvelopeSignature: boolean;
  /** local names of the MessageHeader's children, in order (the strict rules check presence) */
  headerElements: string[];
  source: EdxmlSource;
  encoded: EncodedRange[];
  name: string;
}

export interface ParsedStatus {
  kind: 'status';
  message: StatusMessage;
  source: EdxmlSource;
  name: string;
}

export type ParsedEdxml = ParsedEdoc | ParsedStatus;

interface XNode {
  local: string;
  ns: string | null;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

const bad = (code: string, name: string, en: string, vi: string) => inputError(code, msg(`${name}: ${en}`, `${name}: ${vi}`));

/** Decodes the five predefined entities and character references (no DTD is ever processed). */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Raw = Record<string, unknown>;

function toTree(items: Raw[], scope: Record<string, string | null>): XNode[] {
  const out: XNode[] = [];
  for (const it of items) {
    const key = Object.keys(it).find((k) => k !== ':@');
    if (!key || key === '#text' || key.startsWith('?') || key === '#comment') continue;
    const rawAttrs = (it[':@'] ?? {}) as Record<string, string>;
    const sc = { ...scope };
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns') sc[''] = v || null;
      else if (k.startsWith('xmlns:')) sc[k.slice(6)] = v;
      else attrs[k] = decodeEntities(String(v));
    }
    const colon = key.indexOf(':');
    const prefix = colon >= 0 ? key.slice(0, colon) : '';
    const local = colon >= 0 ? key.slice(colon + 1) : key;
    const kids = (it[key] ?? []) as Raw[];
    let text = '';
    for (const k of kids) if ('#text' in k) text += String(k['#text']);
    out.push({ local, ns: sc[prefix] ?? null, attrs, children: toTree(kids, sc), text: decodeEntities(text) });
  }
  return out;
}

const child = (n: XNode | undefined, local: string) => n?.children.find((c) => c.local === local);
const childrenOf = (n: XNode | undefined, local: string) => n?.children.filter((c) => c.local === local) ?? [];
const text = (n: XNode | undefined, local: string): string | undefined => {
  const c = child(n, local);
  return c === undefined ? undefined : c.text;
};
const num = (n: XNode | undefined, local: string): number | undefined => {
  const t = text(n, local);
  if (t === undefined || t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
};

function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function organ(n: XNode): Organ {
  return prune({
    organId: text(n, 'OrganId') ?? '',
    organName: text(n, 'OrganName'),
    organizationInCharge: text(n, 'OrganizationInCharge'),
    organAdd: text(n, 'OrganAdd'),
    email: text(n, 'Email'),
    telephone: text(n, 'Telephone'),
    fax: text(n, 'Fax'),
    website: text(n, 'Website'),
  });
}

function staff(n: XNode | undefined): StaffInfo | undefined {
  if (!n) return undefined;
  return prune({ department: text(n, 'Department'), staff: text(n, 'Staff'), email: text(n, 'Email'), mobile: text(n, 'Mobile') });
}

function responseFor(n: XNode): ResponseFor {
  return {
    organId: text(n, 'OrganId') ?? '',
    code: text(n, 'Code') ?? '',
    promulgationDate: fromWireDate(text(n, 'PromulgationDate') ?? ''),
    documentId: text(n, 'DocumentId') ?? '',
  };
}

function parseSkeleton(skeleton: string, name: string): XNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(skeleton)) {
    throw bad('EDXML_DOCTYPE', name, 'DOCTYPE/ENTITY declarations are not allowed in edXML (refused for safety)', 'edXML không được chứa khai báo DOCTYPE/ENTITY (bị từ chối vì lý do an toàn)');
  }
  const v = XMLValidator.validate(skeleton);
  if (v !== true) {
    throw bad('EDXML_MALFORMED', name, `not well-formed XML (line ${v.err.line}: ${v.err.msg})`, `XML không hợp lệ (dòng ${v.err.line}: ${v.err.msg})`);
  }
  let raw: Raw[];
  try {
    raw = parser.parse(skeleton) as Raw[];
  } catch (e) {
    throw inputError('EDXML_MALFORMED', msg(`${name}: not well-formed XML`, `${name}: XML không hợp lệ`), { cause: e });
  }
  const roots = toTree(raw, { xml: 'http://www.w3.org/XML/1998/namespace' });
  const root = roots[0];
  if (!root || root.local !== 'edXML') {
    throw bad('EDXML_ROOT', name, `the root element is <${root?.local ?? '?'}>, expected <edXML> (QCVN 102:2016)`, `phần tử gốc là <${root?.local ?? '?'}>, cần <edXML> (QCVN 102:2016)`);
  }
  if (root.ns !== EDXML_NS) {
    throw bad('EDXML_NAMESPACE', name, `wrong namespace "${root.ns ?? ''}", expected ${EDXML_NS}`, `sai không gian tên "${root.ns ?? ''}", cần ${EDXML_NS}`);
  }
  return root;
}

/** Parses an edXML document or status message. Attachments are not decoded here (see edxml-attachment). */
export async function parseEdxml(src: EdxmlSource, name?: string): Promise<ParsedEdxml> {
  const label = name ?? (src.kind === 'file' ? src.path : 'edXML');
  const { skeleton, encoded } = await scanEdxml(src, label);
  const root = parseSkeleton(skeleton, label);
  const env = child(root, 'edXMLEnvelope');
  if (!env || env.ns !== EDXML_NS) {
    throw bad('EDXML_NO_ENVELOPE', label, `missing edXML:edXMLEnvelope in namespace ${EDXML_NS}`, `thiếu edXML:edXMLEnvelope trong không gian tên ${EDXML_NS}`);
  }
  const header = child(env, 'edXMLHeader');
  const mh = child(header, 'MessageHeader');
  if (!mh) throw bad('EDXML_NO_HEADER', label, 'missing edXMLHeader/MessageHeader', 'thiếu edXMLHeader/MessageHeader');
  const fromN = child(mh, 'From');
  if (!fromN || !text(fromN, 'OrganId')) throw bad('EDXML_NO_FROM', label, 'missing MessageHeader/From/OrganId', 'thiếu MessageHeader/From/OrganId');

  if (child(mh, 'StatusCode')) {
    const rf = child(mh, 'ResponseFor');
    if (!rf) throw bad('EDXML_NO_RESPONSEFOR', label, 'status message without ResponseFor', 'gói tin trạng thái thiếu ResponseFor');
    const message: StatusMessage = prune({
      from: organ(fromN),
      responseFor: responseFor(rf),
      statusCode: text(mh, 'StatusCode') ?? '',
      description: text(mh, 'Description') ?? '',
      timestamp: text(mh, 'Timestamp') ?? '',
      staff: staff(child(mh, 'StaffInfo')),
    });
    return { kind: 'status', message, source: src, name: label };
  }

  const codeN = child(mh, 'Code');
  const pi = child(mh, 'PromulgationInfo');
  const dt = child(mh, 'DocumentType');
  const si = child(mh, 'SignerInfo');
  const oi = child(mh, 'OtherInfo');
  const thl = child(header, 'TraceHeaderList');
  const bu = child(thl, 'Bussiness') ?? child(thl, 'Business');
  const documentId = text(mh, 'DocumentId') ?? text(bu, 'DocumentId');
  if (!documentId) throw bad('EDXML_NO_DOCUMENTID', label, 'missing DocumentId', 'thiếu DocumentId');

  // Attachments: the manifest lists them; AttachmentEncoded holds their base64. Match cid with or without prefix.
  const stripCid = (s: string | undefined) => (s ?? '').trim().replace(/^cid:/i, '').replace(/^<|>$/g, '');
  const encodedById = new Map<string, { node: XNode; index: number; length: number }>();
  for (const a of childrenOf(child(root, 'AttachmentEncoded'), 'Attachment')) {
    const cte = child(a, 'ContentTransferEncoded');
    const m = /^@@KYSO-ENCODED-(\d+)@@$/.exec(cte?.text ?? '');
    const index = m ? Number(m[1]) : -1;
    const r = index >= 0 ? encoded[index] : undefined;
    encodedById.set(stripCid(text(a, 'ContentId')), { node: a, index, length: r ? r.end - r.start : 0 });
  }
  const refs = childrenOf(child(child(env, 'edXMLBody'), 'edXMLManifest'), 'Reference');
  const attachments: ParsedAttachment[] = [];
  const seen = new Set<string>();
  const add = (id: string, meta: XNode | undefined, enc: { node: XNode; index: number; length: number } | undefined) => {
    seen.add(id);
    const src2 = meta ?? enc?.node;
    attachments.push(
      prune({
        contentId: id,
        name: text(src2, 'AttachmentName') ?? text(enc?.node, 'AttachmentName') ?? id,
        contentType: text(src2, 'ContentType') ?? text(enc?.node, 'ContentType') ?? 'application/octet-stream',
        description: text(src2, 'Description') ?? text(enc?.node, 'Description'),
        encodedIndex: enc?.index ?? -1,
        encodedLength: enc?.length ?? 0,
      }),
    );
  };
  for (const r of refs) {
    const id = stripCid(text(r, 'ContentId') ?? r.attrs['xlink:href']);
    add(id, r, encodedById.get(id));
  }
  for (const [id, enc] of encodedById) if (!seen.has(id)) add(id, undefined, enc);

  const receivers = childrenOf(child(child(bu, 'BussinessDocumentInfo'), 'ReceiverList'), 'Receiver').map((r) => ({
    organId: text(r, 'OrganId') ?? '',
    receiverType: text(r, 'ReceiverType') ?? '',
  }));
  const bdi = child(bu, 'BussinessDocumentInfo');
  const places = child(mh, 'ToPlaces');
  const appendixes = child(oi, 'Appendixes');
  const dueDate = text(mh, 'DueDate');
  const otherInfo = oi
    ? prune({
        sphereOfPromulgation: text(oi, 'SphereOfPromulgation'),
        typerNotation: text(oi, 'TyperNotation'),
        promulgationAmount: num(oi, 'PromulgationAmount'),
        pageAmount: num(oi, 'PageAmount'),
        direction: text(oi, 'Direction') === undefined ? undefined : text(oi, 'Direction') === 'true',
        appendixes: appendixes ? childrenOf(appendixes, 'Appendix').map((a) => a.text) : undefined,
      })
    : undefined;
  const message: EdocMessage<ParsedAttachment> = prune({
    from: organ(fromN),
    to: childrenOf(mh, 'To').map(organ),
    code: { number: text(codeN, 'CodeNumber') ?? '', notation: text(codeN, 'CodeNotation') ?? '' },
    promulgation: { place: text(pi, 'Place') ?? '', date: fromWireDate(text(pi, 'PromulgationDate') ?? '') },
    documentType: prune({ type: num(dt, 'Type') ?? 0, typeDetail: num(dt, 'TypeDetail'), typeName: text(dt, 'TypeName') }),
    subject: text(mh, 'Subject') ?? '',
    content: text(mh, 'Content'),
    signer: prune({ competence: text(si, 'Competence'), position: text(si, 'Position') ?? '', fullName: text(si, 'FullName') ?? '' }),
    dueDate: dueDate === undefined || dueDate === '' ? undefined : fromWireDate(dueDate),
    toPlaces: places ? childrenOf(places, 'Place').map((p) => p.text) : undefined,
    priority: num(oi, 'Priority'),
    otherInfo: otherInfo && Object.keys(otherInfo).length > 0 ? otherInfo : undefined,
    steeringType: num(mh, 'SteeringType'),
    responseFor: childrenOf(mh, 'ResponseFor').length ? childrenOf(mh, 'ResponseFor').map(responseFor) : undefined,
    documentId,
    businessDocType: (num(bu, 'BussinessDocType') ?? 0) as BusinessDocType,
    businessDocReason: text(bu, 'BussinessDocReason'),
    paper: num(bu, 'Paper'),
    businessDocumentInfo: bdi
      ? prune({ documentInfo: text(bdi, 'DocumentInfo'), documentReceiver: text(bdi, 'DocumentReceiver'), receivers: receivers.length ? receivers : undefined })
      : undefined,
    businessStaff: staff(child(bu, 'StaffInfo')),
    businessDocumentId: text(bu, 'DocumentId') && text(bu, 'DocumentId') !== documentId ? text(bu, 'DocumentId') : undefined,
    replacementInfo: child(bu, 'ReplacementInfoList')
      ? childrenOf(child(bu, 'ReplacementInfoList'), 'ReplacementInfo').map((r) => ({
          documentId: text(r, 'DocumentId') ?? '',
          organIds: childrenOf(child(r, 'OrganIdList'), 'OrganId').map((o) => o.text),
        }))
      : undefined,
    traceHeaders: childrenOf(thl, 'TraceHeader').map((t) => ({ organId: text(t, 'OrganId') ?? '', timestamp: text(t, 'Timestamp') ?? '' })),
    attachments,
  });
  const hasEnvelopeSignature = header!.children.some((c) => c.local === 'Signature');
  return { kind: 'edoc', message, hasEnvelopeSignature, headerElements: mh.children.map((c) => c.local), source: src, encoded, name: label };
}

/** Convenience: parse from a file path. */
export const parseEdxmlFile = (path: string) => parseEdxml({ kind: 'file', path });
/** Convenience: parse from bytes. */
export const parseEdxmlBytes = (bytes: Uint8Array, name?: string) => parseEdxml({ kind: 'bytes', bytes }, name);

export { encodedPlaceholder };
