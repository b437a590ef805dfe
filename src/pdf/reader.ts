import {
  PDFArray,
  PDFContext,
  PDFDict,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFObject,
  PDFRawStream,
  PDFRef,
  PDFString,
} from './pdf-lib.js';
import { isKysoError } from '../core/errors.js';
import type { ByteSource } from './byte-source.js';
import { applyFilters, StreamTooLargeError, type FilterStep } from './filters.js';
import { ObjectParser, PdfSyntaxError, type IndirectObject } from './object-parser.js';
import { StandardDecryptor } from './decrypt.js';
import { pdfErrors } from './pdf-errors.js';
import { num, readXrefTable, refOf, withWindow, xrefStreamEntries, type XrefEntry, type XrefSection } from './xref.js';

/**
 * Random-access PDF reader: it reads the tail, follows startxref and the /Prev chain, and parses only the
 * objects somebody asks for. Objects come back as pdf-lib object classes. Objects are shared between calls
 * (and between revision views): treat them as read-only and build new dicts for an update.
 */

export interface RevisionInfo {
  index: number;
  xrefOffset: number;
  xrefKind: 'table' | 'stream';
  /** byte after the %%EOF (+EOL) that ends this revision */
  endOffset: number;
  trailer: PDFDict;
}

export interface SignatureFieldInfo {
  name: string;
  fieldRef?: PDFRef;
  widgetRefs: PDFRef[];
  pageIndex?: number;
  sigRef?: PDFRef;
  sig?: PDFDict;
  locked?: PDFDict;
}

/** Any terminal form field (used for field-name uniqueness and by verify's form-filling analysis). */
export interface FieldInfo {
  name: string;
  ref?: PDFRef;
  dict: PDFDict;
  ft?: string;
  widgetRefs: PDFRef[];
  /** true when the field dict is its own (only) widget annotation */
  merged: boolean;
}

export interface StreamLocation {
  /** absolute offset of the first data byte */
  start: number;
  length: number;
}

interface Shared {
  src: ByteSource;
  file?: string;
  ctx: PDFContext;
  maxStreamBytes: number;
  objCache: Map<string, { o: PDFObject; bytes: number }>;
  objCacheBytes: number;
  objStmCache: Map<string, { buf: Buffer; pairs: Array<[number, number]>; first: number }>;
  streamLoc: WeakMap<PDFRawStream, StreamLocation>;
  lazy: WeakSet<PDFRawStream>;
  /** xref offsets that were a few bytes off, and where the object really starts */
  offsetFix: Map<string, number>;
  /** bytes before "%PDF-" (0 for a file that starts with its header) */
  headerOffset: number;
  /** added to every offset the xref chain gives (startxref, /Prev, entries): headerOffset when they count from the header */
  xrefBase: number;
  /** set by enableDecryption() on encrypted files: strings and streams are decrypted as objects load */
  decryptor?: StandardDecryptor;
}

// Memory bounds (verify runs on hostile files): streams above EAGER_STREAM_BYTES are read on demand, the
// object cache holds at most OBJ_CACHE_BYTES of stream data / OBJ_CACHE_MAX objects, and decoded object
// streams are cached only up to OBJSTM_CACHE_BYTES in total.
const EAGER_STREAM_BYTES = 1024 * 1024;
const OBJ_CACHE_MAX = 20000;
const OBJ_CACHE_BYTES = 32 * 1024 * 1024;
const OBJSTM_CACHE_BYTES = 32 * 1024 * 1024;
const N = (s: string) => PDFName.of(s);

export const nameOf = (o: PDFObject | undefined): string | undefined => (o instanceof PDFName ? o.decodeText() : undefined);
export const textOf = (o: PDFObject | undefined): string | undefined =>
  o instanceof PDFString || o instanceof PDFHexString ? o.decodeText() : undefined;

export class PdfReader {
  private annotPageMap?: Map<string, number>;
  private pagesCache?: PDFRef[];

  private constructor(
    private readonly sh: Shared,
    private readonly sections: XrefSection[],
    readonly revisions: RevisionInfo[],
    private readonly xref: Map<number, XrefEntry>,
    readonly recovered: boolean,
    readonly trailer: PDFDict,
    readonly xrefKind: 'table' | 'stream',
    /** for each revision, the indexes of its sections (oldest first) */
    private readonly revSections: number[][],
  ) {
    let max = -1;
    for (const [n, e] of xref) if (e.type !== 0 && n > max) max = n;
    this.size = Math.max(num(trailer.get(N('Size'))) ?? 0, max + 1);
    this.encrypted = trailer.get(N('Encrypt')) !== undefined;
  }

  readonly size: number;
  readonly encrypted: boolean;
  /**
   * Set on a recovered reader when the document rebuilt from the objects differs from the one the xref chain
   * describes (another catalog, another page count). Signing refuses such a file: it would be a guess.
   */
  recoveryConflict?: string;

  get source(): ByteSource {
    return this.sh.src;
  }
  get file(): string | undefined {
    return this.sh.file;
  }
  get context(): PDFContext {
    return this.sh.ctx;
  }
  /** Number of bytes before the "%PDF-" header (a banner some mail gateways prepend). */
  get headerOffset(): number {
    return this.sh.headerOffset;
  }
  /**
   * True when the xref chain's offsets count from the "%PDF-" header rather than from the first byte (a
   * banner put in front of a finished file; how qpdf and poppler read such files). /ByteRange offsets are
   * not affected: validators count them from the first byte.
   */
  get offsetsFromHeader(): boolean {
    return this.sh.xrefBase > 0;
  }

