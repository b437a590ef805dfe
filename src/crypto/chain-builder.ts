/**
 * Certificate path validation for signature verification: build a path from the signer certificate to
 * an anchor of the trust store (never an anchor from the file), check validity periods at the validation
 * time, basic constraints, key usage, the signatures along the path, then revocation (embedded first,
 * then online OCSP, then CRL). Returns a status object; never throws on bad certificates.
 *
 * Why by hand: pkijs' CertificateChainValidationEngine checks neither key usage nor revocation with
 * POE semantics, and stops at the first problem; node:crypto has no path building.
 *
 * Revocation modes (documented choice):
 *  - 'off':  no revocation check (revocation.checked = false).
 *  - 'soft': every certificate of the path (except the anchor) that publishes a source (AIA OCSP, CRLDP)
 *            or has embedded data must get a definite answer; if none can be had → status 'unknown' +
 *            TRY_LATER (indeterminate, never passed silently). A certificate that publishes no source at
 *            all is accepted with a problem note.
 *  - 'hard': every certificate of the path (except the anchor) must get a definite answer, including
 *            those that publish no source → otherwise 'unknown' + TRY_LATER. (Still indeterminate, not
 *            failed: the signature may be fine; ETSI EN 319 102-1 says TRY_LATER.)
 * Revoked: revokedAt <= proofOfExistence → 'revoked' + REVOKED; no proof of existence → 'revoked' +
 * REVOKED_NO_POE; revoked after the proven time → trusted (the signature predates the revocation), noted.
 */
import { getChainCert, parseCerts, type ChainCert } from './chain-cert.js';
import { checkCrl, crlIsFor } from './crl-check.js';
import { buildOcspRequest, checkOcspResponse, ocspCacheKey } from './ocsp-check.js';
import type { RevocationFetcher } from './revocation-fetcher.js';
import type { RevocationStatus } from './revocation-status.js';
import type { TrustStore } from './trust-store.js';
import { OID, bytesEqual, errorText } from './verify-util.js';
import { certificatesFromPkcs7 } from './x509.js';

export type ChainStatus = 'trusted' | 'untrusted' | 'expired' | 'not-yet-valid' | 'revoked' | 'unknown';
export type ChainSubIndication =
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'OUT_OF_BOUNDS_NOT_REVOKED'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'REVOKED'
  | 'REVOKED_NO_POE'
  | 'TRY_LATER'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'SIG_CONSTRAINTS_FAILURE';

export interface ChainRevocation {
  checked: boolean;
  /** Where the signer certificate's answer came from. */
  source?: 'embedded' | 'ocsp' | 'crl' | 'cache';
  revokedAt?: Date;
  reason?: string;
  unknown?: boolean;
  problems: string[];
  /** Revocation answers used, per certificate of the path except the anchor (for DSS/VRI or reports). */
  perCertificate?: { subject: string; status: 'good' | 'revoked' | 'unknown' | 'not-checked'; source?: string }[];
}

export interface ChainResult {
  status: ChainStatus;
  subIndication?: ChainSubIndication;
  /** leaf … anchor (DER); for an untrusted chain, the best partial path found. */
  path: Uint8Array[];
  revocation: ChainRevocation;
  problems: string[];
  /** Subject of the anchor reached, when trusted. */
  anchorSubject?: string;
}

export interface ValidateOptions {
  intermediates: Uint8Array[];
  trustStore: TrustStore;
  validationTime: Date;
  proofOfExistence?: Date;
  revocationMode: 'hard' | 'soft' | 'off';
  embeddedRevocation: { crls: Uint8Array[]; ocsps: Uint8Array[] };
  fetcher?: RevocationFetcher;
  purpose: 'signing' | 'timestamping';
  /** "Now" for the freshness of online answers (default: the fetcher's clock is not known here, so new Date()). */
  currentTime?: Date;
}

const MAX_DEPTH = 10;
const MAX_EXPANSIONS = 2000;
const MAX_OFFERED = 500;
/** Embedded OCSP responses / CRLs looked at per certificate. */
const MAX_EMBEDDED = 200;
/** (child SHA-256 + parent SHA-256) → the parent's key verifies the child: a batch checks each link once. */
const LINKS = new Map<string, boolean>();

