import type { ByteSource } from '../byte-source.js';
import { loadPdfjs } from '../pdfjs-load.js';

/**
 * Does a rectangle of a page cover text that the page draws? Used for a new signed signature widget added
 * under certification P=2 (the Sneaky Signature Attack with a signed field: allowed by ISO 32000-2, but the
 * clerk is warned, naming the field). Text positions come from pdf.js (pdfjs-dist, legacy build, its worker in this thread: ../pdfjs-load.ts)
 * run on the signed revision's bytes — a maintained text extractor instead of a hand-written one; it is
 * loaded only when such a widget exists.
 */
export async function rectCoversText(src: ByteSource, revisionEnd: number, pageIndex: number, rect: number[]): Promise<boolean> {
  const pdfjs = await loadPdfjs();
  const data = new Uint8Array(await src.read(0, revisionEnd));
  const task = pdfjs.getDocument({ data, useWorkerFetch: false, isEvalSupported: false, disableFontFace: true, verbosity: 0, stopAtErrors: false });
  try {
    const doc = await task.promise;
    if (pageIndex >= doc.numPages) return false;
    const page = await doc.getPage(pageIndex + 1);
    const content = await page.getTextContent();
    const [x1, y1, x2, y2] = [Math.min(rect[0]!, rect[2]!), Math.min(rect[1]!, rect[3]!), Math.max(rect[0]!, rect[2]!), Math.max(rect[1]!, rect[3]!)];
    for (const item of content.items) {
      if (!('str' in item) || !item.str.trim()) continue;
      const [, , , d, e, f] = item.transform as number[];
      const h = Math.abs(item.height || d || 0);
      const [tx1, ty1, tx2, ty2] = [e!, f!, e! + item.width, f! + h];
      if (tx1 < x2 && tx2 > x1 && ty1 < y2 && ty2 > y1) return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    await task.destroy().catch(() => undefined);
  }
}
