import { isValidOrganId, vnDate } from './edxml-format.js';
import type { ParsedEdoc } from './edxml-parse.js';
import { ORGAN_ELEMENTS, type Organ } from './edxml-types.js';

/*
 * The strictest platform rules known (spec "What real platforms check": the Bkav eDoc integrator's
 * Checker/MapperUtil), applied to a document message as parsed back from its bytes, so what is checked
 * is exactly what goes on the wire. Used by `kyso send` before anything is queued, and by
 * `kyso hub serve --platform-rules strict` on every document it receives.
 */

export interface RuleViolation {
  /** the element, as a path under MessageHeader (e.g. "To[2]/Fax") */
  field: string;
  en: string;
  vi: string;
}

/** Every violation of the strict rules (empty = the platform accepts it). `now` decides "future". */
export function strictRuleViolations(p: ParsedEdoc, now: Date): RuleViolation[] {
  const m = p.message;
  const out: RuleViolation[] = [];
  const v = (field: string, en: string, vi: string) => out.push({ field, en, vi });
  const organ = (o: Organ, where: string, shape: boolean) => {
    for (const [k, el] of ORGAN_ELEMENTS) {
      if (o[k] === undefined) v(`${where}/${el}`, 'element missing (write it empty when unknown)', 'thiếu phần tử (để trống nếu không có)');
    }
    if (!o.organId) v(`${where}/OrganId`, 'empty', 'bị trống');
    else if (shape && !isValidOrganId(o.organId)) v(`${where}/OrganId`, `"${o.organId}" is not an organ id of the form 000.00.00.H41`, `"${o.organId}" không đúng dạng mã định danh 000.00.00.H41`);
  };
  organ(m.from, 'From', true);
  if (m.to.length === 0) v('To', 'no recipient', 'không có nơi nhận');
  m.to.forEach((t, i) => organ(t, m.to.length > 1 ? `To[${i + 1}]` : 'To', true));
  const has = (el: string) => p.headerElements.includes(el);
  for (const el of ['DocumentId', 'Code', 'PromulgationInfo', 'DocumentType', 'Subject', 'Content', 'SignerInfo', 'OtherInfo', 'SteeringType', 'ToPlaces']) {
    if (!has(el)) v(el, 'element missing', 'thiếu phần tử');
  }
  if (has('Content') && !(m.content ?? '').trim()) v('Content', 'empty (the platform refuses a null Content)', 'bị trống (trục từ chối Content rỗng)');
  if (!m.subject.trim()) v('Subject', 'empty', 'bị trống');
  if (!m.code.number.trim()) v('Code/CodeNumber', 'empty', 'bị trống');
  if (!m.code.notation.trim()) v('Code/CodeNotation', 'empty', 'bị trống');
  if (m.documentType.type !== 1 && m.documentType.type !== 2) {
    v('DocumentType/Type', `${m.documentType.type} is not accepted (1 or 2 only)`, `${m.documentType.type} không được chấp nhận (chỉ 1 hoặc 2)`);
  }
  const d = m.promulgation.date;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) v('PromulgationInfo/PromulgationDate', `"${d}" is not a date yyyy/MM/dd`, `"${d}" không phải ngày dạng yyyy/MM/dd`);
  else if (d > vnDate(now)) v('PromulgationInfo/PromulgationDate', `${d} is in the future`, `${d} là ngày trong tương lai`);
  if (!m.signer.fullName.trim()) v('SignerInfo/FullName', 'empty', 'bị trống');
  if (m.businessDocType === 1 || m.businessDocType === 2) {
    if (!m.responseFor?.length) v('ResponseFor', 'a revocation/update must name the original document', 'văn bản thu hồi/cập nhật phải chỉ rõ văn bản gốc');
  }
  if (m.businessDocType === 3 && !m.replacementInfo?.length) {
    v('Bussiness/ReplacementInfoList', 'a replacement must list the replaced document', 'văn bản thay thế phải chỉ rõ văn bản bị thay thế');
  }
  if (m.businessDocType !== 0 && !(m.businessDocReason ?? '').trim()) v('Bussiness/BussinessDocReason', 'a revocation/update/replacement needs a reason', 'thu hồi/cập nhật/thay thế cần lý do');
  return out;
}

/** One line naming the fields, for a refusal message. */
export function describeViolations(list: RuleViolation[], lang: 'en' | 'vi'): string {
  return list.map((x) => `${x.field}: ${lang === 'vi' ? x.vi : x.en}`).join('; ');
}
