/**
 * Small shared helpers for the verification half of src/crypto: OIDs, digest names, byte helpers and a
 * safe DER parser. Kept here (not in x509.ts) so verification does not depend on the signing code.
 */
import { createHash, type Hash } from 'node:crypto';
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { asn1, pki } from './asn1-lazy.js';
import { isStrictDer, oidString, readTlv, type Tlv } from './der.js';

export { OID } from './oids.js';
import { OID } from './oids.js';

const DIGEST_BY_OID: Record<string, string> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
  [OID.md5]: 'md5',
  [OID.sha3_224]: 'sha3-224',
  [OID.sha3_256]: 'sha3-256',
  [OID.sha3_384]: 'sha3-384',
  [OID.sha3_512]: 'sha3-512',
  // RFC 8419 (Ed448 in CMS): SHAKE256 with a 512-bit output; id-shake256-len carries the length as a parameter.
  [OID.shake256]: 'shake256',
  [OID.shake256Len]: 'shake256',
};

const SUPPORTED_DIGESTS = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512', 'shake256']);

export const DIGEST_OID_BY_NAME: Record<string, string> = Object.fromEntries(
  Object.entries(DIGEST_BY_OID).map(([o, n]) => [n, o]),
);

/** 'sha256' for a digest OID, or the OID itself when unknown (callers treat unknown names as unsupported). */
export function digestNameForOid(oid: string): string {
  return DIGEST_BY_OID[oid] ?? oid;
}

export function isSupportedDigest(name: string): boolean {
  return SUPPORTED_DIGESTS.has(name);
}

/** A node:crypto Hash for a digest name ('shake256' = SHAKE256 with the 512-bit output RFC 8419 uses). */
export function createDigest(alg: string): Hash {
  return alg === 'shake256' ? createHash('shake256', { outputLength: 64 }) : createHash(alg);
}

export function isWeakDigest(name: string): boolean {
  return name === 'sha1' || name === 'md5';
}

export function hashBytes(alg: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createDigest(alg).update(data).digest());
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function toHex(b: Uint8Array | ArrayBuffer): string {
  return Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('hex');
}

export function bytesEqual(a: Uint8Array | ArrayBuffer, b: Uint8Array | ArrayBuffer): boolean {
  const x = a instanceof ArrayBuffer ? new Uint8Array(a) : a;
  const y = b instanceof ArrayBuffer ? new Uint8Array(b) : b;
  return x.byteLength === y.byteLength && Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
}

export function u8(b: ArrayBuffer | Uint8Array): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/** A fresh ArrayBuffer holding exactly these bytes (asn1js wants ArrayBuffers). */
export function ab(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Largest ASN.1 value parsed (a CMS with its CRLs, a DSS CRL): 64 MiB. */
export const MAX_ASN1_BYTES = 64 * 1024 * 1024;

/**
 * Parses DER/BER; throws a plain Error with `what` when the bytes are not one complete ASN.1 value.
 * Trailing zero bytes are tolerated (PDF /Contents are zero-padded).
 */
export function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  if (bytes.byteLength > MAX_ASN1_BYTES) throw new Error(`${what}: ${bytes.byteLength} bytes of ASN.1, more than the ${MAX_ASN1_BYTES} bytes accepted`);
  // The limit is on bytes, not on asn1js' node count (default 10,000): a real CRL of a national CA has
  // hundreds of thousands of entries. Every node takes at least two bytes, so `byteLength` nodes is a bound
  // that never refuses well-formed input, and the byte cap keeps the work bounded.
  const res = asn1().fromBER(bytes, { maxNodes: Math.max(10_000, bytes.byteLength), maxContentLength: MAX_ASN1_BYTES });
  if (res.offset === -1) throw new Error(`${what}: not valid ASN.1 (${res.result.error || 'parse error'})`);
  return res.result;
}

