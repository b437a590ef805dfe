import { msg, usageError } from '../core/errors.js';
import type { OrganInfo } from '../core/config.js';
import { isValidOrganId, normalizeDate } from '../exchange/edxml-format.js';
import type { DocCode, Organ } from '../exchange/edxml-types.js';

/**
 * Document metadata for `kyso send`, from flags or a `--meta <file.json>` with the same names in
 * camelCase (flags win). Validation messages name the flag and, when given, the JSON file.
 */
export interface DocumentMeta {
  /** "123/UBND-VP" */
  code?: string;
  subject?: string;
  /** DocumentType/Type code (number) or a type name such as "Công văn" */
  type?: string | number;
  typeName?: string;
  typeDetail?: number;
  content?: string;
  signerName?: string;
  signerPosition?: string;
  /** TM. / KT. / TL. / TUQ. / Q. */
  signerCompetence?: string;
  priority?: number | string;
  dueDate?: string;
  promulgationPlace?: string;
  promulgationDate?: string;
  toPlaces?: string[];
  steeringType?: number | string;
  /** OtherInfo */
  sphereOfPromulgation?: string;
  typerNotation?: string;
  promulgationAmount?: number | string;
  appendixes?: string[];
}

export const META_KEYS: readonly (keyof DocumentMeta)[] = [
  'code', 'subject', 'type', 'typeName', 'typeDetail', 'content', 'signerName', 'signerPosition', 'signerCompetence',
  'priority', 'dueDate', 'promulgationPlace', 'promulgationDate', 'toPlaces', 'steeringType',
  'sphereOfPromulgation', 'typerNotation', 'promulgationAmount', 'appendixes',
];

export function parseMetaJson(file: string, text: string): DocumentMeta {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw usageError('META_INVALID', msg(`${file}: not valid JSON (${(e as Error).message})`, `${file}: không phải JSON hợp lệ (${(e as Error).message})`));
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw usageError('META_INVALID', msg(`${file}: the metadata must be a JSON object`, `${file}: siêu dữ liệu phải là một đối tượng JSON`));
  }
  const unknown = Object.keys(doc).filter((k) => !(META_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw usageError('META_INVALID', msg(`${file}: unknown field(s) ${unknown.join(', ')}; known: ${META_KEYS.join(', ')}`, `${file}: trường không hợp lệ ${unknown.join(', ')}; các trường hợp lệ: ${META_KEYS.join(', ')}`));
  }
  return doc as DocumentMeta;
}

export interface ResolvedMeta {
  code: DocCode;
  subject: string;
  documentType: { type: number; typeDetail?: number; typeName?: string };
  content?: string;
  signer: { competence?: string; position: string; fullName: string };
  priority?: number;
  dueDate?: string;
  promulgation: { place: string; date: string };
  toPlaces?: string[];
  steeringType?: number;
  sphereOfPromulgation?: string;
  typerNotation?: string;
  promulgationAmount?: number;
  appendixes?: string[];
}

/** Validates metadata; `today` (YYYY-MM-DD, Vietnam) is the default promulgation date. */
export function resolveMeta(m: DocumentMeta, defaults: { place?: string; today: string }, source?: string): ResolvedMeta {
  const where = source ? ` (${source})` : '';
  const need = (v: string | undefined, flag: string, vi: string): string => {
    if (v === undefined || String(v).trim() === '') {
      throw usageError('META_MISSING', msg(`missing ${flag}${where}: the document's ${flag.replace(/^--/, '')} is required`, `thiếu ${flag}${where}: cần ${vi} của văn bản`));
    }
    return String(v).trim();
  };
  const codeText = need(m.code, '--code', 'số và ký hiệu (ví dụ 123/UBND-VP)');
  const cm = /^([^/\s]+)\/(\S+)$/.exec(codeText);
  if (!cm) {
    throw usageError('META_INVALID', msg(`--code "${codeText}"${where}: expected number/notation, e.g. 123/UBND-VP`, `--code "${codeText}"${where}: cần dạng số/ký hiệu, ví dụ 123/UBND-VP`));
  }
  const num = (v: number | string | undefined, flag: string): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw usageError('META_INVALID', msg(`${flag} "${v}"${where}: expected a whole number`, `${flag} "${v}"${where}: cần một số nguyên`));
    return n;
  };
  const date = (v: string | undefined, flag: string): string | undefined => {
    if (v === undefined || v === '') return undefined;
    try {
      return normalizeDate(String(v), flag);
    } catch {
      throw usageError('META_INVALID', msg(`${flag} "${v}"${where}: expected a date YYYY-MM-DD`, `${flag} "${v}"${where}: cần ngày dạng YYYY-MM-DD`));
    }
  };
  let documentType: ResolvedMeta['documentType'];
  if (m.type !== undefined && /^\d+$/.test(String(m.type))) {
    documentType = { type: Number(m.type), typeDetail: m.typeDetail, typeName: m.typeName };
  } else {
    // QCVN 102's Type code list is not published in our sources; 1 "Công văn" follows the Bkav samples
    documentType = { type: 1, typeDetail: m.typeDetail ?? 0, typeName: (m.type as string | undefined) ?? m.typeName ?? 'Công văn' };
  }
  const place = m.promulgationPlace ?? defaults.place;
  return {
    code: { number: cm[1]!, notation: cm[2]! },
    subject: need(m.subject, '--subject', 'trích yếu'),
    documentType,
    content: m.content,
    signer: {
      competence: m.signerCompetence,
      position: need(m.signerPosition, '--signer-position', 'chức vụ người ký'),
      fullName: need(m.signerName, '--signer-name', 'họ tên người ký'),
    },
    priority: num(m.priority, '--priority'),
    dueDate: date(m.dueDate, '--due-date'),
    promulgation: {
      place: need(place, '--promulgation-place', 'nơi ban hành (hoặc "organ.place" trong hồ sơ)'),
      date: date(m.promulgationDate, '--promulgation-date') ?? defaults.today,
    },
    toPlaces: m.toPlaces,
    steeringType: num(m.steeringType, '--steering-type'),
    sphereOfPromulgation: m.sphereOfPromulgation,
    typerNotation: m.typerNotation,
    promulgationAmount: num(m.promulgationAmount, '--promulgation-amount'),
    appendixes: m.appendixes,
  };
}

/** `--to A,B` → validated, de-duplicated organ ids. */
export function parseRecipients(list: string[]): string[] {
  const out: string[] = [];
  for (const part of list.flatMap((s) => s.split(','))) {
    const id = part.trim().toUpperCase();
    if (!id) continue;
    if (!isValidOrganId(id)) {
      throw usageError('ORGAN_ID_INVALID', msg(`--to "${part.trim()}": not a valid organ id (≤ 35 characters of 0-9, A-Z and dots, e.g. 000.00.00.H41)`, `--to "${part.trim()}": mã định danh không hợp lệ (≤ 35 ký tự 0-9, A-Z và dấu chấm, ví dụ 000.00.00.H41)`));
    }
    if (!out.includes(id)) out.push(id);
  }
  if (!out.length) throw usageError('RECIPIENT_MISSING', msg('missing --to: give the receiving organ id(s), e.g. --to 000.00.00.H41', 'thiếu --to: hãy nhập mã định danh cơ quan nhận, ví dụ --to 000.00.00.H41'));
  return out;
}

export function organOf(organId: string, info: OrganInfo): Organ {
  return {
    organId,
    organName: info.name,
    organizationInCharge: info.inCharge,
    organAdd: info.address,
    email: info.email,
    telephone: info.phone,
    fax: info.fax,
    website: info.website,
  };
}
