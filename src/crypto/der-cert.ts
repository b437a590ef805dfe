/**
 * Light certificate reading with asn1js + node:crypto only (no pkijs). The signing path uses this: pkijs
 * is one large module whose load time was a third of `kyso sign`'s start-up (measured: pkijs ≈ 0.3-0.4 s,
 * asn1js ≈ 0.07 s on the 2-core test machine), which counts against the 100 MB benchmark target.
 * src/crypto/x509.ts keeps the pkijs-based helpers for verification and re-exports these.
 */
import { X509Certificate, createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { inputError, msg } from '../core/errors.js';

export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

/** Short names for distinguished-name attributes (RFC 4514 plus the ones Vietnamese CAs use). */
export const NAME_ATTRS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};

export interface NameAttribute {
  type: string;
  value: string;
}

export interface CertFields {
  /** exact DER of the certificate */
  der: Uint8Array;
  /** exact DER of the issuer / subject Name */
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  /** content octets of the serialNumber INTEGER (two's complement, as encoded) */
  serialBytes: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** RDN attributes in certificate order (most general first) */
  issuer: NameAttribute[];
  subject: NameAttribute[];
  keyUsage?: KeyUsageName[];
  isCA: boolean;
  /** the asn1js tree of the certificate, for embedding */
  asn1: asn1js.Sequence;
}

export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function badCert(label: string, cause?: unknown) {
  return inputError('CERT_MALFORMED', msg(`${label}: not a valid X.509 certificate`, `${label}: không phải chứng thư số X.509 hợp lệ`), { cause });
}

function raw(b: asn1js.BaseBlock): Uint8Array {
  return new Uint8Array(b.valueBeforeDecodeView);
}

function children(b: asn1js.BaseBlock | undefined): asn1js.BaseBlock[] {
  const v = (b as asn1js.Constructed | undefined)?.valueBlock?.value;
  return Array.isArray(v) ? (v as asn1js.BaseBlock[]) : [];
}

function isContext(b: asn1js.BaseBlock | undefined, n: number): boolean {
  return b !== undefined && b.idBlock.tagClass === 3 && b.idBlock.tagNumber === n;
}

function attrValue(v: asn1js.BaseBlock): string {
  const val = (v as unknown as { valueBlock?: { value?: unknown } }).valueBlock?.value;
  if (typeof val === 'string') return val;
  return '#' + Buffer.from(raw(v)).toString('hex');
}

function readName(name: asn1js.BaseBlock): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [oid, value] = children(atv);
      if (oid instanceof asn1js.ObjectIdentifier && value) out.push({ type: oid.valueBlock.toString(), value: attrValue(value) });
    }
  }
  return out;
}

function readTime(t: asn1js.BaseBlock): Date {
  if (t instanceof asn1js.UTCTime || t instanceof asn1js.GeneralizedTime) return t.toDate();
  throw new Error('bad time');
}

export function parseCertFields(der: Uint8Array, label = 'certificate'): CertFields {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1 || !(asn.result instanceof asn1js.Sequence)) throw badCert(label);
  try {
    const [tbs] = children(asn.result);
    const f = children(tbs);
    let i = isContext(f[0], 0) ? 1 : 0;
    const serial = f[i++] as asn1js.Integer;
    i++; // signature algorithm
    const issuer = f[i++]!;
    const validity = children(f[i++]);
    const subject = f[i++]!;
    i++; // subjectPublicKeyInfo
    let keyUsage: KeyUsageName[] | undefined;
    let isCA = false;
    for (; i < f.length; i++) {
      if (!isContext(f[i], 3)) continue;
      for (const ext of children(children(f[i])[0])) {
        const parts = children(ext);
        const oid = (parts[0] as asn1js.ObjectIdentifier).valueBlock.toString();
        const octets = parts[parts.length - 1] as asn1js.OctetString;
        const inner = asn1js.fromBER(toArrayBuffer(octets.valueBlock.valueHexView));
        if (inner.offset === -1) continue;
        if (oid === '2.5.29.15') {
          const bits = (inner.result as asn1js.BitString).valueBlock.valueHexView;
          keyUsage = KEY_USAGE_NAMES.filter((_, k) => ((bits[k >> 3] ?? 0) & (0x80 >> (k & 7))) !== 0);
        } else if (oid === '2.5.29.19') {
          const first = children(inner.result)[0];
          isCA = first instanceof asn1js.Boolean && first.getValue();
        }
      }
    }
    return {
      der,
      issuerDer: raw(issuer),
      subjectDer: raw(subject),
      serialBytes: new Uint8Array(serial.valueBlock.valueHexView),
      notBefore: readTime(validity[0]!),
      notAfter: readTime(validity[1]!),
      issuer: readName(issuer),
      subject: readName(subject),
      keyUsage,
      isCA,
      asn1: asn.result,
    };
  } catch (e) {
    throw badCert(label, e);
  }
}

