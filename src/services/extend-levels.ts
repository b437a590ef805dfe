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
}

/** Promotes levels in place (never demotes); signatures that failed keep the level their data shows. */
export function applyDocumentTimestampLevels(sigs: SignatureReport[], dss: DssInfo): void {
  const goodTs = sigs.filter((t) => t.type === 'timestamp' && t.indication === 'TOTAL_PASSED' && t.integrity === 'ok' && t.revision !== null);
  for (const s of sigs) {
    if (s.type !== 'signature' || s.revision === null || s.integrity !== 'ok') continue;
    const covering = goodTs.filter((t) => t.revision! > s.revision!);
    if (s.level === 'B-B' && covering.length > 0) s.level = 'B-T';
    if (s.level === 'B-T' && dss.present && dss.hasRevocation && dss.revision !== undefined && dss.revision > s.revision && covering.length > 0) s.level = 'B-LT';
    if (s.level === 'B-LT' && covering.some((t) => dss.revision === undefined || t.revision! >= dss.revision)) s.level = 'B-LTA';
  }
}

/** The lowest level among a file's signatures (document timestamps excluded); 'none' if it has none. */
export function fileLevel(sigs: SignatureReport[]): PadesLevel {
  const own = sigs.filter((s) => s.type === 'signature');
  if (own.length === 0) return 'none';
  return own.reduce<PadesLevel>((low, s) => (RANK[s.level] < RANK[low] ? s.level : low), 'B-LTA');
}
