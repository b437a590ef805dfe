/**
 * The sign use case: for each planned PDF, check nothing would be overwritten, append a signature field and
 * placeholder (src/pdf), hash the ByteRange, build the CAdES CMS (src/crypto), embed it, fsync and rename
 * the temp file to the output. One Signer serves the whole batch (one passphrase / one token login).
 * A failure leaves no output and no temp file; Ctrl-C removes the temp file being written.
 */
import { createHash } from 'node:crypto';
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { createReadStream, promises as fsp, unlinkSync } from 'node:fs';
import path from 'node:path';
import { KysoError, isKysoError, msg, usageError } from '../core/errors.js';
import type { FsPath } from '../core/fs-path.js';
import { commitTemp, flushFolders, flushFoldersSync, sweepStaleTempsSync, tempPathFor, trackTemp, untrackTemp, type InputIdentities } from '../io/atomic-write.js';
import type { HashAlgorithm, Warning } from '../core/types.js';
import { noProgress, type ProgressSink } from '../core/types.js';
import { buildCadesSignedData, estimateCmsSize } from '../crypto/cades.js';
import { checkSigningCertificate } from '../crypto/certificate-checks.js';
import type { SignatureScheme, Signer } from '../crypto/signer.js';
import { embedSignature, preparePdfForSigning, type PreparedPdf } from '../pdf/sign-pdf.js';
import { digestRangeInMemory, digestRangeWithFileHash } from './sign-digest.js';
import { createNewFile, discardCreated, writeNewFile } from '../pdf/append-update.js';
import { asOutputError } from '../core/output-error.js';
import { tuneForBatch } from '../core/v8-tuning.js';
import { expandInputs, planBatch, prepareOutputFolder, type PlannedFile, type SkipReason } from './sign-inputs.js';
import { openPdfOnce, priorSignatures, sameCertificate, type OpenedPdf } from './sign-prior.js';
import type { AppearanceConfig } from '../core/config-appearance.js';
import type { AppearanceOptions, VisibleHook } from './sign-appearance.js';

export type SignLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface SignDocumentsOptions {
  inputs: string[];
  cwd: string;
  output?: string;
  outDir?: string;
  force?: boolean;
  /** an existing output is skipped, not an error (resuming an interrupted batch) */
  skipExisting?: boolean;
  /** inputs up to this many bytes are signed in memory (default IN_MEMORY_UP_TO; 0: always streamed) */
  inMemoryUpTo?: number;
  level?: SignLevel;
  tsa?: string[];
  hash?: HashAlgorithm;
  rsaPss?: boolean;
  reason?: string;
  location?: string;
  contactInfo?: string;
  name?: string;
  field?: string;
  /** DocMDP permission for a certification signature */
  certify?: 1 | 2 | 3;
  tsaTimeoutMs?: number;
  /** visible signature (--role, --rect, --anchor, --image, …); absent = invisible */
  appearance?: AppearanceOptions;
}

export interface SignDocumentsDeps {
  /** opens the one Signer of the batch; called only when at least one file can be signed */
  openSigner(): Promise<Signer>;
  now(): Date;
  warn(w: Warning): void;
  onInterrupt(fn: () => void | Promise<void>): () => void;
  progress?: ProgressSink;
  /** told of the planned files (in order) before any is signed */
  onPlan?(files: { input: string; output?: string }[]): void;
  /** told of each file's outcome as soon as it is known (a report written on Ctrl-C lists what was done) */
  onFile?(outcome: SignFileOutcome): void;
  /** RFC 3161 client (default: requestTimestamp over undici to opts.tsa) */
  timestamp?(imprint: Uint8Array, hash: HashAlgorithm): Promise<Uint8Array>;
  /**
   * Asked when the one file of the run has several empty signature fields and no --field (a terminal):
   * returns the chosen field's name, or undefined to give up (the file then fails with FIELD_CHOICE_NEEDED).
   * Never asked in a batch of several files.
   */
  chooseField?(file: string, fields: { name: string; page?: number }[]): Promise<string | undefined>;
  /** the configuration's "appearance" section (read only when an appearance flag is given) */
  appearanceConfig?(): AppearanceConfig;
}

