import { PDFName, PDFNumber, PDFRawStream, PDFRef } from '../pdf-lib.js';
import { ObjectParser } from '../object-parser.js';
import type { PdfReader } from '../reader.js';
import { problem, type Problem } from '../../core/problem.js';
import { sameEntry } from './compare.js';
import type { XrefEntry } from '../xref.js';

/**
 * Rule "xref tells the truth" (no repair during verification). The reader tolerates xref offsets that are a
 * few bytes off and finds objects nearby — right for display, wrong for verification: an update made only
 * of an xref section can re-point an object number at the offset of ANOTHER object inside the signed bytes
 * and a lenient viewer then shows different content. So every entry that a revision after the signed one
 * introduces (or changes) is checked strictly:
 *  - an in-file entry must point into that revision's own bytes (a later revision cannot "redefine" an
 *    object without writing a body: CHANGE_XREF_NO_BODY), and the bytes there must read exactly
 *    "n gen obj" (CHANGE_XREF_WRONG_OBJECT);
 *  - a compressed entry must name an object stream that the same revision wrote, and that stream's index
 *    must hold object n (CHANGE_XREF_WRONG_OBJECT / CHANGE_XREF_NO_BODY).
 * Entries equal to the previous revision's are re-listings, not changes.
 */
export async function checkXrefIntegrity(reader: PdfReader, signedRevision: number, maxObjects: number): Promise<Problem[]> {
  const out: Problem[] = [];
  const revs = reader.revisions;
  const seen = new Set<string>();
  const push = (p: Problem) => {
    const k = `${p.code}:${p.params?.object}`;
    if (!seen.has(k) && out.length < 50) {
      seen.add(k);
      out.push(p);
    }
  };
  for (let r = signedRevision + 1; r < revs.length; r++) {
    const prev = reader.atRevision(r - 1);
    const cur = r === revs.length - 1 ? reader : reader.atRevision(r);
    const start = revs[r - 1]!.endOffset;
    const nums = cur.objectNumbers();
    if (nums.length > maxObjects) break;
    for (const n of nums) {
      const e = cur.xrefEntry(n);
      if (!e || e.type === 0 || sameEntry(e, prev.xrefEntry(n))) continue;
      if (e.type === 1) {
        const holds = await headerIs(reader, e.offset, n, e.gen);
        if (!holds) push(problem('CHANGE_XREF_WRONG_OBJECT', { object: n, revision: r + 1 }));
        else if (e.offset < start) push(problem('CHANGE_XREF_NO_BODY', { object: n, revision: r + 1 }));
      } else {
        const se = cur.xrefEntry(e.stream);
        if (!se || se.type !== 1 || se.offset < start) {
          push(problem('CHANGE_XREF_NO_BODY', { object: n, revision: r + 1 }));
          continue;
        }
        if (!(await objStmHolds(cur, e.stream, e.index, n))) push(problem('CHANGE_XREF_WRONG_OBJECT', { object: n, revision: r + 1 }));
      }
    }
  }
  return out;
}

/**
 * Rule "the signed revision's own xref tells the truth". The signer's bytes are fixed, but their meaning is
 * not if the signed revision's xref points an object number at bytes holding ANOTHER object ("7 0 obj" where
 * object 5 is listed): a strict reader then shows object 7 as object 5, a lenient one finds "5 0 obj" nearby
 * (kyso's reader does, for display) — two documents behind one signature. Every entry of the signed view is
 * checked (once per file, in offset order):
 *  - the header of another object at a token boundary → CHANGE_XREF_WRONG_OBJECT (disallowed), naming the
 *    revision whose xref introduced the entry;
 *  - no object header there at all (an offset a few bytes off: CR/LF conversion, a sloppy producer), or the
 *    stated object under another generation → every reader resolves it the same way: the warning
 *    WARN_XREF_OFFSET_REPAIRED;
 *  - a compressed entry whose object stream does not hold that object → CHANGE_XREF_WRONG_OBJECT.
 */
