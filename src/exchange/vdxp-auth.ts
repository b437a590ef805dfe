import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/*
 * The national axis SDK (SDKVXP 2.0.1, decompiled; spec §1.9) authenticates every call with headers:
 * each header k: v is also sent as XroadVnpt-k: v, `XroadVnpt-sign-header-key` lists the names joined by
 * ";", `XroadVnpt-sign-header` is the JSON object {"XroadVnpt-k": v, …} and `XroadVnpt-hash-header` is
 * hex(HMAC-SHA256(secret, that JSON)). No library implements this; it is small and shared by the client
 * and `kyso hub serve`, which verifies it.
 */

export const VDXP_USER_AGENT = 'JAVASDKAgent/1.0.0 XRoad/VPCP';
export const VDXP_VERSION = '3.0.201608';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Java SimpleDateFormat `ddMMyyyy'T'HHmmss+SSSS` (the "+" is a literal, SSSS = milliseconds), Vietnam time. */
export function vdxpTimestamp(d: Date): string {
  const v = new Date(d.getTime() + 7 * 3600_000);
  return `${pad(v.getUTCDate())}${pad(v.getUTCMonth() + 1)}${v.getUTCFullYear()}T${pad(v.getUTCHours())}${pad(v.getUTCMinutes())}${pad(v.getUTCSeconds())}+${pad(v.getUTCMilliseconds(), 4)}`;
}

/** The SDK's `hash-file`: SHA-256 bytes each written with Integer.toHexString(0xFF & b), i.e. without leading zeros. */
export function javaHexQuirk(digest: Uint8Array): string {
  let s = '';
  for (const b of digest) s += b.toString(16);
  return s;
}

export function hashFile(bytes: Uint8Array): { quirk: string; hex: string } {
  const d = createHash('sha256').update(bytes).digest();
  return { quirk: javaHexQuirk(d), hex: d.toString('hex') };
}

function signedJson(keys: string[], value: (k: string) => string): string {
  const o: Record<string, string> = {};
  for (const k of keys) o[`XroadVnpt-${k}`] = value(k);
  return JSON.stringify(o);
}

const hmac = (secret: string, s: string) => createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(s, 'utf8')).digest('hex');

/** Headers sent as they are besides their XroadVnpt-* copy: HTTP itself needs them (the SDK sends Content-Type). */
export const VDXP_PLAIN_HEADERS = new Set(['content-type']);

/**
 * All headers of one call as the official SDK sends them: the call's own and systemid/timestamp ONLY as
 * XroadVnpt-* copies (Content-Type also plain: HTTP needs it), the signed key list, the JSON and the HMAC,
 * User-Agent and XroadVnpt-version. The SDK sends no plain copies, and a server must not require them.
 */
export function signVdxpHeaders(call: Record<string, string>, systemId: string, secret: string, now: Date): Record<string, string> {
  const base: Record<string, string> = { systemid: systemId, timestamp: vdxpTimestamp(now), ...call };
  const keys = Object.keys(base);
  const out: Record<string, string> = { 'User-Agent': VDXP_USER_AGENT, 'XroadVnpt-version': VDXP_VERSION };
  for (const k of keys) {
    if (VDXP_PLAIN_HEADERS.has(k.toLowerCase())) out[k] = base[k]!;
    out[`XroadVnpt-${k}`] = base[k]!;
  }
  const json = signedJson(keys, (k) => base[k]!);
  out['XroadVnpt-sign-header-key'] = keys.join(';');
  out['XroadVnpt-sign-header'] = json;
  out['XroadVnpt-hash-header'] = hmac(secret, json);
  return out;
}

export type VerifyResult = { ok: true; systemId: string; signed: Set<string> } | { ok: false; reason: string };

/**
 * Headers the official SDK never sends: a plain copy of a signed call parameter (`from`, `docid`…, other
 * than Content-Type). `kyso hub serve --platform-rules strict` refuses a request carrying one, so a client
 * that depends on them is caught in tests.
 */
export function nonSdkHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const v = headers['xroadvnpt-sign-header-key'];
  const keys = (Array.isArray(v) ? v.join(';') : (v ?? '')).split(';').filter(Boolean);
  return keys.filter((k) => !VDXP_PLAIN_HEADERS.has(k.toLowerCase()) && headers[k.toLowerCase()] !== undefined);
}

/** Headers that the hub acts on: when present they must be covered by the HMAC. */
const MUST_SIGN = ['systemid', 'timestamp', 'from', 'to', 'messagetype', 'servicetype', 'hash-file', 'docid', 'status'];

/** Verifies the HMAC headers of a request (header names as Node gives them: lower case). */
export function verifyVdxpHeaders(
  headers: Record<string, string | string[] | undefined>,
  secretFor: (systemId: string) => string | undefined,
): VerifyResult {
  const h = (k: string) => {
    const v = headers[k.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const keyList = h('xroadvnpt-sign-header-key');
  const given = h('xroadvnpt-hash-header');
  if (!keyList || !given) return { ok: false, reason: 'missing XroadVnpt-sign-header-key / XroadVnpt-hash-header' };
  const keys = keyList.split(';').filter(Boolean);
  const signed = new Set(keys.map((k) => k.toLowerCase()));
  for (const k of MUST_SIGN) if (h(k) !== undefined && !signed.has(k)) return { ok: false, reason: `header ${k} is not signed` };
  if (!signed.has('systemid') || !signed.has('timestamp')) return { ok: false, reason: 'systemid/timestamp not signed' };
  for (const k of keys) {
    const copy = h(`xroadvnpt-${k}`);
    if (copy === undefined) return { ok: false, reason: `missing XroadVnpt-${k}` };
    const plain = h(k);
    if (plain !== undefined && plain !== copy) return { ok: false, reason: `header ${k} differs from XroadVnpt-${k}` };
  }
  const systemId = h('xroadvnpt-systemid')!;
  const secret = secretFor(systemId);
  if (secret === undefined) return { ok: false, reason: `unknown system ${systemId}` };
  const json = signedJson(keys, (k) => h(`xroadvnpt-${k}`)!);
  const want = Buffer.from(hmac(secret, json), 'utf8');
  const got = Buffer.from(given.toLowerCase(), 'utf8');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'HMAC mismatch' };
  const sent = h('xroadvnpt-sign-header');
  if (sent !== undefined && sent !== json) return { ok: false, reason: 'XroadVnpt-sign-header does not match the signed headers' };
  return { ok: true, systemId, signed };
}
