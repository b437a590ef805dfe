import { PDFArray, PDFContext, PDFDict, PDFName, PDFNumber, PDFObject, PDFRef } from './pdf-lib.js';
import type { ByteSource } from './byte-source.js';
import { NeedMoreData, ObjectParser, PdfSyntaxError } from './object-parser.js';

/** One cross-reference entry: type 1 = at a byte offset, type 2 = inside an object stream, 0 = free. */
export type XrefEntry = { type: 0 } | { type: 1; offset: number; gen: number } | { type: 2; stream: number; index: number };

/** One xref section as found in the file (a table + trailer, or an xref stream). */
export interface XrefSection {
  offset: number;
  kind: 'table' | 'stream';
  trailer: PDFDict;
  entries: Map<number, XrefEntry>;
  /** first byte after the section (after the trailer dict, or after the xref stream object) */
  end: number;
}

export const MAX_WINDOW = 64 * 1024 * 1024;

/**
 * Test hook: when set, every window starts at this many bytes (1, 7, 4096…) so that tests can put a window
 * boundary on every byte of a fixture and show that no token, keyword or xref row depends on where it falls.
 */
export const readWindow: { initial?: number } = {};

/** Reads a window and runs `fn`, growing the window while the parser asks for more bytes. */
export async function withWindow<T>(
  src: ByteSource,
  offset: number,
  initial: number,
  fn: (p: ObjectParser) => T,
  ctx: PDFContext,
  max = MAX_WINDOW,
): Promise<T> {
  let len = readWindow.initial ?? initial;
  for (;;) {
    const buf = await src.read(offset, len);
    const atEof = offset + buf.length >= src.size;
    try {
      return fn(new ObjectParser(buf, 0, ctx, atEof, offset));
    } catch (e) {
      if (e instanceof NeedMoreData && !atEof && len < max) {
        len = Math.min(max, Math.max(len + 1, len * 4));
        continue;
      }
      if (e instanceof NeedMoreData) throw new PdfSyntaxError('object larger than the reading window', offset);
      throw e;
    }
  }
}

export const num = (o: PDFObject | undefined): number | undefined =>
  o instanceof PDFNumber ? o.asNumber() : undefined;

/** Parses a classic "xref … trailer << … >>" section at `offset`. */
export async function readXrefTable(src: ByteSource, offset: number, ctx: PDFContext): Promise<XrefSection> {
  return withWindow(
    src,
    offset,
    64 * 1024,
    (p) => {
      if (!p.tryKeyword('xref')) throw new PdfSyntaxError('expected "xref"', offset);
      const entries = new Map<number, XrefEntry>();
      for (;;) {
        const start = p.tryInt();
        if (start === undefined) break;
        const count = p.tryInt();
        if (count === undefined || start < 0 || count < 0) throw new PdfSyntaxError('bad xref subsection header', offset + p.pos);
        if (count * 18 > src.size) throw new PdfSyntaxError('xref subsection larger than the file', offset + p.pos);
        for (let i = 0; i < count; i++) {
          const off = p.tryInt();
          const gen = p.tryInt();
          const kw = p.tryKeyword();
          if (off === undefined || gen === undefined || (kw !== 'n' && kw !== 'f'))
            throw new PdfSyntaxError('bad xref entry', offset + p.pos);
          const n = start + i;
          if (entries.has(n)) continue;
          entries.set(n, kw === 'n' && off > 0 ? { type: 1, offset: off, gen } : { type: 0 });
        }
      }
      if (!p.tryKeyword('trailer')) throw new PdfSyntaxError('expected "trailer"', offset + p.pos);
      const trailer = p.parseObject();
      if (!(trailer instanceof PDFDict)) throw new PdfSyntaxError('trailer is not a dictionary', offset + p.pos);
      return { offset, kind: 'table' as const, trailer, entries, end: offset + p.pos };
    },
    ctx,
  );
}

/** Decodes the entries of an xref stream (its dict + decoded data). */
export function xrefStreamEntries(dict: PDFDict, data: Uint8Array): Map<number, XrefEntry> {
  const w = dict.get(PDFName.of('W'));
  if (!(w instanceof PDFArray) || w.size() < 3) throw new Error('xref stream without /W');
  const ws = [0, 1, 2].map((i) => num(w.get(i)) ?? -1);
  if (ws.some((x) => !Number.isInteger(x) || x < 0 || x > 8)) throw new Error('bad /W in xref stream');
  const [w0, w1, w2] = ws as [number, number, number];
  const rowLen = w0 + w1 + w2;
  if (rowLen === 0) throw new Error('bad /W in xref stream');
  const size = num(dict.get(PDFName.of('Size'))) ?? 0;
  const idx = dict.get(PDFName.of('Index'));
  const ranges: number[] = [];
  if (idx instanceof PDFArray) for (let i = 0; i < idx.size(); i++) ranges.push(num(idx.get(i)) ?? 0);
  else ranges.push(0, size);
  const entries = new Map<number, XrefEntry>();
  const field = (pos: number, width: number): number => {
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + data[pos + i]!;
    return v;
  };
  let pos = 0;
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    const start = ranges[r]!;
    const count = ranges[r + 1]!;
    for (let i = 0; i < count; i++) {
      if (pos + rowLen > data.length) return entries; // short data: keep what we have
      const type = w0 === 0 ? 1 : field(pos, w0);
      const f2 = field(pos + w0, w1);
      const f3 = field(pos + w0 + w1, w2);
      pos += rowLen;
      const n = start + i;
      if (entries.has(n)) continue;
      if (type === 1) entries.set(n, f2 > 0 ? { type: 1, offset: f2, gen: w2 === 0 ? 0 : f3 } : { type: 0 });
      else if (type === 2) entries.set(n, { type: 2, stream: f2, index: f3 });
      else entries.set(n, { type: 0 });
    }
  }
  return entries;
}

export const refOf = (o: PDFObject | undefined): PDFRef | undefined => (o instanceof PDFRef ? o : undefined);
