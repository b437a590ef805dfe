import { inputError, msg } from '../core/errors.js';

/** QĐ 20/2020/QĐ-TTg: at most 35 characters of `0-9 A-Z .`; groups of 1–4 separated by dots. */
const ORGAN_ID_RE = /^[0-9A-Z]{1,4}(\.[0-9A-Z]{1,4}){1,6}$/;

export function isValidOrganId(id: string): boolean {
  return id.length <= 35 && ORGAN_ID_RE.test(id);
}

export function assertOrganId(id: string, what = 'organ id'): void {
  if (!isValidOrganId(id)) {
    throw inputError(
      'EDXML_ORGAN_ID',
      msg(
        `invalid ${what} "${id}": expected at most 35 characters of 0-9, A-Z and dots, e.g. 000.00.00.H41`,
        `mã định danh cơ quan không hợp lệ "${id}": tối đa 35 ký tự gồm 0-9, A-Z và dấu chấm, ví dụ 000.00.00.H41`,
      ),
    );
  }
}

/** Accepts YYYY-MM-DD or yyyy/MM/dd; returns YYYY-MM-DD. */
export function normalizeDate(s: string, what = 'date'): string {
  const m = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(s.trim());
  if (!m) {
    throw inputError(
      'EDXML_DATE',
      msg(`invalid ${what} "${s}": expected YYYY-MM-DD`, `ngày không hợp lệ "${s}" (${what}): cần dạng YYYY-MM-DD`),
    );
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** YYYY-MM-DD (or yyyy/MM/dd) → yyyy/MM/dd as QCVN 102 writes dates. */
export function toWireDate(s: string, what = 'date'): string {
  return normalizeDate(s, what).replaceAll('-', '/');
}

/**
 * Lenient reading of a date received from another system: yyyy/MM/dd, YYYY-MM-DD and dd/MM/yyyy (seen in
 * the Bkav samples) become YYYY-MM-DD; anything else is kept as it was.
 */
export function fromWireDate(s: string): string {
  const t = s.trim();
  let m = /^(\d{4})[/-](\d{2})[/-](\d{2})$/.exec(t);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(t);
  if (m) return `${m[3]}-${m[2]}-${m[1]}`;
  return t;
}

const VN_OFFSET_MS = 7 * 3600_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `yyyy/MM/dd HH:mm:ss` in Vietnam time (UTC+7), the TraceHeader / status Timestamp form. */
export function formatEdxmlTimestamp(d: Date): string {
  const v = new Date(d.getTime() + VN_OFFSET_MS);
  return `${v.getUTCFullYear()}/${pad(v.getUTCMonth() + 1)}/${pad(v.getUTCDate())} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
}

/** Today's date in Vietnam as YYYY-MM-DD. */
export function vnDate(d: Date): string {
  const v = new Date(d.getTime() + VN_OFFSET_MS);
  return `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
}

/** `{OrganId},{yyyy/MM/dd},{number}/{notation}` (QCVN 102 item 1.14). */
export function makeDocumentId(organId: string, date: string, number: string, notation: string): string {
  assertOrganId(organId);
  return `${organId},${toWireDate(date, 'promulgation date')},${number}/${notation}`;
}

export function codeString(code: { number: string; notation: string }): string {
  return `${code.number}/${code.notation}`;
}