export async function checkSignedXref(reader: PdfReader, signedRevision: number, maxObjects: number): Promise<{ problems: Problem[]; warnings: Problem[] }> {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const view = reader.atRevision(signedRevision);
  const nums = view.objectNumbers();
  if (nums.length > maxObjects) return { problems, warnings };
  const rows: Array<{ n: number; e: XrefEntry }> = [];
  for (const n of nums) rows.push({ n, e: view.xrefEntry(n)! });
  const at = (r: { e: XrefEntry }) => (r.e.type === 1 ? r.e.offset : r.e.type === 2 ? -1 : -2);
  rows.sort((x, y) => at(x) - at(y));
  // the revision (1-based) whose xref introduced the effective entry of n
  const introducedIn = (n: number, e: XrefEntry): number => {
    let r = signedRevision;
    while (r > 0 && sameEntry(reader.atRevision(r - 1).xrefEntry(n), e)) r--;
    return r + 1;
  };
  const chunk = new Chunked(reader);
  for (const { n, e } of rows) {
    if (problems.length >= 50) break;
    if (e.type === 1) {
      const status = await entryStatus(reader, e.offset, n, e.gen, chunk);
      if (status === 'wrong') problems.push(problem('CHANGE_XREF_WRONG_OBJECT', { object: n, revision: introducedIn(n, e) }));
      else if (status === 'off' && warnings.length < 5) warnings.push(problem('WARN_XREF_OFFSET_REPAIRED', { object: n, revision: introducedIn(n, e) }));
    } else if (e.type === 2) {
      const se = view.xrefEntry(e.stream);
      if (se?.type === 1 && (await entryStatus(reader, se.offset, e.stream, se.gen, chunk)) === 'ok' && !(await objStmHolds(view, e.stream, e.index, n)))
        problems.push(problem('CHANGE_XREF_WRONG_OBJECT', { object: n, revision: introducedIn(n, e) }));
    }
  }
  return { problems, warnings };
}

const statusCache = new WeakMap<object, Map<string, 'ok' | 'wrong' | 'off'>>();

/** Reads the file in 1 MiB windows (entries are visited in offset order: one read serves thousands). */
class Chunked {
  private start = 0;
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly reader: PdfReader) {}
  async read(from: number, length: number): Promise<{ buf: Buffer; at: number }> {
    if (from < this.start || from + length > this.start + this.buf.length) {
      this.start = from;
      this.buf = await this.reader.source.read(from, Math.max(length, 1 << 20));
    }
    return { buf: this.buf, at: from - this.start };
  }
}

/** What the bytes at an in-file xref offset hold: the stated object, another object, or no object header. */
async function entryStatus(reader: PdfReader, offset: number, n: number, gen: number, chunk: Chunked): Promise<'ok' | 'wrong' | 'off'> {
  let cache = statusCache.get(reader.source);
  if (!cache) statusCache.set(reader.source, (cache = new Map()));
  const key = `${offset}:${n}:${gen}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let status: 'ok' | 'wrong' | 'off' = 'off';
  if (offset < reader.source.size) {
    const from = Math.max(0, offset - 1);
    const { buf, at } = await chunk.read(from, 49);
    const end = Math.min(buf.length, at + 49);
    const p = new ObjectParser(buf.subarray(at, end), offset - from, reader.context, true, from);
    try {
      const a = p.tryInt();
      const b = a === undefined ? undefined : p.tryInt();
      const kw = b === undefined ? undefined : p.tryKeyword('obj');
      // at a token boundary: the offset starts the file, or follows whitespace or a delimiter
      const prev = offset > 0 ? buf[at]! : 0x20;
      const boundary = offset === 0 || !/[0-9A-Za-z.+-]/.test(String.fromCharCode(prev));
      // The stated header read at the offset is what every reader reads (also right after "%%EOF", as
      // poppler writes it); another header there is another object, unless the offset falls inside a token.
      // The same number under another generation is a producer's slip every reader resolves the same way.
      if (kw !== undefined) status = a === n && b === gen ? 'ok' : a === n || !boundary ? 'off' : 'wrong';
    } catch {
      status = 'off';
    }
  }
  cache.set(key, status);
  return status;
}

async function headerIs(reader: PdfReader, offset: number, n: number, gen: number): Promise<boolean> {
  if (offset >= reader.source.size) return false;
  const head = await reader.source.read(offset, 48);
  const p = new ObjectParser(head, 0, reader.context, true, offset);
  try {
    return p.tryInt() === n && p.tryInt() === gen && p.tryKeyword('obj') !== undefined;
  } catch {
    return false;
  }
}

const objStmPairs = new WeakMap<PDFRawStream, number[]>();

async function objStmHolds(view: PdfReader, stm: number, index: number, n: number): Promise<boolean> {
  let s;
  try {
    s = await view.getObject(PDFRef.of(stm, 0));
  } catch {
    return false;
  }
  if (!(s instanceof PDFRawStream)) return false;
  let nums = objStmPairs.get(s);
  if (!nums) {
    const count = s.dict.get(PDFName.of('N'));
    const total = count instanceof PDFNumber ? count.asNumber() : 0;
    let data: Uint8Array;
    try {
      data = await view.decodeStream(s, 64 * 1024 * 1024);
    } catch {
      return false;
    }
    const p = new ObjectParser(Buffer.from(data.buffer, data.byteOffset, data.length), 0, view.context, true);
    nums = [];
    for (let i = 0; i < total && i < 1_000_000; i++) {
      const a = p.tryInt();
      const b = p.tryInt();
      if (a === undefined || b === undefined) break;
      nums.push(a);
    }
    objStmPairs.set(s, nums);
  }
  return nums[index] === n;
}
