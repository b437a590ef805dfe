import { createHash } from 'node:crypto';
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { promises as fsp } from 'node:fs';
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFObject, PDFRawStream, PDFRef } from './pdf-lib.js';
import { KysoError, msg, usageError } from '../core/errors.js';
import { showPath, type FsPath } from '../core/fs-path.js';
import { opensWithoutPassword } from './encryption-check.js';
import { appendUpdateInMemory, appendUpdateToCopy, openInputFile, writeAll } from './append-update.js';
import { fromOffset, type ByteSource } from './byte-source.js';
import { serialize, type BuiltUpdate, type UpdateObject } from './incremental-writer.js';
import { pdfErrors } from './pdf-errors.js';
import { PdfReader } from './reader.js';
import { pdfDate, pdfTextString } from './text-string.js';
import { refOf } from './xref.js';

/**
 * The ONE module that knows about the signature placeholder: it appends an incremental update holding the
 * signature dictionary (with a zero-filled /Contents of a fixed size and a fixed-width /ByteRange), the
 * field/widget, the page and the AcroForm; then hashes the two signed ranges and embeds the CMS in place.
 */

export interface PlaceholderOptions {
  fieldName?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  name?: string;
  signingTime: Date;
  subFilter: 'ETSI.CAdES.detached' | 'ETSI.RFC3161';
  contentsBytes: number;
  certify?: { permission: 1 | 2 | 3 };
  pageIndex?: number;
  rect?: [number, number, number, number];
  appearance?: { streamBytes: Uint8Array; resources?: unknown };
  /** builds a visible signature (src/pdf/appearance) once the document is open; overrides pageIndex/rect/appearance */
  visible?: (env: AppearanceEnv) => Promise<AppearanceParts>;
}

/** What an appearance builder gets: the open document and the object-number allocator of this update. */
export interface AppearanceEnv {
  reader: PdfReader;
  pages: PDFRef[];
  alloc(): PDFRef;
}

/** A built visible signature: the widget's place and appearance, plus annotations to add in the same update. */
export interface AppearanceParts {
  pageIndex: number;
  rect: [number, number, number, number];
  streamBytes: Uint8Array;
  resources?: PDFObject;
  objects: UpdateObject[];
  annots: { pageIndex: number; ref: PDFRef }[];
}

export interface PreparedPdf {
  path: string;
  /**
   * The whole prepared output, held in memory instead of written to `path` (a small input and
   * `inMemoryUpTo`): embedSignature fills it, the caller writes it to `path` (writeNewFileSynced).
   */
  bytes?: Buffer;
  /** permission bits of the input, for the output written from `bytes` */
  mode?: number;
  byteRange: [number, number, number, number];
  contentsOffset: number;
  contentsBytes: number;
  fieldName: string;
  /** true when no field was named and the document's one empty signature field was used */
  preparedField?: boolean;
  /** bytes before "%PDF-" that the output (a clean copy from the header on) left out */
  bytesBeforeHeaderLeftOut?: number;
}

const N = (s: string) => PDFName.of(s);
/** Digits reserved per ByteRange number: at least 10 (a signer reserving 8 corrupts files ≥ 10^8 bytes). */
const brWidth = (inputSize: number) => Math.max(10, String(inputSize + 2 * MAX_CONTENTS + 1_000_000).length);
const MAX_CONTENTS = 1024 * 1024;

/** Copies all entries of a dict into a fresh one (the reader's objects are shared; never mutate them). */
function copyDict(d: PDFDict): PDFDict {
  const c = PDFDict.withContext(d.context);
  for (const [k, v] of d.entries()) c.set(k, v);
  return c;
}
function copyArray(a: PDFArray, ctx: PDFDict['context']): PDFArray {
  const c = PDFArray.withContext(ctx);
  for (let i = 0; i < a.size(); i++) c.push(a.get(i));
  return c;
}

