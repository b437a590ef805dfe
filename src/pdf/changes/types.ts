import type { Problem } from '../../core/problem.js';

/**
 * One difference between the signed revision and the final document. `verdict`:
 *  - allowed: a legitimate update (form fill, new signature, DSS…);
 *  - disallowed: a violation (the signature is TOTAL_FAILED);
 *  - annotation: an annotation that draws on the page was added or changed after an approval signature —
 *    not forbidden by ISO 32000, but the page looks different from what was signed. The verifier attributes
 *    it to a later valid signature of the same update, else reports modifiedAfter "annotations".
 */
export type ChangeVerdict = 'allowed' | 'disallowed' | 'annotation';

export interface ObjectChange {
  objectNumber: number;
  kind: 'added' | 'changed' | 'removed';
  role: string;
  verdict: ChangeVerdict;
  /** stable code (src/cli/catalogue/changes.ts): CHANGE_* for violations and annotations, ALLOWED_* else */
  problem: Problem;
  /** for annotations: the revision (0-based) whose update added or changed it */
  revision?: number;
}

export interface RevisionDiff {
  modifiedAfter: 'none' | 'allowed' | 'annotations' | 'disallowed';
  changes: ObjectChange[];
  /** The violations (deduplicated), decisive first. */
  problems: Problem[];
  /** Warnings that do not change the verdict (a signed widget drawn over page text…). */
  warnings: Problem[];
  /** The analysis hit a cap (object count / comparison size) and is incomplete; treated as disallowed. */
  incomplete?: boolean;
}

export interface DiffOptions {
  /** DocMDP permission of a certification signature present in the signed revision. */
  certification?: 1 | 2 | 3;
  /** FieldMDP /P (PDF 2.0) of field locks already signed at the signed revision: same meaning as DocMDP P. */
  lockPermission?: 1 | 2 | 3;
  /** Full names of fields a signature's /Lock (FieldMDP) protects; '*' = all. */
  lockedFields?: Set<string>;
  maxObjects?: number;
}