export interface SignedFile {
  input: string;
  output: string;
  field: string;
  level: SignLevel;
  /** subject DN of the signer's certificate */
  signer: string;
  /** lowercase hex SHA-256 of the output file */
  sha256: string;
}

export interface FailedFile {
  input: string;
  output?: string;
  error: KysoError;
}

/** A file left alone on purpose (not an error): see SkipReason. */
export interface SkippedFile {
  input: string;
  output?: string;
  skipped: SkipReason;
}

export type SignFileOutcome = SignedFile | FailedFile | SkippedFile;

export interface SignDocumentsResult {
  files: SignFileOutcome[];
  warnings: Warning[];
  /** common name of the signer, for tables */
  signerName?: string;
}

export function isFailed(f: SignFileOutcome): f is FailedFile {
  return (f as FailedFile).error !== undefined;
}

export function isSkipped(f: SignFileOutcome): f is SkippedFile {
  return (f as SkippedFile).skipped !== undefined;
}

/** Validates option combinations that do not depend on files (usage errors, exit 2). */
export function validateSignOptions(opts: SignDocumentsOptions): { level: SignLevel; hash: HashAlgorithm } {
  const level = opts.level ?? 'B-B';
  if (!['B-B', 'B-T', 'B-LT', 'B-LTA'].includes(level)) {
    throw usageError('LEVEL_INVALID', msg(`--level ${String(level)}: expected B-B, B-T, B-LT or B-LTA`, `--level ${String(level)}: giá trị hợp lệ là B-B, B-T, B-LT hoặc B-LTA`));
  }
  if (level !== 'B-B' && !(opts.tsa && opts.tsa.length)) {
    throw usageError('TSA_MISSING', msg(`--level ${level} needs a time-stamp authority: --tsa <url>`, `--level ${level} cần máy chủ cấp dấu thời gian: --tsa <url>`));
  }
  const hash = opts.hash ?? 'sha256';
  if (!['sha256', 'sha384', 'sha512'].includes(hash)) {
    throw usageError('HASH_INVALID', msg(`--hash ${hash}: expected sha256, sha384 or sha512`, `--hash ${hash}: giá trị hợp lệ là sha256, sha384 hoặc sha512`));
  }
  return { level, hash };
}

/** The signature time-stamp (B-T and above): the test hook, else the TSAs of --tsa; undefined for B-B. */
export function signatureTimestamper(
  level: SignLevel,
  hash: HashAlgorithm,
  opts: Pick<SignDocumentsOptions, 'tsa' | 'tsaTimeoutMs'>,
  deps: Pick<SignDocumentsDeps, 'timestamp'>,
): ((imprint: Uint8Array) => Promise<Uint8Array>) | undefined {
  if (level === 'B-B') return undefined;
  return async (imprint) => {
    if (deps.timestamp) return deps.timestamp(imprint, hash);
    const { requestTimestamp } = await import('../crypto/timestamp-client.js');
    return requestTimestamp(opts.tsa!, imprint, hash, { timeoutMs: opts.tsaTimeoutMs });
  };
}

export { tempPathFor };

/** Moves the finished temp file to `output` through the one atomic writer (never over an input). */
export async function publish(tmp: string, output: FsPath, force: boolean, shown: string, inputs?: InputIdentities | readonly string[]): Promise<void> {
  await commitTemp(tmp, output, { overwrite: force, shown, inputs });
}

/**
 * Several empty signature fields and no --field (`e` is FIELD_CHOICE_NEEDED): at a terminal, with one file, the
 * clerk picks one; the chosen name is returned. Otherwise, or when the clerk gives up, `e` is thrown again.
 * Used by local and remote signing alike.
 */
