/**
 * The two edXML messages of QCVN 102:2016 that kyso writes and reads: a document (văn bản) and a business
 * status (trạng thái). Dates are ISO `YYYY-MM-DD` in these types and `yyyy/MM/dd` on the wire; timestamps
 * are `yyyy/MM/dd HH:mm:ss` (Vietnam time) exactly as on the wire.
 */
export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

export interface Organ {
  organId: string;
  organName?: string;
  organizationInCharge?: string;
  organAdd?: string;
  email?: string;
  telephone?: string;
  fax?: string;
  website?: string;
}

/** The elements of an organisation block and their fields, in the order a status message writes them. */
export const ORGAN_ELEMENTS: [keyof Organ, string][] = [
  ['organId', 'OrganId'],
  ['organName', 'OrganName'],
  ['organizationInCharge', 'OrganizationInCharge'],
  ['organAdd', 'OrganAdd'],
  ['email', 'Email'],
  ['telephone', 'Telephone'],
  ['fax', 'Fax'],
  ['website', 'Website'],
];

export interface DocCode {
  /** CodeNumber, e.g. "123" */
  number: string;
  /** CodeNotation, e.g. "UBND-VP" */
  notation: string;
}

export interface StaffInfo {
  department?: string;
  staff?: string;
  email?: string;
  mobile?: string;
}

export interface ResponseFor {
  organId: string;
  /** "{number}/{notation}" */
  code: string;
  /** YYYY-MM-DD */
  promulgationDate: string;
  documentId: string;
}

export interface TraceHeader {
  organId: string;
  /** yyyy/MM/dd HH:mm:ss */
  timestamp: string;
}

export interface OtherInfo {
  sphereOfPromulgation?: string;
  typerNotation?: string;
  promulgationAmount?: number;
  pageAmount?: number;
  direction?: boolean;
  appendixes?: string[];
}

export interface BusinessDocumentInfo {
  documentInfo?: string;
  documentReceiver?: string;
  receivers?: { organId: string; receiverType: string }[];
}

/** An attachment to build: its bytes come from `path` (streamed) or `bytes`. */
export interface AttachmentInput {
  /** without the `cid:` prefix (kyso writes `cid:<contentId>` on the wire) */
  contentId: string;
  name: string;
  contentType: string;
  description?: string;
  path?: string;
  bytes?: Uint8Array;
}

/** An attachment as parsed: its content stays in the source until decoded (see edxml-attachment.ts). */
export interface ParsedAttachment {
  contentId: string;
  name: string;
  contentType: string;
  description?: string;
  /** index into ParsedEdoc.encoded (where the base64 text sits in the source) */
  encodedIndex: number;
  /** length of the base64 text in bytes (whitespace included) */
  encodedLength: number;
}

export type BusinessDocType = 0 | 1 | 2 | 3;

/** Bussiness/ReplacementInfoList/ReplacementInfo: a document replaced (type 3) and who had received it. */
export interface ReplacementInfo {
  documentId: string;
  organIds: string[];
}

export interface EdocMessage<A = AttachmentInput> {
  from: Organ;
  to: Organ[];
  code: DocCode;
  promulgation: { place: string; date: string };
  documentType: { type: number; typeDetail?: number; typeName?: string };
  subject: string;
  content?: string;
  signer: { competence?: string; position: string; fullName: string };
  dueDate?: string;
  toPlaces?: string[];
  /** OtherInfo/Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc … */
  priority?: number;
  otherInfo?: OtherInfo;
  steeringType?: number;
  responseFor?: ResponseFor[];
  /** `{OrganId},{yyyy/MM/dd},{number}/{notation}`; see makeDocumentId */
  documentId: string;
  /** Bussiness/DocumentId when it differs from the header's (the document an update concerns) */
  businessDocumentId?: string;
  /** 0 mới, 1 thu hồi, 2 cập nhật, 3 thay thế */
  businessDocType: BusinessDocType;
  businessDocReason?: string;
  /** Bussiness/Paper: 0 = no paper copy follows */
  paper?: number;
  businessDocumentInfo?: BusinessDocumentInfo;
  businessStaff?: StaffInfo;
  /** BussinessDocType 3: the documents this one replaces */
  replacementInfo?: ReplacementInfo[];
  /** when absent on build, one TraceHeader {from.organId, now} is written */
  traceHeaders?: TraceHeader[];
  attachments: A[];
}

export interface StatusMessage {
  from: Organ;
  responseFor: ResponseFor;
  /** "01" … "16" (two digits) */
  statusCode: string;
  description: string;
  /** yyyy/MM/dd HH:mm:ss */
  timestamp: string;
  staff?: StaffInfo;
}

export const STATUS_CODES: Record<string, { vi: string; en: string }> = {
  '01': { vi: 'Đã đến', en: 'arrived' },
  '02': { vi: 'Từ chối tiếp nhận', en: 'rejected' },
  '03': { vi: 'Đã tiếp nhận / vào sổ', en: 'registered' },
  '04': { vi: 'Đã phân công xử lý', en: 'assigned' },
  '05': { vi: 'Đang xử lý', en: 'in progress' },
  '06': { vi: 'Hoàn thành', en: 'completed' },
  '13': { vi: 'Yêu cầu lấy lại', en: 'request to retrieve' },
  '15': { vi: 'Đồng ý lấy lại / cập nhật', en: 'retrieve/update accepted' },
  '16': { vi: 'Từ chối lấy lại / cập nhật', en: 'retrieve/update refused' },
};
