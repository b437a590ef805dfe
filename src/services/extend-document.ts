/**
 * `kyso extend`: brings already signed PDFs (ours and other tools') up to PAdES B-LT or B-LTA without
 * touching a byte that is there (each step is one incremental update; the input is checked to be a byte
 * prefix of the output before it is published), and renews archive timestamps before their TSA
 * certificates expire.
 *
 * Per file: verify first (never launder: a failed signature is refused, an INDETERMINATE one is skipped
 * unless the caller accepts it, and the choice is recorded); then, as needed,
 *   1. a document timestamp, when some signature has no trusted time yet (B-B): EN 319 142-1 gives a B-B
 *      signature, whose CMS cannot change, its trusted time through a document timestamp covering it;
 *   2. a DSS with the certificates and fresh revocation data of every chain (signers, TSAs) and /VRI entries;
 *   3. for B-LTA, or when the newest document timestamp's TSA certificate expires within --renew-before,
 *      one more document timestamp over all of it;
 * then verify the result again and publish it only if it is no worse and reaches the level.
 */
import { createHash } from 'node:crypto';
import { createReadStream, unlinkSync } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { renderProblem } from '../cli/catalogue/index.js';
import { KysoError, isKysoError, msg, type Msg } from '../core/errors.js';
import type { HashAlgorithm, ProgressSink } from '../core/types.js';
import { appendDss } from '../pdf/dss.js';
import { evidenceLevel, fileLevel, levelRank, type PadesLevel } from './extend-levels.js';
import { collectFileValidationData, readFileMaterial } from './extend-validation.js';
import { addDocumentTimestamp } from './sign-ltv.js';
import { fsyncDir, fsyncPath } from '../io/atomic-write.js';
import { publish, tempPathFor } from './sign-document.js';
import type { VerifyDocumentOptions } from './verify-document.js';
import type { VerifyInput } from './verify-files.js';
import type { FileIndication, FileReport, SignatureReport } from './verify-types.js';

export type ExtendLevel = 'B-LT' | 'B-LTA';

export interface ExtendOptions {
  level: ExtendLevel;
  tsa: string[];
  /** Renew when the newest document timestamp's TSA certificate expires within this many ms. */
  renewBeforeMs?: number;
  acceptIndeterminate: boolean;
  /** Replace each input (atomically) or write to this folder, mirroring the inputs' relative paths. */
  inPlace: boolean;
  outputDir?: string;
  hash: HashAlgorithm;
  jobs: number;
  timeoutMs?: number;
}

export interface ExtendDeps {
  verify: VerifyDocumentOptions;
  now: () => Date;
  progress: ProgressSink;
  /** Registers a Ctrl-C handler (removes temp files); returns its remover. */
  onInterrupt?: (fn: () => void) => () => void;
}

/** Temp files of every file in flight, removed on Ctrl-C (nothing half-written stays behind). */
const liveTemps = new Set<string>();

export type ExtendStatus = 'extended' | 'skipped' | 'refused' | 'indeterminate' | 'unsigned' | 'error';

export interface ExtendFileReport {
  file: string;
  output: string | null;
  status: ExtendStatus;
  /** Verification verdict of the input. */
  indication: FileIndication;
  levelBefore: PadesLevel;
  levelAfter: PadesLevel | null;
  added: { documentTimestamps: number; certs: number; ocsps: number; crls: number; vri: number } | null;
  renewed: boolean;
  /** Set when the file was INDETERMINATE and extended anyway because of --accept-indeterminate. */
  acceptedIndeterminate: boolean;
  /** End of validity of the newest document timestamp's TSA certificate (after the run). */
  archiveTimestampExpiry: string | null;
  reason: { code: string; message: string; messageVi: string } | null;
  /** The reason again when the file could not be handled (status "error"): per-file errors are `files[].error` in every report. */
  error?: { code: string; message: string; messageVi: string } | null;
  warnings: string[];
}

