import { PDFArray, PDFContext, PDFDict, PDFHexString, PDFName, PDFRawStream, PDFRef, PDFString, type PDFObject } from '../pdf/pdf-lib.js';
import { isKysoError, msg, type Msg } from '../core/errors.js';
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { closeSync, fstatSync, openSync, promises as fsp, readSync } from 'node:fs';
import { basename, join, resolve as resolvePath } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { bufferSource, fromOffset, openFileSource, type ByteSource } from '../pdf/byte-source.js';
import { PdfReader } from '../pdf/reader.js';
import { checkByteRange, digestByteRanges, trailingGarbage, trimDer, type ByteRangeCheck } from '../pdf/byte-range-check.js';
import { eofOffsets, scanSignatureDictionaries, scanSignatures, nameOf, type FoundSignature } from '../pdf/signature-scan.js';
import { diffRevisions, type RevisionDiff } from '../pdf/revision-diff.js';
import { checkCms, checkDocumentTimestamp, checkX509RsaSha1, type CmsCheck } from '../crypto/verify-cms.js';
import { problem, type Problem } from '../core/problem.js';
import { validateTimestampTrust } from '../crypto/timestamp-verify.js';
import { createDigest } from '../crypto/verify-util.js';
import { validateCertificate, type ChainResult } from '../crypto/chain-builder.js';
import type { TrustStore } from '../crypto/trust-store.js';
import type { RevocationFetcher } from '../crypto/revocation-fetcher.js';
import { describeCertificate } from '../crypto/x509.js';
import { getChainCert } from '../crypto/chain-cert.js';
import { applyDocumentTimestampLevels, applyValidUntil, chainNotAfter, type ChainDates } from './extend-levels.js';
import { worstIndication, type FileReport, type Indication, type SignatureReport } from './verify-types.js';
import { widgetPlacement } from '../pdf/widget-placement.js';

/**
 * Verifies every signature and document timestamp of one PDF and returns its report. Never throws for a
 * bad file: unreadable input becomes indication ERROR with a one-line bilingual reason.
 *
 * Mapping to ETSI EN 319 102-1 (the same choices EU DSS makes):
 *  - ByteRange/Contents malformed, CMS unparseable, gap not exactly /Contents (USF, signature wrapping),
 *    missing mandatory signed attributes → TOTAL_FAILED / FORMAT_FAILURE.
 *  - Digest of the ranges ≠ signed messageDigest → TOTAL_FAILED / HASH_FAILURE.
 *  - Signature value does not verify → TOTAL_FAILED / SIG_CRYPTO_FAILURE.
 *  - signingCertificate(V2) does not match the signer certificate → INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND.
 *  - Disallowed change after signing (DocMDP/FieldMDP violation, content changed by a later update, content
 *    after the last %%EOF) → TOTAL_FAILED / FORMAT_FAILURE: DSS checks DocMDP, FieldMDP, field locks and
 *    "undefined changes" inside its Format Checking building block, whose failure is FORMAT_FAILURE.
 *  - Chain: untrusted → INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND; expired without a POE inside the
 *    validity (none, or only later ones) → INDETERMINATE / OUT_OF_BOUNDS_NO_POE; a POE before notBefore →
 *    TOTAL_FAILED / NOT_YET_VALID; revoked before the proven time → TOTAL_FAILED / REVOKED; revoked without a
 *    proven time → INDETERMINATE / REVOKED_NO_POE; revocation unknown (soft or hard) → INDETERMINATE /
 *    TRY_LATER: EN 319 102-1 has no "failed" for missing revocation data, so `hard` differs from `soft` in
 *    that the crypto layer demands status for every certificate of the path, not in the indication.
 *  - Proof of existence (§5.6): only from a timestamp whose TSA chain validates at the current time, or at
 *    the time a later trusted document timestamp proves; document timestamps are therefore validated first,
 *    newest first. Embedded revocation data counts only when issued after the best POE (chain-builder).
 *  - Unsupported algorithm → INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE (never "forged").
 *  - Problems are `{ code, params }`; verdicts are decided on codes, text comes from src/cli/catalogue.
 */
export interface VerifyDocumentOptions {
  trustStore: TrustStore;
  revocationMode: 'hard' | 'soft' | 'off';
  /** --at, else undefined (now() is used). */
  at?: Date;
  now: () => Date;
  fetcher?: RevocationFetcher;
  /** Cap on inflated stream size in the reader (bomb guard). */
  maxStreamBytes?: number;
  /** Write each signature's covered revision (the signed byte prefix) as a PDF into this folder. */
  signedVersionDir?: string;
  /** User (or owner) password of an encrypted PDF; the empty password is always tried first. */
  pdfPassword?: string;
}

export const DEFAULT_MAX_STREAM_BYTES = 64 * 1024 * 1024;

interface Dss {
  certs: Uint8Array[];
  crls: Uint8Array[];
  ocsps: Uint8Array[];
  present: boolean;
  revision?: number;
}

const TEXT = {
  unreadable: (file: string, e: unknown): { code: string; m: Msg } => {
    if (isKysoError(e)) return { code: e.code, m: e.msg };
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ENOENT') return { code: 'INPUT_NOT_FOUND', m: msg(`${file}: file not found`, `${file}: không tìm thấy tệp`) };
    if (err?.code === 'EISDIR') return { code: 'INPUT_UNREADABLE', m: msg(`${file}: is a folder, not a file`, `${file}: là thư mục, không phải tệp`) };
    if (err?.code === 'EACCES') return { code: 'INPUT_UNREADABLE', m: msg(`${file}: permission denied`, `${file}: không có quyền đọc tệp`) };
    const detail = e instanceof Error ? e.message.split('\n')[0]!.slice(0, 200) : String(e);
    return { code: 'INPUT_MALFORMED', m: msg(`${file}: the PDF is damaged and cannot be read (${detail})`, `${file}: tệp PDF bị hỏng, không đọc được (${detail})`) };
  },
};