  static async open(src: ByteSource, opts: { file?: string; maxStreamBytes?: number } = {}): Promise<PdfReader> {
    const file = opts.file;
    const sh: Shared = {
      src,
      file,
      ctx: PDFContext.create(),
      maxStreamBytes: opts.maxStreamBytes ?? 256 * 1024 * 1024,
      objCache: new Map(),
      objCacheBytes: 0,
      objStmCache: new Map(),
      streamLoc: new WeakMap(),
      lazy: new WeakSet(),
      offsetFix: new Map(),
      headerOffset: 0,
      xrefBase: 0,
    };
    if (src.size === 0) throw pdfErrors.empty(file);
    const head = await src.read(0, 1024);
    sh.headerOffset = head.indexOf('%PDF-');
    if (sh.headerOffset < 0) throw pdfErrors.notPdf(file);
    let tailLen = Math.min(src.size, 4096);
    let tail = await src.read(src.size - tailLen, tailLen);
    let sx = tail.lastIndexOf('startxref');
    if (sx < 0 && tailLen < src.size) {
      // junk appended after %%EOF (mail gateways, padding): look further back, up to 1 MiB
      tailLen = Math.min(src.size, 1024 * 1024);
      tail = await src.read(src.size - tailLen, tailLen);
      sx = tail.lastIndexOf('startxref');
    }
    if (sx < 0 && tail.lastIndexOf('%%EOF') < 0) throw pdfErrors.truncated(file);

    let reader: PdfReader | undefined;
    // What the xref chain says the document is, when the chain parses but does not check out.
    let chain: { root?: PDFRef; pages?: number } | undefined;
    let candidate: PdfReader | undefined;
    // Bytes before "%PDF-": qpdf and poppler count the file's offsets from the header (what a banner put
    // in front of a finished file leaves), so that is tried first; then from the first byte.
    for (const base of sh.headerOffset > 0 ? [sh.headerOffset, 0] : [0]) {
      if (sx < 0 || reader) break;
      try {
        const p = new ObjectParser(tail, sx + 9, sh.ctx, true, src.size - tailLen);
        const start = p.tryInt();
        if (start === undefined || start + base >= src.size) throw new PdfSyntaxError('bad startxref', src.size - tailLen + sx);
        const sections = await loadChain(sh, start, base);
        const r = await PdfReader.fromSections(sh, sections);
        candidate ??= r;
        await r.validateOffsets();
        sh.xrefBase = base;
        reader = r;
      } catch (e) {
        if (isKysoError(e) && e.code === 'INPUT_STREAM_TOO_LARGE') throw e;
        reader = undefined;
        sh.objCache.clear();
        sh.objCacheBytes = 0;
        sh.objStmCache.clear();
        sh.offsetFix.clear();
      }
    }
    if (reader) {
      // The xref points at the right objects; a catalog that does not parse is damage, not a broken xref
      // (recovering would only parse the same bytes again).
      const cat = await reader.getObject(refOf(reader.trailer.get(N('Root')))!);
      if (!(cat instanceof PDFDict)) reader = undefined;
    }
    if (!reader) {
      if (candidate) {
        chain = { root: refOf(candidate.trailer.get(N('Root'))) };
        chain.pages = await candidate.pages().then(
          (x) => x.length,
          () => undefined,
        );
        if (chain.pages === 0) chain.pages = undefined;
      }
      sh.objCache.clear();
      sh.objCacheBytes = 0;
      sh.objStmCache.clear();
      sh.offsetFix.clear();
      reader = await recover(sh, chain);
    }
    return reader;
  }

  private static async fromSections(sh: Shared, chain: XrefSection[]): Promise<PdfReader> {
    const sections = [...chain].reverse(); // oldest first
    const revSections: number[][] = [];
    for (let i = 0; i < sections.length; i++) {
      const prev = sections[i - 1];
      // A section written before the older one (linearized first-page xref) belongs to the same revision.
      if (prev && sections[i]!.offset < prev.offset && revSections.length > 0) revSections[revSections.length - 1]!.push(i);
      else revSections.push([i]);
    }
    const revisions: RevisionInfo[] = [];
    for (let r = 0; r < revSections.length; r++) {
      const idx = revSections[r]!;
      const newest = sections[idx[idx.length - 1]!]!;
      let end = 0;
      for (const i of idx) end = Math.max(end, await findEofAfter(sh.src, sections[i]!.end));
      revisions.push({ index: r, xrefOffset: newest.offset, xrefKind: newest.kind, endOffset: end, trailer: newest.trailer });
    }
    return PdfReader.view(sh, sections, revisions, revSections, revisions.length - 1, false);
  }

  private static view(
    sh: Shared,
    sections: XrefSection[],
    revisions: RevisionInfo[],
    revSections: number[][],
    upTo: number,
    recovered: boolean,
  ): PdfReader {
    const xref = new Map<number, XrefEntry>();
    for (let r = 0; r <= upTo; r++) for (const i of revSections[r]!) for (const [n, e] of sections[i]!.entries) xref.set(n, e);
    const last = revisions[upTo]!;
    return new PdfReader(sh, sections, revisions.slice(0, upTo + 1), xref, recovered, last.trailer, last.xrefKind, revSections.slice(0, upTo + 1));
  }

  /**
   * Encrypted files (standard security handler): builds the decryptor from /Encrypt and /ID with the empty
   * password, else `password` (user, then owner), and from then on every object of every view of this file
   * loads decrypted. Throws INPUT_PASSWORD_REQUIRED / INPUT_ENCRYPTION_UNSUPPORTED (input errors).
   */
  async enableDecryption(password?: string): Promise<void> {
    if (!this.encrypted || this.sh.decryptor) return;
    const encRef = this.trailer.get(N('Encrypt'));
    const enc = await this.resolve(encRef);
    if (!(enc instanceof PDFDict)) throw pdfErrors.malformed(this.sh.file, 'the /Encrypt dictionary cannot be read');
    const id = this.trailer.get(N('ID'));
    const id0 = id instanceof PDFArray && (id.get(0) instanceof PDFString || id.get(0) instanceof PDFHexString) ? (id.get(0) as PDFString).asBytes() : new Uint8Array(0);
    this.sh.decryptor = StandardDecryptor.create(enc, id0, password, this.sh.file, encRef instanceof PDFRef ? encRef.objectNumber : undefined);
    this.sh.objCache.clear();
    this.sh.objCacheBytes = 0;
    this.sh.objStmCache.clear();
  }

  /** A view whose xref holds only revisions 0..index (for change analysis). */
  atRevision(index: number): PdfReader {
    if (!Number.isInteger(index) || index < 0 || index >= this.revisions.length) throw new RangeError(`no revision ${index}`);
    if (this.recovered) return this;
    return PdfReader.view(this.sh, this.sections, this.revisions, this.revSections, index, false);
  }

  /** Checks that the xref really describes the file (the root object and a sample of offsets). */
  private async validateOffsets(): Promise<void> {
    const root = refOf(this.trailer.get(N('Root')));
    if (!root) throw new PdfSyntaxError('trailer without /Root', 0);
    const re = this.xref.get(root.objectNumber);
    if (!re || re.type === 0) throw new PdfSyntaxError('catalog not in the xref', 0);
    const ones = [...this.xref.entries()].filter(([, e]) => e.type === 1);
    const step = Math.max(1, Math.floor(ones.length / 100));
    const sample = ones.filter((_, i) => i % step === 0);
    if (re.type === 1) sample.push([root.objectNumber, re]);
    let off = 0;
    for (const [n, e] of sample) {
      if (e.type !== 1) continue;
      if (e.offset >= this.sh.src.size) throw new PdfSyntaxError(`object ${n} offset past the end`, e.offset);
      const head = await this.sh.src.read(e.offset, 40);
      const p = new ObjectParser(head, 0, this.sh.ctx, true, e.offset);
      if (p.tryInt() === n) continue;
      // A few offsets slightly off (CR/LF conversions…) are tolerated; a wholesale mismatch means the
      // xref does not describe this file and the caller rebuilds it by scanning.
      if (++off > 3 || (await this.findNearby(e.offset, n, e.gen)) === undefined)
        throw new PdfSyntaxError(`object ${n} is not at its xref offset`, e.offset);
    }
  }