/** Removes the trailing zero padding of a PDF /Contents value: the DER length says where the CMS ends. */
export function trimDer(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x30) return bytes;
  const l0 = bytes[1]!;
  let len: number;
  let hdr: number;
  if (l0 < 0x80) {
    len = l0;
    hdr = 2;
  } else if (l0 === 0x80) {
    return bytes; // indefinite length (BER): let the parser find the end
  } else {
    const n = l0 & 0x7f;
    if (n > 4 || bytes.length < 2 + n) return bytes;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
    hdr = 2 + n;
  }
  const total = hdr + len;
  return total <= bytes.length ? bytes.subarray(0, total) : bytes;
}

/** ASN.1 time (UTCTime / GeneralizedTime / pkijs Time) → Date, or undefined. */
export function asnTimeToDate(v: unknown): Date | undefined {
  if (!v) return undefined;
  if (v instanceof Date) return v;
  const anyV = v as { toDate?: () => Date; value?: unknown };
  if (typeof anyV.toDate === 'function') {
    const d = anyV.toDate();
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (anyV.value instanceof Date) return anyV.value;
  return undefined;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The original encoding of a parsed ASN.1 value (re-encoding could change non-DER input). */
export function rawBytes(v: asn1js.AsnType | asn1js.BaseBlock): Uint8Array {
  const anyV = v as unknown as { valueBeforeDecodeView?: Uint8Array; toBER(sizeOnly?: boolean): ArrayBuffer };
  if (anyV.valueBeforeDecodeView && anyV.valueBeforeDecodeView.byteLength > 0) return new Uint8Array(anyV.valueBeforeDecodeView);
  return new Uint8Array(anyV.toBER(false));
}

/** DER reading by offset (one implementation, shared with the signing path: der.ts). */
export { children, readTlv, type Tlv } from './der.js';

/**
 * An AlgorithmIdentifier as verification uses it: the OID, the DER of the parameters when present, and
 * the DER of the whole (for the rare callers that still hand it to pkijs). `pk` is the pkijs object
 * when it came from pkijs (BER and unusual shapes).
 */
export interface AlgId {
  algorithmId: string;
  params?: Uint8Array;
  der: Uint8Array;
  pk?: pkijs.AlgorithmIdentifier;
}

/** SEQUENCE { OID, [one universal value] } in strict DER, or undefined (leave it to pkijs). */
export function readAlgId(buf: Uint8Array, t: Tlv | undefined): AlgId | undefined {
  if (!t || t.cls !== 0 || t.tag !== 16 || !t.constructed || !isStrictDer(buf, t)) return undefined;
  const kids: Tlv[] = [];
  for (let p = t.valueStart; p < t.end; ) {
    const c = readTlv(buf, p, t.end);
    kids.push(c);
    p = c.end;
  }
  const [oid, params, ...rest] = kids;
  if (!oid || oid.cls !== 0 || oid.tag !== 6 || rest.length > 0 || (params && params.cls !== 0)) return undefined;
  const algorithmId = oidText(buf, oid);
  return { algorithmId, params: params ? buf.slice(params.start, params.end) : undefined, der: buf.slice(t.start, t.end) };
}

export function algIdFromPkijs(a: pkijs.AlgorithmIdentifier): AlgId {
  const params = a.algorithmParams as asn1js.BaseBlock | undefined;
  return { algorithmId: a.algorithmId, params: params ? rawBytes(params) : undefined, der: rawBytes(a.toSchema()), pk: a };
}

/** The pkijs AlgorithmIdentifier of an AlgId (for the pkijs-only paths). */
export function pkijsAlgId(a: AlgId): pkijs.AlgorithmIdentifier {
  if (a.pk) return a.pk;
  return new (pki().AlgorithmIdentifier)({ schema: parseDer(a.der, 'AlgorithmIdentifier') });
}

/** Dotted form of a canonical DER OBJECT IDENTIFIER (isStrictDer checked it): der.ts's reader. */
export const oidText = oidString;
