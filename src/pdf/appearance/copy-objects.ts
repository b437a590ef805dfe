/**
 * Copies the objects reachable from a reference in one PDFContext into another under fresh object numbers.
 * Fonts and images are built once per batch into a private context (subsetting a 390 KB TTF and deflating an
 * image cost tens of ms) and copied into each document's update, which is cheap.
 */
import { PDFArray, PDFDict, PDFRawStream, PDFRef } from '../pdf-lib.js';
import type { PDFContext, PDFObject } from '../pdf-lib.js';

export function copyInto(src: PDFContext, root: PDFRef, dst: PDFContext): PDFRef {
  const map = new Map<string, PDFRef>();
  const visit = (o: PDFObject): PDFObject => {
    if (o instanceof PDFRef) {
      const key = o.toString();
      let r = map.get(key);
      if (!r) {
        r = dst.nextRef();
        map.set(key, r);
        const target = src.lookup(o);
        if (target) dst.assign(r, visit(target));
      }
      return r;
    }
    if (o instanceof PDFRawStream) return PDFRawStream.of(visit(o.dict) as PDFDict, o.contents);
    if (o instanceof PDFDict) {
      const d = PDFDict.withContext(dst);
      for (const [k, v] of o.entries()) d.set(k, visit(v));
      return d;
    }
    if (o instanceof PDFArray) {
      const a = PDFArray.withContext(dst);
      for (let i = 0; i < o.size(); i++) a.push(visit(o.get(i)));
      return a;
    }
    return o; // names, numbers, strings, booleans, null: immutable
  };
  return visit(root) as PDFRef;
}