export async function preparePdfForSigning(
  /** the input as fs opens it (bytes when its name is not UTF-8); messages name it as showPath gives it */
  source: FsPath,
  outTempPath: string,
  opts: PlaceholderOptions,
  /** the input already opened and parsed by the caller (kept open: the caller closes it) */
  opened?: { src: ByteSource; reader: PdfReader },
  /** build the output in memory (PreparedPdf.bytes) when the input is at most this many bytes */
  inMemoryUpTo = 0,
): Promise<PreparedPdf> {
  if (!Number.isInteger(opts.contentsBytes) || opts.contentsBytes < 16 || opts.contentsBytes > MAX_CONTENTS)
    throw new KysoError('CONTENTS_SIZE_INVALID', 'internal', msg(`bad /Contents size ${opts.contentsBytes}`, `kích thước /Contents không hợp lệ ${opts.contentsBytes}`));
  if (opts.fieldName !== undefined && (opts.fieldName.length === 0 || opts.fieldName.length > 100 || opts.fieldName.includes('.')))
    throw pdfErrors.badFieldName(opts.fieldName);
  const input = showPath(source);
  const file = opened?.src ?? (await openInputFile(source));
  try {
    let src = file;
    let reader = opened?.reader ?? (await PdfReader.open(file, { file: input }));
    // Bytes before "%PDF-" in a file that is not signed and whose offsets count from the header (what a
    // banner put in front of a finished file leaves): the output is a clean copy from the header on, which
    // every validator reads alike. Anything else with such bytes is refused in planUpdate.
    const skip = await cleanCopyStart(reader);
    if (skip > 0) {
      src = fromOffset(file, skip);
      const clean = await PdfReader.open(src, { file: input });
      if (clean.recovered || clean.headerOffset !== 0) throw pdfErrors.headerOffset(input, skip);
      reader = clean;
    }
    const plan = await planUpdate(reader, input, opts);

    let byteRange: [number, number, number, number] = [0, 0, 0, 0];
    let contentsLt = 0;
    const fill = (built: BuiltUpdate, base: number) => {
      const sigBody = built.bodyOffsets.get(plan.sigRef.objectNumber)!;
      contentsLt = base + sigBody + plan.contentsAt; // offset of "<"
      const total = base + built.bytes.length;
      const afterContents = contentsLt + 2 * opts.contentsBytes + 2;
      byteRange = [0, contentsLt, afterContents, total - afterContents];
      // Fill the fixed-width ByteRange placeholder (same length, padded with spaces before "]").
      const brText = `[${byteRange.join(' ')}`.padEnd(plan.byteRangeLen - 1, ' ') + ']';
      if (brText.length !== plan.byteRangeLen) throw new Error('ByteRange does not fit its placeholder');
      built.bytes.write(brText, sigBody + plan.byteRangeAt, 'latin1');
    };
    const inMemory = skip === 0 && src.size <= inMemoryUpTo ? await appendUpdateInMemory(input, src, reader, plan.objects, fill) : undefined;
    if (!inMemory) await appendUpdateToCopy(source, src, reader, plan.objects, outTempPath, fill, skip);
    return {
      path: outTempPath,
      ...(inMemory ? { bytes: inMemory.bytes, mode: src.mode } : {}),
      byteRange,
      contentsOffset: contentsLt + 1,
      contentsBytes: opts.contentsBytes,
      fieldName: plan.fieldName,
      preparedField: plan.preparedField,
      ...(skip > 0 ? { bytesBeforeHeaderLeftOut: skip } : {}),
    };
  } finally {
    if (!opened) await file.close();
  }
}

/** How many leading bytes a clean copy leaves out: those before "%PDF-" of an unsigned file whose offsets count from the header; else 0. */
async function cleanCopyStart(reader: PdfReader): Promise<number> {
  if (reader.headerOffset === 0 || !reader.offsetsFromHeader || reader.recovered || reader.encrypted) return 0;
  const sigFields = await reader.signatureFields();
  return sigFields.some((f) => f.sig !== undefined) ? 0 : reader.headerOffset;
}

