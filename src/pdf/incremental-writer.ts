import { zlib } from '../core/lazy-zlib.js';
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFObject, PDFRawStream, PDFRef } from './pdf-lib.js';
import type { PdfReader } from './reader.js';
import type { XrefEntry } from './xref.js';

/**
 * Builds ONE incremental update section (new/changed objects + an xref of the requested kind + trailer),
 * to be appended after the original bytes, which are never touched. Written by hand because no installed
 * library appends: pdf-lib's save() rewrites the whole file, @signpdf's placeholder breaks on xref streams.
 */

export interface UpdateObject {
  ref: PDFRef;
  /** a pdf-lib object, or the already serialised body (between "n g obj\n" and "\nendobj") */
  body: PDFObject | Uint8Array;
}

export interface BuiltUpdate {
  bytes: Buffer;
  /** offset of each object's body inside `bytes` (relative to the update start) */
  bodyOffsets: Map<number, number>;
  size: number;
}

export function serialize(o: PDFObject): Buffer {
  if (o instanceof PDFRawStream) {
    // pdf-lib writes /Length from the contents; make sure it is there
    o.dict.set(PDFName.of('Length'), PDFNumber.of(o.getContentsSize()));
  }
  const buf = Buffer.alloc(o.sizeInBytes());
  o.copyBytesInto(buf, 0);
  return buf;
}

/**
 * @param reader  the document being updated (trailer, /Prev, object numbers)
 * @param base    absolute offset where the update starts (file size + the EOL we add, if any)
 * @param objects objects to write
 * @param opts.full  write an xref covering every object (recovered files: no /Prev)
 */
