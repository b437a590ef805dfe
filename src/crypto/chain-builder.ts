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
 *
 * Freshness (ETSI EN 319 102-1 §5.2.5 / §5.6.2): a "good" answer says nothing about the time after it was
 * issued, so an answer (embedded or cached) counts only if it was issued (OCSP producedAt, CRL thisUpdate)
 * at or after the best proof of existence of what is validated: `proofOfExistence`, or without one the
 * validation time. Otherwise one stale "good" answer, embedded before the key was revoked, would whitewash
 * every later forgery. A stale answer is reported and the status is fetched online (if allowed); a
 * "revoked" answer counts whatever its age (revocation is final). An answer fetched now (or cached) counts
 * while it is current (thisUpdate ≤ now ≤ nextUpdate): it is the status as of today, which is all a
 * CA publishes (a weekly CRL issued before a timestamp of this morning is still the current CRL).
 */
import { problem, type Problem } from '../core/problem.js';
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
  problems: Problem[];
  /** Revocation answers used, per certificate of the path except the anchor (for DSS/VRI or reports). */
  perCertificate?: { subject: string; status: 'good' | 'revoked' | 'unknown' | 'not-checked'; source?: string; issuedAt?: string }[];
  /** Every certificate of the path that needed an answer got it from data embedded in the file. */
  allEmbedded?: boolean;
}

export interface ChainResult {
  status: ChainStatus;
  subIndication?: ChainSubIndication;
  /** leaf … anchor (DER); for an untrusted chain, the best partial path found. */
  path: Uint8Array[];
  revocation: ChainRevocation;
  problems: Problem[];
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
  const problems: Problem[] = [];
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
    problems.push(problem('CERT_SIGNER_UNPARSEABLE', { detail: errorText(e) }));
    return result('untrusted', 'NO_CERTIFICATE_CHAIN_FOUND', []);
  }
  const anchors = parseCerts(opts.trustStore.anchors.map((a: { der: Uint8Array }) => a.der));
  const offered = [...opts.intermediates.slice(0, MAX_OFFERED), ...opts.trustStore.extraIntermediates];
  if (opts.intermediates.length > MAX_OFFERED) problems.push(problem('CERTS_TRUNCATED', { used: MAX_OFFERED, total: opts.intermediates.length }));
  const pool = [...parseCerts(offered), ...anchors];
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
    if (budget < 0) problems.push(problem('CHAIN_SEARCH_STOPPED'));
    const top = best[best.length - 1]!;
    problems.push(top.selfIssued ? problem('CHAIN_UNTRUSTED_ROOT', { subject: top.subject }) : problem('CHAIN_NO_ISSUER', { subject: top.subject, issuer: top.issuer }));
    return result('untrusted', 'NO_CERTIFICATE_CHAIN_FOUND', best);
  }
  const anchor = path[path.length - 1]!;

  // Constraints: issuers are CAs allowed to sign certificates; path length; the leaf's key usage.
  const constraint: Problem[] = [];
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    const isAnc = i === path.length - 1;
    const bc = ca.basicConstraints;
    if (!bc?.ca) {
      if (!(isAnc && ca.version < 2 && !bc)) constraint.push(problem('CA_NOT_CA', { subject: ca.subject }));
    } else if (bc.pathLen !== undefined) {
      const below = path.slice(1, i).filter((c) => !c.selfIssued).length;
      if (below > bc.pathLen) constraint.push(problem('CA_PATH_LENGTH', { subject: ca.subject, allowed: bc.pathLen, actual: below }));
    }
    const ku = ca.keyUsage;
    if (ku && !ku.keyCertSign) constraint.push(problem('CA_NO_KEY_CERT_SIGN', { subject: ca.subject }));
  }
  const lku = leaf.keyUsage;
  if (opts.purpose === 'signing') {
    if (lku && !lku.digitalSignature && !lku.nonRepudiation) constraint.push(problem('SIGNER_KEY_USAGE'));
  } else {
    const eku = leaf.extKeyUsage;
    if (!eku || !eku.includes(OID.kpTimeStamping)) constraint.push(problem('TSA_NO_EKU'));
    if (lku && !lku.digitalSignature && !lku.nonRepudiation) constraint.push(problem('TSA_KEY_USAGE'));
  }
  problems.push(...constraint);

  // Validity periods at the validation time (the anchor's own dates are informative only).
  const t = opts.validationTime;
  const poe = opts.proofOfExistence;
  let validity: { status: ChainStatus; sub: ChainSubIndication } | undefined;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    // What was validated existed at `poe`: a certificate not yet valid then cannot have made it.
    if (poe && i < path.length - 1 && poe.getTime() < c.notBefore.getTime()) {
      problems.push(problem('CERT_NOT_YET_VALID', { subject: c.subject, at: iso(poe), from: iso(c.notBefore) }));
      validity ??= { status: 'not-yet-valid', sub: 'NOT_YET_VALID' };
      continue;
    }
    if (c.validAt(t)) continue;
    if (i === path.length - 1 && i > 0) {
      problems.push(problem('ANCHOR_OUT_OF_VALIDITY', { subject: c.subject, from: iso(c.notBefore), to: iso(c.notAfter) }));
      continue;
    }
    if (poe && c.validAt(poe)) {
      problems.push(problem('CERT_OUT_OF_VALIDITY_POE', { subject: c.subject, at: iso(t), poe: iso(poe) }));
      continue;
    }
    if (t.getTime() < c.notBefore.getTime()) {
      problems.push(problem('CERT_NOT_YET_VALID', { subject: c.subject, at: iso(t), from: iso(c.notBefore) }));
      validity ??= { status: 'not-yet-valid', sub: 'NOT_YET_VALID' };
    } else {
      // EN 319 102-1 §5.6.2.4 (past signature validation): a proof of existence only bounds the signing time
      // from above. One after the expiry does not show the signature was made after it, so the signature
      // stays INDETERMINATE / OUT_OF_BOUNDS_NO_POE (as in EU DSS and pyHanko), never TOTAL_FAILED / EXPIRED.
      problems.push(
        poe
          ? problem('CERT_EXPIRED_POE_TOO_LATE', { subject: c.subject, notAfter: iso(c.notAfter), at: iso(t), poe: iso(poe) })
          : problem('CERT_EXPIRED', { subject: c.subject, notAfter: iso(c.notAfter), at: iso(t) }),
      );
      validity ??= { status: 'expired', sub: 'OUT_OF_BOUNDS_NO_POE' };
    }
  }

  // Revocation. The OCSP/CRL addresses of a path verified signature by signature up to an anchor, whose
  // issuers are CAs allowed to sign certificates, were vouched for by a CA the user trusts: they may be
  // fetched even when their hosts are not on the receive-time allow-list (a VNPT or Viettel issuing CA not
  // bundled). Addresses in certificates that reach no anchor never get here (no SSRF from a self-made chain).
  const fetcher = !constraint.length && opts.fetcher?.vouchedFor ? opts.fetcher.vouchedFor(path.flatMap((c) => [...c.ocspUrls, ...c.crlUrls])) : opts.fetcher;
  const revocation = await checkPathRevocation(path, { ...opts, fetcher }, poe, pool);
  problems.push(...revocation.problems);

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