export interface ExtendSummary {
  files: number;
  extended: number;
  skipped: number;
  refused: number;
  indeterminate: number;
  unsigned: number;
  errors: number;
  /** Files extended although INDETERMINATE, because of --accept-indeterminate (counted in `extended` too). */
  acceptedIndeterminate: number;
}

export interface ExtendRunResult {
  level: ExtendLevel;
  summary: ExtendSummary;
  files: ExtendFileReport[];
}

const reasonOf = (code: string, m: Msg) => ({ code, message: m.en, messageVi: m.vi });

async function sha256Prefix(file: string, len: number): Promise<string> {
  const h = createHash('sha256');
  if (len > 0) for await (const c of createReadStream(file, { start: 0, end: len - 1, highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

function newestTimestamp(fm: Awaited<ReturnType<typeof readFileMaterial>>) {
  const ts = fm.signatures.filter((s) => s.kind === 'doc-timestamp' && s.revision !== undefined);
  ts.sort((a, b) => a.revision! - b.revision!);
  return ts[ts.length - 1];
}

async function verifyFile(p: string, display: string, o: VerifyDocumentOptions): Promise<FileReport> {
  const { verifyDocument } = await import('./verify-document.js');
  return verifyDocument(p, display, o);
}

const maxLevel = (a: PadesLevel, b: PadesLevel): PadesLevel => (levelRank(a) >= levelRank(b) ? a : b);

const INDICATION_RANK = { TOTAL_PASSED: 0, NO_SIGNATURE: 1, INDETERMINATE: 2, TOTAL_FAILED: 3, ERROR: 4 } as const;

/** Whether the file verifies worse than before, or below the asked level (the message shows both). */
function regression(before: FileReport, after: FileReport, afterLevel: PadesLevel, level: ExtendLevel): string | undefined {
  if (INDICATION_RANK[after.indication] > INDICATION_RANK[before.indication]) return `was ${before.indication}`;
  return levelRank(afterLevel) < levelRank(level) ? 'level not reached' : undefined;
}

const sigKey = (s: SignatureReport) => `${s.type}:${s.field}:${s.revision}`;

/**
 * For a file extended under --accept-indeterminate, whose level the verifier cannot confirm: what must still
 * hold. Every signature that passed before still passes; no signature's bytes or integrity changed; every
 * document timestamp added is valid. A signature that was INDETERMINATE stays so; a verifier that reads a
 * proof of existence after the signer's expiry as EXPIRED (TOTAL_FAILED) may say that instead, since the
 * only new fact is the time this run proved (EN 319 102-1 reads it as INDETERMINATE/OUT_OF_BOUNDS_NO_POE).
 * Returns the first problem, or undefined.
 */
function acceptedRegression(before: FileReport, after: FileReport): string | undefined {
  const old = new Map(before.signatures.map((s) => [sigKey(s), s]));
  for (const s of after.signatures) {
    const was = old.get(sigKey(s));
    if (!was) {
      if (s.type === 'timestamp' && s.indication !== 'TOTAL_PASSED') return `the new document timestamp ${s.field} is ${s.indication}`;
      continue;
    }
    if (s.integrity !== 'ok' && was.integrity === 'ok') return `${s.field}: integrity broken`;
    if (was.indication === 'TOTAL_PASSED' && s.indication !== 'TOTAL_PASSED') return `${s.field}: was TOTAL_PASSED, now ${s.indication}`;
    if (was.indication === 'INDETERMINATE' && s.indication === 'TOTAL_FAILED' && s.subIndication !== 'EXPIRED') return `${s.field}: now TOTAL_FAILED (${s.subIndication})`;
  }
  for (const k of old.keys()) if (!after.signatures.some((s) => sigKey(s) === k)) return `${k}: signature not found after extension`;
  return undefined;
}

export async function extendOne(input: VerifyInput, outputPath: string, opts: ExtendOptions, deps: ExtendDeps): Promise<ExtendFileReport> {
  const rep: ExtendFileReport = {
    file: input.display,
    output: null,
    status: 'skipped',
    indication: 'ERROR',
    levelBefore: 'none',
    levelAfter: null,
    added: null,
    renewed: false,
    acceptedIndeterminate: false,
    archiveTimestampExpiry: null,
    reason: null,
    warnings: [],
  };
  if (input.missing) {
    rep.status = 'error';
    rep.reason = reasonOf('INPUT_NOT_FOUND', msg(`${input.display}: file not found`, `${input.display}: không tìm thấy tệp`));
    return rep;
  }
  const before = await verifyFile(input.path, input.display, deps.verify);
  rep.indication = before.indication;
  rep.levelBefore = fileLevel(before.signatures);
  const problem1 = before.signatures.flatMap((s) => s.problems)[0];
  const firstProblem = problem1 ? renderProblem(problem1, 'en') : undefined;
  const firstProblemVi = problem1 ? renderProblem(problem1, 'vi') : undefined;
  if (before.indication === 'ERROR') {
    rep.status = 'error';
    rep.reason = before.error ? { code: before.error.code, message: before.error.message, messageVi: before.error.messageVi ?? before.error.message } : reasonOf('INPUT_MALFORMED', msg('unreadable', 'không đọc được'));
    return rep;
  }
  if (before.indication === 'NO_SIGNATURE') {
    rep.status = 'unsigned';
    rep.reason = reasonOf('EXTEND_UNSIGNED', msg(`${input.display}: the file has no signature; there is nothing to extend`, `${input.display}: tệp không có chữ ký; không có gì để gia hạn`));
    return rep;
  }
  if (before.indication === 'TOTAL_FAILED') {
    rep.status = 'refused';
    rep.reason = reasonOf(
      'EXTEND_SIGNATURE_FAILED',
      msg(
        `${input.display}: a signature failed verification${firstProblem ? ` (${firstProblem})` : ''}; a long-term timestamp would only launder it, so the file is not extended`,
        `${input.display}: có chữ ký không hợp lệ${firstProblemVi ? ` (${firstProblemVi})` : ''}; gia hạn sẽ che giấu lỗi đó nên tệp không được gia hạn`,
      ),
    );
    return rep;
  }
  if (before.indication === 'INDETERMINATE') {
    if (!opts.acceptIndeterminate) {
      rep.status = 'indeterminate';
      const sub = before.signatures.find((s) => s.indication === 'INDETERMINATE')?.subIndication ?? 'INDETERMINATE';
      rep.reason = reasonOf(
        'EXTEND_INDETERMINATE',
        msg(
          `${input.display}: a signature cannot be confirmed (${sub}${firstProblem ? `: ${firstProblem}` : ''}); skipped (use --accept-indeterminate to extend it anyway)`,
          `${input.display}: không xác nhận được chữ ký (${sub}${firstProblemVi ? `: ${firstProblemVi}` : ''}); đã bỏ qua (dùng --accept-indeterminate để vẫn gia hạn)`,
        ),
      );
      return rep;
    }
    rep.acceptedIndeterminate = true;
  }

  const fm = await readFileMaterial(input.path);
  const newest = newestTimestamp(fm);
  rep.archiveTimestampExpiry = newest?.tsaNotAfter?.toISOString() ?? null;
  // What the file already has: the verifier's level, or for a file accepted as INDETERMINATE (whose level the
  // verifier cannot confirm) the evidence it carries, so a repeated run adds nothing.
  const haveLevel = rep.acceptedIndeterminate ? maxLevel(rep.levelBefore, evidenceLevel(before.signatures, fm.dssRevision)) : rep.levelBefore;
  const needLevel = levelRank(haveLevel) < levelRank(opts.level);
  const renew =
    opts.renewBeforeMs !== undefined && newest?.tsaNotAfter !== undefined && newest.tsaNotAfter.getTime() - deps.now().getTime() <= opts.renewBeforeMs;
  if (!needLevel && !renew) {
    rep.status = 'skipped';
    rep.levelAfter = rep.levelBefore;
    return rep;
  }

  const inSize = (await stat(input.path)).size;
  const inHash = await sha256Prefix(input.path, inSize);
  await mkdir(path.dirname(outputPath), { recursive: true });
  const temps: string[] = [];
  const nextTemp = () => {
    const t = tempPathFor(outputPath);
    temps.push(t);
    liveTemps.add(t);
    return t;
  };
  const added = { documentTimestamps: 0, certs: 0, ocsps: 0, crls: 0, vri: 0 };
  let cur = input.path;
  try {
    const tsOpts = { tsa: opts.tsa, hash: opts.hash, now: deps.now, timeoutMs: opts.timeoutMs };
    // 1. Trusted time for signatures that have none.
    if (before.signatures.some((s) => s.type === 'signature' && levelRank(s.level) < levelRank('B-T'))) {
      const t = nextTemp();
      await addDocumentTimestamp(cur, t, tsOpts);
      cur = t;
      added.documentTimestamps++;
    }
    // 2. Validation data for every chain, the new timestamp's included, and every OCSP responder's. Always
    // fetched afresh for this file, never from the on-disk cache: embedded revocation data counts only when
    // issued after the proof of existence of what it validates (EN 319 102-1 §5.6.2.4; the verifier's
    // `ltReady` test), and a cached answer may predate a signature timestamp or a document timestamp.
    const { createRevocationFetcher } = await import('../crypto/revocation-fetcher.js');
    const material = await collectFileValidationData(await readFileMaterial(cur), {
      trustStore: deps.verify.trustStore,
      fetcher: createRevocationFetcher({ now: deps.now, timeoutMs: opts.timeoutMs }),
      now: deps.now,
      timeoutMs: opts.timeoutMs,
      tolerateUnavailable: rep.acceptedIndeterminate,
    });
    rep.warnings.push(...material.warnings);
    const t2 = nextTemp();
    await appendDss(cur, t2, material.material);
    cur = t2;
    added.certs = material.material.certs.length;
    added.ocsps = material.material.ocsps.length;
    added.crls = material.material.crls.length;
    added.vri = material.material.vri?.length ?? 0;
    // 3. The archive timestamp.
    if ((opts.level === 'B-LTA' && levelRank(haveLevel) < levelRank('B-LTA')) || renew) {
      const t3 = nextTemp();
      await addDocumentTimestamp(cur, t3, tsOpts);
      cur = t3;
      added.documentTimestamps++;
      rep.renewed = renew;
    }
    // Never touch earlier bytes: the input must be a prefix of the output.
    if ((await sha256Prefix(cur, inSize)) !== inHash || (await sha256Prefix(input.path, inSize)) !== inHash || (await stat(input.path)).size !== inSize) {
      throw new KysoError('EXTEND_INPUT_CHANGED', 'input', msg(`${input.display}: the file changed while it was being extended; try again`, `${input.display}: tệp bị thay đổi trong khi gia hạn; hãy thử lại`));
    }
    const after = await verifyFile(cur, input.display, deps.verify);
    const afterLevel = fileLevel(after.signatures);
    const fm2 = await readFileMaterial(cur);
    const worse = rep.acceptedIndeterminate
      ? (acceptedRegression(before, after) ??
        (levelRank(evidenceLevel(after.signatures, fm2.dssRevision)) < levelRank(opts.level) ? `its evidence reaches only ${evidenceLevel(after.signatures, fm2.dssRevision)}` : undefined))
      : regression(before, after, afterLevel, opts.level);
    if (worse) {
      throw new KysoError(
        'EXTEND_NOT_REACHED',
        'input',
        msg(
          `${input.display}: after extension the file verifies as ${after.indication} at level ${afterLevel} (asked ${opts.level}; ${worse}); nothing was written`,
          `${input.display}: sau khi gia hạn tệp được kiểm tra là ${after.indication} ở mức ${afterLevel} (yêu cầu ${opts.level}); không ghi tệp nào`,
        ),
      );
    }
    if (rep.acceptedIndeterminate) {
      const sub = after.signatures.find((x) => x.type === 'signature' && x.indication !== 'TOTAL_PASSED')?.subIndication;
      rep.warnings.push(
        `extended although ${before.signatures.filter((x) => x.type === 'signature' && x.indication === 'INDETERMINATE').length} signature(s) cannot be confirmed (--accept-indeterminate): the file keeps the evidence it has; its verdict stays ${after.indication}${sub ? ` (${sub})` : ''} at level ${afterLevel}`,
      );
    }
    rep.levelAfter = afterLevel;
    rep.added = added;
    rep.archiveTimestampExpiry = newestTimestamp(fm2)?.tsaNotAfter?.toISOString() ?? rep.archiveTimestampExpiry;
    await fsyncPath(cur, 'r+');
    if (opts.inPlace) {
      await rename(cur, outputPath);
      await fsyncDir(path.dirname(outputPath));
    } else await publish(cur, outputPath, false, outputPath);
    temps.splice(temps.indexOf(cur), 1);
    rep.output = outputPath;
    rep.status = 'extended';
    return rep;
  } catch (e) {
    rep.status = 'error';
    rep.added = null;
    rep.reason = isKysoError(e) ? { code: e.code, message: e.msg.en, messageVi: e.msg.vi } : reasonOf('INTERNAL', msg(String(e), String(e)));
    return rep;
  } finally {
    for (const t of temps) {
      liveTemps.delete(t);
      await unlink(t).catch(() => undefined);
    }
  }
}

export function summarizeExtend(files: ExtendFileReport[]): ExtendSummary {
  const s: ExtendSummary = { files: files.length, extended: 0, skipped: 0, refused: 0, indeterminate: 0, unsigned: 0, errors: 0, acceptedIndeterminate: 0 };
  for (const f of files) {
    if (f.status === 'extended') s.extended++;
    if (f.status === 'extended' && f.acceptedIndeterminate) s.acceptedIndeterminate++;
    else if (f.status === 'skipped') s.skipped++;
    else if (f.status === 'refused') s.refused++;
    else if (f.status === 'indeterminate') s.indeterminate++;
    else if (f.status === 'unsigned') s.unsigned++;
    else s.errors++;
  }
  return s;
}

/** refused → 'failed' (exit 1) first, then errors (their own category), then indeterminate (exit 3). */
export function extendOutcome(files: ExtendFileReport[]): 'failed' | 'error' | 'indeterminate' | 'ok' {
  if (files.some((f) => f.status === 'refused')) return 'failed';
  if (files.some((f) => f.status === 'error')) return 'error';
  if (files.some((f) => f.status === 'indeterminate')) return 'indeterminate';
  return 'ok';
}

/** Extends every input with at most `jobs` files in flight (the work is mostly waiting on TSA/OCSP/CRL). */
export async function extendFiles(
  inputs: Array<VerifyInput & { output: string }>,
  opts: ExtendOptions,
  deps: ExtendDeps,
): Promise<ExtendRunResult> {
  const reports: ExtendFileReport[] = new Array(inputs.length);
  let next = 0;
  deps.progress.start(inputs.length, 'extend');
  const unregister = deps.onInterrupt?.(() => {
    for (const t of liveTemps) {
      try {
        unlinkSync(t);
      } catch {
        /* already gone */
      }
    }
  });
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= inputs.length) return;
      reports[k] = await extendOne(inputs[k]!, inputs[k]!.output, opts, deps);
      deps.progress.tick();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, inputs.length)) }, worker));
  } finally {
    unregister?.();
    deps.progress.done();
  }
  for (const r of reports) r.error = r.status === 'error' ? r.reason : null;
  return { level: opts.level, summary: summarizeExtend(reports), files: reports };
}
