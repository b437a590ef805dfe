/**
 * Light certificate reading with a few lines of DER (der.ts) + node:crypto only (no pkijs, no asn1js). The signing path uses this: pkijs
 * is one large module whose load time was a third of `kyso sign`'s start-up (measured: pkijs ≈ 0.3-0.4 s,
 * asn1js ≈ 0.07 s on the 2-core test machine), which counts against the 100 MB benchmark target.
 * src/crypto/x509.ts re-exports these; verification reads certificates with cert-data.ts (chain-cert.ts).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { TAG, children, expect, isContext, isUniversal, oidString, readRoot, readTlv, stringOf, timeOf, value, whole, type Tlv } from './der.js';
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

function readName(buf: Uint8Array, name: Tlv): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, rdn)) {
      const [type, v] = children(buf, atv);
      if (isUniversal(type, TAG.oid) && v) out.push({ type: oidString(buf, type), value: stringOf(buf, v) });
    }
  }
  return out;
}

export function parseCertFields(der: Uint8Array, label = 'certificate'): CertFields {
  try {
    const cert = expect(readRoot(der), TAG.sequence, label);
    const tbs = expect(children(der, cert)[0], TAG.sequence, label);
    const f = children(der, tbs);
    let i = isContext(f[0], 0) ? 1 : 0;
    const serial = expect(f[i++], TAG.integer, label);
    i++; // signature algorithm
    const issuer = expect(f[i++], TAG.sequence, label);
    const validity = children(der, expect(f[i++], TAG.sequence, label));
    const subject = expect(f[i++], TAG.sequence, label);
    i++; // subjectPublicKeyInfo
    let keyUsage: KeyUsageName[] | undefined;
    let isCA = false;
    for (; i < f.length; i++) {
      if (!isContext(f[i], 3)) continue;
      for (const ext of children(der, children(der, f[i]!)[0]!)) {
        const parts = children(der, ext);
        const id = oidString(der, parts[0]!);
        const inner = value(der, parts[parts.length - 1]!);
        if (id === '2.5.29.15') {
          const bits = value(inner, readTlv(inner, 0)).subarray(1); // first octet: unused bits
          keyUsage = KEY_USAGE_NAMES.filter((_, k) => ((bits[k >> 3] ?? 0) & (0x80 >> (k & 7))) !== 0);
        } else if (id === '2.5.29.19') {
          const first = children(inner, readTlv(inner, 0))[0];
          isCA = isUniversal(first, TAG.boolean) && inner[first.valueStart] !== 0;
        }
      }
    }
    return {
      der,
      issuerDer: whole(der, issuer),
      subjectDer: whole(der, subject),
      serialBytes: value(der, serial),
      notBefore: timeOf(der, validity[0]!),
      notAfter: timeOf(der, validity[1]!),
      issuer: readName(der, issuer),
      subject: readName(der, subject),
      keyUsage,
      isCA,
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
