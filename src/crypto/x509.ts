/**
 * Generic X.509 / DER helpers shared by the signer, the token code (helper C) and verification (helper D).
 * Certificates are read by hand (cert-data.ts; pkijs only for BER and unusual shapes), PKCS#7 bundles by
 * pkijs, loaded only for them (asn1-lazy.ts); digests and key details come from node:crypto. Nothing here
 * does I/O except `readCertificatesFile`, which reads one small file the user named.
 */
import { readFileSync } from 'node:fs';
import type * as pkijs from 'pkijs';
import { inputError, msg } from '../core/errors.js';
import { asn1, pki } from './asn1-lazy.js';
import { readCertData, type CertData } from './cert-data.js';

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

export function toBuffer(b: Uint8Array | ArrayBuffer): Buffer {
  return b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export { sha256Hex, toArrayBuffer } from './der-cert.js';
import { toArrayBuffer } from './der-cert.js';

/** Reads a DER certificate; throws an input error naming `label` when it is not one. */
export function parseCertificate(der: Uint8Array, label = 'certificate'): CertData {
  try {
    return readCertData(der);
  } catch (e) {
    throw badCert(label, e);
  }
}

function badCert(label: string, cause?: unknown) {
  return inputError('CERT_MALFORMED', msg(`${label}: not a valid X.509 certificate`, `${label}: không phải chứng thư số X.509 hợp lệ`), {
    cause,
  });
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
    const P = pki();
    const asn = asn1().fromBER(toArrayBuffer(der));
    if (asn.offset === -1) throw new Error('not BER');
    const ci = new P.ContentInfo({ schema: asn.result });
    if (ci.contentType !== OID.signedData) throw new Error('not SignedData');
    const sd = new P.SignedData({ schema: ci.content });
    return (sd.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof P.Certificate)
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
    data = readFileSync(path); // a small local file: in place, not a thread-pool round trip (issue 16)
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

export { formatDate } from './certificate-checks.js';
