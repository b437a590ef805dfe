/**
 * A few lines of DER: reading tag-length-values by offset and writing them from already-encoded parts.
 * The signing path (certificate fields, PKCS#12, the CAdES SignedData) needs only this much, and asn1js
 * (with pvtsutils) costs ~60 ms of CPU to load and build object trees on every `kyso sign` start: a
 * tenth of a one-document run. Verification reads canonical DER with this too (the strict reading at the
 * end of this file) and keeps asn1js/pkijs for BER and unusual shapes, loaded only then (asn1-lazy.ts).
 */

/** One DER TLV: where its value starts/ends inside `buf`. */
export interface Tlv {
  cls: number; // 0 universal, 1 application, 2 context, 3 private
  constructed: boolean;
  tag: number;
  start: number; // first byte of the TLV
  valueStart: number;
  end: number; // one past the last byte
}

/** Reads the TLV at `off` (definite lengths only: DER). */
export function readTlv(buf: Uint8Array, off: number, limit = buf.length): Tlv {
  if (off + 2 > limit) throw new Error('truncated DER');
  const b0 = buf[off]!;
  let p = off + 1;
  let tag = b0 & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let k = 0; ; k++) {
      if (p >= limit || k > 4) throw new Error('bad DER tag');
      const b = buf[p++]!;
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  if (p >= limit) throw new Error('truncated DER');
  const l0 = buf[p++]!;
  let len: number;
  if (l0 < 0x80) len = l0;
  else if (l0 === 0x80) throw new Error('indefinite length');
  else {
    const n = l0 & 0x7f;
    if (n > 4 || p + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + buf[p++]!;
  }
  const end = p + len;
  if (end > limit) throw new Error('DER value runs past its container');
  return { cls: b0 >> 6, constructed: (b0 & 0x20) !== 0, tag, start: off, valueStart: p, end };
}

/** The TLVs directly inside a constructed TLV. */
export function children(buf: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.valueStart; p < t.end; ) {
    const c = readTlv(buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** The whole buffer as exactly one TLV (trailing bytes are an error). */
export function readRoot(buf: Uint8Array): Tlv {
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) throw new Error('bytes after the DER value');
  return t;
}

export const whole = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.start, t.end);
export const value = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.valueStart, t.end);

/** Universal tag numbers used here. */
export const TAG = { boolean: 1, integer: 2, bitString: 3, octetString: 4, null: 5, oid: 6, utf8: 12, sequence: 16, set: 17, printable: 19, t61: 20, ia5: 22, utcTime: 23, generalizedTime: 24, bmp: 30, universal: 28 } as const;

export function isUniversal(t: Tlv | undefined, tag: number): t is Tlv {
  return t !== undefined && t.cls === 0 && t.tag === tag;
}

export function isContext(t: Tlv | undefined, n: number): t is Tlv {
  return t !== undefined && t.cls === 2 && t.tag === n;
}

export function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!isUniversal(t, tag)) throw new Error(`${what}: unexpected DER`);
  return t;
}

/** Dotted string of an OBJECT IDENTIFIER's content octets. */
export function oidString(buf: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let p = t.valueStart; p < t.end; p++) {
    const b = buf[p]!;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 40 ? 0 : v < 80 ? 1 : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** A small non-negative INTEGER (iteration counts, versions). */
export function smallInt(buf: Uint8Array, t: Tlv): number {
  if (t.end - t.valueStart > 6) throw new Error('INTEGER too large');
  let v = 0;
  for (let p = t.valueStart; p < t.end; p++) v = v * 256 + buf[p]!;
  return v;
}

/** UTCTime / GeneralizedTime (Z form, as RFC 5280 requires). */
export function timeOf(buf: Uint8Array, t: Tlv): Date {
  const s = Buffer.from(value(buf, t)).toString('latin1');
  const m =
    t.tag === TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s)
      : t.tag === TAG.generalizedTime
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(s)
        : null;
  if (!m) throw new Error('bad time');
  let year = Number(m[1]);
  if (t.tag === TAG.utcTime) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
}

