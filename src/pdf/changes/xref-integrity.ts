import { PDFName, PDFNumber, PDFRawStream, PDFRef } from '../pdf-lib.js';
import { ObjectParser } from '../object-parser.js';
import type { PdfReader } from '../reader.js';
import { problem, type Problem } from '../../core/problem.js';
import { sameEntry } from './compare.js';

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
