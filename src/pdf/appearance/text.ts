/** Text values of visible signatures: Vietnamese administrative number and date forms (NĐ 30/2020 Phụ lục I). */

export interface DocDate {
  y: number;
  m: number;
  d: number;
}

/** Today in Vietnam time (UTC+7, no daylight saving). */
export function vietnamToday(now: Date): DocDate {
  const t = new Date(now.getTime() + 7 * 3600_000);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** ISO 8601 with seconds and the +07:00 offset ("2026-01-05T09:30:00+07:00"). */
export function isoVietnam(t: Date): string {
  const v = new Date(t.getTime() + 7 * 3600_000);
  return `${v.toISOString().slice(0, 19)}+07:00`;
}

/** Day below 10 and months 1–2 zero-padded (ô 4: "ngày 05 tháng 01 năm 2026", "ngày 15 tháng 3 năm 2026"). */
export function dayText(d: DocDate): string {
  return String(d.d).padStart(2, '0');
}
export function monthText(d: DocDate): string {
  return d.m < 3 ? String(d.m).padStart(2, '0') : String(d.m);
}

/** Number below 10 zero-padded ("5/QĐ-UBND" → "05/QĐ-UBND"). */
export function docNumberText(n: string): string {
  return n.trim().replace(/^(\d)(?=\/|$)/, '0$1');
}

export function parseDocDate(s: string): DocDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return { y, m: mo, d };
}

/** Fills "{name}" placeholders. */
export function fill(template: string, values: Record<string, string | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? '');
}