  /** Looks for "n gen obj" within 4 KiB of a wrong xref offset; remembers the correction. */
  private async findNearby(offset: number, n: number, gen: number): Promise<number | undefined> {
    const known = this.sh.offsetFix.get(`${offset}:${n}`);
    if (known !== undefined) return known;
    const from = Math.max(0, offset - 4096);
    const win = (await this.sh.src.read(from, 8192)).toString('latin1');
    const re = new RegExp(`(?<![0-9])${n}[\\0\\t\\n\\f\\r ]+${gen}[\\0\\t\\n\\f\\r ]+obj(?![A-Za-z])`, 'g');
    let best: number | undefined;
    for (let m = re.exec(win); m; m = re.exec(win)) {
      const at = from + m.index;
      if (best === undefined || Math.abs(at - offset) < Math.abs(best - offset)) best = at;
    }
    if (best !== undefined) this.sh.offsetFix.set(`${offset}:${n}`, best);
    return best;
  }

  /** Where the object an xref entry points at really starts (differs from the entry when it was off). */
  actualOffset(entryOffset: number, objectNumber?: number): number {
    if (objectNumber === undefined) {
      for (const [k, v] of this.sh.offsetFix) if (k.startsWith(`${entryOffset}:`)) return v;
      return entryOffset;
    }
    return this.sh.offsetFix.get(`${entryOffset}:${objectNumber}`) ?? entryOffset;
  }

  objectNumbers(): number[] {
    const out: number[] = [];
    for (const [n, e] of this.xref) if (e.type !== 0) out.push(n);
    return out.sort((a, b) => a - b);
  }

  /** The xref entry of an object number in this view (for writers and change analysis). */
  xrefEntry(n: number): XrefEntry | undefined {
    return this.xref.get(n);
  }

  async resolve(obj: PDFObject | PDFRef | undefined): Promise<PDFObject | undefined> {
    let o: PDFObject | undefined = obj;
    for (let hops = 0; o instanceof PDFRef; hops++) {
      if (hops > 32) return undefined;
      o = await this.getObject(o);
    }
    return o;
  }

  async getObject(ref: PDFRef): Promise<PDFObject | undefined> {
    const e = this.xref.get(ref.objectNumber);
    if (!e || e.type === 0) return undefined;
    try {
      if (e.type === 1) {
        if (e.gen !== ref.generationNumber) return undefined;
        return await this.loadAt(e.offset, ref.objectNumber, new Set());
      }
      if (ref.generationNumber !== 0) return undefined;
      return await this.loadFromObjStm(e.stream, e.index, ref.objectNumber);
    } catch (err) {
      throw this.wrap(err, `object ${ref.objectNumber}`);
    }
  }

  private wrap(err: unknown, what: string): unknown {
    if (isKysoError(err)) return err;
    if (err instanceof StreamTooLargeError) return pdfErrors.streamTooLarge(this.sh.file, err.maxBytes);
    const m = err instanceof Error ? err.message : String(err);
    return pdfErrors.malformed(this.sh.file, `${what}: ${m}`, err);
  }

  private cacheGet(key: string): PDFObject | undefined {
    return this.sh.objCache.get(key)?.o;
  }
  private cachePut(key: string, o: PDFObject): void {
    const sh = this.sh;
    const bytes = 64 + (o instanceof PDFRawStream ? o.getContentsSize() : 0);
    const old = sh.objCache.get(key);
    if (old) sh.objCacheBytes -= old.bytes;
    sh.objCache.set(key, { o, bytes });
    sh.objCacheBytes += bytes;
    while (sh.objCache.size > OBJ_CACHE_MAX || (sh.objCacheBytes > OBJ_CACHE_BYTES && sh.objCache.size > 1)) {
      const k = sh.objCache.keys().next().value as string;
      sh.objCacheBytes -= sh.objCache.get(k)!.bytes;
      sh.objCache.delete(k);
    }
  }

  private async loadAt(offset: number, expect: number, resolvingLength: Set<number>): Promise<PDFObject> {
    // Keyed by offset AND number: two xref entries may name one offset (a hybrid file's table pointing
    // objects at their object stream), and only the one really there may be read from it.
    const key = `o${offset}:${expect}`;
    const hit = this.cacheGet(key);
    if (hit) return hit;
    const { src, ctx } = this.sh;
    const parseAt = (at: number) => withWindow(src, at, 4096, (p) => p.parseIndirect(), ctx);
    let io: Awaited<ReturnType<typeof parseAt>> | undefined;
    const fixed = this.sh.offsetFix.get(`${offset}:${expect}`);
    try {
      io = await parseAt(fixed ?? offset);
    } catch (e) {
      if (fixed !== undefined || !(e instanceof PdfSyntaxError)) throw e;
    }
    if (!io || io.num !== expect) {
      const e = this.xref.get(expect) as { gen?: number } | undefined;
      const near = fixed === undefined ? await this.findNearby(offset, expect, e?.gen ?? 0) : undefined;
      if (near === undefined) throw new PdfSyntaxError(`object ${expect} is not at its xref offset`, offset);
      io = await parseAt(near);
      if (io.num !== expect) throw new PdfSyntaxError(`object ${expect} is not at its xref offset`, offset);
    }
    offset = this.actualOffset(offset, expect);
    const dec = this.sh.decryptor;
    let obj: PDFObject = dec ? dec.decryptObject(io.obj, io.num, io.gen) : io.obj;
    if (io.streamStart !== undefined && io.obj instanceof PDFDict) {
      const start = offset + io.streamStart;
      const length = await this.streamLength(io.obj, start, resolvingLength, offset);
      let contents: Uint8Array = new Uint8Array(0);
      // Encrypted streams are read whole (decryption needs the object number; they are rare and big ones rarer).
      const lazy = length > EAGER_STREAM_BYTES && !dec;
      if (!lazy) contents = await src.read(start, length);
      if (dec) contents = dec.decryptStream(io.obj, contents, io.num, io.gen);
      const s = PDFRawStream.of(io.obj, contents);
      this.sh.streamLoc.set(s, { start, length });
      if (lazy) this.sh.lazy.add(s);
      obj = s;
    }
    this.cachePut(key, obj);
    return obj;
  }