/** A directory string's text (UTF8/Printable/IA5/T61/BMP/Universal); other types as #hex of the whole TLV. */
export function stringOf(buf: Uint8Array, t: Tlv): string {
  const v = Buffer.from(value(buf, t));
  if (t.cls === 0) {
    switch (t.tag) {
      case TAG.utf8:
        return v.toString('utf8');
      case TAG.printable:
      case TAG.ia5:
      case TAG.t61:
        return v.toString('latin1');
      case TAG.bmp:
        return Buffer.from(v).swap16().toString('utf16le');
      case TAG.universal: {
        let out = '';
        for (let i = 0; i + 3 < v.length; i += 4) out += String.fromCodePoint(v.readUInt32BE(i));
        return out;
      }
    }
  }
  return '#' + Buffer.from(whole(buf, t)).toString('hex');
}

// ---- writing ----

/** TLV with an identifier octet `tag` (class and constructed bit included) around the given parts. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head: number[] = [tag];
  if (len < 0x80) head.push(len);
  else {
    const bytes: number[] = [];
    for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head.push(0x80 | bytes.length, ...bytes);
  }
  return Buffer.concat([Uint8Array.from(head), ...parts]);
}

export const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
export const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
export const octets = (b: Uint8Array) => tlv(0x04, b);
export const explicit = (n: number, ...inner: Uint8Array[]) => tlv(0xa0 | n, ...inner);
export const NULL = Uint8Array.of(0x05, 0x00);

/** DER OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const bytes = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(out));
}

/** DER INTEGER of a non-negative number. */
export function integer(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

// ---- strict reading (verification's fast paths) ----
//
// The verifier reads certificates, SignerInfos, TSTInfos, OCSP responses and CRLs by hand when they are
// canonical DER and hands anything else to pkijs/asn1js (loaded only then: src/crypto/asn1-lazy.ts), so
// both paths accept, reject and read the same inputs. `isStrictDer` is the gate: it says yes only to a
// tree that asn1js reads without complaint AND that re-encodes to the same bytes (what pkijs' toBER
// comparisons of names and keys rely on).

/** Universal string types whose asn1js value is the bytes as Latin-1 (PrintableString, IA5String, …). */
const LATIN1_STRINGS = new Set([18, 19, 20, 21, 22, 25, 26, 27, 29]);
const STRICT_MAX_DEPTH = 48;

/** True when the length octets of `t` are the minimal definite form (X.690 §10.1). */
export function minimalLength(buf: Uint8Array, t: Tlv): boolean {
  const len = t.end - t.valueStart;
  const lenStart = t.start + 1; // low tag numbers only (isStrictDer refuses the others)
  const lenBytes = t.valueStart - lenStart;
  if (len < 0x80) return lenBytes === 1;
  return lenBytes >= 2 && buf[lenStart]! === (0x80 | (lenBytes - 1)) && buf[lenStart + 1]! !== 0;
}

/**
 * Strict DER check of the whole tree under `t`: low tag numbers, minimal definite lengths, constructed
 * values made of complete TLVs, and universal types in the form DER gives them (primitive strings, a
 * BOOLEAN of one octet, a well-formed OBJECT IDENTIFIER and BIT STRING, times in the Z form asn1js reads
 * the same way). Never throws.
 */
export function isStrictDer(buf: Uint8Array, t: Tlv, depth = 0): boolean {
  if (depth > STRICT_MAX_DEPTH || (buf[t.start]! & 0x1f) === 0x1f || !minimalLength(buf, t)) return false;
  if (t.constructed) {
    if (t.cls === 0 && t.tag !== TAG.sequence && t.tag !== TAG.set) return false;
    try {
      for (let p = t.valueStart; p < t.end; ) {
        const c = readTlv(buf, p, t.end);
        if (!isStrictDer(buf, c, depth + 1)) return false;
        p = c.end;
      }
    } catch {
      return false;
    }
    return true;
  }
  if (t.cls !== 0) return true;
  const len = t.end - t.valueStart;
  switch (t.tag) {
    case TAG.boolean:
      return len === 1 && (buf[t.valueStart] === 0 || buf[t.valueStart] === 0xff);
    case TAG.integer:
    case 10: // ENUMERATED
      return len >= 1;
    case TAG.null:
      return len === 0;
    case TAG.oid:
      return decodeOid(buf, t) !== undefined;
    case TAG.bitString:
      return len >= 1 && buf[t.valueStart]! <= 7 && (len > 1 || buf[t.valueStart] === 0);
    case TAG.octetString:
    case TAG.utf8:
      return true;
    case TAG.bmp:
      return len % 2 === 0;
    case TAG.universal:
      return len % 4 === 0;
    case TAG.utcTime:
    case TAG.generalizedTime:
      return asnTimeOf(buf, t) !== undefined;
    default:
      return LATIN1_STRINGS.has(t.tag);
  }
}

/**
 * The dotted form of a DER OBJECT IDENTIFIER, or undefined for anything unusual (empty, non-minimal or
 * over-long sub-identifiers), which then goes through asn1js (and is not DER: sub-identifiers minimal, none over 32 bits, the last one
 * complete).
 */
export function decodeOid(buf: Uint8Array, t: Tlv): string | undefined {
  if (t.end <= t.valueStart || t.end - t.valueStart > 64) return undefined;
  const parts: number[] = [];
  let v = 0;
  let fresh = true;
  for (let p = t.valueStart; p < t.end; p++) {
    const b = buf[p]!;
    if (fresh && b === 0x80) return undefined;
    fresh = false;
    v = v * 128 + (b & 0x7f);
    if (v > 0xffffffff) return undefined;
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
      fresh = true;
    }
  }
  if (!fresh) return undefined;
  const first = parts[0]!;
  const head = first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
  return parts.length > 1 ? `${head}.${parts.slice(1).join('.')}` : head;
}

