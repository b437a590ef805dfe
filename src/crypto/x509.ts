/**
 * Generic X.509 / DER helpers shared by the signer, the token code (helper C) and verification (helper D).
 * Parsing is pkijs/asn1js; digests and key details come from node:crypto. Nothing here does I/O except
 * `readCertificatesFile`, which reads one small file the user named.
 */
import { readFile } from 'node:fs/promises';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { inputError, msg } from '../core/errors.js';

export { OID } from './oids.js';
import { OID } from './oids.js';

export {
  KEY_USAGE_NAMES,
  NAME_ATTRS,
  curveBits,
  describeCertificate,
  orderChain,
  parseCertFields,
  nameAttributesToString,
  type CertificateDescription,
  type CertFields,
  type KeyUsageName,
} from './der-cert.js';
import { KEY_USAGE_NAMES, NAME_ATTRS, type KeyUsageName } from './der-cert.js';

export function toBuffer(b: Uint8Array | ArrayBuffer): Buffer {
  return b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export { sha256Hex, toArrayBuffer } from './der-cert.js';
import { toArrayBuffer } from './der-cert.js';

/** Parses a DER certificate; throws an input error naming `label` when it is not one. */
export function parseCertificate(der: Uint8Array, label = 'certificate'): pkijs.Certificate {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw badCert(label);
  try {
    return new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    throw badCert(label, e);
  }
}

function badCert(label: string, cause?: unknown) {
  return inputError('CERT_MALFORMED', msg(`${label}: not a valid X.509 certificate`, `${label}: không phải chứng thư số X.509 hợp lệ`), {
    cause,
  });
}

function escapeRdnValue(v: string): string {
  return v.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

function attrValueToString(v: unknown): string {
  const block = (v as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } }).valueBlock;
  if (block && typeof block.value === 'string') return block.value;
  const der = (v as asn1js.BaseBlock).toBER?.(false);
  return der ? '#' + Buffer.from(der).toString('hex') : '';
}

/** "CN=…, O=…, C=VN" (RFC 4514: the last RDN of the sequence first). */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${NAME_ATTRS[tv.type] ?? tv.type}=${escapeRdnValue(attrValueToString(tv.value))}`)
    .reverse()
    .join(', ');
}

export function commonNameOf(name: pkijs.RelativeDistinguishedNames): string | undefined {
  const cn = name.typesAndValues.find((tv) => tv.type === '2.5.4.3');
  return cn ? attrValueToString(cn.value) : undefined;
}

/** DER of a Name, as it appears in the certificate (for byte comparisons issuer ↔ subject). */
export function nameDer(name: pkijs.RelativeDistinguishedNames): Buffer {
  return Buffer.from(name.toSchema().toBER(false));
}

export function serialHex(cert: pkijs.Certificate): string {
  const hex = Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex');
  return hex.replace(/^(00)+(?=.)/, '') || '0';
}

/** Key usage bits, or undefined when the extension is absent. */
export function keyUsageOf(cert: pkijs.Certificate): KeyUsageName[] | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === OID.keyUsage);
  if (!ext) return undefined;
  let bits: Uint8Array;
  const parsed = ext.parsedValue as asn1js.BitString | undefined;
  if (parsed?.valueBlock?.valueHexView) bits = parsed.valueBlock.valueHexView;
  else {
    const asn = asn1js.fromBER(toArrayBuffer(ext.extnValue.valueBlock.valueHexView));
    if (asn.offset === -1) return [];
    bits = (asn.result as asn1js.BitString).valueBlock.valueHexView;
  }
  const out: KeyUsageName[] = [];
  KEY_USAGE_NAMES.forEach((name, i) => {
    const byte = bits[i >> 3] ?? 0;
    if (byte & (0x80 >> (i & 7))) out.push(name);
  });
  return out;
}

export function isCaCertificate(cert: pkijs.Certificate): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === OID.basicConstraints);
  return Boolean((ext?.parsedValue as pkijs.BasicConstraints | undefined)?.cA);
}

/** All certificates in PEM text ("-----BEGIN CERTIFICATE-----" blocks), as DER. */
export function pemToDerList(text: string, label = 'PEM'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN (CERTIFICATE|PKCS7|TRUSTED CERTIFICATE)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const der = Buffer.from(m[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    if (m[1] === 'PKCS7') out.push(...certificatesFromPkcs7(der, label));
    else out.push(new Uint8Array(der));
  }
  return out;
}

/** Certificates of a PKCS#7/CMS SignedData (a ".p7b" certs-only bundle), DER. */
export function certificatesFromPkcs7(der: Uint8Array, label = 'PKCS#7'): Uint8Array[] {
  try {
    const asn = asn1js.fromBER(toArrayBuffer(der));
    if (asn.offset === -1) throw new Error('not BER');
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (ci.contentType !== OID.signedData) throw new Error('not SignedData');
    const sd = new pkijs.SignedData({ schema: ci.content });
    return (sd.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
      .map((c) => new Uint8Array(c.toSchema().toBER(false)));
  } catch (e) {
    throw inputError('CERT_BUNDLE_MALFORMED', msg(`${label}: not a readable PKCS#7 certificate bundle`, `${label}: không đọc được gói chứng thư PKCS#7`), {
      cause: e,
    });
  }
}

/** Reads a PEM (one or many certificates), DER certificate or .p7b (PEM or DER) file. */
export async function readCertificatesFile(path: string): Promise<Uint8Array[]> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE',
      code === 'ENOENT' ? msg(`${path}: file not found`, `${path}: không tìm thấy tệp`) : msg(`${path}: cannot read the file`, `${path}: không đọc được tệp`),
      { cause: e },
    );
  }
  const text = data.toString('latin1');
  if (text.includes('-----BEGIN')) {
    const certs = pemToDerList(text, path);
    if (certs.length === 0)
      throw inputError('CERT_BUNDLE_EMPTY', msg(`${path}: no certificate found in the file`, `${path}: không có chứng thư số nào trong tệp`));
    return certs;
  }
  // DER: a certificate or a PKCS#7 bundle.
  try {
    parseCertificate(data, path);
    return [new Uint8Array(data)];
  } catch {
    return certificatesFromPkcs7(data, path);
  }
}

/** True when `issuerDer` issued `childDer` by name (and, when possible, by signature). */
export function isIssuedBy(child: pkijs.Certificate, issuer: pkijs.Certificate): boolean {
  return nameDer(child.issuer).equals(nameDer(issuer.subject));
}

export function isSelfIssued(cert: pkijs.Certificate): boolean {
  return nameDer(cert.issuer).equals(nameDer(cert.subject));
}

export { formatDate } from './certificate-checks.js';