interface Plan {
  objects: UpdateObject[];
  sigRef: PDFRef;
  /** offsets inside the serialised sig dict body */
  contentsAt: number;
  byteRangeAt: number;
  byteRangeLen: number;
  fieldName: string;
  preparedField: boolean;
}

async function planUpdate(reader: PdfReader, file: string, opts: PlaceholderOptions): Promise<Plan> {
  if (reader.encrypted) throw await encryptionRefusal(reader, file);
  if (reader.recoveryConflict) throw pdfErrors.recoveredDiffers(file, reader.recoveryConflict);
  if (refOf(reader.trailer.get(N('Root')))?.objectNumber === 0) throw pdfErrors.catalogObjectZero(file);
  const sigFields = await reader.signatureFields();
  const signed = sigFields.some((f) => f.sig !== undefined);
  // Policy (README "Bytes before %PDF-"): refused, whatever the xref offsets are relative to. An earlier
  // signature gets its own message: stripping the bytes would break it, and no placement of ours is read
  // as valid by every validator (mupdf reads no signature in such a file as valid; pdfsig counts from byte 0).
  if (reader.headerOffset > 0) throw signed ? pdfErrors.headerOffsetSigned(file, reader.headerOffset) : pdfErrors.headerOffset(file, reader.headerOffset);
  const cat = await reader.catalog();
  if (reader.recovered && (signed || cat.get(N('Perms')) !== undefined)) throw pdfErrors.signedDamaged(file);
  const mdp = await reader.docMdpPermission();
  // P=1 forbids every change except the long-term-validation material PAdES adds after signing (a DSS and
  // document timestamps: ISO 32000-2 §12.8.4.3 / ETSI EN 319 142-1), so a document timestamp may still go on.
  if (mdp === 1 && opts.subFilter !== 'ETSI.RFC3161') throw pdfErrors.docMdpLocked(file);
  if (opts.certify && (signed || mdp !== undefined)) throw pdfErrors.certifyNotFirst(file);

  const ctx = reader.context;
  const pages = await reader.pages();
  if (pages.length === 0) throw pdfErrors.noPages(file);
  const allFields = await reader.fields();
  const names = new Set<string>();
  const parents = new Set<string>(); // names of non-terminal fields (prefixes of dotted names)
  for (const nm of [...allFields.map((f) => f.name), ...sigFields.map((f) => f.name)]) {
    names.add(nm);
    const parts = nm.split('.');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('.'));
  }
  for (const p of parents) names.add(p);
  if (opts.fieldName !== undefined && parents.has(opts.fieldName) && !allFields.some((f) => f.name === opts.fieldName))
    throw pdfErrors.fieldNotSignature(file, opts.fieldName);

  let next = reader.size;
  const alloc = () => PDFRef.of(next++, 0);
  const objects: UpdateObject[] = [];
  const changed = new Map<number, UpdateObject>();
  const put = (ref: PDFRef, body: PDFObject | Uint8Array) => {
    const u = { ref, body };
    const old = changed.get(ref.objectNumber);
    if (old) old.body = body;
    else {
      changed.set(ref.objectNumber, u);
      objects.push(u);
    }
  };
  const sigRef = alloc();
  const visible = opts.visible && (await opts.visible({ reader, pages, alloc }));
  if (visible) {
    opts = { ...opts, pageIndex: visible.pageIndex, rect: visible.rect, appearance: { streamBytes: visible.streamBytes, resources: visible.resources } };
    for (const o of visible.objects) put(o.ref, o.body);
  }

  // 0. a prepared empty signature field is used when no --field names one (several: the clerk chooses)
  let fieldOpt = opts.fieldName;
  let preparedField = false;
  if (fieldOpt === undefined && opts.subFilter !== 'ETSI.RFC3161') {
    const empty = [...new Set(sigFields.filter((f) => f.sig === undefined && f.fieldRef && f.widgetRefs.length > 0 && !f.name.startsWith('(unnamed ')).map((f) => f.name))];
    if (empty.length > 1) {
      const pageOf = (n: string) => sigFields.find((f) => f.name === n && f.pageIndex !== undefined)?.pageIndex;
      throw pdfErrors.chooseField(file, empty, empty.map((n) => { const i = pageOf(n); return i === undefined ? undefined : i + 1; }));
    }
    if (empty.length === 1) {
      fieldOpt = empty[0]!;
      preparedField = true;
    }
  }

  // 1. the field
  let fieldName: string;
  let fieldRef: PDFRef;
  let newField = false;
  let widgetForPage: { ref: PDFRef; pageIndex: number } | undefined;
  const existing = fieldOpt === undefined ? undefined : allFields.find((f) => f.name === fieldOpt);
  const existingSig = fieldOpt === undefined ? undefined : sigFields.find((f) => f.name === fieldOpt);
  if (fieldOpt !== undefined && (existing || existingSig)) {
    fieldName = fieldOpt;
    if (existing && existing.ft !== 'Sig') throw pdfErrors.fieldNotSignature(file, fieldName);
    const sf = existingSig ?? sigFields.find((f) => f.fieldRef && existing?.ref && f.fieldRef.toString() === existing.ref.toString());
    const dict = existing?.dict ?? (sf?.fieldRef ? await reader.getObject(sf.fieldRef) : undefined);
    if (!(dict instanceof PDFDict) || (dict.get(N('V')) !== undefined && !(await isEmptyValue(reader, dict))))
      throw pdfErrors.fieldSigned(file, fieldName);
    const ref = existing?.ref ?? sf?.fieldRef;
    if (!ref) throw pdfErrors.malformed(file, `signature field "${fieldName}" is not an indirect object`);
    fieldRef = ref;
    const nd = copyDict(dict);
    nd.set(N('V'), sigRef);
    const widgets = existing?.widgetRefs ?? sf?.widgetRefs ?? [];
    for (const w of widgets) {
      const pi = await reader.widgetPageIndex(w);
      const onPage = pi !== undefined && (await pageHasAnnot(reader, pages[pi]!, w));
      if (!onPage) {
        widgetForPage = { ref: w, pageIndex: pi ?? opts.pageIndex ?? 0 };
        break;
      }
    }
    if (widgetForPage && widgetForPage.ref.objectNumber === fieldRef.objectNumber && nd.get(N('P')) === undefined)
      nd.set(N('P'), pages[widgetForPage.pageIndex] ?? pages[0]!);
    put(fieldRef, nd);
  } else {
    if (fieldOpt !== undefined) fieldName = fieldOpt;
    else {
      let i = 1;
      while (names.has(`Signature${i}`)) i++;
      fieldName = `Signature${i}`;
    }
    newField = true;
    const pageIndex = opts.pageIndex ?? 0;
    if (!Number.isInteger(pageIndex) || pageIndex < 0 || pageIndex >= pages.length) throw pdfErrors.pageOutOfRange(file, pageIndex, pages.length);
    fieldRef = alloc();
    const rect = opts.rect ?? [0, 0, 0, 0];
    const f = PDFDict.withContext(ctx);
    f.set(N('Type'), N('Annot'));
    f.set(N('Subtype'), N('Widget'));
    f.set(N('FT'), N('Sig'));
    f.set(N('T'), pdfTextString(fieldName));
    f.set(N('V'), sigRef);
    f.set(N('P'), pages[pageIndex]!);
    f.set(N('Rect'), numArray(ctx, rect));
    f.set(N('F'), PDFNumber.of(132)); // Print + Locked
    // Appearance: the caller's stream (visible looks are a later issue) or an empty form XObject.
    const apRef = alloc();
    const w = Math.abs(rect[2] - rect[0]);
    const h = Math.abs(rect[3] - rect[1]);
    const apDict = PDFDict.withContext(ctx);
    apDict.set(N('Type'), N('XObject'));
    apDict.set(N('Subtype'), N('Form'));
    apDict.set(N('BBox'), numArray(ctx, [0, 0, w, h]));
    if (opts.appearance?.resources instanceof PDFDict || opts.appearance?.resources instanceof PDFRef) apDict.set(N('Resources'), opts.appearance.resources);
    const ap = PDFDict.withContext(ctx);
    ap.set(N('N'), apRef);
    f.set(N('AP'), ap);
    put(fieldRef, f);
    put(apRef, PDFRawStream.of(apDict, opts.appearance?.streamBytes ?? new Uint8Array(0)));
    widgetForPage = { ref: fieldRef, pageIndex };
  }

  // 2. the pages' /Annots: the widget, and the annotations a visible signature adds (number, date)
  const adds = new Map<number, PDFRef[]>();
  const add = (pi: number, r: PDFRef) => adds.set(pi, [...(adds.get(pi) ?? []), r]);
  if (widgetForPage) add(widgetForPage.pageIndex, widgetForPage.ref);
  for (const a of visible?.annots ?? []) add(a.pageIndex, a.ref);
  for (const [pageIndex, refs] of adds) {
    const pageRef = pages[pageIndex]!;
    const page = await reader.getObject(pageRef);
    if (!(page instanceof PDFDict)) throw pdfErrors.malformed(file, `page ${pageIndex + 1} is not a dictionary`);
    const annots = page.get(N('Annots'));
    const annotsRef = refOf(annots);
    if (annotsRef && !(await annotsShared(reader, pages, pageRef, annotsRef))) {
      const arr = await reader.getObject(annotsRef);
      const na = arr instanceof PDFArray ? copyArray(arr, ctx) : PDFArray.withContext(ctx);
      for (const r of refs) na.push(r);
      put(annotsRef, na);
    } else {
      // A direct array, or an indirect one other pages use too: this page gets its own array (the others
      // must not list the new widget).
      const np = copyDict(page);
      const old = annotsRef ? await reader.getObject(annotsRef) : annots;
      const na = old instanceof PDFArray ? copyArray(old, ctx) : PDFArray.withContext(ctx);
      for (const r of refs) na.push(r);
      np.set(N('Annots'), na);
      put(pageRef, np);
    }
  }

  // 3. AcroForm (+ catalog)
  const catRef = refOf(reader.trailer.get(N('Root')));
  if (!catRef) throw pdfErrors.malformed(file, 'no document catalog');
  let newCat: PDFDict | undefined;
  const afVal = cat.get(N('AcroForm'));
  const afRef = refOf(afVal);
  const afDict = await reader.resolve(afVal);
  const nf = afDict instanceof PDFDict ? copyDict(afDict) : PDFDict.withContext(ctx);
  const fieldsVal = nf.get(N('Fields'));
  const fieldsRef = refOf(fieldsVal);
  const fieldsArr = await reader.resolve(fieldsVal);
  if (newField) {
    const arr = fieldsArr instanceof PDFArray ? copyArray(fieldsArr, ctx) : PDFArray.withContext(ctx);
    arr.push(fieldRef);
    if (fieldsRef && fieldsArr instanceof PDFArray) put(fieldsRef, arr);
    else nf.set(N('Fields'), arr);
  } else if (!(fieldsArr instanceof PDFArray)) {
    nf.set(N('Fields'), PDFArray.withContext(ctx));
  }
  const flags = (afDict instanceof PDFDict ? (await reader.resolve(afDict.get(N('SigFlags')))) : undefined) as PDFObject | undefined;
  nf.set(N('SigFlags'), PDFNumber.of(((flags instanceof PDFNumber ? flags.asNumber() : 0) | 3) >>> 0));
  if (afRef && afDict instanceof PDFDict) put(afRef, nf);
  else if (afDict instanceof PDFDict && !afRef) {
    newCat = copyDict(cat);
    newCat.set(N('AcroForm'), nf);
  } else {
    const r = alloc();
    put(r, nf);
    newCat = copyDict(cat);
    newCat.set(N('AcroForm'), r);
  }
  if (opts.certify) {
    newCat ??= copyDict(cat);
    const oldPerms = await reader.resolve(cat.get(N('Perms')));
    const perms = oldPerms instanceof PDFDict ? copyDict(oldPerms) : PDFDict.withContext(ctx);
    perms.set(N('DocMDP'), sigRef);
    newCat.set(N('Perms'), perms);
  }
  if (newCat) put(catRef, newCat);

  // 4. the signature dictionary, serialised by hand so we know where /ByteRange and /Contents are.
  const isTs = opts.subFilter === 'ETSI.RFC3161';
  const lines: string[] = [];
  lines.push(`/Type /${isTs ? 'DocTimeStamp' : 'Sig'}`, '/Filter /Adobe.PPKLite', `/SubFilter /${opts.subFilter}`);
  const w = brWidth(reader.source.size);
  const brPlaceholder = `[0 ${'0'.repeat(w)} ${'0'.repeat(w)} ${'0'.repeat(w)}]`;
  let head = `<<\n${lines.join('\n')}\n/ByteRange `;
  const byteRangeAt = Buffer.byteLength(head, 'latin1');
  head += `${brPlaceholder}\n/Contents `;
  const contentsAt = Buffer.byteLength(head, 'latin1');
  head += `<${'0'.repeat(2 * opts.contentsBytes)}>\n`;
  const rest: string[] = [];
  const text = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') rest.push(`/${k} ${serialize(pdfTextString(v)).toString('latin1')}`);
  };
  if (!isTs) {
    rest.push(`/M (${pdfDate(opts.signingTime)})`);
    text('Name', opts.name);
    text('Reason', opts.reason);
    text('Location', opts.location);
    text('ContactInfo', opts.contactInfo);
    if (opts.certify) {
      const p = opts.certify.permission;
      if (p !== 1 && p !== 2 && p !== 3) throw usageError('DOCMDP_INVALID', msg(`DocMDP permission must be 1, 2 or 3`, `quyền DocMDP phải là 1, 2 hoặc 3`));
      rest.push(`/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P ${p} /V /1.2 >> >>]`);
    }
    rest.push('/Prop_Build << /App << /Name /kyso >> >>');
  }
  const body = Buffer.from(`${head}${rest.join('\n')}\n>>`, 'latin1');
  put(sigRef, body);
  return { objects, sigRef, contentsAt, byteRangeAt, byteRangeLen: brPlaceholder.length, fieldName, preparedField };
}

