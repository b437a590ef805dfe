import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNull, PDFNumber, PDFRawStream, PDFRef, PDFStream, PDFString, type PDFObject } from '../pdf-lib.js';
import type { PdfReader } from '../reader.js';
import type { XrefEntry } from '../xref.js';

/**
 * Value comparison of PDF objects across two views of one file (the signed revision and a later one).
 * Objects are compared dereferenced and key-order-free: `<< /A 1 /B 2 >>` equals `<< /B 2 /A 1 >>`, and a
 * reference swapped to a new object holding the same value equals the old reference. Strings compare by
 * bytes (literal and hex alike), numbers by value, a reference to the same object number as itself (that
 * object is judged on its own), a reference to another number by the value it points at, streams by dictionary (without /Length) and bytes
 * (decoded bytes when the encodings differ). Cycles are handled coinductively (a pair being compared is
 * assumed equal while its children are compared). Exhaustive over the PDF object types pdf-lib models.
 */

export function sameEntry(a: XrefEntry | undefined, b: XrefEntry | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.type !== b.type) return false;
  if (a.type === 1 && b.type === 1) return a.offset === b.offset && a.gen === b.gen;
  if (a.type === 2 && b.type === 2) return a.stream === b.stream && a.index === b.index;
  return a.type === 0;
}

/** The two views map object `n` to the same bytes (same entry; for compressed objects, the same stream). */
export function sameBytes(va: PdfReader, vb: PdfReader, n: number): boolean {
  const ea = va.xrefEntry(n);
  const eb = vb.xrefEntry(n);
  if (!sameEntry(ea, eb)) return false;
  if (ea?.type === 2) return sameEntry(va.xrefEntry(ea.stream), vb.xrefEntry(ea.stream));
  return true;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

export class TooComplex extends Error {}

export class ValueComparer {
  private readonly assumed = new Set<string>();
  private readonly memo = new Map<string, boolean>();
  private steps = 0;
  constructor(
    private readonly va: PdfReader,
    private readonly vb: PdfReader,
    private readonly maxSteps = 2_000_000,
  ) {}

  async load(v: PdfReader, r: PDFRef): Promise<PDFObject | undefined> {
    try {
      return await v.getObject(r);
    } catch {
      return undefined;
    }
  }

  /** Deep equality of a (in the first view) and b (in the second). */
  async equal(a: PDFObject | undefined, b: PDFObject | undefined, depth = 0): Promise<boolean> {
    if (++this.steps > this.maxSteps || depth > 200) throw new TooComplex('comparison too large');
    if (a instanceof PDFRef && b instanceof PDFRef) {
      const key = `${a.objectNumber}/${a.generationNumber}:${b.objectNumber}/${b.generationNumber}`;
      // The same object number is the same reference: that object, if it changed, is judged on its own
      // (by its role). Only a reference swapped to ANOTHER object is compared by value.
      if (a.objectNumber === b.objectNumber && a.generationNumber === b.generationNumber) return true;
      const m = this.memo.get(key);
      if (m !== undefined) return m;
      if (this.assumed.has(key)) return true;
      this.assumed.add(key);
      const x = await this.load(this.va, a);
      const y = await this.load(this.vb, b);
      const r = x !== undefined && y !== undefined && (await this.equal(x, y, depth + 1));
      this.assumed.delete(key);
      this.memo.set(key, r);
      return r;
    }
    // A reference that cannot be loaded (missing, unparseable) equals nothing but the same bytes (above):
    // never "absent", or an unreadable addition would compare equal to a missing key.
    if (a instanceof PDFRef) {
      const x = await this.load(this.va, a);
      return x !== undefined && this.equal(x, b, depth + 1);
    }
    if (b instanceof PDFRef) {
      const y = await this.load(this.vb, b);
      return y !== undefined && this.equal(a, y, depth + 1);
    }
    if (a === undefined || b === undefined) return a === b;
    if (a instanceof PDFStream || b instanceof PDFStream) {
      if (!(a instanceof PDFRawStream) || !(b instanceof PDFRawStream)) return false;
      if (!(await this.dictEqual(a.dict, b.dict, depth, ['Length', 'Filter', 'DecodeParms']))) return false;
      const [ra, rb] = [await this.va.rawStreamBytes(a), await this.vb.rawStreamBytes(b)];
      const sameCoding = (await this.equal(a.dict.get(PDFName.of('Filter')), b.dict.get(PDFName.of('Filter')), depth + 1)) &&
        (await this.equal(a.dict.get(PDFName.of('DecodeParms')), b.dict.get(PDFName.of('DecodeParms')), depth + 1));
      if (sameCoding && bytesEqual(ra, rb)) return true;
      try {
        return bytesEqual(await this.va.decodeStream(a, 64 * 1024 * 1024), await this.vb.decodeStream(b, 64 * 1024 * 1024));
      } catch {
        return false;
      }
    }
    if (a instanceof PDFDict) return b instanceof PDFDict && this.dictEqual(a, b, depth);
    if (a instanceof PDFArray) {
      if (!(b instanceof PDFArray) || a.size() !== b.size()) return false;
      for (let i = 0; i < a.size(); i++) if (!(await this.equal(a.get(i), b.get(i), depth + 1))) return false;
      return true;
    }
    if (a instanceof PDFNumber) return b instanceof PDFNumber && a.asNumber() === b.asNumber();
    if (a instanceof PDFName) return b instanceof PDFName && a.decodeText() === b.decodeText();
    if (a instanceof PDFString || a instanceof PDFHexString) {
      if (!(b instanceof PDFString || b instanceof PDFHexString)) return false;
      return bytesEqual(a.asBytes(), b.asBytes());
    }
    // booleans, null and anything else pdf-lib models: their serialisation is their value
    return a.constructor === b.constructor && a.toString() === b.toString();
  }

  async dictEqual(a: PDFDict, b: PDFDict, depth = 0, ignore: string[] = []): Promise<boolean> {
    return (await this.changedKeys(a, b, depth, ignore)).length === 0;
  }

  /** Keys whose values differ in value (a key present in only one counts; /Null values count as absent). */
  async changedKeys(a: PDFDict, b: PDFDict, depth = 0, ignore: string[] = []): Promise<string[]> {
    const keys = new Set<string>();
    for (const [k] of a.entries()) keys.add(k.decodeText());
    for (const [k] of b.entries()) keys.add(k.decodeText());
    const out: string[] = [];
    const val = (d: PDFDict, k: string) => {
      const v = d.get(PDFName.of(k));
      return v === PDFNull ? undefined : v; // a /Null value is the same as no entry (ISO 32000-2 §7.3.9)
    };
    for (const k of keys) {
      if (ignore.includes(k)) continue;
      if (!(await this.equal(val(a, k), val(b, k), depth + 1))) out.push(k);
    }
    return out;
  }
}
