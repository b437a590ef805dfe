/**
 * A few lines of DER: reading tag-length-values by offset and writing them from already-encoded parts.
 * The signing path (certificate fields, PKCS#12, the CAdES SignedData) needs only this much, and asn1js
 * (with pvtsutils) costs ~60 ms of CPU to load and build object trees on every `kyso sign` start: a
 * tenth of a one-document run. Verification keeps asn1js/pkijs where the structures are open-ended.
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
