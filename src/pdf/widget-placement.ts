import { PDFArray, PDFDict, PDFName, PDFNumber, type PDFRef } from './pdf-lib.js';
import type { PdfReader } from './reader.js';

/** Where a signature shows: 1-based page, [x0, y0, x1, y1] of its widget, and whether anything is visible. */
export interface WidgetPlacement {
  page: number | null;
  rect: [number, number, number, number] | null;
  visible: boolean;
}

/**
 * The first widget of a signature field: its page, rectangle, and visibility (a non-empty rectangle, an
 * /AP /N appearance, and neither the Hidden nor the NoView flag).
 */
export async function widgetPlacement(reader: PdfReader, widgetRefs: PDFRef[]): Promise<WidgetPlacement> {
  const w = widgetRefs[0];
  if (!w) return { page: null, rect: null, visible: false };
  try {
    const d = await reader.getObject(w);
    if (!(d instanceof PDFDict)) return { page: null, rect: null, visible: false };
    const pi = await reader.widgetPageIndex(w);
    const r = await reader.resolve(d.get(PDFName.of('Rect')));
    let rect: [number, number, number, number] | null = null;
    if (r instanceof PDFArray && r.size() === 4) {
      const n: number[] = [];
      for (let i = 0; i < 4; i++) {
        const v = await reader.resolve(r.get(i));
        n.push(v instanceof PDFNumber ? Math.round(v.asNumber() * 100) / 100 : 0);
      }
      rect = [Math.min(n[0]!, n[2]!), Math.min(n[1]!, n[3]!), Math.max(n[0]!, n[2]!), Math.max(n[1]!, n[3]!)];
    }
    const fl = await reader.resolve(d.get(PDFName.of('F')));
    const flags = fl instanceof PDFNumber ? fl.asNumber() : 0;
    const ap = await reader.resolve(d.get(PDFName.of('AP')));
    const hasAp = ap instanceof PDFDict && ap.get(PDFName.of('N')) !== undefined;
    const visible = Boolean(rect && rect[2] - rect[0] > 0 && rect[3] - rect[1] > 0 && hasAp && !(flags & 2) && !(flags & 32));
    return { page: pi === undefined ? null : pi + 1, rect, visible };
  } catch {
    return { page: null, rect: null, visible: false };
  }
}