export async function validateCertificate(leafDer: Uint8Array, opts: ValidateOptions): Promise<ChainResult> {
  const problems: string[] = [];
  const result = (status: ChainStatus, subIndication: ChainSubIndication | undefined, path: ChainCert[], revocation?: ChainRevocation): ChainResult => ({
    status,
    subIndication,
    path: path.map((c) => c.der),
    revocation: revocation ?? { checked: false, problems: [] },
    problems,
  });
  let leaf: ChainCert;
  try {
    leaf = getChainCert(leafDer);
  } catch (e) {
    problems.push(`the signer certificate cannot be parsed: ${errorText(e)}`);
    return result('untrusted', 'NO_CERTIFICATE_CHAIN_FOUND', []);
  }
  const anchors = parseCerts(opts.trustStore.anchors.map((a: { der: Uint8Array }) => a.der), problems);
  const offered = [...opts.intermediates.slice(0, MAX_OFFERED), ...opts.trustStore.extraIntermediates];
  if (opts.intermediates.length > MAX_OFFERED) problems.push(`only the first ${MAX_OFFERED} of ${opts.intermediates.length} certificates in the file are used`);
  const pool = [...parseCerts(offered, problems), ...anchors];
  const anchorKeys = new Set(anchors.map(anchorKey));
  const anchorHashes = new Set(anchors.map((a) => a.sha256));
  const isAnchor = (c: ChainCert) => anchorHashes.has(c.sha256) || anchorKeys.has(anchorKey(c));

  // Depth-first path building; links require name chaining, matching key identifiers and a good signature.
  let best: ChainCert[] = [leaf];
  const signedBy = (child: ChainCert, parent: ChainCert) => {
    const k = child.sha256 + parent.sha256;
    let v = LINKS.get(k);
    if (v === undefined) {
      v = child.isSignedBy(parent);
      if (LINKS.size > 5000) LINKS.clear();
      LINKS.set(k, v);
    }
    return v;
  };
  // A file may carry many look-alike certificates that all sign each other: bound the search.
  let budget = MAX_EXPANSIONS;
  const build = (path: ChainCert[]): ChainCert[] | undefined => {
    const cur = path[path.length - 1]!;
    if (isAnchor(cur)) return path;
    if (--budget < 0) return undefined;
    if (path.length > best.length) best = path;
    if (path.length >= MAX_DEPTH) return undefined;
    const cands = pool
      .filter((p) => bytesEqual(p.subjectDer, cur.issuerDer) && !path.some((q) => q.sha256 === p.sha256))
      .filter((p) => !cur.authorityKeyId || !p.subjectKeyId || cur.authorityKeyId === p.subjectKeyId)
      .sort((a, b) => Number(isAnchor(b)) - Number(isAnchor(a)));
    for (const c of cands) {
      if (!signedBy(cur, c)) continue;
      const found = build([...path, c]);
      if (found) return found;
    }
    return undefined;
  };
  let path = build([leaf]);
  // Missing issuer: fetch it from the AIA caIssuers address of the highest certificate reached (online only).
  for (let round = 0; !path && opts.fetcher?.certificate && round < 4; round++) {
    const top = best[best.length - 1]!;
    if (top.selfIssued) break;
    const found = await fetchIssuers(top, opts.fetcher, problems);
    const fresh = found.filter((c) => !pool.some((p) => p.sha256 === c.sha256));
    if (!fresh.length) break;
    pool.push(...fresh); // helpers for path building, never anchors
    best = [leaf];
    path = build([leaf]);
  }
  if (!path) {
    if (budget < 0) problems.push('too many candidate certificates: the chain search was stopped');
    const top = best[best.length - 1]!;
    problems.push(
      top.selfIssued
        ? `the chain ends at "${top.subject}", which is not a trusted root`
        : `no trusted root found for "${top.subject}" (issuer "${top.issuer}" is neither in the file nor in the trust store)`,
    );
    return result('untrusted', 'NO_CERTIFICATE_CHAIN_FOUND', best);
  }
  const anchor = path[path.length - 1]!;

  // Constraints: issuers are CAs allowed to sign certificates; path length; the leaf's key usage.
  const constraint: string[] = [];
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    const isAnc = i === path.length - 1;
    const bc = ca.basicConstraints;
    if (!bc?.ca) {
      if (!(isAnc && ca.pkijs.version < 2 && !bc)) constraint.push(`"${ca.subject}" issues certificates but is not a CA (basicConstraints)`);
    } else if (bc.pathLen !== undefined) {
      const below = path.slice(1, i).filter((c) => !c.selfIssued).length;
      if (below > bc.pathLen) constraint.push(`"${ca.subject}" allows ${bc.pathLen} intermediate certificate(s) below it, the path has ${below}`);
    }
    const ku = ca.keyUsage;
    if (ku && !ku.keyCertSign) constraint.push(`"${ca.subject}" lacks the keyCertSign key usage`);
  }
  const lku = leaf.keyUsage;
  if (opts.purpose === 'signing') {
    if (lku && !lku.digitalSignature && !lku.nonRepudiation) constraint.push(`the signer certificate's key usage allows neither digitalSignature nor nonRepudiation`);
  } else {
    const eku = leaf.extKeyUsage;
    if (!eku || !eku.includes(OID.kpTimeStamping)) constraint.push('the TSA certificate lacks the timeStamping extended key usage');
    if (lku && !lku.digitalSignature && !lku.nonRepudiation) constraint.push(`the TSA certificate's key usage does not allow signing`);
  }
  problems.push(...constraint);

  // Validity periods at the validation time (the anchor's own dates are informative only).
  const t = opts.validationTime;
  const poe = opts.proofOfExistence;
  let validity: { status: ChainStatus; sub: ChainSubIndication } | undefined;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c.validAt(t)) continue;
    const what = i === 0 ? 'the signer certificate' : `"${c.subject}"`;
    if (i === path.length - 1 && i > 0) {
      problems.push(`the trust anchor "${c.subject}" is outside its validity period (${iso(c.notBefore)} – ${iso(c.notAfter)}); accepted as an anchor`);
      continue;
    }
    if (poe && c.validAt(poe)) {
      problems.push(`${what} is outside its validity period at ${iso(t)}, but a timestamp proves the signature existed at ${iso(poe)}, while it was valid`);
      continue;
    }
    if (t.getTime() < c.notBefore.getTime()) {
      problems.push(`${what} is not valid yet at ${iso(t)} (valid from ${iso(c.notBefore)})`);
      validity ??= { status: 'not-yet-valid', sub: 'NOT_YET_VALID' };
    } else {
      problems.push(`${what} expired on ${iso(c.notAfter)} (validation time ${iso(t)})`);
      validity ??= { status: 'expired', sub: poe ? 'EXPIRED' : 'OUT_OF_BOUNDS_NO_POE' };
    }
  }

  // Revocation.
  const revocation = await checkPathRevocation(path, opts, poe);
  problems.push(...revocation.problems.map((p) => `revocation: ${p}`));

  const res = (s: ChainStatus, sub?: ChainSubIndication) => {
    const r = result(s, sub, path, revocation);
    r.anchorSubject = anchor.subject;
    return r;
  };
  if (revocation.revokedAt !== undefined || revocation.reason === 'revoked-unknown-time') {
    const revokedBeforePoe = poe ? revocation.revokedAt === undefined || revocation.revokedAt.getTime() <= poe.getTime() : true;
    if (revokedBeforePoe) return res('revoked', poe ? 'REVOKED' : 'REVOKED_NO_POE');
  }
  if (constraint.length) return res('untrusted', 'CHAIN_CONSTRAINTS_FAILURE');
  if (validity) return res(validity.status, validity.sub);
  if (revocation.unknown) return res('unknown', 'TRY_LATER');
  return res('trusted');
}