  /** /Length if it is right (followed by endstream), else the distance to the next "endstream". */
  private async streamLength(dict: PDFDict, start: number, resolving: Set<number>, objOffset: number): Promise<number> {
    const src = this.sh.src;
    let len: number | undefined;
    const l = dict.get(N('Length'));
    if (l instanceof PDFNumber) len = l.asNumber();
    else if (l instanceof PDFRef && !resolving.has(objOffset)) {
      resolving.add(objOffset);
      const e = this.xref.get(l.objectNumber);
      try {
        const v =
          e?.type === 1
            ? await this.loadAt(e.offset, l.objectNumber, resolving)
            : e?.type === 2
              ? await this.loadFromObjStm(e.stream, e.index, l.objectNumber)
              : undefined;
        if (v instanceof PDFNumber) len = v.asNumber();
      } catch {
        len = undefined;
      }
    }
    if (len !== undefined && Number.isInteger(len) && len >= 0 && start + len <= src.size) {
      const after = await src.read(start + len, 32);
      const s = after.toString('latin1').replace(/^[\0\t\n\f\r ]+/, '');
      if (s.startsWith('endstream')) return len;
    }
    // Wrong or missing /Length: scan for "endstream" (bounded memory, chunked).
    const CH = 1024 * 1024;
    for (let pos = start; pos < src.size; pos += CH - 16) {
      const chunk = await src.read(pos, CH);
      const i = chunk.indexOf('endstream');
      if (i >= 0) {
        let end = pos + i;
        const before = await src.read(Math.max(start, end - 2), Math.min(2, end - start));
        if (before.length === 2 && before[0] === 13 && before[1] === 10) end -= 2;
        else if (before.length >= 1 && (before[before.length - 1] === 10 || before[before.length - 1] === 13)) end -= 1;
        return Math.max(0, end - start);
      }
      if (chunk.length < CH) break;
    }
    throw new PdfSyntaxError('stream without "endstream"', start);
  }