export function errorReport(file: string, e: unknown): FileReport {
  const { code, m } = TEXT.unreadable(file, e);
  return { file, indication: 'ERROR', error: { code, message: m.en, messageVi: m.vi }, signatures: [] };
}


function pdfDate(s: string | undefined): string | null {
  if (!s) return null;
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?'?/.exec(s);
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz, th = '00', tm = '00'] = m;
  const off = !tz || tz === 'Z' || tz === 'z' ? 'Z' : `${tz}${th}:${tm}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${se}${off}`;
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

function textOf(o: PDFObject | undefined): string | undefined {
  if (o instanceof PDFString || o instanceof PDFHexString) {
    try {
      return o.decodeText();
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Fields a /Lock (or FieldMDP TransformParams) protects: '*' for /All. Returns the PDF 2.0 FieldMDP /P
 * (ISO 32000-2 §12.7.5.5: once the field is signed, the document gets that DocMDP-like permission).
 */
function lockedNames(lock: PDFDict | undefined, into: Set<string>): 1 | 2 | 3 | undefined {
  if (!lock) return undefined;
  const action = nameOf(lock, 'Action');
  const fields = lock.get(PDFName.of('Fields'));
  const names = fields instanceof PDFArray ? fields.asArray().map(textOf).filter((x): x is string => !!x) : [];
  if (action === 'All') into.add('*');
  else if (action === 'Include') for (const n of names) into.add(n);
  else if (action === 'Exclude') into.add('*'); // conservative: everything but a few is locked; treat as all
  const p = lock.get(PDFName.of('P'));
  const v = p && 'asNumber' in p ? (p as unknown as { asNumber(): number }).asNumber() : undefined;
  return v === 1 || v === 2 || v === 3 ? v : undefined;
}

/**
 * A change-analysis problem in the report's string lists until reports carry Problem values: the code, then
 * its parameters as JSON ("CHANGE_PAGE {"page":1,"keys":"/Contents"}"); the text report renders it from
 * the catalogue (src/cli/catalogue/changes.ts) in the clerk's language.
 */
function problemText(p: Problem): string {
  const params = p.params ? Object.fromEntries(Object.entries(p.params).filter(([, v]) => v !== undefined && v !== '')) : {};
  return Object.keys(params).length ? `${p.code} ${JSON.stringify(params)}` : p.code;
}

async function readDss(reader: PdfReader): Promise<Dss> {
  const out: Dss = { certs: [], crls: [], ocsps: [], present: false };
  try {
    const cat = await reader.catalog();
    const dss = await reader.resolve(cat.get(PDFName.of('DSS')));
    if (!(dss instanceof PDFDict)) return out;
    out.present = true;
    for (const [key, list] of [
      ['Certs', out.certs],
      ['CRLs', out.crls],
      ['OCSPs', out.ocsps],
    ] as const) {
      const arr = await reader.resolve(dss.get(PDFName.of(key)));
      if (!(arr instanceof PDFArray)) continue;
      for (const r of arr.asArray().slice(0, 500)) {
        const s = await reader.resolve(r);
        if (s instanceof PDFRawStream) {
          try {
            list.push(await reader.decodeStream(s, 4 * 1024 * 1024));
          } catch {
            /* an undecodable DSS entry is simply not used */
          }
        }
      }
    }
    // In which revision did the DSS (first) appear?
    for (let i = 0; i < reader.revisions.length; i++) {
      const c = await reader.atRevision(i).catalog();
      if (c.get(PDFName.of('DSS'))) {
        out.revision = i;
        break;
      }
    }
  } catch {
    /* DSS unreadable: validation goes on without it */
  }
  return out;
}

/** Attribute problems about the signing certificate (ESS signingCertificate/V2): INDETERMINATE. */
const SIGNING_CERT_CODES = new Set(['ESS_REPEATED', 'ESS_EMPTY', 'ESS_HASH_UNSUPPORTED', 'ESS_CERT_MISMATCH', 'ESS_SERIAL_MISMATCH', 'ESS_MALFORMED', 'SIGNER_CERT_MISSING', 'X509_RSA_SHA1_NO_CERT']);

/** Change-analysis problems arrive as codes (or, from older modules, as English text kept as a detail). */
function asProblem(p: string | Problem): Problem {
  return typeof p === 'string' ? problem('CHANGE_DETAIL', { detail: p }) : p;
}

/** The certificates of an adbe.x509.rsa_sha1 signature: /Cert, one string or an array of strings. */
async function certsOfSigDict(reader: PdfReader, sig: PDFDict): Promise<Uint8Array[]> {
  const c = await reader.resolve(sig.get(PDFName.of('Cert')));
  const items = c instanceof PDFArray ? c.asArray() : c ? [c] : [];
  const out: Uint8Array[] = [];
  for (const it of items.slice(0, 20)) {
    const v = await reader.resolve(it);
    if (v instanceof PDFHexString || v instanceof PDFString) out.push(v.asBytes());
  }
  return out;
}

/** Signer names, cached by certificate (an archive has few distinct signers and many files). */
const signerCache = new Map<string, SignatureReport['signer']>();
function signerOf(der: Uint8Array | undefined): SignatureReport['signer'] {
  if (!der) return null;
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const hit = signerCache.get(key);
  if (hit !== undefined) return hit ? { ...hit } : null;
  let v: SignatureReport['signer'];
  try {
    const d = describeCertificate(der);
    v = { subject: d.subject, issuer: d.issuer, serial: d.serial };
  } catch {
    v = null;
  }
  if (signerCache.size > 1000) signerCache.clear();
  signerCache.set(key, v);
  return v ? { ...v } : null;
}

function trustOf(c: ChainResult | undefined): SignatureReport['trust'] {
  if (!c) return 'unknown';
  switch (c.status) {
    case 'trusted':
      return 'trusted';
    case 'untrusted':
      return 'untrusted';
    case 'expired':
    case 'not-yet-valid':
      return 'expired';
    case 'revoked':
      return 'revoked';
    default:
      return 'unknown';
  }
}

/** Codes that explain a chain status, most telling first; the first one present is the decisive problem. */
const DECISIVE: Record<string, string[]> = {
  revoked: ['CERT_REVOKED', 'CA_REVOKED'],
  untrusted: ['CERT_SIGNER_UNPARSEABLE', 'CHAIN_NO_ISSUER', 'CHAIN_UNTRUSTED_ROOT', 'CA_NOT_CA', 'CA_PATH_LENGTH', 'CA_NO_KEY_CERT_SIGN', 'SIGNER_KEY_USAGE', 'TSA_NO_EKU', 'TSA_KEY_USAGE'],
  expired: ['CERT_EXPIRED_POE_TOO_LATE', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID'],
  'not-yet-valid': ['CERT_NOT_YET_VALID', 'CERT_EXPIRED_POE_TOO_LATE', 'CERT_EXPIRED'],
  unknown: ['REVOCATION_NOT_FRESH', 'REVOCATION_OFFLINE', 'REVOCATION_SOURCE_FAILED'],
};

function decisiveProblem(c: ChainResult): Problem {
  for (const code of DECISIVE[c.status] ?? []) {
    const p = c.problems.find((x) => x.code === code);
    if (p) return p;
  }
  return c.problems[0] ?? problem('CERT_STATUS', { status: c.status });
}

/** The trust-store anchor a chain ended at (subject, SHA-256 of its DER), when it reached one. */
function anchorUsed(chain: ChainResult | undefined, store: TrustStore): { subject: string; sha256: string } | undefined {
  const top = chain?.anchorSubject ? chain.path[chain.path.length - 1] : undefined;
  if (!top) return undefined;
  const c = getChainCert(top);
  // The path may end at a copy carried by the file with the anchor's name and key: name the store's certificate.
  const a =
    store.anchors.find((x) => x.sha256 === c.sha256) ??
    store.anchors.find((x) => {
      const y = getChainCert(x.der);
      return Buffer.from(y.subjectDer).equals(Buffer.from(c.subjectDer)) && Buffer.from(y.spkiDer).equals(Buffer.from(c.spkiDer));
    });
  return { subject: a ? getChainCert(a.der).subject : c.subject, sha256: a?.sha256 ?? c.sha256 };
}

function chainVerdict(c: ChainResult, proven: boolean): { indication: Indication; sub: string | null } {
  switch (c.status) {
    case 'trusted':
      return { indication: 'TOTAL_PASSED', sub: null };
    case 'revoked':
      return c.subIndication === 'REVOKED_NO_POE' ? { indication: 'INDETERMINATE', sub: 'REVOKED_NO_POE' } : { indication: 'TOTAL_FAILED', sub: 'REVOKED' };
    case 'untrusted':
      return { indication: 'INDETERMINATE', sub: c.subIndication ?? 'NO_CERTIFICATE_CHAIN_FOUND' };
    case 'expired':
    case 'not-yet-valid':
      // EN 319 102-1 §5.6.2.4 (past signature validation): a proof of existence bounds the signing time from
      // above only. One BEFORE the certificate's notBefore proves the signature was made before the
      // certificate existed: TOTAL_FAILED / NOT_YET_VALID. One after its notAfter proves nothing about when
      // it was made, so an expired signer stays INDETERMINATE / OUT_OF_BOUNDS_NO_POE (EU DSS and pyHanko agree;
      // TOTAL_FAILED / EXPIRED would need proof that the signature was made after the expiry, which no
      // timestamp gives).
      if (proven && c.subIndication === 'NOT_YET_VALID') return { indication: 'TOTAL_FAILED', sub: 'NOT_YET_VALID' };
      return { indication: 'INDETERMINATE', sub: c.subIndication ?? 'OUT_OF_BOUNDS_NO_POE' };
    default:
      return { indication: 'INDETERMINATE', sub: c.subIndication ?? 'TRY_LATER' };
  }
}

/**
 * Lets timers run between the stages of one document: with the file in memory every await is a microtask,
 * and without this an in-process --timeout (jobs 1) could never fire before the document is done.
 */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Files up to this size are read whole (one synchronous read, no I/O round trips); larger ones stream. */
export const WHOLE_READ_MAX = 16 * 1024 * 1024;

/**
 * Small files (the common case in an archive) are read in one go: the random-access reader then works on
 * memory, without one thread-pool round trip per read, which dominated a 1,000-file run. Large files keep
 * the positional-read source (bounded memory: a 1 GB scan is never loaded).
 */
async function openSource(path: string): Promise<ByteSource> {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size <= WHOLE_READ_MAX) {
      const buf = Buffer.allocUnsafe(st.size);
      let off = 0;
      while (off < st.size) {
        const n = readSync(fd, buf, off, st.size - off, off);
        if (n <= 0) break;
        off += n;
      }
      return bufferSource(off === st.size ? buf : buf.subarray(0, off));
    }
  } finally {
    closeSync(fd);
  }
  return openFileSource(path);
}

export async function verifyDocument(path: string, displayName: string, opts: VerifyDocumentOptions): Promise<FileReport> {
  const t0 = Date.now();
  let src: ByteSource | undefined;
  let damageError: unknown;
  try {
    src = await openSource(path);
    // Damaged files (no usable xref chain: cut tail, /Prev loop, broken xref; or a signed update cut off
    // after the last readable revision): the file is ERROR, and its signatures are found by scanning the
    // bytes for signature dictionaries, as pdfsig does, and checked as far as they can be. Never NO_SIGNATURE
    // when signature dictionaries exist; the change analysis is not run on a repaired file.
    let reader: PdfReader | undefined;
    let damaged = false;
    try {
      reader = await PdfReader.open(src, { file: displayName, maxStreamBytes: opts.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES });
    } catch (e) {
      if (!(isKysoError(e) && e.code === 'INPUT_MALFORMED')) throw e;
      damaged = true;
      damageError = e;
    }
    if (reader?.recovered) damaged = true;
    if (reader && !damaged) {
      const lastEnd = reader.revisions[reader.revisions.length - 1]!.endOffset;
      const tailLen = Math.min(src.size - lastEnd, 4 * 1024 * 1024);
      if (tailLen > 0 && (await src.read(lastEnd, tailLen)).includes('/ByteRange')) damaged = true;
    }
    // Encrypted files: decrypted as they load (empty password first, then the one given); the change
    // analysis then compares decrypted objects. Public-key encryption or a wrong password: ERROR (exit 5).
    if (reader?.encrypted) await reader.enableDecryption(opts.pdfPassword);
    await yieldToLoop();
    let found: FoundSignature[];
    let revisionEnds: number[];
    if (damaged) {
      const names = new Map<number, string>();
      try {
        for (const sf of reader ? await reader.signatureFields() : []) if (sf.sigRef) names.set(sf.sigRef.objectNumber, sf.name);
      } catch {
        /* the form cannot be read either: objects are named by number */
      }
      found = await scanSignatureDictionaries(src, reader?.context ?? PDFContext.create(), names);
      revisionEnds = await eofOffsets(src);
      if (found.length === 0) throw damageError ?? new Error('the cross-reference table is damaged');
    } else {
      found = await scanSignatures(reader!);
      revisionEnds = reader!.revisions.map((r) => r.endOffset);
    }
    const dss = found.length && reader && !damaged ? await readDss(reader) : { certs: [], crls: [], ocsps: [], present: false };
    // Certification (DocMDP) and locks, known per revision.
    const checks: Array<{ f: FoundSignature; br: ByteRangeCheck; cms?: CmsCheck & { time?: Date }; fromHeader?: boolean }> = [];
    // Bytes before "%PDF-" (a mail-gateway banner): validators count /ByteRange from the first byte of the
    // file, and so does kyso. A range that only checks out when counted from the header tells that the
    // bytes were put in front after signing: said so, with the way to get the signed file back.
    const headerAt = (await src.read(0, 1024)).indexOf('%PDF-');
    for (const f of found) {
      const br = await checkByteRange(src, f.sig, revisionEnds);
      const fromHeader =
        headerAt > 0 && !br.ok && (await checkByteRange(fromOffset(src, headerAt), f.sig, revisionEnds.map((e) => e - headerAt)).then((x) => x.ok));
      checks.push({ f, br, fromHeader });
    }
    // Bytes after the last revision that no signature covers and no xref describes (ISA without xref).
    let coveredEnd = revisionEnds[revisionEnds.length - 1] ?? src.size;
    for (const c of checks) if (c.br.ok && c.br.byteRange) coveredEnd = Math.max(coveredEnd, c.br.byteRange[2] + c.br.byteRange[3]);
    const garbage = damaged ? 0 : await trailingGarbage(src, coveredEnd);
    const now = opts.at ?? opts.now();
    const embeddedRevocation = { crls: dss.crls, ocsps: dss.ocsps };
    // Annotations drawn after a signature, attributed after every signature is known (see below).
    const pendingAnnotations = new Map<SignatureReport, RevisionDiff['changes']>();

    const chainDates = new Map<SignatureReport, ChainDates>();
    /** Signatures whose chain the file's own revocation data validates after the POE (B-LT ready). */
    const ltReady = new Set<SignatureReport>();
    /**
     * Proofs of existence from document timestamps (EN 319 102-1 §5.6.2.4): a document timestamp whose TSA
     * chain validates proves that everything in the revisions before it existed at its time. They are
     * validated from the newest to the oldest: the newest at the current time, each older one at the time a
     * newer trusted one proves (the B-LTA chain), so an expired or revoked TSA is rescued only by a later one.
     */
    const docTsPoe: Array<{ revision: number; time: Date }> = [];
    /** The earliest time a trusted document timestamp in a later revision proves for `revision`. */
    const laterPoe = (revision: number | null | undefined): Date | undefined => {
      if (revision === null || revision === undefined) return undefined;
      let best: Date | undefined;
      for (const t of docTsPoe) if (t.revision > revision && (!best || t.time.getTime() < best.getTime())) best = t.time;
      return best;
    };

    const reports: SignatureReport[] = new Array(checks.length);
    const order = checks.map((_, k) => k);
    // Document timestamps first, newest first; then the signatures.
    order.sort((a, b) => {
      const ka = checks[a]!.f.kind === 'doc-timestamp' ? 0 : 1;
      const kb = checks[b]!.f.kind === 'doc-timestamp' ? 0 : 1;
      if (ka !== kb) return ka - kb;
      return ka === 0 ? (checks[b]!.br.revisionIndex ?? -1) - (checks[a]!.br.revisionIndex ?? -1) : a - b;
    });
    for (const k of order) {
      await yieldToLoop();
      const r = await verifyOne(checks[k]!);
      reports[k] = reader ? Object.assign(r, await widgetPlacement(reader, checks[k]!.f.widgetRefs)) : r;
    }
    const sigs = reports;

    async function verifyOne(c: { f: FoundSignature; br: ByteRangeCheck; fromHeader?: boolean }): Promise<SignatureReport> {
      const { f, br } = c;
      const rep: SignatureReport = {
        field: f.fieldName,
        type: f.kind === 'doc-timestamp' ? 'timestamp' : 'signature',
        subFilter: f.subFilter ?? null,
        signer: null,
        indication: 'TOTAL_PASSED',
        subIndication: null,
        integrity: 'ok',
        trust: 'unknown',
        modifiedAfter: 'none',
        coverage: br.coverage,
        level: 'none',
        signingTime: pdfDate(textOf(f.sig.get(PDFName.of('M')))),
        signingTimeSource: null,
        timestamp: null,
        revision: br.revisionIndex ?? null,
        certification: null,
        digestAlgorithm: null,
        problems: [],
        warnings: [],
        changes: [],
      };
      if (rep.signingTime) rep.signingTimeSource = 'claimed';
      const failWith = (ind: Indication, sub: string, why?: Problem) => {
        const rank = { TOTAL_PASSED: 0, INDETERMINATE: 1, TOTAL_FAILED: 2 } as const;
        if (rank[ind] > rank[rep.indication]) {
          rep.indication = ind;
          rep.subIndication = sub;
        }
        if (why) rep.problems.push(why);
      };

      if (!br.ok || !br.byteRange || !br.contents) {
        rep.integrity = 'broken';
        rep.coverage = 'partial';
        const detail = br.problems[br.problems.length - 1] ?? '';
        if (c.fromHeader) failWith('TOTAL_FAILED', 'HASH_FAILURE', problem('BR_BYTES_BEFORE_HEADER_ADDED', { bytes: headerAt, skip: headerAt + 1 }));
        else failWith('TOTAL_FAILED', 'FORMAT_FAILURE', br.code ? problem(`BR_${br.code}`, { detail }) : problem('MALFORMED_SIGNATURE'));
        return rep;
      }
      if (headerAt > 0) rep.warnings.push(problem('BYTES_BEFORE_HEADER', { bytes: headerAt }));
      const byteRange = br.byteRange;
      if (opts.signedVersionDir) rep.signedVersion = await writeSignedVersion(src!, path, displayName, f.fieldName, byteRange, opts.signedVersionDir);
      const digestFor = (alg: string) => digestByteRanges(src!, byteRange, createDigest(alg));
      let cms: CmsCheck & { time?: Date };
      try {
        if (f.kind === 'doc-timestamp') cms = await checkDocumentTimestamp(trimDer(br.contents), digestFor);
        else if (f.subFilter === 'adbe.x509.rsa_sha1') cms = await checkX509RsaSha1(br.contents, reader ? await certsOfSigDict(reader, f.sig) : [], digestFor);
        else cms = await checkCms(trimDer(br.contents), digestFor, { sha1Content: f.subFilter === 'adbe.pkcs7.sha1' });
      } catch (e) {
        cms = {
          parsed: false,
          error: problem('CMS_UNPARSEABLE', { detail: e instanceof Error ? e.message : String(e) }),
          digestAlgorithm: '',
          weakDigest: false,
          messageDigestMatches: false,
          signatureValid: false,
          attributesConsistent: false,
          attributeProblems: [],
          notes: [],
          hasSigningCertificateAttr: false,
          embeddedCerts: [],
          embeddedCrls: [],
          embeddedOcsps: [],
        };
      }
      rep.signer = signerOf(cms.signerCert);
      rep.digestAlgorithm = cms.digestAlgorithm || null;
      if (cms.weakDigest) rep.warnings.push(problem('WEAK_DIGEST', { alg: cms.digestAlgorithm }));
      if (cms.signatureAlgorithm === 'dsa') rep.warnings.push(problem('WEAK_SIGNATURE_ALGORITHM', { alg: 'DSA' }));
      if (cms.signedAttrsNotDer) rep.warnings.push(problem('SIGNED_ATTRS_NOT_DER', { detail: cms.signedAttrsNotDer }));
      if (!rep.signingTime && cms.claimedSigningTime) {
        rep.signingTime = cms.claimedSigningTime.toISOString();
        rep.signingTimeSource = 'claimed';
      }
      if (!cms.parsed) {
        rep.integrity = 'broken';
        failWith('TOTAL_FAILED', 'FORMAT_FAILURE', cms.error ?? problem('CMS_UNPARSEABLE', { detail: '' }));
        return rep;
      }
      if (cms.error) failWith('TOTAL_FAILED', 'FORMAT_FAILURE', cms.error);
      if (!cms.messageDigestMatches && !cms.digestUnknown) {
        rep.integrity = 'broken';
        failWith('TOTAL_FAILED', 'HASH_FAILURE', problem('DOC_DIGEST_MISMATCH'));
      }
      if (!cms.signatureValid) {
        if (cms.signatureUnsupported) {
          // An algorithm we cannot check says nothing about the file: INDETERMINATE, not "forged".
          failWith('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE', problem('ALGORITHM_UNSUPPORTED', { detail: cms.signatureError ?? '' }));
        } else {
          rep.integrity = 'broken';
          failWith('TOTAL_FAILED', 'SIG_CRYPTO_FAILURE', problem('SIG_VALUE_INVALID', { detail: cms.signatureError ?? '' }));
        }
      }
      if (!cms.attributesConsistent) {
        // Decided on codes, never on text: a signing-certificate problem is INDETERMINATE (EN 319 102-1).
        const certProblem = cms.attributeProblems.some((p) => SIGNING_CERT_CODES.has(p.code));
        const chainish = cms.attributeProblems.some((p) => p.code === 'TS_TSA_NOT_VALID_AT_TIME' || p.code === 'TSA_NO_EKU');
        for (const p of cms.attributeProblems) rep.problems.push(p);
        if (certProblem) failWith('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND');
        else if (chainish && cms.attributeProblems.every((p) => p.code === 'TS_TSA_NOT_VALID_AT_TIME' || p.code === 'TSA_NO_EKU'))
          failWith('INDETERMINATE', cms.attributeProblems.some((p) => p.code === 'TSA_NO_EKU') ? 'CHAIN_CONSTRAINTS_FAILURE' : 'OUT_OF_BOUNDS_NO_POE');
        else failWith('TOTAL_FAILED', 'FORMAT_FAILURE');
      }
      if (!cms.signerCert && !cms.attributeProblems.some((p) => p.code === 'SIGNER_CERT_MISSING' || p.code === 'X509_RSA_SHA1_NO_CERT'))
        failWith('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', problem('SIGNER_CERT_MISSING'));
      else if (!cms.signerCert) failWith('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND');

      // Proof of existence of this signature (or document timestamp): see docTsPoe above.
      const fromLater = laterPoe(br.revisionIndex);
      let tsaAnchor: { subject: string; sha256: string } | undefined;
      let proven: Date | undefined = fromLater;
      if (f.kind === 'doc-timestamp') {
        const t = cms.time ?? cms.timestamp?.time;
        // Its trust is decided below (chain of its TSA); its time proves something only then.
        if (t) rep.timestamp = { time: t.toISOString(), valid: false };
      } else if (cms.timestamp) {
        // A timestamp proves a time only if its TSA chain validates now, or at an earlier time proven by a
        // later trusted document timestamp: otherwise an expired or revoked TSA key could back-date at will.
        const tsaChain = cms.timestamp.valid
          ? await validateTimestampTrust(cms.timestamp, {
              trustStore: opts.trustStore,
              intermediates: [...cms.embeddedCerts, ...dss.certs],
              revocationMode: opts.revocationMode,
              validationTime: now,
              proofOfExistence: fromLater,
              embeddedRevocation: { crls: [...cms.embeddedCrls, ...dss.crls], ocsps: [...cms.embeddedOcsps, ...dss.ocsps] },
              fetcher: opts.revocationMode === 'off' ? undefined : opts.fetcher,
            }).catch(() => undefined)
          : undefined;
        // Under soft, a TSA whose revocation status cannot be had still dates the signature (with a warning);
        // under hard it does not. An untrusted, expired or revoked TSA never does.
        const tsaUnknownSoft = tsaChain?.status === 'unknown' && opts.revocationMode === 'soft';
        tsaAnchor = anchorUsed(tsaChain, opts.trustStore);
        if (tsaUnknownSoft) rep.warnings.push(problem('TSA_REVOCATION_UNKNOWN'));
        const tsaTrusted = tsaChain?.status === 'trusted' || tsaUnknownSoft;
        rep.timestamp = { time: cms.timestamp.time ? cms.timestamp.time.toISOString() : '', valid: cms.timestamp.valid && tsaTrusted };
        if (cms.timestamp.valid && cms.timestamp.time && tsaTrusted) {
          if (!proven || cms.timestamp.time.getTime() < proven.getTime()) proven = cms.timestamp.time;
          rep.level = 'B-T';
        } else if (cms.timestamp.valid) {
          rep.warnings.push(problem('TSA_NOT_TRUSTED', { status: tsaChain?.status ?? 'unknown' }));
          for (const p of tsaChain?.problems.slice(0, 3) ?? []) rep.warnings.push(p);
        } else {
          rep.warnings.push(problem('TS_INVALID'));
          for (const p of cms.timestamp.problems.slice(0, 3)) rep.warnings.push(p);
        }
      }
      // A document timestamp is not a signature of a person: it has no PAdES B-level of its own.
      if (rep.type === 'signature' && rep.level === 'none') rep.level = 'B-B';

      // Changes after signing.
      await yieldToLoop();
      if (damaged) {
        rep.warnings.push(problem('CHANGES_NOT_ANALYSED_DAMAGED'));
      } else if (br.revisionIndex !== undefined && reader) {
        const signedView = br.revisionIndex === reader.revisions.length - 1 ? reader : reader.atRevision(br.revisionIndex);
        let certification: 1 | 2 | 3 | undefined;
        try {
          const cat = await signedView.catalog();
          if (cat.get(PDFName.of('Perms'))) certification = await signedView.docMdpPermission();
        } catch {
          certification = undefined;
        }
        rep.certification = certification ?? null;
        const locked = new Set<string>();
        let lockP: 1 | 2 | 3 | undefined;
        const minP = (p: 1 | 2 | 3 | undefined) => {
          if (p !== undefined) lockP = lockP === undefined ? p : (Math.min(lockP, p) as 1 | 2 | 3);
        };
        // Locks of fields already signed at this revision (a /Lock binds once its field is signed).
        for (const o of found) if (o.firstSeenRevision <= br.revisionIndex) minP(lockedNames(o.locked, locked));
        // FieldMDP in this signature's own /Reference.
        const refs = f.sig.get(PDFName.of('Reference'));
        let certifies = false;
        if (refs instanceof PDFArray) {
          for (const r of refs.asArray()) {
            const rd = await reader.resolve(r);
            if (rd instanceof PDFDict && nameOf(rd, 'TransformMethod') === 'FieldMDP') {
              const tp = await reader.resolve(rd.get(PDFName.of('TransformParams')));
              if (tp instanceof PDFDict) minP(lockedNames(tp, locked));
            }
            if (rd instanceof PDFDict && nameOf(rd, 'TransformMethod') === 'DocMDP') certifies = true;
          }
        }
        let diff: RevisionDiff;
        try {
          diff = await diffRevisions(reader, br.revisionIndex, { certification, lockedFields: locked, lockPermission: lockP });
        } catch (e) {
          diff = { modifiedAfter: 'disallowed', changes: [], problems: [{ code: 'CHANGE_NOT_ANALYSED', params: { reason: e instanceof Error ? e.message : String(e) } }], warnings: [] };
        }
        rep.modifiedAfter = diff.modifiedAfter;
        rep.changes = diff.changes
          .filter((x) => x.verdict !== 'allowed' || x.role !== 'new')
          .slice(0, 20)
          .map((x) => `${x.verdict}: ${problemText(x.problem)}`);
        for (const w of diff.warnings) rep.warnings.push(asProblem(w));
        if (diff.modifiedAfter === 'annotations') pendingAnnotations.set(rep, diff.changes.filter((x) => x.verdict === 'annotation'));
        if (diff.modifiedAfter === 'disallowed') {
          for (const p of diff.problems.slice(0, 5)) rep.problems.push(asProblem(p));
          failWith('TOTAL_FAILED', 'FORMAT_FAILURE');
        }
        // ISO 32000-2 §12.8.2.2: a certification signature shall be the first signature of the document.
        // One placed after approval signatures is itself invalid (the earlier ones are not to blame).
        if (certifies && found.some((o) => o !== f && o.kind === 'signature' && o.firstSeenRevision < br.revisionIndex!)) {
          failWith('TOTAL_FAILED', 'FORMAT_FAILURE', problem('CHANGE_CERTIFICATION_NOT_FIRST'));
        }
      } else {
        rep.coverage = 'partial';
      }
      if (!f.presentInFinal) {
        rep.modifiedAfter = 'disallowed';
        failWith('TOTAL_FAILED', 'FORMAT_FAILURE', problem('SIGNATURE_REMOVED_LATER'));
      }
      if (garbage > 0) {
        rep.coverage = 'partial';
        rep.modifiedAfter = 'disallowed';
        failWith('TOTAL_FAILED', 'FORMAT_FAILURE', problem('APPENDED_WITHOUT_XREF'));
      }
      if (rep.coverage === 'partial' && rep.modifiedAfter !== 'disallowed') {
        rep.modifiedAfter = 'disallowed';
        failWith('TOTAL_FAILED', 'FORMAT_FAILURE', problem('PARTIAL_COVERAGE'));
      }

      // Trust: the chain at the current time; a proof of existence rescues expiry or a later revocation.
      await yieldToLoop();
      if (cms.signerCert) {
        try {
          const chain = await validateCertificate(cms.signerCert, {
            intermediates: [...cms.embeddedCerts, ...dss.certs],
            trustStore: opts.trustStore,
            validationTime: now,
            proofOfExistence: proven,
            revocationMode: opts.revocationMode,
            embeddedRevocation: { crls: [...cms.embeddedCrls, ...embeddedRevocation.crls], ocsps: [...cms.embeddedOcsps, ...embeddedRevocation.ocsps] },
            fetcher: opts.revocationMode === 'off' ? undefined : opts.fetcher,
            purpose: f.kind === 'doc-timestamp' ? 'timestamping' : 'signing',
          });
          rep.trust = trustOf(chain);
          rep.anchors = [anchorUsed(chain, opts.trustStore), tsaAnchor].filter((a, i, all): a is { subject: string; sha256: string } => !!a && all.findIndex((b) => b?.sha256 === a.sha256) === i);
          const tsaUnknownSoft = f.kind === 'doc-timestamp' && chain.status === 'unknown' && opts.revocationMode === 'soft';
          const v = chainVerdict(chain, proven !== undefined);
          if (v.indication !== 'TOTAL_PASSED') failWith(v.indication, v.sub ?? 'TRY_LATER', decisiveProblem(chain));
          if (v.indication !== 'TOTAL_PASSED') for (const p of chain.problems.filter((x) => x !== decisiveProblem(chain)).slice(0, 3)) rep.problems.push(p);
          if (chain.revocation.checked === false && opts.revocationMode !== 'off' && chain.status === 'trusted') rep.warnings.push(problem('REVOCATION_NOT_CHECKED'));
          for (const p of chain.revocation.problems) if (p.code === 'REVOCATION_NOT_FRESH' || p.code === 'REVOKED_AFTER_POE') rep.warnings.push(p);
          if (f.kind === 'doc-timestamp') {
            // The document timestamp proves its time only now that its TSA chain is known to be good.
            const trusted = rep.integrity === 'ok' && rep.indication === 'TOTAL_PASSED' && (chain.status === 'trusted' || tsaUnknownSoft);
            if (rep.timestamp) rep.timestamp.valid = trusted;
            if (trusted && rep.timestamp && br.revisionIndex !== undefined) docTsPoe.push({ revision: br.revisionIndex, time: new Date(rep.timestamp.time) });
            if (!trusted) rep.warnings.push(problem('DOC_TS_NOT_TRUSTED', { status: chain.status }));
            if (fromLater) rep.warnings.push(problem('DOC_TS_PROVEN_BY_LATER', { poe: fromLater.toISOString() }));
          } else if (dss.present && rep.indication === 'TOTAL_PASSED') {
            // B-LT: the file itself carries revocation data that validates the chain after the POE.
            const lt = opts.revocationMode === 'off' ? dss.crls.length + dss.ocsps.length > 0 : chain.revocation.allEmbedded === true;
            if (lt) ltReady.add(rep);
            if (rep.level === 'B-T') {
              if (lt) rep.level = 'B-LT';
              else rep.warnings.push(problem('LEVEL_LT_INCOMPLETE'));
            }
          }
        } catch (e) {
          rep.trust = 'unknown';
          failWith('INDETERMINATE', 'TRY_LATER', problem('CHAIN_UNVALIDATABLE', { detail: e instanceof Error ? e.message : String(e) }));
        }
      }
      const pool = [...cms.embeddedCerts, ...dss.certs, ...opts.trustStore.anchors.map((x) => x.der), ...opts.trustStore.extraIntermediates];
      chainDates.set(rep, { signer: chainNotAfter(cms.signerCert, pool), tsa: chainNotAfter(cms.timestamp?.tsaCert, pool) });
      return rep;
    }

    attributeAnnotations(sigs, pendingAnnotations);
    // B-T from a covering document timestamp, B-LT, B-LTA (kyso extend's levels; see extend-levels.ts).
    applyDocumentTimestampLevels(sigs, { present: dss.present, revision: dss.revision, hasRevocation: dss.crls.length + dss.ocsps.length > 0, ltReady: (r) => ltReady.has(r) });
    applyValidUntil(sigs, chainDates);
    if (damaged) {
      const detail = damageError instanceof Error ? damageError.message.replace(/^.*?: /, '') : 'the cross-reference table is damaged or the file is cut off';
      return {
        file: displayName,
        indication: 'ERROR',
        error: {
          code: 'INPUT_MALFORMED',
          message: `${displayName}: the PDF is damaged (${detail}); ${sigs.length} signature(s) found by scanning the file are listed as far as they could be checked; ask the sender for the file again`,
          messageVi: `${displayName}: tệp PDF bị hỏng (${detail}); ${sigs.length} chữ ký tìm được khi quét tệp được liệt kê theo mức kiểm tra được; đề nghị bên gửi gửi lại`,
        },
        signatures: sigs,
        revisions: revisionEnds.length,
        ms: Date.now() - t0,
      };
    }
    return { file: displayName, indication: worstIndication(sigs), error: null, signatures: sigs, revisions: revisionEnds.length, ms: Date.now() - t0 };
  } catch (e) {
    return { ...errorReport(displayName, e), ms: Date.now() - t0 };
  } finally {
    await src?.close().catch(() => undefined);
  }
}

/**
 * Annotations that draw on a page, added after an approval signature: if the update that added them is
 * also the update of a later signature that is valid (TOTAL_PASSED) and covers it, they are that signer's
 * additions (allowed, listed as "added by <signer> with <field>"); otherwise the signature gets
 * modifiedAfter "annotations" and a warning: the page looks different from what was signed.
 */
function attributeAnnotations(sigs: SignatureReport[], pending: Map<SignatureReport, RevisionDiff['changes']>): void {
  for (const [rep, list] of pending) {
    let unattributed = 0;
    for (const c of list) {
      const by = sigs.find((s) => s !== rep && s.revision !== null && s.revision === c.revision && s.indication === 'TOTAL_PASSED' && s.integrity === 'ok');
      if (by) {
        const who = by.signer?.subject ?? '?';
        rep.changes.push(`allowed: ${problemText({ code: 'ALLOWED_ANNOTATION_BY_SIGNER', params: { ...c.problem.params, signer: who, field: by.field } })}`);
      } else unattributed++;
    }
    if (unattributed > 0) {
      rep.modifiedAfter = 'annotations';
      rep.warnings.push(problem('CHANGE_ANNOTATIONS_UNSIGNED', { count: unattributed }));
    } else rep.modifiedAfter = 'allowed';
  }
}

/**
 * --signed-version: the exact bytes this signature covers, i.e. the file up to the end of its /ByteRange,
 * which is the revision the signer saw (Acrobat's "view signed version"). Named
 * <input name>.signed.<field>.pdf; never the input itself; written atomically.
 */
async function writeSignedVersion(src: ByteSource, inputPath: string, displayName: string, field: string, br: readonly number[], dir: string): Promise<string> {
  const end = br[2]! + br[3]!;
  const stem = basename(displayName).replace(/\.pdf$/i, '');
  const safe = field.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 80) || 'signature';
  const out = join(dir, `${stem}.signed.${safe}.pdf`);
  if (resolvePath(out) === resolvePath(inputPath)) throw new Error('the signed version would overwrite the input');
  await fsp.mkdir(dir, { recursive: true });
  await writeFileAtomic(out, async (write) => {
    const CH = 1 << 20;
    for (let off = 0; off < end; off += CH) await write(await src.read(off, Math.min(CH, end - off)));
  });
  return out;
}

/** Used by tests and the worker: object numbers of a ref (kept exported for the text report). */
export function refLabel(r: PDFRef | undefined): string {
  return r ? `${r.objectNumber} ${r.generationNumber} R` : '-';
}