export async function fieldChosenFor(e: unknown, p: PlannedFile, deps: Pick<SignDocumentsDeps, 'chooseField'>, oneFile: boolean, progress: ProgressSink): Promise<string> {
  if (!(deps.chooseField && oneFile && isKysoError(e) && e.code === 'FIELD_CHOICE_NEEDED')) throw e;
  const names = (e.details?.fields ?? []) as string[];
  const pages = (e.details?.pages ?? []) as (number | undefined)[];
  progress.done(); // the question must not be drawn over by the progress line
  const chosen = await deps.chooseField(p.display, names.map((name, i) => ({ name, page: pages[i] })));
  if (chosen === undefined) throw e;
  return chosen;
}

export async function signDocuments(opts: SignDocumentsOptions, deps: SignDocumentsDeps): Promise<SignDocumentsResult> {
  const { level, hash } = validateSignOptions(opts);
  const force = Boolean(opts.force);
  const appearance = await import('./sign-appearance.js').then((m) => (m.wantsAppearance(opts.appearance) ? m : undefined));
  appearance?.validateAppearanceFlags(opts.appearance!);
  const expanded = await expandInputs(opts.inputs, opts.cwd);
  const { planned, inputIds: allInputs } = await planBatch(expanded, { cwd: opts.cwd, output: opts.output, outDir: opts.outDir, force, skipExisting: opts.skipExisting });
  const files: SignFileOutcome[] = [];
  const warnings: Warning[] = [];
  deps.onPlan?.(planned.map((p) => ({ input: p.display, output: p.outputDisplay })));
  const record = (o: SignFileOutcome) => {
    files.push(o);
    deps.onFile?.(o);
  };
  const todo = planned.filter((p) => !p.error && !p.skipped);
  // temp files of ours left by a killed run (kill -9, power cut) in the output folders
  for (const d of new Set(todo.map((p) => path.dirname(p.output!)))) sweepStaleTempsSync(d);
  if (todo.length === 0) {
    for (const p of planned) record(p.skipped ? { input: p.display, output: p.outputDisplay, skipped: p.skipped } : { input: p.display, output: p.outputDisplay, error: p.error! });
    return { files, warnings };
  }

  const signer = await deps.openSigner();
  const temps = new Set<string>();
  // Output folders are fsynced once per batch, not once per file (issue 16): see CommitOptions.folders.
  // Each output is fsynced before its rename, so atomicity is per file as before; the folders are synced
  // before the batch returns (and so before the summary and exit 0), on every error path, and on a signal.
  const folders = new Set<string>();
  // output folders made in this batch (prepareOutputFolder), once each
  const madeFolders = new Map<string, string>();
  // A signal (Ctrl-C, SIGTERM) lets the files already signed when it came be published and reported, in order
  // (2 s at most); the file being prepared and those after it are not signed (see the loop below).
  let interrupted = false;
  let onSignal: (() => Promise<void>) | undefined;
  const unregister = deps.onInterrupt(async () => {
    interrupted = true;
    if (onSignal) await Promise.race([onSignal(), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const t of temps) {
      try {
        unlinkSync(t);
      } catch {
        /* already gone */
      }
    }
    flushFoldersSync(folders);
  });
  try {
    const check = checkSigningCertificate(signer.certificate, { now: deps.now(), source: signer.description });
    for (const w of check.warnings) {
      warnings.push(w);
      deps.warn(w);
    }
    if (opts.rsaPss && signer.keyAlgorithm !== 'rsa') {
      throw usageError('RSA_PSS_NEEDS_RSA', msg(`${signer.description}: --rsa-pss needs an RSA key, this one is ${signer.keyAlgorithm.toUpperCase()}`, `${signer.description}: --rsa-pss cần khóa RSA, khóa này là ${signer.keyAlgorithm.toUpperCase()}`));
    }
    const visibleFor = appearance
      ? await appearance.prepareAppearance(opts.appearance!, deps.appearanceConfig?.() ?? { signatures: {} }, signer.certificate, opts.cwd)
      : undefined;
    const scheme: SignatureScheme = signer.keyAlgorithm === 'ec' ? 'ecdsa' : opts.rsaPss ? 'rsa-pss' : 'rsa-pkcs1';
    const timestamp = signatureTimestamper(level, hash, opts, deps);
    const contentsBytes = estimateCmsSize(signer, { timestamp: level !== 'B-B' });
    const progress = deps.progress ?? noProgress;
    progress.start(planned.length, 'sign');
    let stopped: KysoError | undefined;
    const emit = (w: Warning) => {
      warnings.push(w);
      deps.warn(w);
    };
    // One signature at a time through the signer (a token session runs one operation at a time).
    let signerTurn: Promise<unknown> = Promise.resolve();
    const serialSigner: Signer = {
      certificate: signer.certificate,
      chain: signer.chain,
      keyAlgorithm: signer.keyAlgorithm,
      keyBits: signer.keyBits,
      description: signer.description,
      signDigest: (req) => {
        const r = signerTurn.then(() => signer.signDigest(req));
        signerTurn = r.catch(() => undefined);
        return r;
      },
      close: () => signer.close(),
    };

    /**
     * Everything for one file but publishing it: the prior-signature checks, the signature, the finished temp
     * file (fsynced when it is published). Its warnings wait in `held` until the file's turn to be reported.
     */
    const prepare = async (p: PlannedFile): Promise<Ready> => {
      const held: Warning[] = [];
      if (p.skipped) return { p, held, outcome: { input: p.display, output: p.outputDisplay, skipped: p.skipped } };
      if (p.error) return { p, held, outcome: { input: p.display, output: p.outputDisplay, error: p.error } };
      if (stopped) return { p, held };
      const mine = new Set<string>();
      const track = (t: string) => {
        mine.add(t);
        temps.add(t);
        trackTemp(t);
      };
      // What the file already carries: our own signature again (skipped when found in a folder or glob,
      // a warning when named), or a signature whose bytes no longer match (a warning: the new signature
      // would seal a document that is already broken).
      // opened and parsed once for the prior-signature check and the signing step; closed after the file
      const opened = await openPdfOnce(p.inputPath);
      try {
        const prior = await priorSignatures(p.inputPath, opened);
        if (prior.some((s) => sameCertificate(s.signerCert, signer.certificate))) {
          if (!p.explicit) return { p, held, outcome: { input: p.display, output: p.outputDisplay, skipped: 'already-signed' } };
          held.push({
            code: 'ALREADY_SIGNED_BY_SIGNER',
            en: `${p.display}: already carries a signature by this same certificate; signing it again adds a second one`,
            vi: `${p.display}: đã có chữ ký của chính chứng thư này; ký lại sẽ thêm một chữ ký thứ hai`,
          });
        }
        const broken = prior.filter((s) => !s.intact);
        if (broken.length) {
          const names = broken.map((s) => s.field).join(', ');
          held.push({
            code: 'PRIOR_SIGNATURE_BROKEN',
            en: `${p.display}: an earlier signature (${names}) is already broken: the document changed after it was signed; your signature will not repair it`,
            vi: `${p.display}: chữ ký trước đó (${names}) đã không còn hợp lệ: văn bản đã bị thay đổi sau khi ký; chữ ký mới không khắc phục được điều này`,
          });
        }
        // its folder made first (by its bytes when needed), so that the temp file can go beside the output
        await prepareOutputFolder(p, madeFolders);
        const tmp = tempPathFor(p.outputPath!);
        track(tmp);
        // a small document is signed in memory and written once: its temp file is made now, in the thread pool,
        // while the document is signed (issue 16)
        const inMemory = level !== 'B-LT' && level !== 'B-LTA' && opened !== undefined && opened.reader.headerOffset === 0 && opened.src.size <= (opts.inMemoryUpTo ?? IN_MEMORY_UP_TO);
        let created = inMemory ? createNewFile(tmp) : undefined;
        const one = (field: string | undefined) => signOne(p, tmp, {
          signer: serialSigner,
          hash,
          scheme,
          level,
          contentsBytes,
          timestamp,
          opts,
          now: deps.now,
          visible: visibleFor ? (t) => visibleFor(p.display, t, (w) => held.push(w)) : undefined,
          opened,
          field,
          track,
          // (the first attempt only: a second one, after a field was chosen, makes its own)
          created: (() => {
            const c = created;
            created = undefined;
            return c;
          })(),
        });
        let signed: SignedTemp;
        try {
          signed = await one(opts.field);
        } catch (e) {
          signed = await one(await fieldChosenFor(e, p, deps, todo.length === 1, progress));
        }
        if (signed.leftOut) held.push(bytesLeftOutWarning(p, signed.leftOut));
        if (signed.preparedField) {
          held.push({
            code: 'PREPARED_FIELD_USED',
            en: `${p.display}: signed into the document's empty signature field "${signed.field}"`,
            vi: `${p.display}: đã ký vào ô chữ ký còn trống "${signed.field}" của văn bản`,
          });
        }
        return { p, held, signed, temps: mine };
      } catch (e) {
        await dropTemps(mine);
        return { p, held, failure: { e } };
      } finally {
        await opened?.src.close().catch(() => undefined);
      }
    };
    const dropTemps = async (mine: Set<string>) => {
      for (const t of mine) {
        await fsp.unlink(t).catch(() => undefined);
        untrackTemp(t);
        temps.delete(t);
      }
      mine.clear();
    };
    const failed = (p: PlannedFile, e: unknown): KysoError =>
      // a write that failed (disk full, read-only…) is named after the real output, never the temp file
      asOutputError(e, p.outputDisplay ?? p.output!, p.input) ??
      (isKysoError(e) ? e : new KysoError('INTERNAL', 'internal', msg(`${p.display}: ${e instanceof Error ? e.message : String(e)}`, `${p.display}: ${e instanceof Error ? e.message : String(e)}`), { cause: e }));

    // Issue 16: the next file is prepared (read, signed, written) while this one is fsynced and published. Files are
    // prepared one after the other and published, reported and stopped in their order, one at a time: when a file
    // stops the batch, the next one, prepared already, is thrown away and reported not signed, as if never started.
    interface Entry {
      ready: Promise<Ready>;
      /** prepared: its temp file is complete */
      complete: boolean;
      /** complete when a signal came: published and reported before the process ends */
      finish: boolean;
    }
    const AHEAD = 2;
    const queue: Entry[] = [];
    let head: Entry | undefined;
    // one file is prepared at a time, the next one once this one is ready: a file reported done is never behind
    // a file still being read (a slow or blocking input only ever holds up what comes after it)
    let chain: Promise<unknown> = Promise.resolve();
    let next = 0;
    const fill = () => {
      while (!interrupted && queue.length < AHEAD && next < planned.length) {
        const p = planned[next++]!;
        const e: Entry = { complete: false, finish: false, ready: undefined as unknown as Promise<Ready> };
        e.ready = chain.then(() => prepare(p)).then((r) => {
          e.complete = true;
          // waiting to be published now: on a signal it is published, not removed by the first synchronous
          // sweep of temp files (it stays in `temps`, which the handler empties afterwards)
          if (r.signed) untrackTemp(r.signed.final);
          return r;
        });
        chain = e.ready;
        queue.push(e);
      }
    };
    let drained: () => void = () => undefined;
    const drainedNow = new Promise<void>((res) => (drained = res));
    onSignal = () => {
      for (const e of [head, ...queue]) if (e) e.finish = e.complete;
      return drainedNow;
    };
    // many documents: hot code waits longer for TurboFan (src/core/v8-tuning.ts)
    if (todo.length > 1) await tuneForBatch();
    fill();
    while (queue.length > 0) {
      head = queue.shift()!;
      const r = await head.ready;
      const { p } = r;
      if (interrupted && !head.finish) {
        // not signed when the signal came: the signal's report lists it (and the rest) as not signed; the
        // handler removes the temp files and ends the process
        if (r.temps) await dropTemps(r.temps);
        drained();
        await new Promise<never>(() => undefined);
      }
      if (r.outcome) {
        for (const w of r.held) emit(w);
        record(r.outcome);
      } else if (stopped || (!r.signed && !r.failure)) {
        if (r.temps) await dropTemps(r.temps);
        const why = stopped!;
        record({
          input: p.display,
          output: p.outputDisplay,
          error: new KysoError('BATCH_STOPPED', why.category, msg(`${p.display}: not signed: the batch stopped (${why.msg.en})`, `${p.display}: chưa ký: quá trình ký đã dừng (${why.msg.vi})`)),
        });
      } else {
        for (const w of r.held) emit(w);
        let err: KysoError | undefined;
        if (r.signed) {
          const signed = r.signed;
          try {
            // fsync, compare with the inputs again (device+inode) right before the rename, rename/link; the
            // folder is fsynced once for the batch
            await commitTemp(signed.final, p.outputPath!, { overwrite: force, inputs: allInputs, shown: p.outputDisplay ?? p.output!, folders });
            r.temps!.delete(signed.final);
            temps.delete(signed.final);
            record({ input: p.display, output: p.outputDisplay!, field: signed.field, level, signer: check.description.subject, sha256: signed.sha256 });
          } catch (e) {
            err = failed(p, e);
          }
          await dropTemps(r.temps!);
        } else err = failed(p, r.failure!.e);
        if (err) {
          record({ input: p.display, output: p.outputDisplay, error: err });
          // A credentials problem (token removed, PIN blocked) will not fix itself for the next file.
          if (err.category === 'credentials') stopped = err;
          // nor will a full or read-only disk
          if (err.category === 'output' && ['ENOSPC', 'EDQUOT', 'EROFS'].includes(String(err.details?.errno))) stopped = err;
        }
      }
      progress.tick();
      fill();
    }
    drained();
    await flushFolders(folders);
    progress.done();
    return { files, warnings, signerName: check.description.commonName };
  } finally {
    await flushFolders(folders);
    unregister();
    await signer.close();
  }
}

/** An unsigned file with bytes before "%PDF-" was signed as a clean copy from the header on (README). */
export function bytesLeftOutWarning(p: { display: string; outputDisplay?: string; output?: string }, bytes: number): Warning {
  const out = p.outputDisplay ?? p.output ?? '';
  return {
    code: 'BYTES_BEFORE_HEADER_LEFT_OUT',
    en: `${p.display}: the ${bytes} byte(s) before the %PDF- header (a mail-gateway banner?) are left out: ${out} is a clean copy from the header on`,
    vi: `${p.display}: ${bytes} byte đứng trước phần đầu %PDF- (dòng chữ do cổng thư điện tử thêm vào?) được bỏ đi: ${out} là bản sạch bắt đầu từ phần đầu %PDF-`,
  };
}

/** A file signed into its finished temp file, waiting for its turn to be published. */
interface SignedTemp {
  /** the finished temp file (fsynced when it is published) */
  final: string;
  field: string;
  sha256: string;
  preparedField: boolean;
  leftOut?: number;
}

/** One file of a batch, ready for its turn: an outcome to report, a signed temp to publish, or a failure. */
interface Ready {
  p: PlannedFile;
  /** its warnings, emitted when its turn comes */
  held: Warning[];
  outcome?: SignFileOutcome;
  signed?: SignedTemp;
  /** its temp files */
  temps?: Set<string>;
  failure?: { e: unknown };
}

interface SignOneContext {
  signer: Signer;
  hash: HashAlgorithm;
  scheme: SignatureScheme;
  level: SignLevel;
  contentsBytes: number;
  /** records a temp file so that failures and Ctrl-C remove it */
  track(tmp: string): void;
  timestamp?: (imprint: Uint8Array) => Promise<Uint8Array>;
  opts: SignDocumentsOptions;
  now: () => Date;
  visible?: (signingTime: Date) => VisibleHook;
  /** the input, already opened and parsed (used by the first attempt only) */
  opened?: OpenedPdf;
  /** the field to sign (--field, or the one the clerk chose at the prompt) */
  field: string | undefined;
  /** the temp file, already being made (createNewFile) for an output built in memory; signOne owns it */
  created?: Promise<number>;
}

/**
 * Inputs up to this size are signed in memory (issue 16): read once, the update appended, hashed, the signature
 * embedded and the output written with one open, one write and one fsync. Larger ones keep the streaming path
 * (kernel copy, bounded memory: a 1 GB scan signs in ~70 MB).
 */
export const IN_MEMORY_UP_TO = 4 * 1024 * 1024;

async function signOne(p: PlannedFile, tmp: string, c: SignOneContext): Promise<SignedTemp> {
  let created = c.created;
  try {
    return await signOneAttempts(p, tmp, c, () => {
      const taken = created;
      created = undefined;
      return taken;
    });
  } finally {
    await discardCreated(created, tmp);
  }
}

async function signOneAttempts(p: PlannedFile, tmp: string, c: SignOneContext, takeCreated: () => Promise<number> | undefined): Promise<SignedTemp> {
  // the output as fs creates it (its name may be bytes that are not UTF-8; its folder is a string)
  const output = p.outputPath!;
  let contentsBytes = c.contentsBytes;
  const ltv = c.level === 'B-LT' || c.level === 'B-LTA';
  for (let attempt = 0; ; attempt++) {
    const signingTime = c.now();
    const prepared: PreparedPdf = await preparePdfForSigning(p.inputPath, tmp, {
      fieldName: c.field,
      reason: c.opts.reason,
      location: c.opts.location,
      contactInfo: c.opts.contactInfo,
      name: c.opts.name,
      signingTime,
      subFilter: 'ETSI.CAdES.detached',
      contentsBytes,
      ...(c.visible ? { visible: c.visible(signingTime) } : {}),
      ...(c.opts.certify ? { certify: { permission: c.opts.certify } } : {}),
    }, attempt === 0 ? c.opened : undefined, ltv ? 0 : (c.opts.inMemoryUpTo ?? IN_MEMORY_UP_TO));
    const ranges = prepared.bytes
      ? digestRangeInMemory(prepared.bytes, prepared.byteRange, c.hash, p.display)
      : await digestRangeWithFileHash(prepared.path, prepared.byteRange, c.hash);
    const cms = await buildCadesSignedData({
      signer: c.signer,
      contentDigest: ranges.digest,
      hash: c.hash,
      scheme: c.scheme,
      timestamp: c.timestamp ? (sig) => c.timestamp!(hashOf(c.hash, sig)) : undefined,
    });
    if (cms.length > prepared.contentsBytes && attempt === 0) {
      // Our estimate was too small (a TSA with a long chain): prepare again with room to spare.
      contentsBytes = cms.length + 8192;
      await discardCreated(takeCreated(), tmp);
      await fsp.unlink(tmp).catch(() => undefined);
      continue;
    }
    await embedSignature(prepared, cms);
    if (prepared.bytes) await writeNewFile(tmp, prepared.bytes, prepared.mode, takeCreated());
    let final = tmp;
    let sha256: string;
    if (ltv) {
      const ltv = await import('./sign-ltv.js');
      const { signatureTimestampOf } = await import('../crypto/cades.js');
      const material = await ltv.collectValidationData(cms, signatureTimestampOf(cms), { now: c.now, timeoutMs: c.opts.tsaTimeoutMs });
      const withDss = tempPathFor(output);
      c.track(withDss);
      await ltv.addDss(tmp, withDss, material);
      await fsp.unlink(tmp);
      final = withDss;
      if (c.level === 'B-LTA') {
        const withTs = tempPathFor(output);
        c.track(withTs);
        sha256 = await ltv.addDocumentTimestamp(withDss, withTs, { tsa: c.opts.tsa!, hash: c.hash, now: c.now, timeoutMs: c.opts.tsaTimeoutMs });
        await fsp.unlink(withDss);
        final = withTs;
      } else sha256 = await sha256File(withDss);
    } else sha256 = await ranges.finishFileSha256();
    return { final, field: prepared.fieldName, sha256, preparedField: prepared.preparedField === true, leftOut: prepared.bytesBeforeHeaderLeftOut };
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function hashOf(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}