function escapeRdnValue(v: string): string {
  return v.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

/** "CN=…, O=…, C=VN" (RFC 4514: the last RDN of the sequence first). */
export function nameAttributesToString(attrs: NameAttribute[]): string {
  return attrs
    .map((a) => `${NAME_ATTRS[a.type] ?? a.type}=${escapeRdnValue(a.value)}`)
    .reverse()
    .join(', ');
}

export function serialHexOf(serialBytes: Uint8Array): string {
  return Buffer.from(serialBytes).toString('hex').replace(/^(00)+(?=.)/, '') || '0';
}

/**
 * Orders `pool` as the chain above `leaf`: issuer of the leaf first, then its issuer, up to a self-issued
 * root or until no issuer is found (matched by Name bytes). Duplicates and the leaf itself are dropped;
 * certificates that are not on the path are appended after it (they may still help a validator).
 */
export function orderChain(leaf: Uint8Array, pool: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>([sha256Hex(leaf)]);
  const rest: CertFields[] = [];
  for (const der of pool) {
    const h = sha256Hex(der);
    if (seen.has(h)) continue;
    seen.add(h);
    try {
      rest.push(parseCertFields(der));
    } catch {
      /* not a certificate: ignore */
    }
  }
  const path: Uint8Array[] = [];
  let current = parseCertFields(leaf);
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  while (!same(current.issuerDer, current.subjectDer)) {
    const i = rest.findIndex((r) => same(current.issuerDer, r.subjectDer));
    if (i < 0) break;
    const [next] = rest.splice(i, 1);
    path.push(next!.der);
    current = next!;
  }
  return [...path, ...rest.map((r) => r.der)];
}

export interface CertificateDescription {
  /** RFC 4514 order (most specific first): "CN=…, O=…, C=VN" */
  subject: string;
  issuer: string;
  /** the subject's CN, or the whole subject when there is none (for tables) */
  commonName: string;
  /** lowercase hex, no leading zero byte */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** lowercase hex SHA-256 of the DER */
  sha256: string;
  /** undefined when the certificate has no keyUsage extension (all usages allowed) */
  keyUsage?: KeyUsageName[];
  keyAlgorithm: 'rsa' | 'ec' | string;
  /** RSA modulus bits or EC curve bits */
  keyBits?: number;
  isCA: boolean;
}

export function curveBits(namedCurve: string): number | undefined {
  const m: Record<string, number> = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, secp256k1: 256 };
  return m[namedCurve];
}

export function describeCertificate(der: Uint8Array): CertificateDescription {
  const c = parseCertFields(der);
  let keyAlgorithm = 'unknown';
  let keyBits: number | undefined;
  try {
    const pub = new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength)).publicKey;
    keyAlgorithm = pub.asymmetricKeyType === 'rsa-pss' ? 'rsa' : (pub.asymmetricKeyType ?? keyAlgorithm);
    const d = pub.asymmetricKeyDetails;
    if (d?.modulusLength) keyBits = d.modulusLength;
    else if (d?.namedCurve) keyBits = curveBits(d.namedCurve);
  } catch {
    /* unusual key type */
  }
  const cn = c.subject.find((a) => a.type === '2.5.4.3')?.value;
  return {
    subject: nameAttributesToString(c.subject),
    issuer: nameAttributesToString(c.issuer),
    commonName: cn ?? nameAttributesToString(c.subject),
    serial: serialHexOf(c.serialBytes),
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    sha256: sha256Hex(der),
    keyUsage: c.keyUsage,
    keyAlgorithm,
    keyBits,
    isCA: c.isCA,
  };
}
