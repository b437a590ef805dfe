import { PDFHexString, PDFString } from './pdf-lib.js';

/**
 * A PDF text string: printable ASCII as a literal string with "(", ")" and "\" escaped exactly once;
 * anything else (Vietnamese, control characters) as UTF-16BE with BOM in a hex string, so that every
 * validator shows "Nguyễn Thúy Hằng" and "Phú Lương" as written.
 */
export function pdfTextString(text: string): PDFString | PDFHexString {
  if (/^[\x20-\x7e]*$/.test(text)) return PDFString.of(escapeLiteral(text));
  return PDFHexString.fromText(text);
}

/** Escapes "\", "(" and ")" for the inside of a literal string (each exactly once). */
export function escapeLiteral(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

/** The PDF date "D:YYYYMMDDHHmmss+07'00'" of `d` in the machine's local offset ("Z" for UTC). */
export function pdfDate(d: Date, offsetMinutes = -d.getTimezoneOffset()): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base =
    `D:${p(local.getUTCFullYear(), 4)}${p(local.getUTCMonth() + 1)}${p(local.getUTCDate())}` +
    `${p(local.getUTCHours())}${p(local.getUTCMinutes())}${p(local.getUTCSeconds())}`;
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const a = Math.abs(offsetMinutes);
  return `${base}${sign}${p(Math.floor(a / 60))}'${p(a % 60)}'`;
}
