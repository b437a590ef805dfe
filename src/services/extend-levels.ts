/**
 * PAdES baseline levels of a file's signatures once document timestamps are taken into account
 * (ETSI EN 319 142-1 §5.3-5.5). Used by `kyso verify` (verify-document calls this after judging every
 * signature) and by `kyso extend` to decide what a file still lacks.
 *
 *  - B-T: the signature has a trusted signature timestamp, OR a valid, trusted document timestamp in a later
 *    revision covers it (EN 319 142-1 §5.4: "a document time-stamp … covering the signature" is how a B-B
 *    signature whose CMS cannot change gets its trusted time).
 *  - B-LT: B-T, a DSS in a later revision, and the verifier's test that the revocation data embedded in the file
 *    validates the signer's whole chain after the signature's proof of existence (`ltReady`: every
 *    certificate's answer came from the file and was issued after the POE, EN 319 102-1 §5.6.2.4). The same
 *    test for a signature timestamped in its CMS and for a B-B one promoted by a covering document timestamp,
 *    so `kyso extend` (which reads these levels from the verifier) and `kyso verify` always agree.
 *  - B-LTA: B-LT and a valid document timestamp in a revision at or after the DSS's first revision.
 */
import { problem } from '../core/problem.js';
import { getChainCert, type ChainCert } from '../crypto/chain-cert.js';
import type { SignatureReport } from './verify-types.js';

export type PadesLevel = SignatureReport['level'];

const RANK: Record<PadesLevel, number> = { none: 0, 'B-B': 1, 'B-T': 2, 'B-LT': 3, 'B-LTA': 4 };

export function levelRank(l: PadesLevel): number {
  return RANK[l];
}

export interface DssInfo {
  present: boolean;
  /** First revision whose catalog has /DSS. */
  revision?: number;
  /** Any OCSP response or CRL in the DSS. */
  hasRevocation: boolean;
  /**
   * Whether the file's own revocation data validates this signature's whole chain after its proof of
   * existence (the verifier decides, from its chain validation).
   */
  ltReady: (s: SignatureReport) => boolean;
}

/** Promotes levels in place (never demotes); signatures that failed keep the level their data shows. */
export function applyDocumentTimestampLevels(sigs: SignatureReport[], dss: DssInfo): void {
  const goodTs = sigs.filter((t) => t.type === 'timestamp' && t.indication === 'TOTAL_PASSED' && t.integrity === 'ok' && t.revision !== null);
  for (const s of sigs) {
    if (s.type !== 'signature' || s.revision === null || s.integrity !== 'ok') continue;
    const covering = goodTs.filter((t) => t.revision! > s.revision!);
    // A B-B signature's trusted time is a covering document timestamp.
    const fromDocTs = s.level === 'B-B';
    if (s.level === 'B-B' && covering.length > 0) s.level = 'B-T';
    if (s.level === 'B-T' && dss.present && dss.hasRevocation && dss.revision !== undefined && dss.revision > s.revision && covering.length > 0) {
      if (dss.ltReady(s)) s.level = 'B-LT';
      // (a signature timestamped in its CMS got this warning from the verifier already)
      else if (fromDocTs && s.indication === 'TOTAL_PASSED') s.warnings.push(problem('LEVEL_LT_INCOMPLETE'));
    }
    if (s.level === 'B-LT' && covering.some((t) => dss.revision === undefined || t.revision! >= dss.revision)) s.level = 'B-LTA';
  }
}

/**
 * The level a file's evidence has, whatever the verdict: for a file extended under --accept-indeterminate,
 * whose signatures the verifier cannot confirm (so it never reports B-LT for them), this says whether the
 * document timestamp, DSS and archive timestamp are already there, so a repeated run adds nothing. Same
 * structure as applyDocumentTimestampLevels (a valid document timestamp covering it, a DSS in a later
 * revision, a valid document timestamp at or after the DSS), without the verdict and `ltReady` tests.
 */
