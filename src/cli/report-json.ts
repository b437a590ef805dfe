import type { Problem } from '../core/problem.js';
import type { FileReport, SignatureReport, VerifyRunResult } from '../services/verify-types.js';
import { loadedCatalogue } from './catalogue/load.js';
import { isKysoError, type Msg } from '../core/errors.js';
import { redactUrls } from '../core/url-safety.js';
import { toVietnamIso } from '../core/vn-time.js';

/** A problem as the JSON report carries it: the code and params, and the text in both languages. */
export interface RenderedProblem {
  code: string;
  params: NonNullable<Problem['params']>;
  message: string;
  messageVi: string;
}

export function renderedProblem(p: Problem): RenderedProblem {
  const { renderProblem } = loadedCatalogue();
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

/**
 * The one shape of every error object in `--json` output (issue 14): a stable code, the English message and
 * the Vietnamese one, whatever LANG is. `details` only when the error carries facts a script needs (the
 * certificates to choose from, the platform rules broken); the exit code tells the category.
 */
export interface JsonError {
  code: string;
  message: string;
  messageVi: string;
  details?: Record<string, unknown>;
}

function isMsg(v: unknown): v is Msg {
  return !!v && typeof v === 'object' && typeof (v as Msg).en === 'string' && typeof (v as Msg).vi === 'string';
}

/**
 * Any error value kyso holds (a KysoError, `{ code, message: {en, vi} }`, `{ code, category, message }`, a verify
 * problem `{ code, params }`, a bare string or Error) as the one JSON error shape. URL credentials are removed.
 */
export function jsonError(e: unknown): JsonError {
  const out = (code: string, en: string, vi: string, details?: Record<string, unknown>): JsonError => ({
    code,
    message: redactUrls(en),
    messageVi: redactUrls(vi),
    ...(details && Object.keys(details).length ? { details } : {}),
  });
  if (isKysoError(e)) return out(e.code, e.msg.en, e.msg.vi, e.details);
  if (typeof e === 'string') return out('ERROR', e, e);
  if (!e || typeof e !== 'object') return out('ERROR', String(e), String(e));
  const o = e as Record<string, unknown>;
  const code = typeof o.code === 'string' && o.code ? o.code : 'ERROR';
  const details = o.details && typeof o.details === 'object' ? (o.details as Record<string, unknown>) : undefined;
  if (isMsg(o.msg)) return out(code, o.msg.en, o.msg.vi, details);
  if (isMsg(o.message)) return out(code, o.message.en, o.message.vi, details);
  if (typeof o.message === 'string') return out(code, o.message, typeof o.messageVi === 'string' ? o.messageVi : o.message, details);
  if (o.params !== undefined || (typeof o.code === 'string' && loadedCatalogue().hasEntry(o.code))) {
    const p: Problem = { code, ...(o.params ? { params: o.params as Problem['params'] } : {}) };
    const { renderProblem } = loadedCatalogue();
    return out(code, renderProblem(p, 'en'), renderProblem(p, 'vi'), details);
  }
  return out(code, code, code, details);
}

/** A key whose value is an error (or a list of them): error, errors, lastError, signatureError … */
const ERROR_KEY = /error/i;
/** `details` of an error and everything in it: facts passed through as they are (`errorCode: "22"` is no error). */
const opaque = new WeakSet<object>();

/**
 * JSON.stringify replacer that brings every error-ish value to the one shape: the single place where error
 * objects become JSON, whatever command or service made them, and every UTC time (`…Z`) becomes Vietnam time
 * (`…+07:00`). Counts (`errors: 3`) and flags stay as they are; an error's `details` pass as they are.
 */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const one = (v: unknown) => {
    if (v === null || v === undefined) return v;
    const j = jsonError(v);
    if (j.details) opaque.add(j.details);
    return j;
  };
  if (this && typeof this === 'object' && opaque.has(this)) {
    if (value && typeof value === 'object') opaque.add(value);
    return value;
  }
  // every time in Vietnam time: ISO 8601 with +07:00, never `…Z` (issue 14)
  if (typeof value === 'string') return key && ERROR_KEY.test(key) ? one(value) : toVietnamIso(value);
  if (!key || !ERROR_KEY.test(key) || value === null || value === undefined) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return Array.isArray(value) ? value.map(one) : one(value);
}