  private async loadFromObjStm(stmNum: number, index: number, expect: number): Promise<PDFObject | undefined> {
    const e = this.xref.get(stmNum);
    if (!e || e.type !== 1) throw new PdfSyntaxError(`object stream ${stmNum} not found`, 0);
    const key = `s${e.offset}:${index}`;
    const hit = this.cacheGet(key);
    if (hit) return hit;
    const stmKey = `${e.offset}`;
    let stm = this.sh.objStmCache.get(stmKey);
    if (!stm) {
      const s = await this.loadAt(e.offset, stmNum, new Set());
      if (!(s instanceof PDFRawStream)) throw new PdfSyntaxError(`object stream ${stmNum} is not a stream`, e.offset);
      const n = num(s.dict.get(N('N'))) ?? 0;
      const first = num(s.dict.get(N('First'))) ?? 0;
      const data = Buffer.from(await this.decodeStream(s, Math.min(this.sh.maxStreamBytes, 64 * 1024 * 1024)));
      if (!Number.isInteger(n) || n < 0 || n > data.length || first < 0 || first > data.length)
        throw new PdfSyntaxError(`bad object stream ${stmNum}`, e.offset);
      const p = new ObjectParser(data, 0, this.sh.ctx, true);
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < n; i++) {
        const a = p.tryInt();
        const b = p.tryInt();
        if (a === undefined || b === undefined) break;
        pairs.push([a, b]);
      }
      stm = { buf: data, pairs, first };
      const c = this.sh.objStmCache;
      c.set(stmKey, stm);
      let total = 0;
      for (const v of c.values()) total += v.buf.length;
      while (c.size > 1 && (c.size > 16 || total > OBJSTM_CACHE_BYTES)) {
        const k = c.keys().next().value as string;
        total -= c.get(k)!.buf.length;
        c.delete(k);
      }
    }
    let pair: [number, number] | undefined = stm.pairs[index];
    if (!pair || pair[0] !== expect) pair = stm.pairs.find((x) => x[0] === expect);
    if (!pair) return undefined;
    const p = new ObjectParser(stm.buf, stm.first + pair[1], this.sh.ctx, true);
    const obj = p.parseObject();
    this.cachePut(key, obj);
    return obj;
  }

  /** Where a stream's data lies in the file (undefined for streams not read from this file). */
  streamLocation(stream: PDFRawStream): StreamLocation | undefined {
    return this.sh.streamLoc.get(stream);
  }

  /** The encoded bytes of a stream (read from the file for big streams that were not loaded). */
  async rawStreamBytes(stream: PDFRawStream, maxBytes = this.sh.maxStreamBytes): Promise<Uint8Array> {
    if (!this.sh.lazy.has(stream)) return stream.getContents();
    const loc = this.sh.streamLoc.get(stream)!;
    if (loc.length > maxBytes) throw pdfErrors.streamTooLarge(this.sh.file, maxBytes);
    return this.sh.src.read(loc.start, loc.length);
  }

  /** Decodes a stream's filters (Flate + predictors, LZW, ASCIIHex, ASCII85, RunLength); throws past maxBytes. */
  async decodeStream(stream: PDFRawStream, maxBytes = this.sh.maxStreamBytes): Promise<Uint8Array> {
    try {
      const raw = await this.rawStreamBytes(stream, maxBytes);
      const filt = await this.resolve(stream.dict.get(N('Filter')));
      const parms = await this.resolve(stream.dict.get(N('DecodeParms')));
      const names: string[] = [];
      const parmList: Array<PDFObject | undefined> = [];
      if (filt instanceof PDFName) {
        names.push(filt.decodeText());
        parmList.push(parms instanceof PDFArray ? parms.get(0) : parms);
      } else if (filt instanceof PDFArray) {
        for (let i = 0; i < filt.size(); i++) {
          const f = await this.resolve(filt.get(i));
          if (f instanceof PDFName) names.push(f.decodeText());
          parmList.push(parms instanceof PDFArray ? parms.get(i) : undefined);
        }
      }
      if (names.length === 0) {
        if (raw.length > maxBytes) throw new StreamTooLargeError(maxBytes);
        return raw;
      }
      const steps: FilterStep[] = [];
      for (let i = 0; i < names.length; i++) {
        const p = await this.resolve(parmList[i]);
        let parms: FilterStep['parms'];
        if (p instanceof PDFDict) {
          const g = (k: string) => num(p.get(N(k)));
          parms = {
            predictor: g('Predictor'),
            colors: g('Colors'),
            bitsPerComponent: g('BitsPerComponent'),
            columns: g('Columns'),
            earlyChange: g('EarlyChange'),
          };
        }
        steps.push({ name: names[i]!, parms });
      }
      return applyFilters(raw, steps, maxBytes);
    } catch (e) {
      throw this.wrap(e, 'stream');
    }
  }

  async catalog(): Promise<PDFDict> {
    const c = await this.resolve(this.trailer.get(N('Root')));
    if (!(c instanceof PDFDict)) throw pdfErrors.malformed(this.sh.file, 'no document catalog');
    return c;
  }

  /** The page tree in order (cycle-safe, any depth). */
  async pages(): Promise<PDFRef[]> {
    if (this.pagesCache) return this.pagesCache;
    const cat = await this.catalog();
    const root = cat.get(N('Pages'));
    const out: PDFRef[] = [];
    const seen = new Set<string>();
    // Iterative walk, any depth; the `seen` set breaks cycles (a /Kids entry pointing back up the tree).
    const stack: PDFObject[] = [root ?? cat];
    if (!root) throw pdfErrors.malformed(this.sh.file, 'no page tree');
    while (stack.length) {
      const o = stack.pop()!;
      if (!(o instanceof PDFRef)) continue;
      const key = o.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      const d = await this.getObject(o);
      if (!(d instanceof PDFDict)) continue;
      const kids = await this.resolve(d.get(N('Kids')));
      const type = nameOf(d.get(N('Type')));
      if (kids instanceof PDFArray && type !== 'Page') {
        for (let i = kids.size() - 1; i >= 0; i--) stack.push(kids.get(i));
      } else out.push(o);
      if (out.length > 1_000_000) break;
    }
    this.pagesCache = out;
    return out;
  }

  /** Every terminal form field of the AcroForm (recursing /Kids), with full dotted names. */
  async fields(): Promise<FieldInfo[]> {
    const cat = await this.catalog();
    const af = await this.resolve(cat.get(N('AcroForm')));
    if (!(af instanceof PDFDict)) return [];
    const fieldsArr = await this.resolve(af.get(N('Fields')));
    if (!(fieldsArr instanceof PDFArray)) return [];
    const out: FieldInfo[] = [];
    const seen = new Set<string>();
    type Item = { o: PDFObject; prefix: string; ft?: string; depth: number };
    const stack: Item[] = [];
    for (let i = fieldsArr.size() - 1; i >= 0; i--) stack.push({ o: fieldsArr.get(i), prefix: '', depth: 0 });
    while (stack.length) {
      const it = stack.pop()!;
      if (it.depth > 32) continue;
      const ref = refOf(it.o);
      if (ref) {
        const k = ref.toString();
        if (seen.has(k)) continue;
        seen.add(k);
      }
      const d = await this.resolve(it.o);
      if (!(d instanceof PDFDict)) continue;
      const t = textOf(d.get(N('T')));
      const name = t === undefined ? it.prefix : it.prefix ? `${it.prefix}.${t}` : t;
      const ft = nameOf(d.get(N('FT'))) ?? it.ft;
      const kids = await this.resolve(d.get(N('Kids')));
      const kidList: PDFObject[] = [];
      if (kids instanceof PDFArray) for (let i = 0; i < kids.size(); i++) kidList.push(kids.get(i));
      let kidsAreFields = false;
      for (const k of kidList) {
        const kd = await this.resolve(k);
        if (kd instanceof PDFDict && kd.get(N('T')) !== undefined) {
          kidsAreFields = true;
          break;
        }
      }
      if (kidsAreFields) {
        for (let i = kidList.length - 1; i >= 0; i--) stack.push({ o: kidList[i]!, prefix: name, ft, depth: it.depth + 1 });
        continue;
      }
      const isWidget = nameOf(d.get(N('Subtype'))) === 'Widget' || d.get(N('Rect')) !== undefined;
      const widgetRefs: PDFRef[] = [];
      if (kidList.length) for (const k of kidList) {
        const r = refOf(k);
        if (r) widgetRefs.push(r);
      }
      else if (isWidget && ref) widgetRefs.push(ref);
      out.push({ name, ref, dict: d, ft, widgetRefs, merged: kidList.length === 0 && isWidget });
    }
    return out;
  }

  private async annotPages(): Promise<Map<string, number>> {
    if (this.annotPageMap) return this.annotPageMap;
    const m = new Map<string, number>();
    const pages = await this.pages();
    for (let i = 0; i < pages.length; i++) {
      const pg = await this.getObject(pages[i]!);
      if (!(pg instanceof PDFDict)) continue;
      const annots = await this.resolve(pg.get(N('Annots')));
      if (!(annots instanceof PDFArray)) continue;
      for (let j = 0; j < annots.size(); j++) {
        const r = refOf(annots.get(j));
        if (r && !m.has(r.toString())) m.set(r.toString(), i);
      }
    }
    this.annotPageMap = m;
    return m;
  }

  /** Page index of a widget: from its /P, else by searching the pages' /Annots. */
  async widgetPageIndex(widget: PDFRef): Promise<number | undefined> {
    const d = await this.getObject(widget);
    const pages = await this.pages();
    if (d instanceof PDFDict) {
      const p = refOf(d.get(N('P')));
      if (p) {
        const i = pages.findIndex((x) => x.objectNumber === p.objectNumber && x.generationNumber === p.generationNumber);
        if (i >= 0) return i;
      }
    }
    return (await this.annotPages()).get(widget.toString());
  }

  /** Signature fields of the AcroForm, and signature widgets reachable only from pages' /Annots. */
  async signatureFields(): Promise<SignatureFieldInfo[]> {
    const out: SignatureFieldInfo[] = [];
    const seenWidgets = new Set<string>();
    for (const f of await this.fields()) {
      if (f.ft !== 'Sig') continue;
      for (const w of f.widgetRefs) seenWidgets.add(w.toString());
      if (f.ref) seenWidgets.add(f.ref.toString());
      out.push(await this.sigInfo(f.name, f.ref, f.dict, f.widgetRefs));
    }
    const ap = await this.annotPages();
    for (const [key] of ap) {
      if (seenWidgets.has(key)) continue;
      const [n, g] = key.split(' ').map(Number) as [number, number];
      const ref = PDFRef.of(n, g);
      const d = await this.getObject(ref);
      if (!(d instanceof PDFDict) || nameOf(d.get(N('Subtype'))) !== 'Widget') continue;
      // FT and T may be inherited through /Parent
      let ft = nameOf(d.get(N('FT')));
      const names: string[] = [];
      let cur: PDFDict | undefined = d;
      let fieldDict: PDFDict = d;
      let fieldRef: PDFRef | undefined = ref;
      for (let depth = 0; cur && depth < 32; depth++) {
        const t = textOf(cur.get(N('T')));
        if (t !== undefined) names.unshift(t);
        ft ??= nameOf(cur.get(N('FT')));
        if (cur.get(N('V')) !== undefined && fieldDict === d && cur !== d) {
          fieldDict = cur;
        }
        const pr = refOf(cur.get(N('Parent')));
        if (!pr) break;
        const pd = await this.getObject(pr);
        if (!(pd instanceof PDFDict)) break;
        if (fieldDict === d && d.get(N('V')) === undefined && pd.get(N('V')) !== undefined) {
          fieldDict = pd;
          fieldRef = pr;
        }
        cur = pd;
      }
      if (ft !== 'Sig') continue;
      seenWidgets.add(key);
      out.push(await this.sigInfo(names.join('.') || `(unnamed ${n} ${g} R)`, fieldRef, fieldDict, [ref]));
    }
    return out;
  }

  private async sigInfo(name: string, fieldRef: PDFRef | undefined, dict: PDFDict, widgetRefs: PDFRef[]): Promise<SignatureFieldInfo> {
    const v = dict.get(N('V'));
    const sig = await this.resolve(v);
    const lock = await this.resolve(dict.get(N('Lock')));
    let pageIndex: number | undefined;
    if (widgetRefs[0]) pageIndex = await this.widgetPageIndex(widgetRefs[0]);
    return {
      name,
      fieldRef,
      widgetRefs,
      pageIndex,
      sigRef: refOf(v),
      sig: sig instanceof PDFDict ? sig : undefined,
      locked: lock instanceof PDFDict ? lock : undefined,
    };
  }

  /** DocMDP permission of a certified document (/Perms /DocMDP → /Reference … /TransformParams /P, default 2). */
  async docMdpPermission(): Promise<1 | 2 | 3 | undefined> {
    const cat = await this.catalog();
    const perms = await this.resolve(cat.get(N('Perms')));
    if (!(perms instanceof PDFDict)) return undefined;
    const sig = await this.resolve(perms.get(N('DocMDP')));
    if (!(sig instanceof PDFDict)) return undefined;
    const refs = await this.resolve(sig.get(N('Reference')));
    if (refs instanceof PDFArray) {
      for (let i = 0; i < refs.size(); i++) {
        const r = await this.resolve(refs.get(i));
        if (!(r instanceof PDFDict) || nameOf(r.get(N('TransformMethod'))) !== 'DocMDP') continue;
        const tp = await this.resolve(r.get(N('TransformParams')));
        const p = tp instanceof PDFDict ? num(await this.resolve(tp.get(N('P')))) : undefined;
        return p === 1 || p === 3 ? p : 2;
      }
    }
    return 2;
  }

  async close(): Promise<void> {
    await this.sh.src.close();
  }
}