export function evidenceLevel(sigs: SignatureReport[], dssRevision: number | undefined): PadesLevel {
  const goodTs = sigs.filter((t) => t.type === 'timestamp' && t.indication === 'TOTAL_PASSED' && t.integrity === 'ok' && t.revision !== null);
  const levels = sigs
    .filter((s) => s.type === 'signature')
    .map((s): PadesLevel => {
      if (s.revision === null || s.integrity !== 'ok') return s.level;
      const covering = goodTs.filter((t) => t.revision! > s.revision!);
      let l = s.level;
      if (l === 'B-B' && covering.length > 0) l = 'B-T';
      if (l === 'B-T' && dssRevision !== undefined && dssRevision > s.revision && (covering.length > 0 || s.timestamp?.valid)) l = 'B-LT';
      if (l === 'B-LT' && dssRevision !== undefined && covering.some((t) => t.revision! >= dssRevision)) l = 'B-LTA';
      return l;
    });
  if (levels.length === 0) return 'none';
  return levels.reduce<PadesLevel>((low, l) => (RANK[l] < RANK[low] ? l : low), 'B-LTA');
}

/** The lowest level among a file's signatures (document timestamps excluded); 'none' if it has none. */
export function fileLevel(sigs: SignatureReport[]): PadesLevel {
  const own = sigs.filter((s) => s.type === 'signature');
  if (own.length === 0) return 'none';
  return own.reduce<PadesLevel>((low, s) => (RANK[s.level] < RANK[low] ? s.level : low), 'B-LTA');
}

/**
 * The earliest end of validity along a certificate's chain, built from `pool` by issuer name (the chain was
 * judged elsewhere; this only dates it). Undefined without a leaf.
 */
export function chainNotAfter(leaf: Uint8Array | undefined, pool: Uint8Array[]): Date | undefined {
  if (!leaf) return undefined;
  let cur: ChainCert;
  try {
    cur = getChainCert(leaf);
  } catch {
    return undefined;
  }
  const certs: ChainCert[] = [];
  for (const d of pool) {
    try {
      certs.push(getChainCert(d));
    } catch {
      /* not a certificate */
    }
  }
  let min = cur.notAfter;
  for (let depth = 0; depth < 12 && !cur.selfIssued; depth++) {
    const issuerDer = cur.issuerDer;
    const issuer = certs.find((c) => Buffer.from(c.subjectDer).equals(Buffer.from(issuerDer)));
    if (!issuer) break;
    if (issuer.notAfter < min) min = issuer.notAfter;
    cur = issuer;
  }
  return min;
}

export interface ChainDates {
  /** Earliest expiry along the signer's chain (for a document timestamp: the TSA's). */
  signer?: Date;
  /** Earliest expiry along the signature timestamp's TSA chain. */
  tsa?: Date;
}

const minDate = (...ds: Array<Date | undefined>): Date | undefined => ds.filter((d): d is Date => d !== undefined).reduce<Date | undefined>((m, d) => (!m || d < m ? d : m), undefined);

/**
 * Sets `validUntil` on each signature: until when it can be verified with what the file holds, without
 * fresh data (the earliest expiry along the chains and timestamps its level depends on):
 *  - B-B: the signer's chain (after that no proof of existence saves it);
 *  - B-T: the signer's chain and the timestamp's TSA chain (revocation must still be fetched);
 *  - B-LT: the TSA chain of the timestamp that proves its time (validation data is embedded);
 *  - B-LTA: the TSA chain of the newest valid document timestamp (it protects everything before it).
 * So the archive knows what to extend or renew next.
 */
export function applyValidUntil(sigs: SignatureReport[], dates: Map<SignatureReport, ChainDates>): void {
  const goodTs = sigs
    .filter((t) => t.type === 'timestamp' && t.indication === 'TOTAL_PASSED' && t.revision !== null)
    .sort((a, b) => a.revision! - b.revision!);
  for (const s of sigs) {
    const d = dates.get(s);
    if (!d) continue;
    let until: Date | undefined;
    if (s.type === 'timestamp') until = d.signer;
    else {
      const covering = goodTs.filter((t) => t.revision! > (s.revision ?? Infinity));
      const firstTs = d.tsa ?? (covering[0] ? dates.get(covering[0])?.signer : undefined);
      if (s.level === 'B-LTA') until = covering.length ? dates.get(covering[covering.length - 1]!)?.signer : firstTs;
      else if (s.level === 'B-LT') until = firstTs;
      else if (s.level === 'B-T') until = minDate(d.signer, firstTs);
      else until = d.signer;
    }
    s.validUntil = until ? until.toISOString() : null;
  }
}
