/**
 * Times as a Vietnamese clerk reads them (issue 14): Vietnam time, UTC+7 all year (no daylight saving).
 * JSON carries ISO 8601 with the +07:00 offset instead of `…Z`; text shows the same instant, offset included.
 */

const VN_OFFSET_MS = 7 * 3600_000;

/** An ISO 8601 time in UTC as JavaScript writes it (`2026-12-06T04:31:10.000Z`, seconds and fraction optional). */
export const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z$/;

/** `2026-12-06T11:31:10+07:00` (milliseconds kept when there are any). */
export function vietnamIso(t: Date): string {
  const v = new Date(t.getTime() + VN_OFFSET_MS).toISOString();
  const ms = v.slice(19, 23);
  return `${v.slice(0, 19)}${ms === '.000' ? '' : ms}+07:00`;
}

/**
 * A time without a zone as the exchange platform writes it (`2026/12/07 03:22:28`, `2026-12-07T03:22:28`): it is
 * Vietnam time already.
 */
const LOCAL_TIME = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?$/;

/** A time string as an instant: one without a zone is Vietnam time. */
function parseTime(s: string): Date {
  const m = LOCAL_TIME.exec(s);
  return new Date(m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}+07:00` : s);
}

/**
 * A UTC ISO string (`…Z`), or a time without a zone (Vietnam time, as the platform writes it), as ISO 8601 in
 * Vietnam time with +07:00; anything else is returned as it is.
 */
export function toVietnamIso(s: string): string {
  if (!UTC_ISO.test(s) && !LOCAL_TIME.test(s)) return s;
  const t = parseTime(s);
  return Number.isNaN(t.getTime()) ? s : vietnamIso(t);
}

/** For text output: `2026-12-06 11:31:10 +07:00` from an ISO string or a Date; anything unparsable as it is. */
export function vietnamDisplay(t: string | Date): string {
  const d = typeof t === 'string' ? parseTime(t) : t;
  if (Number.isNaN(d.getTime())) return String(t);
  const v = new Date(d.getTime() + VN_OFFSET_MS).toISOString();
  return `${v.slice(0, 10)} ${v.slice(11, 19)} +07:00`;
}