async function fetchIssuers(c: ChainCert, fetcher: RevocationFetcher, problems: string[]): Promise<ChainCert[]> {
  const out: ChainCert[] = [];
  for (const url of c.caIssuersUrls.slice(0, 3)) {
    try {
      const got = await fetcher.certificate!(url);
      const ders = isCertificate(got.der) ? [got.der] : certificatesFromPkcs7(got.der, url);
      for (const c2 of parseCerts(ders, problems)) if (bytesEqual(c2.subjectDer, c.issuerDer)) out.push(c2);
    } catch (e) {
      problems.push(`caIssuers ${url}: ${errorText(e)}`);
    }
  }
  return out;
}

function isCertificate(der: Uint8Array): boolean {
  try {
    getChainCert(der);
    return true;
  } catch {
    return false;
  }
}

function anchorKey(c: ChainCert): string {
  return Buffer.from(c.subjectDer).toString('hex') + ':' + Buffer.from(c.spkiDer).toString('hex');
}

function iso(d: Date): string {
  return d.toISOString();
}

async function checkPathRevocation(path: ChainCert[], opts: ValidateOptions, poe: Date | undefined): Promise<ChainRevocation> {
  const rev: ChainRevocation = { checked: false, problems: [], perCertificate: [] };
  if (opts.revocationMode === 'off') {
    rev.problems.push('revocation checking is off');
    return rev;
  }
  const now = opts.currentTime ?? new Date();
  let allChecked = true;
  // Leaf first; each certificate is checked against its issuer (the next one in the path); the anchor is not checked.
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    if (cert.ocspNoCheck) {
      rev.perCertificate!.push({ subject: cert.subject, status: 'not-checked', source: 'ocsp-nocheck' });
      continue;
    }
    const one = await revocationOf(cert, issuer, opts, now);
    const who = i === 0 ? 'signer certificate' : `"${cert.subject}"`;
    for (const p of one.problems) rev.problems.push(`${who}: ${p}`);
    rev.perCertificate!.push({ subject: cert.subject, status: one.status?.status ?? 'unknown', source: one.source });
    if (i === 0) rev.source = one.source;
    if (one.status?.status === 'revoked') {
      const at = one.status.revokedAt;
      const after = poe && at && at.getTime() > poe.getTime();
      if (after) {
        rev.problems.push(`${who} was revoked on ${at!.toISOString()}, after the time proven by the timestamp (${poe!.toISOString()}): the signature predates the revocation`);
        continue;
      }
      rev.revokedAt = at;
      rev.reason = one.status.reason ?? (at ? undefined : 'revoked-unknown-time');
      if (i > 0) rev.problems.push(`the issuing CA certificate ${who} is revoked`);
      rev.checked = true;
      return rev;
    }
    if (one.status?.status === 'good') continue;
    // No definite answer.
    if (!one.hadSource && opts.revocationMode === 'soft') {
      rev.problems.push(`${who} publishes no OCSP or CRL address and the file carries no revocation data: not checked`);
      continue;
    }
    allChecked = false;
    rev.unknown = true;
  }
  rev.checked = allChecked;
  return rev;
}