export function buildUpdate(
  reader: PdfReader,
  base: number,
  objects: UpdateObject[],
  opts: { full?: boolean; kind?: 'table' | 'stream' } = {},
): BuiltUpdate {
  const kind = opts.kind ?? reader.xrefKind;
  const parts: Buffer[] = [];
  let len = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    len += b.length;
  };
  const newEntries = new Map<number, XrefEntry>();
  const bodyOffsets = new Map<number, number>();
  let maxNum = reader.size - 1;
  for (const { ref, body } of objects) {
    newEntries.set(ref.objectNumber, { type: 1, offset: base + len, gen: ref.generationNumber });
    push(Buffer.from(`${ref.objectNumber} ${ref.generationNumber} obj\n`, 'latin1'));
    bodyOffsets.set(ref.objectNumber, len);
    push(body instanceof Uint8Array ? Buffer.from(body) : serialize(body));
    push(Buffer.from('\nendobj\n', 'latin1'));
    maxNum = Math.max(maxNum, ref.objectNumber);
  }

  // ISO 32000 §7.5.5: /Info in a trailer shall be an indirect reference. A direct dictionary (some writers
  // put one there) is written as a new object of this update, so that every later reader finds a reference.
  const src = reader.trailer;
  const trailerValues = new Map<string, PDFObject>();
  for (const k of ['Root', 'Info', 'ID']) {
    const v = src.get(PDFName.of(k));
    if (v !== undefined) trailerValues.set(k, v);
  }
  const info = trailerValues.get('Info');
  if (info instanceof PDFDict) {
    const ref = PDFRef.of(maxNum + 1, 0);
    maxNum++;
    newEntries.set(ref.objectNumber, { type: 1, offset: base + len, gen: 0 });
    push(Buffer.from(`${ref.objectNumber} 0 obj\n`, 'latin1'));
    push(serialize(info));
    push(Buffer.from('\nendobj\n', 'latin1'));
    trailerValues.set('Info', ref);
  } else if (info !== undefined && !(info instanceof PDFRef)) trailerValues.delete('Info');

  // Entries the xref lists: only ours, or (full) every object of the document plus ours.
  const all = new Map<number, XrefEntry>();
  if (opts.full) {
    all.set(0, { type: 0 });
    for (const n of reader.objectNumbers()) {
      const e = reader.xrefEntry(n);
      if (e) all.set(n, e);
    }
  }
  // Objects whose xref offset was a few bytes off: re-declare them at their real (original) offset, so
  // that readers of the new revision find them without rewriting a single original byte.
  for (const n of reader.objectNumbers()) {
    const e = reader.xrefEntry(n);
    if (e?.type === 1 && reader.actualOffset(e.offset, n) !== e.offset) all.set(n, { type: 1, offset: reader.actualOffset(e.offset, n), gen: e.gen });
  }
  for (const [n, e] of newEntries) all.set(n, e);

  const prev = opts.full ? undefined : reader.revisions[reader.revisions.length - 1]?.xrefOffset;

  if (kind === 'table') {
    const xrefOffset = base + len;
    let xref = 'xref\n';
    for (const [start, nums] of runs([...all.keys()].sort((a, b) => a - b))) {
      xref += `${start} ${nums.length}\n`;
      for (const n of nums) {
        const e = all.get(n)!;
        if (e.type === 1) xref += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`;
        else xref += `0000000000 ${n === 0 ? '65535' : '00001'} f\r\n`;
      }
    }
    const t = PDFDict.withContext(reader.context);
    t.set(PDFName.of('Size'), PDFNumber.of(maxNum + 1));
    for (const [k, v] of trailerValues) t.set(PDFName.of(k), v);
    if (prev !== undefined && prev >= 0) t.set(PDFName.of('Prev'), PDFNumber.of(prev));
    push(Buffer.from(xref, 'latin1'));
    push(Buffer.from('trailer\n', 'latin1'));
    push(serialize(t));
    push(Buffer.from(`\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));
    return { bytes: Buffer.concat(parts, len), bodyOffsets, size: maxNum + 1 };
  }

  // xref stream: it lists itself too
  const xnum = maxNum + 1;
  const xrefOffset = base + len;
  all.set(xnum, { type: 1, offset: xrefOffset, gen: 0 });
  const size = xnum + 1;
  let maxF2 = 0;
  let maxF3 = 0;
  for (const [n, e] of all) {
    if (e.type === 1) {
      maxF2 = Math.max(maxF2, e.offset);
      maxF3 = Math.max(maxF3, e.gen);
    } else if (e.type === 2) {
      maxF2 = Math.max(maxF2, e.stream);
      maxF3 = Math.max(maxF3, e.index);
    } else if (n === 0) maxF3 = Math.max(maxF3, 65535);
  }
  const w1 = bytesFor(maxF2);
  const w2 = Math.max(1, bytesFor(maxF3));
  const nums = [...all.keys()].sort((a, b) => a - b);
  const rowLen = 1 + w1 + w2;
  const data = Buffer.alloc(nums.length * rowLen);
  const index: number[] = [];
  for (const [start, run] of runs(nums)) index.push(start, run.length);
  nums.forEach((n, i) => {
    const e = all.get(n)!;
    const o = i * rowLen;
    const [t, f2, f3] = e.type === 1 ? [1, e.offset, e.gen] : e.type === 2 ? [2, e.stream, e.index] : [0, 0, n === 0 ? 65535 : 0];
    data[o] = t;
    writeUInt(data, o + 1, w1, f2);
    writeUInt(data, o + 1 + w1, w2, f3);
  });
  const ctx = reader.context;
  const d = PDFDict.withContext(ctx);
  d.set(PDFName.of('Type'), PDFName.of('XRef'));
  d.set(PDFName.of('Size'), PDFNumber.of(size));
  const w = PDFArray.withContext(ctx);
  for (const x of [1, w1, w2]) w.push(PDFNumber.of(x));
  d.set(PDFName.of('W'), w);
  const idx = PDFArray.withContext(ctx);
  for (const x of index) idx.push(PDFNumber.of(x));
  d.set(PDFName.of('Index'), idx);
  for (const [k, v] of trailerValues) d.set(PDFName.of(k), v);
  if (prev !== undefined && prev >= 0) d.set(PDFName.of('Prev'), PDFNumber.of(prev));
  d.set(PDFName.of('Filter'), PDFName.of('FlateDecode'));
  const stream = PDFRawStream.of(d, zlib().deflateSync(data));
  push(Buffer.from(`${xnum} 0 obj\n`, 'latin1'));
  push(serialize(stream));
  push(Buffer.from(`\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));
  return { bytes: Buffer.concat(parts, len), bodyOffsets, size };
}

function bytesFor(v: number): number {
  let n = 1;
  while (v >= 2 ** (8 * n)) n++;
  return n;
}

function writeUInt(buf: Buffer, at: number, width: number, v: number): void {
  for (let i = width - 1; i >= 0; i--) {
    buf[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** Groups sorted numbers into runs of consecutive numbers: [[start, [n…]], …]. */
function runs(sorted: number[]): Array<[number, number[]]> {
  const out: Array<[number, number[]]> = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && last[1][last[1].length - 1] === n - 1) last[1].push(n);
    else out.push([n, [n]]);
  }
  return out;
}