/** Follows startxref and the /Prev chain (loop-safe). Newest section first. */
/** `base` is added to every offset the chain gives (bytes before the header: see PdfReader.open). */
async function loadChain(sh: Shared, start: number, base = 0): Promise<XrefSection[]> {
  const out: XrefSection[] = [];
  const seen = new Set<number>();
  let off: number | undefined = start + base;
  while (off !== undefined) {
    // A /Prev loop means the chain of revisions cannot be trusted: recovery (and verify reports the file as
    // damaged) instead of silently dropping the revisions behind the loop.
    if (seen.has(off)) throw new PdfSyntaxError('the xref /Prev chain loops', off);
    if (out.length > 10000) break;
    seen.add(off);
    if (off < 0 || off >= sh.src.size) throw new PdfSyntaxError('xref offset outside the file', off);
    const sec = await readSection(sh, off);
    if (base) shiftEntries(sec.entries, base);
    if (sec.kind === 'table') {
      const xs0 = num(sec.trailer.get(N('XRefStm')));
      const xs = xs0 === undefined ? undefined : xs0 + base;
      if (xs !== undefined && xs > 0 && xs < sh.src.size && !seen.has(xs)) {
        try {
          const s2 = await readXrefStream(sh, xs);
          if (base) shiftEntries(s2.entries, base);
          for (const [n, e] of s2.entries) {
            const cur = sec.entries.get(n);
            if (!cur || cur.type === 0) sec.entries.set(n, e);
          }
        } catch {
          /* a broken hybrid part: the table alone still describes the classic objects */
        }
      }
    }
    out.push(sec);
    const prev = num(sec.trailer.get(N('Prev')));
    off = prev !== undefined && Number.isInteger(prev) ? prev + base : undefined;
  }
  return out;
}

function shiftEntries(entries: Map<number, XrefEntry>, base: number): void {
  for (const [n, e] of entries) if (e.type === 1) entries.set(n, { type: 1, offset: e.offset + base, gen: e.gen });
}

async function readSection(sh: Shared, off: number): Promise<XrefSection> {
  const head = await sh.src.read(off, 32);
  const s = head.toString('latin1').replace(/^[\0\t\n\f\r ]+/, '');
  if (s.startsWith('xref')) return readXrefTable(sh.src, off, sh.ctx);
  return readXrefStream(sh, off);
}

async function readXrefStream(sh: Shared, off: number): Promise<XrefSection> {
  const io = await withWindow(sh.src, off, 4096, (p) => p.parseIndirect(), sh.ctx);
  if (!(io.obj instanceof PDFDict) || io.streamStart === undefined || nameOf(io.obj.get(N('Type'))) !== 'XRef')
    throw new PdfSyntaxError('expected an xref stream', off);
  const dict = io.obj;
  const start = off + io.streamStart;
  let len = num(dict.get(N('Length')));
  let ok = false;
  if (len !== undefined && len >= 0 && start + len <= sh.src.size) {
    const after = (await sh.src.read(start + len, 32)).toString('latin1').replace(/^[\0\t\n\f\r ]+/, '');
    ok = after.startsWith('endstream');
  }
  if (!ok) {
    const win = await sh.src.read(start, 16 * 1024 * 1024);
    const i = win.indexOf('endstream');
    if (i < 0) throw new PdfSyntaxError('xref stream without endstream', start);
    len = i;
    while (len > 0 && (win[len - 1] === 10 || win[len - 1] === 13)) len--;
  }
  const raw = await sh.src.read(start, len!);
  const s = PDFRawStream.of(dict, raw);
  const steps: FilterStep[] = [];
  const f = dict.get(N('Filter'));
  const fnames = f instanceof PDFName ? [f] : f instanceof PDFArray ? f.asArray() : [];
  const parms = dict.get(N('DecodeParms'));
  fnames.forEach((fn, i) => {
    const p = parms instanceof PDFArray ? parms.get(i) : parms;
    const g = (k: string) => (p instanceof PDFDict ? num(p.get(N(k))) : undefined);
    steps.push({
      name: fn instanceof PDFName ? fn.decodeText() : '?',
      parms: { predictor: g('Predictor'), colors: g('Colors'), bitsPerComponent: g('BitsPerComponent'), columns: g('Columns') },
    });
  });
  const data = applyFilters(s.getContents(), steps, 256 * 1024 * 1024);
  const entries = xrefStreamEntries(dict, data);
  // end: after "endstream" + "endobj"
  const tail = await sh.src.read(start + len!, 64);
  const t = tail.toString('latin1');
  const eo = t.indexOf('endobj');
  const end = start + len! + (eo >= 0 ? eo + 6 : t.indexOf('endstream') + 9);
  return { offset: off, kind: 'stream', trailer: dict, entries, end };
}

