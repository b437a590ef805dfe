/**
 * The verification report: the JSON shape of /work/shared/spec/cli.md (`kyso verify --json`), which is a
 * contract. Fields may be added, never renamed.
 */
import type { Problem } from '../core/problem.js';

export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';
export type FileIndication = Indication | 'NO_SIGNATURE' | 'ERROR';

export interface SignatureReport {
  field: string;
  /** 'signature' (CMS / PAdES) or 'timestamp' (document timestamp, /SubFilter /ETSI.RFC3161). */
  type: 'signature' | 'timestamp';
  subFilter: string | null;
  signer: { subject: string; issuer: string; serial: string } | null;
  indication: Indication;
  subIndication: string | null;
  integrity: 'ok' | 'broken';
  trust: 'trusted' | 'untrusted' | 'expired' | 'revoked' | 'unknown';
  /** annotations: annotations drawn on a page after signing that no later valid signature covers. */
  modifiedAfter: 'none' | 'allowed' | 'annotations' | 'disallowed';
  coverage: 'whole' | 'partial';
  level: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA' | 'none';
  /** Claimed time (/M or the signingTime attribute): proves nothing; see `timestamp` for a proven one. */
  signingTime: string | null;
  signingTimeSource: 'claimed' | null;
  timestamp: { time: string; valid: boolean } | null;
  /** 0-based revision the signature covers, and how many revisions the file has. */
  revision: number | null;
  certification: 1 | 2 | 3 | null;
  digestAlgorithm: string | null;
  /**
   * Problems found, first the decisive ones, as `{ code, params }` (src/core/problem.ts). The JSON report
   * adds `message` (English) and `messageVi` to each (src/cli/report-json.ts); no verdict reads text.
   */
  problems: Problem[];
  warnings: Problem[];
  /** Disallowed/allowed changes after this signature (short list). */
  changes: string[];
  /**
   * Until when this signature can be verified without fresh data: the earliest expiry along the chains and
   * timestamps its level relies on (see applyValidUntil in extend-levels.ts); null when unknown.
   */
  validUntil?: string | null;
  /**
   * The trust anchors this signature's chains actually reached (the signer's, or a document timestamp's TSA,
   * first; then its signature timestamp's TSA): subject and SHA-256 of the anchor certificate's DER. Empty
   * when no chain reached an anchor of the trust store.
   */
  anchors?: Array<{ subject: string; sha256: string }>;
  /** 1-based page of the signature's widget, its [x0, y0, x1, y1] in points, and whether it shows anything */
  page?: number | null;
  rect?: [number, number, number, number] | null;
  visible?: boolean;
  /** --signed-version: the file holding exactly the revision this signature covers (its byte prefix). */
  signedVersion?: string;
}

export interface FileReport {
  file: string;
  indication: FileIndication;
  error: { code: string; message: string; messageVi?: string } | null;
  signatures: SignatureReport[];
  revisions?: number;
  ms?: number;
}

export interface VerifySummary {
  files: number;
  passed: number;
  failed: number;
  indeterminate: number;
  unsigned: number;
  errors: number;
}

export interface VerifyRunResult {
  summary: VerifySummary;
  files: FileReport[];
}

/** Serializable settings (they cross into worker threads). */
export interface VerifySettings {
  trust: string[];
  defaultTrust: boolean;
  revocation: 'hard' | 'soft' | 'off';
  /** ISO validation time (--at); undefined = now. */
  at?: string;
  cacheDir?: string;
  /** Per-file time budget (ms); a file over it gets ERROR VERIFY_TIMEOUT. */
  fileTimeoutMs?: number;
  /** Heap cap of each worker thread, MiB (--max-memory; default 1024). */
  maxMemoryMb?: number;
  /**
   * When set (kyso receive), AIA/OCSP/CRL are fetched only from these hosts plus those named in the trust
   * store's anchors and intermediates; undefined = no restriction (kyso verify of the clerk's own files).
   */
  fetchAllowHosts?: string[];
  assetsDir?: string;
  /** --signed-version DIR: write each signature's covered revision there (absolute path). */
  signedVersionDir?: string;
  /** Password of encrypted PDFs (standard security handler); never logged, never on argv. */
  pdfPassword?: string;
}

const RANK: Record<FileIndication, number> = { TOTAL_PASSED: 0, NO_SIGNATURE: 1, INDETERMINATE: 2, TOTAL_FAILED: 3, ERROR: 4 };

/** The worst indication of a file's signatures. */
export function worstIndication(sigs: SignatureReport[]): FileIndication {
  if (sigs.length === 0) return 'NO_SIGNATURE';
  let w: Indication = 'TOTAL_PASSED';
  for (const s of sigs) if (RANK[s.indication] > RANK[w]) w = s.indication;
  return w;
}

export function summarize(files: FileReport[]): VerifySummary {
  const s: VerifySummary = { files: files.length, passed: 0, failed: 0, indeterminate: 0, unsigned: 0, errors: 0 };
  for (const f of files) {
    if (f.indication === 'TOTAL_PASSED') s.passed++;
    else if (f.indication === 'TOTAL_FAILED') s.failed++;
    else if (f.indication === 'INDETERMINATE') s.indeterminate++;
    else if (f.indication === 'NO_SIGNATURE') s.unsigned++;
    else s.errors++;
  }
  return s;
}

/** Outcome category of a run, in VERIFY_EXIT_ORDER terms (the CLI maps it to an exit code). */
export function runOutcome(files: FileReport[], allowUnsigned: boolean): 'failed' | 'input' | 'indeterminate' | 'ok' {
  const ind = new Set(files.map((f) => f.indication));
  if (ind.has('TOTAL_FAILED') || (!allowUnsigned && ind.has('NO_SIGNATURE'))) return 'failed';
  if (ind.has('ERROR')) return 'input';
  if (ind.has('INDETERMINATE')) return 'indeterminate';
  return 'ok';
}