/** The precise refusal for an encrypted input: owner-password-only, user password, or unknown handler. */
async function encryptionRefusal(reader: PdfReader, file: string): Promise<KysoError> {
  const open = await opensWithoutPassword(reader).catch(() => undefined);
  if (open === true) return pdfErrors.encryptedOwnerOnly(file);
  if (open === false) return pdfErrors.encryptedUserPassword(file);
  return pdfErrors.encrypted(file);
}

async function isEmptyValue(reader: PdfReader, d: PDFDict): Promise<boolean> {
  const v = await reader.resolve(d.get(N('V')));
  return v === undefined || !(v instanceof PDFDict);
}

/** Is the indirect /Annots array of `pageRef` also the /Annots of another page? */
async function annotsShared(reader: PdfReader, pages: PDFRef[], pageRef: PDFRef, annotsRef: PDFRef): Promise<boolean> {
  for (const p of pages) {
    if (p.objectNumber === pageRef.objectNumber && p.generationNumber === pageRef.generationNumber) continue;
    const d = await reader.getObject(p);
    const r = d instanceof PDFDict ? refOf(d.get(N('Annots'))) : undefined;
    if (r && r.objectNumber === annotsRef.objectNumber && r.generationNumber === annotsRef.generationNumber) return true;
  }
  return false;
}