/** Byte after the first %%EOF (+ its EOL) at or after `from`; the file size when there is none. */
async function findEofAfter(src: ByteSource, from: number): Promise<number> {
  const CH = 64 * 1024;
  for (let pos = from; pos < src.size; pos += CH - 8) {
    const chunk = await src.read(pos, CH);
    const i = chunk.indexOf('%%EOF');
    if (i >= 0) {
      let end = pos + i + 5;
      const after = await src.read(end, 2);
      if (after[0] === 13 && after[1] === 10) end += 2;
      else if (after[0] === 10 || after[0] === 13) end += 1;
      return end;
    }
    if (chunk.length < CH) break;
    if (pos - from > 16 * 1024 * 1024) break;
  }
  return src.size;
}

/** Offset just after the `endstream` keyword of a stream whose data starts at `start` (undefined: none). */
async function streamEndAt(src: ByteSource, start: number, len: number | undefined): Promise<number | undefined> {
  if (len !== undefined && Number.isInteger(len) && len >= 0 && start + len <= src.size) {
    const after = (await src.read(start + len, 32)).toString('latin1');
    const ws = after.length - after.replace(/^[\0\t\n\f\r ]+/, '').length;
    if (after.startsWith('endstream', ws)) return start + len + ws + 9;
  }
  const CH = 1024 * 1024;
  for (let pos = start; pos < src.size; pos += CH - 16) {
    const chunk = await src.read(pos, CH);
    const i = chunk.indexOf('endstream');
    if (i >= 0) return pos + i + 9;
    if (chunk.length < CH) break;
  }
  return undefined;
}

/**
 * Rebuilds the xref of a file whose xref is broken, the way qpdf and mupdf do: candidates "n g obj" and
 * "trailer" are found by a chunked scan (bounded memory), then walked in file order, and every object that
 * is a stream has its data skipped (by /Length when `endstream` follows it, else up to the `endstream`
 * keyword), so an object that only appears inside another object's stream data (an uncompressed PDF
 * attachment, a scanned appendix) is never taken for one of the document's objects. Object streams are then
 * expanded, /Root is taken from the trailer found last (or the last catalog that reaches a page tree).
 */
