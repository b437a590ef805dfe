/**
 * The sign use case with a remote signer (`kyso sign … --remote <profile>`), in three phases so that a
 * whole folder needs ONE approval on the signer's phone:
 *   1. prepare every document (signature field + placeholder in a temp file, ByteRange digest, CMS signed
 *      attributes) and collect the digests of the signed attributes;
 *   2. send all digests as one transaction (the BatchSigner splits only where the provider has a maximum)
 *      and wait for the approval;
 *   3. assemble each CMS with its (already verified) signature value, time-stamp it for B-T and above,
 *      embed, add validation data, publish.
 * If the approval is declined, expires or the provider cannot be reached, phase 3 never runs: no output is
 * written and every temp file is removed. sign-document.ts keeps the one-document-at-a-time path for
 * local keys; this module reuses its building blocks.
 */
import { unlink } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import path from 'node:path';
import { isKysoError, KysoError, msg, usageError } from '../core/errors.js';
import type { HashAlgorithm, Warning } from '../core/types.js';
import { noProgress } from '../core/types.js';
import { buildCadesSignedData, estimateCmsSize } from '../crypto/cades.js';
import { checkSigningCertificate } from '../crypto/certificate-checks.js';
import type { RemoteTxReport, BatchSigner } from '../crypto/remote/remote-signer.js';
import type { SignatureScheme, SignRequest, Signer } from '../crypto/signer.js';
import { embedSignature, preparePdfForSigning, type PreparedPdf } from '../pdf/sign-pdf.js';
import { digestRangeWithFileHash, type RangeDigest } from './sign-digest.js';
import {
  bytesLeftOutWarning,
  fieldChosenFor,
  publish,
  sha256File,
  signatureTimestamper,
  tempPathFor,
  validateSignOptions,
  type SignDocumentsDeps,
  type SignDocumentsOptions,
  type SignDocumentsResult,
  type SignFileOutcome,
} from './sign-document.js';
import { fsyncPath } from '../io/atomic-write.js';
import { expandInputs, planOutputs, prepareOutputFolder, type PlannedFile } from './sign-inputs.js';
import { createHash } from 'node:crypto';

export interface SignRemoteDeps extends Omit<SignDocumentsDeps, 'openSigner'> {
  openSigner(): Promise<BatchSigner>;
}

export interface SignRemoteResult extends SignDocumentsResult {
  remote?: { provider: string; transactions: RemoteTxReport[] };
}

interface Prepared {
  index: number;
  plan: PlannedFile;
  tmp: string;
  pdf: PreparedPdf;
  ranges: RangeDigest;
  req: SignRequest;
}

/** A Signer that hands out the values it is given, in turn, after checking the request is the one approved. */
function replaySigner(base: Signer): Signer & { load(req: SignRequest | undefined, sig: Uint8Array): void } {
  let expected: SignRequest | undefined;
  let value: Uint8Array = new Uint8Array(0);
  return {
    certificate: base.certificate,
    chain: base.chain,
    keyAlgorithm: base.keyAlgorithm,
    keyBits: base.keyBits,
    description: base.description,
    load(req, sig) {
      expected = req;
      value = sig;
    },
    async signDigest(req) {
      if (expected && !Buffer.from(req.digest).equals(Buffer.from(expected.digest))) {
        throw new KysoError('REMOTE_DIGEST_CHANGED', 'internal', msg('the signed attributes changed between approval and embedding', 'thuộc tính ký đã thay đổi giữa lúc xác nhận và lúc nhúng chữ ký'));
      }
      return value;
    },
    async close() {},
  };
}

