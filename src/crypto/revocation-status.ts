import type { Problem } from '../core/problem.js';

/** The outcome of one revocation source (an OCSP response or a CRL) for one certificate. */
export interface RevocationStatus {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: string;
  thisUpdate?: Date;
  nextUpdate?: Date;
  problems: Problem[];
  /** When the answer was issued: producedAt (OCSP) or thisUpdate (CRL); what POE freshness compares. */
  issuedAt?: Date;
}

export const CRL_REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

/** Clock skew tolerated between us and the CA (thisUpdate slightly in the future). */
export const CLOCK_SKEW_MS = 5 * 60_000;
