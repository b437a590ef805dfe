/**
 * Visible signatures: the hook src/pdf/sign-pdf.ts calls with the open document. Layout (layout.ts) decides
 * where things go, build.ts turns them into objects of the same incremental update.
 */
import type { Warning } from '../../core/types.js';
import { PDFArray, PDFDict, PDFName, PDFNumber, type PDFRef } from '../pdf-lib.js';
import type { PageText } from '../anchor.js';
import type { PdfReader } from '../reader.js';
import type { AppearanceEnv, AppearanceParts } from '../sign-pdf.js';
import { buildAppearance } from './build.js';
import { layoutAppearance, type AppearanceRequest, type LayoutDoc } from './layout.js';

export type { AppearanceRequest, Role } from './layout.js';

/** The `visible` option of preparePdfForSigning for this request. */
export function visibleSignature(req: AppearanceRequest, warn: (w: Warning) => void): (env: AppearanceEnv) => Promise<AppearanceParts> {
  return async (env) => {
    const layout = await layoutAppearance(req, layoutDoc(env.reader, env.pages, warn));
    return buildAppearance(layout, env);
  };
}

function layoutDoc(reader: PdfReader, pages: PDFRef[], warn: (w: Warning) => void): LayoutDoc {
  const texts = new Map<number, Promise<PageText>>();
  return {
    reader,
    pageCount: pages.length,
    pageSize: (i) => pageBox(reader, pages[i]!),
    text: (i) => {
      let t = texts.get(i);
      if (!t) {
        t = (async () => {
          const { readPageText } = await import('../anchor.js');
          const bytes = await reader.source.read(0, reader.source.size);
          return (await readPageText(bytes, [i]))[0]!;
        })();
        texts.set(i, t);
      }
      return t;
    },
    warn,
  };
}

/** The page's CropBox (else MediaBox), inherited through the page tree. */
async function pageBox(reader: PdfReader, pageRef: PDFRef): Promise<{ x0: number; y0: number; w: number; h: number }> {
  let node = await reader.getObject(pageRef);
  let box: number[] | undefined;
  for (let depth = 0; node instanceof PDFDict && depth < 64; depth++) {
    for (const key of ['CropBox', 'MediaBox']) {
      const v = await reader.resolve(node.get(PDFName.of(key)));
      if (v instanceof PDFArray && v.size() === 4 && !box) {
        const n: number[] = [];
        for (let i = 0; i < 4; i++) {
          const x = await reader.resolve(v.get(i));
          n.push(x instanceof PDFNumber ? x.asNumber() : 0);
        }
        box = n;
      }
    }
    if (box) break;
    node = await reader.resolve(node.get(PDFName.of('Parent')));
  }
  const [a, b, c, d] = box ?? [0, 0, 612, 792];
  return { x0: Math.min(a!, c!), y0: Math.min(b!, d!), w: Math.abs(c! - a!), h: Math.abs(d! - b!) };
}
