/**
 * Finds text on a page, for placing visible signatures next to it ("CHỦ TỊCH", "Số:", "ngày … tháng … năm").
 * Text comes from pdfjs-dist (the legacy build runs on Node 20): it decodes simple, Type0/CID and ToUnicode-
 * mapped fonts as Word writes them, which no installed library short of a PDF renderer does. It is loaded
 * only when an anchor is used (src/pdf/pdfjs-load.ts).
 *
 * Positions inside one text item are interpolated with Liberation Serif's advance widths scaled to the item's
 * real width (documents are set in Times New Roman or a metric clone, so this is close to exact).
 */
import { inputError, msg } from '../core/errors.js';
import { loadPdfjs } from './pdfjs-load.js';

export interface TextLine {
  page: number;
  /** baseline, PDF user space */
  y: number;
  /** largest font size on the line */
  size: number;
  text: string;
  /** left and right edge of each UTF-16 unit of `text` */
  x0: number[];
  x1: number[];
}

export interface TextMatch {
  line: TextLine;
  /** index range in line.text */
  start: number;
  end: number;
  x0: number;
  x1: number;
  y: number;
  size: number;
}

export interface PageText {
  page: number;
  width: number;
  height: number;
  lines: TextLine[];
}

export const anchorErrors = {
  notFound: (file: string, anchor: string, page: number) =>
    inputError(
      'ANCHOR_NOT_FOUND',
      msg(`${file}: the anchor text "${anchor}" is not on page ${page + 1}`, `${file}: không tìm thấy chữ neo "${anchor}" trên trang ${page + 1}`),
      { details: { anchor, page: page + 1 } },
    ),
  noText: (file: string, anchor: string, page: number) =>
    inputError(
      'ANCHOR_NO_TEXT',
      msg(
        `${file}: page ${page + 1} has no text (a scanned page?), so the anchor "${anchor}" cannot be found: give the place with --page and --rect`,
        `${file}: trang ${page + 1} không có chữ (trang quét?), nên không tìm được chữ neo "${anchor}": hãy chỉ vị trí bằng --page và --rect`,
      ),
      { details: { anchor, page: page + 1 } },
    ),
};

type Measure = (s: string) => number;
async function measurer(): Promise<Measure> {
  const { advance } = await import('./appearance/fonts.js');
  return (s) => advance('Regular', s);
}

let worker: InstanceType<typeof import('pdfjs-dist/legacy/build/pdf.mjs').PDFWorker> | undefined;

/** Text lines of the given pages (0-based), with the size of each page. */
export async function readPageText(bytes: Uint8Array, pageIndices: number[]): Promise<PageText[]> {
  const pdfjs = await loadPdfjs();
  const m = await measurer();
  // one (fake, in-thread) pdfjs worker for the process: setting one up per document costs more than the text
  worker ??= new pdfjs.PDFWorker({ verbosity: 0 });
  // pdfjs transfers (detaches) the buffer it is given: hand it a copy
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(bytes),
    worker,
    verbosity: 0,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  }).promise;
  try {
    const out: PageText[] = [];
    for (const pi of pageIndices) {
      const page = await doc.getPage(pi + 1);
      const [x0v, y0v, x1v, y1v] = page.view as number[];
      const tc = await page.getTextContent();
      const items: { str: string; x: number; y: number; w: number; size: number }[] = [];
      for (const it of tc.items as Array<{ str?: string; transform?: number[]; width?: number }>) {
        if (!it.str || !it.transform) continue;
        const [a, b, , d, e, f] = it.transform as [number, number, number, number, number, number];
        items.push({ str: it.str, x: e, y: f, w: it.width ?? 0, size: Math.hypot(a, b) || Math.abs(d) });
      }
      out.push({ page: pi, width: x1v! - x0v!, height: y1v! - y0v!, lines: toLines(items, pi, m) });
    }
    return out;
  } finally {
    await doc.destroy();
  }
}

function toLines(items: { str: string; x: number; y: number; w: number; size: number }[], page: number, m: Measure): TextLine[] {
  const sorted = [...items].sort((p, q) => q.y - p.y || p.x - q.x);
  const lines: TextLine[] = [];
  let cur: typeof items = [];
  const flush = () => {
    if (!cur.length) return;
    cur.sort((p, q) => p.x - q.x);
    const line: TextLine = { page, y: cur[0]!.y, size: Math.max(...cur.map((c) => c.size)), text: '', x0: [], x1: [] };
    for (const it of cur) {
      const prevEnd = line.x1.length ? line.x1[line.x1.length - 1]! : undefined;
      if (prevEnd !== undefined && it.x - prevEnd > it.size * 0.15 && !/\s$/.test(line.text) && !/^\s/.test(it.str)) {
        line.text += ' ';
        line.x0.push(prevEnd);
        line.x1.push(it.x);
      }
      const units = [...it.str];
      const widths = units.map((u) => m(u));
      const total = widths.reduce((s, v) => s + v, 0) || 1;
      let x = it.x;
      units.forEach((u, i) => {
        const w = (widths[i]! / total) * it.w;
        for (let k = 0; k < u.length; k++) {
          line.x0.push(x);
          line.x1.push(x + w);
        }
        line.text += u;
        x += w;
      });
    }
    lines.push(line);
    cur = [];
  };
  for (const it of sorted) {
    if (cur.length && Math.abs(cur[0]!.y - it.y) > Math.max(1, it.size * 0.3)) flush();
    cur.push(it);
  }
  flush();
  return lines;
}

/** Case-sensitive search after NFC, with any run of white space matching any run of white space. */
export function findText(lines: TextLine[], needle: string, which: 'first' | 'last' = 'first'): TextMatch | undefined {
  const want = needle.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!want) return undefined;
  const order = which === 'first' ? lines : [...lines].reverse();
  for (const line of order) {
    // collapse white space, remembering where each kept unit came from
    let text = '';
    const from: number[] = [];
    const src = line.text;
    for (let i = 0; i < src.length; i++) {
      const ch = src[i]!;
      if (/\s/.test(ch)) {
        if (text.endsWith(' ')) continue;
        text += ' ';
      } else text += ch;
      from.push(i);
    }
    const at = which === 'first' ? text.indexOf(want) : text.lastIndexOf(want);
    if (at < 0) continue;
    const start = from[at]!;
    const end = from[at + want.length - 1]! + 1;
    return { line, start, end, x0: line.x0[start]!, x1: line.x1[end - 1]!, y: line.y, size: line.size };
  }
  return undefined;
}

/** The white-space gap right after a match on its line: [x0, x1] and the index of the next non-space unit. */
export function gapAfter(line: TextLine, index: number): { x0: number; x1: number; next: number } {
  let i = index;
  while (i < line.text.length && /\s/.test(line.text[i]!)) i++;
  const x0 = line.x1[index - 1] ?? line.x0[index] ?? 0;
  const x1 = i < line.text.length ? line.x0[i]! : line.x1[line.text.length - 1] ?? x0;
  return { x0, x1, next: i };
}
