import { PDFDict, PDFName } from '../pdf/pdf-lib.js';
import { openFileSource } from '../pdf/byte-source.js';
import { PdfReader } from '../pdf/reader.js';
import { num } from '../pdf/xref.js';

/**
 * OtherInfo/PageAmount: the page count of the main PDF (catalog → Pages → Count), read with kyso's own
 * reader (tail, xref and two objects; a large scan is never loaded). 0 when it cannot be read: the count
 * is informative, the signature check on the receiving side is what matters.
 */
export async function pageCountOf(file: string): Promise<number> {
  let src;
  try {
    src = await openFileSource(file);
  } catch {
    return 0;
  }
  try {
    const r = await PdfReader.open(src, { file });
    const cat = await r.resolve(r.trailer.get(PDFName.of('Root')));
    if (!(cat instanceof PDFDict)) return 0;
    const pages = await r.resolve(cat.get(PDFName.of('Pages')));
    if (!(pages instanceof PDFDict)) return 0;
    const n = num(await r.resolve(pages.get(PDFName.of('Count'))));
    return n !== undefined && Number.isInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  } finally {
    await src.close();
  }
}
