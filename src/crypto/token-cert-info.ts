import 'reflect-metadata';
import { X509Certificate as NodeX509, createHash } from 'node:crypto';
import * as px from '@peculiar/x509';
import { inputError, msg } from '../core/errors.js';

/** What `kyso token certs` shows and what the token signer needs to choose a certificate. */
export interface TokenCertInfo {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** lowercase hex SHA-256 of the DER */
  sha256: string;
  keyUsage: string[];
  isCA: boolean;
  selfSigned: boolean;
  /** AIA caIssuers URLs */
  caIssuers: string[];
  keyAlgorithm: 'rsa' | 'ec' | 'other';
  keyBits: number;
}

const CURVE_BITS: Record<string, number> = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, secp256k1: 256 };

/**
 * Node's X509Certificate gives the key, CA flag, AIA and issuer checks; @peculiar/x509 gives RFC 4514
 * names with proper UTF-8 (Vietnamese) and the keyUsage bits, which node:crypto does not expose.
 */
export function describeTokenCertificate(der: Uint8Array, where = 'token'): TokenCertInfo {
  let n: NodeX509;
  let p: px.X509Certificate;
  try {
    n = new NodeX509(der);
    p = new px.X509Certificate(new Uint8Array(der));
  } catch (e) {
    throw inputError('TOKEN_CERT_MALFORMED', msg(`${where}: a certificate object cannot be parsed as X.509`, `${where}: không đọc được một chứng thư số (X.509)`), { cause: e });
  }
  const ku = p.getExtension(px.KeyUsagesExtension);
  const keyUsage: string[] = [];
  if (ku) {
    for (const [name, bit] of Object.entries(px.KeyUsageFlags)) {
      if (typeof bit === 'number' && (ku.usages & bit) !== 0) keyUsage.push(name);
    }
  }
  const details = n.publicKey.asymmetricKeyDetails ?? {};
  const type = n.publicKey.asymmetricKeyType;
  const keyAlgorithm = type === 'rsa' || type === 'rsa-pss' ? 'rsa' : type === 'ec' ? 'ec' : 'other';
  const keyBits = keyAlgorithm === 'rsa' ? (details.modulusLength ?? 0) : keyAlgorithm === 'ec' ? (CURVE_BITS[details.namedCurve ?? ''] ?? 0) : 0;
  const caIssuers = (n.infoAccess ?? '')
    .split('\n')
    .map((l) => /^CA Issuers - URI:(.+)$/.exec(l.trim())?.[1])
    .filter((u): u is string => Boolean(u));
  return {
    subject: p.subject,
    issuer: p.issuer,
    serial: p.serialNumber.toLowerCase(),
    notBefore: p.notBefore.toISOString(),
    notAfter: p.notAfter.toISOString(),
    sha256: createHash('sha256').update(der).digest('hex'),
    keyUsage,
    isCA: n.ca,
    selfSigned: n.subject === n.issuer && safeVerify(n, n),
    caIssuers,
    keyAlgorithm,
    keyBits,
  };
}

function safeVerify(child: NodeX509, issuer: NodeX509): boolean {
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** True when `issuerDer` issued `childDer`: names chain and the signature verifies with its key. */
export function isIssuedBy(childDer: Uint8Array, issuerDer: Uint8Array): boolean {
  try {
    const c = new NodeX509(childDer);
    const i = new NodeX509(issuerDer);
    return c.checkIssued(i) && c.verify(i.publicKey);
  } catch {
    return false;
  }
}

/** A certificate a signer may use: end entity whose keyUsage (if any) allows signatures. */
export function canSign(info: TokenCertInfo): boolean {
  if (info.isCA) return false;
  return info.keyUsage.length === 0 || info.keyUsage.includes('digitalSignature') || info.keyUsage.includes('nonRepudiation');
}