interface OneRevocation {
  status?: RevocationStatus;
  source?: 'embedded' | 'ocsp' | 'crl' | 'cache';
  hadSource: boolean;
  problems: string[];
}

async function revocationOf(cert: ChainCert, issuer: ChainCert, opts: ValidateOptions, now: Date): Promise<OneRevocation> {
  const problems: string[] = [];
  let hadSource = false;
  // 1. Embedded (CMS revocation info, Adobe archive, DSS): evidence of its own time, no freshness needed.
  for (const der of opts.embeddedRevocation.ocsps.slice(0, MAX_EMBEDDED)) {
    const s = checkOcspResponse(der, cert, issuer, { now, requireFresh: false });
    if (!s) continue;
    hadSource = true;
    if (s.status !== 'unknown') return { status: s, source: 'embedded', hadSource, problems: [...problems, ...s.problems] };
    problems.push(...s.problems.map((p) => `embedded OCSP: ${p}`));
  }
  for (const der of opts.embeddedRevocation.crls.slice(0, MAX_EMBEDDED)) {
    if (!crlIsFor(der, cert)) continue;
    const s = checkCrl(der, cert, issuer, { now, requireFresh: false });
    if (!s) continue;
    hadSource = true;
    if (s.status !== 'unknown') return { status: s, source: 'embedded', hadSource, problems: [...problems, ...s.problems] };
    problems.push(...s.problems.map((p) => `embedded CRL: ${p}`));
  }
  // 2. Online: OCSP, then CRL.
  const ocspUrls = cert.ocspUrls;
  const crlUrls = cert.crlUrls;
  if (ocspUrls.length || crlUrls.length) hadSource = true;
  if (!opts.fetcher) {
    if (ocspUrls.length || crlUrls.length) problems.push('offline: the OCSP/CRL addresses were not contacted');
    return { hadSource, problems };
  }
  for (const url of ocspUrls) {
    const key = ocspCacheKey(cert, issuer);
    try {
      const got = await opts.fetcher.ocsp(url, buildOcspRequest(cert, issuer), key);
      const s = checkOcspResponse(got.der, cert, issuer, { now, requireFresh: true });
      if (s && s.status !== 'unknown') return { status: s, source: got.source === 'cache' ? 'cache' : 'ocsp', hadSource, problems: [...problems, ...s.problems] };
      if (got.source === 'cache') opts.fetcher.invalidate('ocsp', url, key);
      problems.push(`OCSP ${url}: ${s ? s.problems.join('; ') : 'the answer is about another certificate'}`);
    } catch (e) {
      problems.push(`OCSP ${url}: ${errorText(e)}`);
    }
  }
  for (const url of crlUrls) {
    try {
      const got = await opts.fetcher.crl(url);
      const s = checkCrl(got.der, cert, issuer, { now, requireFresh: true });
      if (s && s.status !== 'unknown') return { status: s, source: got.source === 'cache' ? 'cache' : 'crl', hadSource, problems: [...problems, ...s.problems] };
      if (got.source === 'cache') opts.fetcher.invalidate('crl', url);
      problems.push(`CRL ${url}: ${s ? s.problems.join('; ') : 'the CRL is from another issuer'}`);
    } catch (e) {
      problems.push(`CRL ${url}: ${errorText(e)}`);
    }
  }
  return { hadSource, problems };
}