export async function signDocumentsRemote(opts: SignDocumentsOptions, deps: SignRemoteDeps): Promise<SignRemoteResult> {
  const { level, hash } = validateSignOptions(opts);
  const force = Boolean(opts.force);
  const expanded = await expandInputs(opts.inputs, opts.cwd);
  const planned = await planOutputs(expanded, { cwd: opts.cwd, output: opts.output, outDir: opts.outDir, force, skipExisting: opts.skipExisting });
  const warnings: Warning[] = [];
  const outcomes: (SignFileOutcome | undefined)[] = planned.map((p) =>
    p.skipped ? { input: p.display, output: p.outputDisplay, skipped: p.skipped } : p.error ? { input: p.display, output: p.outputDisplay, error: p.error } : undefined,
  );
  // what is known so far goes to the caller as it happens: a signal's report lists it (as the local batch does)
  deps.onPlan?.(planned.map((p) => ({ input: p.display, output: p.outputDisplay })));
  for (const o of outcomes) if (o) deps.onFile?.(o);
  const settle = (i: number, o: SignFileOutcome) => {
    outcomes[i] = o;
    deps.onFile?.(o);
  };
  if (planned.every((p) => p.error || p.skipped)) return { files: outcomes as SignFileOutcome[], warnings };
  if (opts.rsaPss) throw usageError('REMOTE_PSS_UNSUPPORTED', msg('--rsa-pss is not available with --remote', 'không dùng được --rsa-pss cùng --remote'));

  const signer = await deps.openSigner();
  const temps = new Set<string>();
  const unregister = deps.onInterrupt(() => {
    for (const t of temps) {
      try {
        unlinkSync(t);
      } catch {
        /* already gone */
      }
    }
  });
  const fail = (i: number, p: PlannedFile, e: unknown) => {
    settle(i, {
      input: p.display,
      output: p.outputDisplay,
      error: isKysoError(e) ? e : new KysoError('INTERNAL', 'internal', msg(`${p.display}: ${e instanceof Error ? e.message : String(e)}`, `${p.display}: ${e instanceof Error ? e.message : String(e)}`), { cause: e }),
    });
  };
  try {
    const check = checkSigningCertificate(signer.certificate, { now: deps.now(), source: signer.description });
    for (const w of check.warnings) {
      warnings.push(w);
      deps.warn(w);
    }
    if (!signer.hashes.includes(hash)) {
      throw usageError('REMOTE_HASH_UNSUPPORTED', msg(`${signer.provider} signs only ${signer.hashes.join(', ')} digests: use --hash ${signer.hashes[0]}`, `${signer.provider} chỉ ký giá trị băm ${signer.hashes.join(', ')}: hãy dùng --hash ${signer.hashes[0]}`));
    }
    const scheme: SignatureScheme = signer.keyAlgorithm === 'ec' ? 'ecdsa' : 'rsa-pkcs1';
    // No second chance to grow /Contents (it would need a new approval): reserve generously.
    const contentsBytes = estimateCmsSize(signer, { timestamp: level !== 'B-B' }) + 8192;
    const progress = deps.progress ?? noProgress;

    // 1. prepare every document and collect the digests to sign
    const prepared: Prepared[] = [];
    const madeFolders = new Map<string, string>();
    const capture = replaySigner(signer);
    progress.start(planned.length, 'prepare');
    for (const [i, p] of planned.entries()) {
      progress.tick();
      if (p.error || p.skipped) continue;
      try {
        await prepareOutputFolder(p, madeFolders);
      } catch (e) {
        fail(i, p, e);
        continue;
      }
      const tmp = tempPathFor(p.outputPath!);
      temps.add(tmp);
      try {
        const prepare = (fieldName: string | undefined) => preparePdfForSigning(p.inputPath, tmp, {
          fieldName,
          reason: opts.reason,
          location: opts.location,
          contactInfo: opts.contactInfo,
          name: opts.name,
          signingTime: deps.now(),
          subFilter: 'ETSI.CAdES.detached',
          contentsBytes,
          ...(opts.certify ? { certify: { permission: opts.certify } } : {}),
        });
        let pdf: PreparedPdf;
        try {
          pdf = await prepare(opts.field);
        } catch (e) {
          // the clerk picks the field as with a local key, before anything goes to the provider
          const chosen = await fieldChosenFor(e, p, deps, planned.filter((q) => !q.error && !q.skipped).length === 1, progress);
          await unlink(tmp).catch(() => undefined);
          pdf = await prepare(chosen);
        }
        if (pdf.bytesBeforeHeaderLeftOut) {
          const w = bytesLeftOutWarning(p, pdf.bytesBeforeHeaderLeftOut);
          warnings.push(w);
          deps.warn(w);
        }
        const ranges = await digestRangeWithFileHash(pdf.path, pdf.byteRange, hash);
        let req: SignRequest | undefined;
        capture.load(undefined, new Uint8Array(Math.ceil(signer.keyBits / 8)));
        await buildCadesSignedData({
          signer: { ...capture, signDigest: async (r) => ((req = r), capture.signDigest(r)) },
          contentDigest: ranges.digest,
          hash,
          scheme,
        });
        prepared.push({ index: i, plan: p, tmp, pdf, ranges, req: req! });
      } catch (e) {
        fail(i, p, e);
        await unlink(tmp).catch(() => undefined);
        temps.delete(tmp);
      }
    }
    progress.done();

    // 2. one transaction, one approval
    let sigs: Uint8Array[] = [];
    if (prepared.length) {
      try {
        sigs = await signer.signDigests(
          prepared.map((x) => x.req),
          prepared.map((x) => path.basename(x.plan.input)),
        );
      } catch (e) {
        for (const x of prepared) {
          fail(x.index, x.plan, e);
          await unlink(x.tmp).catch(() => undefined);
        }
        temps.clear();
        return result();
      }
    }

    // 3. assemble, time-stamp, embed, publish
    const timestamp = signatureTimestamper(level, hash, opts, deps);
    const replay = replaySigner(signer);
    progress.start(prepared.length, 'sign');
    for (const [k, x] of prepared.entries()) {
      const mine = new Set<string>([x.tmp]);
      try {
        replay.load(x.req, sigs[k]!);
        const cms = await buildCadesSignedData({
          signer: replay,
          contentDigest: x.ranges.digest,
          hash,
          scheme,
          timestamp: timestamp ? (sig) => timestamp(hashOf(hash, sig)) : undefined,
        });
        if (cms.length > x.pdf.contentsBytes) {
          throw new KysoError('CMS_TOO_LARGE', 'internal', msg(`${x.plan.display}: the signature (${cms.length} bytes) does not fit the space reserved (${x.pdf.contentsBytes})`, `${x.plan.display}: chữ ký (${cms.length} byte) không vừa chỗ dành sẵn (${x.pdf.contentsBytes})`));
        }
        await embedSignature(x.pdf, cms);
        const output = x.plan.outputPath!;
        let final = x.tmp;
        let sha256: string;
        if (level === 'B-LT' || level === 'B-LTA') {
          const ltv = await import('./sign-ltv.js');
          const { signatureTimestampOf } = await import('../crypto/cades.js');
          const material = await ltv.collectValidationData(cms, signatureTimestampOf(cms), { now: deps.now, timeoutMs: opts.tsaTimeoutMs });
          const withDss = tempPathFor(output);
          temps.add(withDss);
          mine.add(withDss);
          await ltv.addDss(x.tmp, withDss, material);
          await unlink(x.tmp);
          final = withDss;
          if (level === 'B-LTA') {
            const withTs = tempPathFor(output);
            temps.add(withTs);
            mine.add(withTs);
            sha256 = await ltv.addDocumentTimestamp(withDss, withTs, { tsa: opts.tsa!, hash, now: deps.now, timeoutMs: opts.tsaTimeoutMs });
            await unlink(withDss);
            final = withTs;
          } else sha256 = await sha256File(withDss);
        } else sha256 = await x.ranges.finishFileSha256();
        await fsyncPath(final, 'r+');
        await publish(final, output, force, x.plan.outputDisplay ?? x.plan.output!);
        settle(x.index, { input: x.plan.display, output: x.plan.outputDisplay!, field: x.pdf.fieldName, level, signer: check.description.subject, sha256 });
      } catch (e) {
        fail(x.index, x.plan, e);
        for (const t of mine) await unlink(t).catch(() => undefined);
      } finally {
        for (const t of mine) temps.delete(t);
      }
      progress.tick();
    }
    progress.done();
    return result(check.description.commonName);
  } finally {
    unregister();
    for (const t of temps) await unlink(t).catch(() => undefined);
    await signer.close();
  }

  function result(signerName?: string): SignRemoteResult {
    return {
      files: outcomes.map((o, i) => o ?? { input: planned[i]!.display, output: planned[i]!.outputDisplay, error: new KysoError('INTERNAL', 'internal', msg('not processed', 'chưa xử lý')) }),
      warnings,
      signerName,
      remote: { provider: signer.provider, transactions: signer.transactions },
    };
  }
}

function hashOf(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}