/** The whole of `buf` as one strict DER value (isStrictDer), or undefined. */
export function strictRoot(buf: Uint8Array): Tlv | undefined {
  try {
    const t = readRoot(buf);
    return isStrictDer(buf, t) ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * UTCTime "YYMMDDHHMMSSZ" / GeneralizedTime "YYYYMMDDHHMMSS[.f…]Z" as asn1js' toDate() gives it (same
 * Date.UTC call, milliseconds from the fraction as asn1js computes them); undefined for every other form
 * (which the callers leave to asn1js).
 */
export function asnTimeOf(buf: Uint8Array, t: Tlv): Date | undefined {
  if (t.cls !== 0 || t.constructed) return undefined;
  const s = Buffer.from(buf.subarray(t.valueStart, t.end)).toString('latin1');
  if (t.tag === TAG.utcTime) {
    const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) return undefined;
    const yy = Number.parseInt(m[1]!, 10);
    const n = (k: number) => Number.parseInt(m[k]!, 10);
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, n(2) - 1, n(3), n(4), n(5), n(6)));
  }
  if (t.tag === TAG.generalizedTime) {
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s);
    if (!m) return undefined;
    const n = (k: number) => Number.parseInt(m[k]!, 10);
    const ms = m[7] ? Math.floor(1000 * Number(`0${m[7]}`)) : 0;
    return new Date(Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), ms));
  }
  return undefined;
}

const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A directory string's text exactly as asn1js gives it (valueBlock.value): UTF8String decoded (Latin-1
 * when it is not valid UTF-8), the 8-bit string types as Latin-1. undefined for any other type.
 */
export function asnStringOf(buf: Uint8Array, t: Tlv): string | undefined {
  if (t.cls !== 0 || t.constructed) return undefined;
  const v = buf.subarray(t.valueStart, t.end);
  if (t.tag === TAG.utf8) {
    try {
      return UTF8_FATAL.decode(v);
    } catch {
      return Buffer.from(v).toString('latin1');
    }
  }
  return LATIN1_STRINGS.has(t.tag) ? Buffer.from(v).toString('latin1') : undefined;
}
