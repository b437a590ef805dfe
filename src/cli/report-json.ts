import type { Problem } from '../core/problem.js';
import type { FileReport, SignatureReport, VerifyRunResult } from '../services/verify-types.js';
import { renderProblem } from './catalogue/index.js';

/** A problem as the JSON report carries it: the code and params, and the text in both languages. */
export interface RenderedProblem {
  code: string;
  params: NonNullable<Problem['params']>;
  message: string;
  messageVi: string;
}

export function renderedProblem(p: Problem): RenderedProblem {
  return { code: p.code, params: p.params ?? {}, message: renderProblem(p, 'en'), messageVi: renderProblem(p, 'vi') };
}

/**
 * The verify result as `--json` prints it (envelope of ../shared/architecture.md): every problem and
 * warning carries `code`, `params`, `message` (English) and `messageVi`, whatever LANG is.
 */
export function verifyJsonView(r: VerifyRunResult): unknown {
  const sig = (s: SignatureReport) => ({ ...s, problems: s.problems.map(renderedProblem), warnings: s.warnings.map(renderedProblem) });
  const file = (f: FileReport) => ({ ...f, signatures: f.signatures.map(sig) });
  return { ...r, files: r.files.map(file) };
}