async function fetchIssuers(c: ChainCert, fetcher: RevocationFetcher, problems: Problem[]): Promise<ChainCert[]> {
  const out: ChainCert[] = [];
  for (const url of c.caIssuersUrls.slice(0, 3)) {
    try {
      const got = await fetcher.certificate!(url);
      const ders = isCertificate(got.der) ? [got.der] : certificatesFromPkcs7(got.der, url);
      for (const c2 of parseCerts(ders)) if (bytesEqual(c2.subjectDer, c.issuerDer)) out.push(c2);
    } catch (e) {
      problems.push(problem('AIA_FETCH_FAILED', { url, detail: errorText(e) }));
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

/** Answers issued up to a second before the POE still count: GeneralizedTime in OCSP/CRLs often has no fraction. */
const ISSUE_PRECISION_MS = 1000;

/** `offered`: the certificates the document offers (parsed once by the path builder), where a delegated OCSP responder may be. */
async function checkPathRevocation(path: ChainCert[], opts: ValidateOptions, poe: Date | undefined, offered: readonly ChainCert[]): Promise<ChainRevocation> {
  const rev: ChainRevocation = { checked: false, problems: [], perCertificate: [] };
  if (opts.revocationMode === 'off') {
    rev.problems.push(problem('REVOCATION_OFF'));
    return rev;
  }
  const now = opts.currentTime ?? new Date();
  const freshAfter = poe ?? opts.validationTime;
  let allChecked = true;
  let allEmbedded = true;
  // Leaf first; each certificate is checked against its issuer (the next one in the path); the anchor is not checked.
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    if (cert.ocspNoCheck) {
      rev.perCertificate!.push({ subject: cert.subject, status: 'not-checked', source: 'ocsp-nocheck' });
      continue;
    }
    const one = await revocationOf(cert, issuer, opts, now, freshAfter, offered);
    for (const p of one.problems) rev.problems.push({ code: p.code, params: { subject: cert.subject, ...p.params } });
    rev.perCertificate!.push({ subject: cert.subject, status: one.status?.status ?? 'unknown', source: one.source, issuedAt: one.status?.issuedAt?.toISOString() });
    if (i === 0) rev.source = one.source;
    if (one.source !== 'embedded') allEmbedded = false;
    if (one.status?.status === 'revoked') {
      const at = one.status.revokedAt;
      const after = poe && at && at.getTime() > poe.getTime();
      if (after) {
        rev.problems.push(problem('REVOKED_AFTER_POE', { subject: cert.subject, revokedAt: at!.toISOString(), poe: poe!.toISOString() }));
        continue;
      }
      rev.revokedAt = at;
      rev.reason = one.status.reason ?? (at ? undefined : 'revoked-unknown-time');
      rev.problems.push(
        i > 0
          ? problem('CA_REVOKED', { subject: cert.subject })
          : problem('CERT_REVOKED', { subject: cert.subject, revokedAt: at ? at.toISOString() : '?', reason: one.status.reason ? ` (${one.status.reason})` : '' }),
      );
      rev.checked = true;
      return rev;
    }
    if (one.status?.status === 'good') continue;
    // No definite answer.
    if (!one.hadSource && opts.revocationMode === 'soft') {
      rev.problems.push(problem('REVOCATION_NO_SOURCE', { subject: cert.subject }));
      continue;
    }
    allChecked = false;
    rev.unknown = true;
  }
  rev.checked = allChecked;
  rev.allEmbedded = allChecked && allEmbedded;
  return rev;
}

interface OneRevocation {
  status?: RevocationStatus;
  source?: 'embedded' | 'ocsp' | 'crl' | 'cache';
  hadSource: boolean;
  problems: Problem[];
}

/** A "good" answer issued before `freshAfter` proves nothing about what is validated. */
function stale(s: RevocationStatus, freshAfter: Date): boolean {
  if (s.status !== 'good') return false;
  const issued = s.issuedAt ?? s.thisUpdate;
  return !issued || issued.getTime() + ISSUE_PRECISION_MS < freshAfter.getTime();
}

async function revocationOf(cert: ChainCert, issuer: ChainCert, opts: ValidateOptions, now: Date, freshAfter: Date, offered: readonly ChainCert[]): Promise<OneRevocation> {
  const problems: Problem[] = [];
  let hadSource = false;
  const staleNote = (s: RevocationStatus, source: string) =>
    problems.push(problem('REVOCATION_NOT_FRESH', { source, issued: (s.issuedAt ?? s.thisUpdate)?.toISOString() ?? '?', poe: freshAfter.toISOString() }));
  // 1. Embedded (CMS revocation info, Adobe archive, DSS): evidence of its own time, counted only if fresh.
  // a delegated responder's certificate may be among those the document offers (DSS /Certs) instead of
  // inside the answer
  for (const der of opts.embeddedRevocation.ocsps.slice(0, MAX_EMBEDDED)) {
    const s = checkOcspResponse(der, cert, issuer, { now, requireFresh: false, extraCerts: offered });
    if (!s) continue;
    hadSource = true;
    if (s.status !== 'unknown') {
      if (stale(s, freshAfter)) {
        staleNote(s, 'OCSP');
        continue;
      }
      return { status: s, source: 'embedded', hadSource, problems: [...problems, ...s.problems] };
    }
    problems.push(...s.problems);
  }
  for (const der of opts.embeddedRevocation.crls.slice(0, MAX_EMBEDDED)) {
    if (!crlIsFor(der, cert)) continue;
    const s = checkCrl(der, cert, issuer, { now, requireFresh: false });
    if (!s) continue;
    hadSource = true;
    if (s.status !== 'unknown') {
      if (stale(s, freshAfter)) {
        staleNote(s, 'CRL');
        continue;
      }
      return { status: s, source: 'embedded', hadSource, problems: [...problems, ...s.problems] };
    }
    problems.push(...s.problems);
  }
  // 2. Online: OCSP, then CRL.
  const ocspUrls = cert.ocspUrls;
  const crlUrls = cert.crlUrls;
  if (ocspUrls.length || crlUrls.length) hadSource = true;
  if (!opts.fetcher) {
    if (ocspUrls.length || crlUrls.length) problems.push(problem('REVOCATION_OFFLINE'));
    return { hadSource, problems };
  }
  const failed = (source: string, url: string, detail: Problem[]) =>
    problems.push(problem('REVOCATION_SOURCE_FAILED', { source, url, detail: detail.map((d) => d.code).join(', ') }));
  for (const url of ocspUrls) {
    const key = ocspCacheKey(cert, issuer);
    try {
      const got = await opts.fetcher.ocsp(url, buildOcspRequest(cert, issuer), key);
      const s = checkOcspResponse(got.der, cert, issuer, { now, requireFresh: true });
      if (s && s.status !== 'unknown') return { status: s, source: got.source === 'cache' ? 'cache' : 'ocsp', hadSource, problems: [...problems, ...s.problems] };
      if (got.source === 'cache') opts.fetcher.invalidate('ocsp', url, key);
      failed('OCSP', url, s ? s.problems : [problem('OCSP_OTHER_CERT')]);
    } catch (e) {
      problems.push(problem('REVOCATION_SOURCE_FAILED', { source: 'OCSP', url, detail: errorText(e) }));
    }
  }
  for (const url of crlUrls) {
    try {
      const got = await opts.fetcher.crl(url);
      const s = checkCrl(got.der, cert, issuer, { now, requireFresh: true });
      if (s && s.status !== 'unknown') return { status: s, source: got.source === 'cache' ? 'cache' : 'crl', hadSource, problems: [...problems, ...s.problems] };
      if (got.source === 'cache') opts.fetcher.invalidate('crl', url);
      failed('CRL', url, s ? s.problems : [problem('CRL_OTHER_ISSUER')]);
    } catch (e) {
      problems.push(problem('REVOCATION_SOURCE_FAILED', { source: 'CRL', url, detail: errorText(e) }));
    }
  }
  return { hadSource, problems };
}
