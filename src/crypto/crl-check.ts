/**
 * CRL (RFC 5280 §6.3, the simple case): issued by the certificate's issuer (same name, signature by the
 * issuer's key), current, and the serial looked up. Delta and indirect CRLs are not supported (reported).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ChainCert } from './chain-cert.js';
import { normSerial } from './chain-cert.js';
import { problem, type Problem } from '../core/problem.js';
import { CLOCK_SKEW_MS, CRL_REASONS, type RevocationStatus } from './revocation-status.js';
import { verifySignature } from './verify-signature.js';
import { OID, asnTimeToDate, bytesEqual, errorText, parseDer, sha256Hex, toHex, u8 } from './verify-util.js';

interface ParsedCrl {
  crl: pkijs.CertificateRevocationList;
  issuerDer: Uint8Array;
  /** serial hex → entry */
  revoked: Map<string, { at?: Date; reason?: string }>;
  sigOkBy: Set<string>;
}

const CACHE = new Map<string, ParsedCrl>();

function parseCrl(der: Uint8Array): ParsedCrl {
  const key = sha256Hex(der);
  let p = CACHE.get(key);
  if (p) return p;
  const crl = new pkijs.CertificateRevocationList({ schema: parseDer(der, 'CRL') });
  const revoked = new Map<string, { at?: Date; reason?: string }>();
  for (const rc of crl.revokedCertificates ?? []) {
    let reason: string | undefined;
    const ext = rc.crlEntryExtensions?.extensions.find((e) => e.extnID === OID.crlReason);
    if (ext) {
      try {
        const en = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
        if (en instanceof asn1js.Enumerated) reason = CRL_REASONS[en.valueBlock.valueDec] ?? `reason ${en.valueBlock.valueDec}`;
      } catch {
        /* reason is informative only */
      }
    }
    revoked.set(normSerial(toHex(rc.userCertificate.valueBlock.valueHexView)), { at: asnTimeToDate(rc.revocationDate), reason });
  }
  p = { crl, issuerDer: u8(crl.issuer.toSchema().toBER(false)), revoked, sigOkBy: new Set() };
  if (CACHE.size > 200) CACHE.clear();
  CACHE.set(key, p);
  return p;
}

export function crlNextUpdate(der: Uint8Array): Date | undefined {
  try {
    return asnTimeToDate(parseCrl(der).crl.nextUpdate);
  } catch {
    return undefined;
  }
}

/** True when this CRL claims to be issued by the certificate's issuer (cheap pre-filter for DSS lists). */
export function crlIsFor(der: Uint8Array, cert: ChainCert): boolean {
  try {
    return bytesEqual(parseCrl(der).issuerDer, cert.issuerDer);
  } catch {
    return false;
  }
}

export function checkCrl(der: Uint8Array, cert: ChainCert, issuer: ChainCert, opts: { now: Date; requireFresh: boolean }): RevocationStatus | undefined {
  let p: ParsedCrl;
  try {
    p = parseCrl(der);
  } catch (e) {
    return { status: 'unknown', problems: [problem('CRL_UNPARSEABLE', { detail: errorText(e) })] };
  }
  if (!bytesEqual(p.issuerDer, cert.issuerDer)) return undefined;
  const problems: Problem[] = [];
  if (!p.sigOkBy.has(issuer.sha256)) {
    const sig = verifySignature({
      algorithm: p.crl.signature,
      publicKey: issuer.publicKey,
      data: p.crl.tbsView,
      signature: p.crl.signatureValue.valueBlock.valueHexView,
    });
    if (!sig.ok) return { status: 'unknown', problems: [problem('CRL_SIGNATURE_INVALID', { detail: sig.error })] };
    p.sigOkBy.add(issuer.sha256);
  }
  const ku = issuer.keyUsage;
  if (ku && !ku.cRLSign) problems.push(problem('CRL_NO_CRL_SIGN'));
  if (p.crl.crlExtensions?.extensions.some((e) => e.extnID === '2.5.29.27')) return { status: 'unknown', problems: [problem('CRL_DELTA_UNSUPPORTED')] };
  const thisUpdate = asnTimeToDate(p.crl.thisUpdate);
  const nextUpdate = asnTimeToDate(p.crl.nextUpdate);
  if (opts.requireFresh) {
    if (thisUpdate && thisUpdate.getTime() > opts.now.getTime() + CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('CRL_FUTURE')] };
    if (nextUpdate && nextUpdate.getTime() < opts.now.getTime() - CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('CRL_EXPIRED')] };
  }
  const entry = p.revoked.get(cert.serialHex);
  if (entry) {
    if (entry.reason === 'removeFromCRL') return { status: 'good', thisUpdate, nextUpdate, issuedAt: thisUpdate, problems };
    return { status: 'revoked', revokedAt: entry.at, reason: entry.reason, thisUpdate, nextUpdate, issuedAt: thisUpdate, problems };
  }
  return { status: 'good', thisUpdate, nextUpdate, issuedAt: thisUpdate, problems };
}
