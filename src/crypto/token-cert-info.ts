import { X509Certificate as NodeX509 } from 'node:crypto';
import { inputError, isKysoError, msg } from '../core/errors.js';
import { describeCertificate } from './certificate-checks.js';

/** What `kyso token certs` shows and what the token signer needs to choose a certificate. */
export interface TokenCertInfo {
  /** RFC 4514, most specific first ("CN=…, O=…, C=VN"), as everywhere else in kyso */
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** lowercase hex SHA-256 of the DER */
  sha256: string;
  /** empty when the certificate has no keyUsage extension */
  keyUsage: string[];
  isCA: boolean;
  selfSigned: boolean;
  /** AIA caIssuers URLs */
  caIssuers: string[];
  keyAlgorithm: 'rsa' | 'ec' | 'other';
  keyBits: number;
}

/**
 * Names, key usage and key size come from the shared X.509 helper (src/crypto/x509.ts); node:crypto adds
 * the AIA caIssuers URLs and the self-signature check.
 */
export function describeTokenCertificate(der: Uint8Array, where = 'token'): TokenCertInfo {
  let n: NodeX509;
  let d: ReturnType<typeof describeCertificate>;
  try {
    n = new NodeX509(der);
    d = describeCertificate(der);
  } catch (e) {
    if (isKysoError(e) || e instanceof Error) {
      throw inputError('TOKEN_CERT_MALFORMED', msg(`${where}: a certificate object cannot be parsed as X.509`, `${where}: không đọc được một chứng thư số (X.509)`), { cause: e });
    }
    throw e;
  }
  const caIssuers = (n.infoAccess ?? '')
    .split('\n')
    .map((l) => /^CA Issuers - URI:(.+)$/.exec(l.trim())?.[1])
    .filter((u): u is string => Boolean(u));
  const keyAlgorithm = d.keyAlgorithm === 'rsa' ? 'rsa' : d.keyAlgorithm === 'ec' ? 'ec' : 'other';
  return {
    subject: d.subject,
    issuer: d.issuer,
    serial: d.serial,
    notBefore: d.notBefore.toISOString(),
    notAfter: d.notAfter.toISOString(),
    sha256: d.sha256,
    keyUsage: d.keyUsage ? [...d.keyUsage] : [],
    isCA: d.isCA,
    selfSigned: n.subject === n.issuer && safeVerify(n, n),
    caIssuers,
    keyAlgorithm,
    keyBits: d.keyBits ?? 0,
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