async function pageHasAnnot(reader: PdfReader, pageRef: PDFRef, w: PDFRef): Promise<boolean> {
  const page = await reader.getObject(pageRef);
  if (!(page instanceof PDFDict)) return false;
  const a = await reader.resolve(page.get(N('Annots')));
  if (!(a instanceof PDFArray)) return false;
  for (let i = 0; i < a.size(); i++) {
    const r = refOf(a.get(i));
    if (r && r.objectNumber === w.objectNumber && r.generationNumber === w.generationNumber) return true;
  }
  return false;
}

function numArray(ctx: PDFDict['context'], nums: number[]): PDFArray {
  const a = PDFArray.withContext(ctx);
  for (const n of nums) a.push(PDFNumber.of(n));
  return a;
}

/** Hashes bytes [a0, a0+l0) and [a1, a1+l1) of the file in 1 MiB chunks (bounded memory). */
export async function digestByteRange(path: string, byteRange: readonly number[], hash: 'sha256' | 'sha384' | 'sha512'): Promise<Buffer> {
  if (byteRange.length !== 4 || byteRange.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw new KysoError('BYTERANGE_INVALID', 'internal', msg(`invalid ByteRange ${JSON.stringify(byteRange)}`, `ByteRange không hợp lệ ${JSON.stringify(byteRange)}`));
  const h = createHash(hash);
  const fh = await fsp.open(path, 'r');
  try {
    const st = await fh.stat();
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (const [start, length] of [
      [byteRange[0]!, byteRange[1]!],
      [byteRange[2]!, byteRange[3]!],
    ] as const) {
      if (start + length > st.size)
        throw new KysoError('BYTERANGE_INVALID', 'internal', msg(`${path}: ByteRange goes past the end of the file`, `${path}: ByteRange vượt quá cuối tệp`));
      let pos = start;
      const end = start + length;
      while (pos < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
        if (bytesRead === 0) throw new Error(`${path}: unexpected end of file`);
        h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    }
  } finally {
    await fh.close();
  }
  return h.digest();
}

/** Writes hex(der), zero-padded, into the reserved /Contents, in place (no fsync/rename: the caller does). */
export async function embedSignature(prepared: PreparedPdf, der: Uint8Array): Promise<void> {
  if (der.length > prepared.contentsBytes) throw pdfErrors.signatureTooLarge(der.length, prepared.contentsBytes);
  const hex = Buffer.from(der).toString('hex').toUpperCase().padEnd(2 * prepared.contentsBytes, '0');
  const lt = prepared.contentsOffset - 1;
  const gt = prepared.contentsOffset + 2 * prepared.contentsBytes;
  const placeholderAt = (before: number | undefined, after: number | undefined) => {
    if (before !== 0x3c || after !== 0x3e)
      throw new KysoError('CONTENTS_NOT_FOUND', 'internal', msg(`${prepared.path}: /Contents placeholder not where expected`, `${prepared.path}: không thấy chỗ dành cho /Contents ở vị trí mong đợi`));
  };
  if (prepared.bytes) {
    placeholderAt(prepared.bytes[lt], prepared.bytes[gt]);
    prepared.bytes.write(hex, prepared.contentsOffset, 'latin1');
    return;
  }
  const fh = await fsp.open(prepared.path, 'r+');
  try {
    const check = Buffer.alloc(2);
    await fh.read(check, 0, 1, lt);
    await fh.read(check, 1, 1, gt);
    placeholderAt(check[0], check[1]);
    await writeAll(fh, Buffer.from(hex, 'latin1'), prepared.contentsOffset);
  } finally {
    await fh.close();
  }
}