async function recover(sh: Shared, chain?: { root?: PDFRef; pages?: number }): Promise<PdfReader> {
  const { src, ctx } = sh;
  const entries = new Map<number, XrefEntry>();
  const trailerOffsets: number[] = [];
  type Hit = { at: number; n: number; g: number } | { at: number; trailer: true };
  const hits: Hit[] = [];
  const CH = 1024 * 1024;
  const OV = 64;
  for (let pos = 0; pos < src.size; pos += CH - OV) {
    const chunk = await src.read(pos, CH);
    // Chunks overlap by OV bytes; each accepts hits in [from, limit) so that every hit is seen once and
    // has at least OV/2 bytes of context before it ("1234567 0 obj" never gets cut at a chunk start).
    const from = pos === 0 ? 0 : OV / 2;
    const limit = pos + chunk.length >= src.size ? chunk.length : CH - OV / 2;
    let i = chunk.indexOf('obj', from);
    while (i >= 0 && i < limit) {
      const after = chunk[i + 3];
      if (after === undefined || after < 0x21 || '<[(/%'.includes(String.fromCharCode(after))) {
        // walk back: ws, gen digits, ws, num digits
        const j = i - 1;
        let k = j;
        while (k >= 0 && (chunk[k] === 32 || chunk[k] === 10 || chunk[k] === 13 || chunk[k] === 9)) k--;
        if (k < j) {
          const genEnd = k + 1;
          while (k >= 0 && chunk[k]! >= 0x30 && chunk[k]! <= 0x39) k--;
          const genStart = k + 1;
          if (genStart < genEnd && genEnd - genStart <= 5) {
            const ws2 = k;
            while (k >= 0 && (chunk[k] === 32 || chunk[k] === 10 || chunk[k] === 13 || chunk[k] === 9)) k--;
            if (k < ws2) {
              const numEnd = k + 1;
              while (k >= 0 && chunk[k]! >= 0x30 && chunk[k]! <= 0x39) k--;
              const numStart = k + 1;
              const okBefore = k < 0 || chunk[k]! <= 0x20 || '>])'.includes(String.fromCharCode(chunk[k]!));
              if (numStart < numEnd && numEnd - numStart <= 10 && okBefore) {
                const n = Number(chunk.toString('latin1', numStart, numEnd));
                const g = Number(chunk.toString('latin1', genStart, genEnd));
                hits.push({ at: pos + numStart, n, g });
              }
            }
          }
        }
      }
      i = chunk.indexOf('obj', i + 3);
    }
    let t = chunk.indexOf('trailer', from);
    while (t >= 0 && t < limit) {
      hits.push({ at: pos + t, trailer: true });
      t = chunk.indexOf('trailer', t + 7);
    }
    if (chunk.length < CH) break;
  }
  hits.sort((x, y) => x.at - y.at);
  // Where each object number was seen, to resolve an indirect /Length that comes after its stream.
  const seenAt = new Map<number, number[]>();
  for (const h of hits) if (!('trailer' in h)) (seenAt.get(h.n) ?? seenAt.set(h.n, []).get(h.n)!).push(h.at);
  const lengthOf = async (o: PDFObject | undefined): Promise<number | undefined> => {
    if (o instanceof PDFNumber) return o.asNumber();
    if (!(o instanceof PDFRef)) return undefined;
    const at = seenAt.get(o.objectNumber) ?? [];
    for (let i = at.length - 1; i >= 0; i--) {
      try {
        const io = await withWindow(src, at[i]!, 256, (p) => p.parseIndirect(), ctx, 64 * 1024);
        if (io.num === o.objectNumber && io.obj instanceof PDFNumber) return io.obj.asNumber();
      } catch {
        /* not this one */
      }
    }
    return undefined;
  };
  let skipUntil = 0;
  let sawObjectZero = false;
  for (const h of hits) {
    if (h.at < skipUntil) continue; // inside the previous object or its stream data
    if ('trailer' in h) {
      trailerOffsets.push(h.at);
      continue;
    }
    let io: IndirectObject;
    try {
      io = await withWindow(src, h.at, 4096, (p) => p.parseIndirect(), ctx, 16 * 1024 * 1024);
    } catch {
      continue;
    }
    if (io.num !== h.n || io.gen !== h.g) continue;
    if (h.n === 0) {
      sawObjectZero = true; // object 0 is the head of the free list, never a real object
      continue;
    }
    entries.set(h.n, { type: 1, offset: h.at, gen: h.g });
    if (io.streamStart !== undefined && io.obj instanceof PDFDict) {
      const end = await streamEndAt(src, h.at + io.streamStart, await lengthOf(io.obj.get(N('Length'))));
      // no `endstream` anywhere after it: a truncated stream; what follows may still be objects
      skipUntil = end ?? h.at + io.end;
    } else skipUntil = h.at + io.end;
  }
  if (entries.size === 0) throw pdfErrors.malformed(sh.file, 'no objects found');

  // Provisional reader over the type-1 entries to look at objects.
  const mkReader = (trailer: PDFDict, kind: 'table' | 'stream') =>
    PdfReader['view'](
      sh,
      [{ offset: -1, kind, trailer, entries, end: src.size }],
      [{ index: 0, xrefOffset: -1, xrefKind: kind, endOffset: src.size, trailer }],
      [[0]],
      0,
      true,
    );
  let trailer: PDFDict | undefined;
  let trailerAt = -1;
  for (let i = trailerOffsets.length - 1; i >= 0 && !trailer; i--) {
    try {
      const d = await withWindow(
        src,
        trailerOffsets[i]!,
        4096,
        (p) => {
          p.tryKeyword('trailer');
          return p.parseObject();
        },
        ctx,
      );
      if (d instanceof PDFDict && d.get(N('Root')) instanceof PDFRef) {
        trailer = d;
        trailerAt = trailerOffsets[i]!;
      }
    } catch {
      /* try the previous one */
    }
  }
  const probe = mkReader(trailer ?? PDFDict.withContext(ctx), 'table');
  const catalogs: PDFRef[] = []; // in file order
  let xrefStreamTrailer: PDFDict | undefined;
  let xrefStreamAt = -1;
  const objStms: number[] = [];
  for (const [n, e] of [...entries].sort((a, b) => (a[1] as { offset: number }).offset - (b[1] as { offset: number }).offset)) {
    let o: PDFObject | undefined;
    try {
      o = await probe.getObject(PDFRef.of(n, (e as { gen: number }).gen));
    } catch {
      entries.delete(n);
      continue;
    }
    const d = o instanceof PDFRawStream ? o.dict : o;
    if (!(d instanceof PDFDict)) continue;
    const type = nameOf(d.get(N('Type')));
    if (type === 'Catalog') catalogs.push(PDFRef.of(n, (e as { gen: number }).gen));
    else if (type === 'ObjStm') objStms.push(n);
    else if (type === 'XRef' && d.get(N('Root')) instanceof PDFRef) {
      xrefStreamTrailer = d;
      xrefStreamAt = (e as { offset: number }).offset;
    }
  }
  for (const s of objStms) {
    try {
      const stm = (await probe.getObject(PDFRef.of(s, 0))) as PDFRawStream;
      const data = Buffer.from(await probe.decodeStream(stm, 64 * 1024 * 1024));
      const n = num(stm.dict.get(N('N'))) ?? 0;
      const p = new ObjectParser(data, 0, ctx, true);
      for (let i = 0; i < n; i++) {
        const a = p.tryInt();
        const b = p.tryInt();
        if (a === undefined || b === undefined) break;
        if (a === 0) continue;
        if (!entries.has(a)) entries.set(a, { type: 2, stream: s, index: i });
      }
    } catch {
      /* skip a broken object stream */
    }
  }
  // The trailer written last describes the document (a classic trailer or an xref stream's dict).
  const base = xrefStreamAt > trailerAt ? xrefStreamTrailer : trailer;
  const t = PDFDict.withContext(ctx);
  for (const k of ['Root', 'Info', 'ID']) {
    const v = base?.get(N(k));
    if (v !== undefined) t.set(N(k), v);
  }
  const enc = base?.get(N('Encrypt'));
  if (enc !== undefined) t.set(N('Encrypt'), enc);
  let max = 0;
  let hasType2 = false;
  for (const [n, e] of entries) {
    if (n > max) max = n;
    if (e.type === 2) hasType2 = true;
  }
  t.set(N('Size'), PDFNumber.of(max + 1));
  sh.objCache.clear();
  sh.objCacheBytes = 0;
  // The catalog must reach a page tree: the trailer's /Root, else the last catalog that does.
  const check = mkReader(t, hasType2 ? 'stream' : 'table');
  const reachesPages = async (ref: PDFRef): Promise<boolean> => {
    try {
      const c = await check.getObject(ref);
      if (!(c instanceof PDFDict)) return false;
      const pages = await check.resolve(c.get(N('Pages')));
      return pages instanceof PDFDict && (nameOf(pages.get(N('Type'))) === 'Pages' || pages.get(N('Kids')) !== undefined);
    } catch {
      return false;
    }
  };
  const root = refOf(t.get(N('Root')));
  if (root?.objectNumber === 0 || (!root && sawObjectZero && catalogs.length === 0))
    throw pdfErrors.malformed(sh.file, 'the document catalog is object 0, which PDF does not allow');
  if (!root || !(await reachesPages(root))) {
    let found: PDFRef | undefined;
    for (let i = catalogs.length - 1; i >= 0 && !found; i--) if (await reachesPages(catalogs[i]!)) found = catalogs[i];
    if (!found) {
      if (root || catalogs.length) throw pdfErrors.malformed(sh.file, 'the document catalog does not lead to any page tree');
      throw pdfErrors.malformed(sh.file, 'no document catalog');
    }
    t.set(N('Root'), found);
  }
  sh.objCache.clear();
  sh.objCacheBytes = 0;
  const r = mkReader(t, hasType2 ? 'stream' : 'table');
  await r.catalog();
  // When the xref chain names a document too, the recovered one must be that document (same catalog, same
  // number of pages): otherwise nobody can say which of the two the clerk sees, and signing is refused.
  const newRoot = refOf(t.get(N('Root')))!;
  if (chain?.root && chain.root.objectNumber !== newRoot.objectNumber)
    r.recoveryConflict = `the cross-reference table names catalog ${chain.root.objectNumber} but the objects found in the file name catalog ${newRoot.objectNumber}`;
  else if (chain?.pages !== undefined) {
    const pages = await r.pages().then(
      (x) => x.length,
      () => undefined,
    );
    if (pages !== chain.pages)
      r.recoveryConflict = `the cross-reference table describes ${chain.pages} page(s) but the objects found in the file describe ${pages ?? 'no readable page tree'}`;
  }
  return r;
}
