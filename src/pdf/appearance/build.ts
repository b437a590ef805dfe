/**
 * Turns laid-out boxes (the signature widget, the annotations of `issue`) into PDF objects for the incremental
 * update: form XObjects for each /AP /N, one shared /Resources (font subsets, images), FreeText annotations
 * (printed, locked) for text drawn outside the widget. Page content streams are never touched.
 *
 * pdf-lib's embedders need a PDFContext to write into: a fresh one whose object numbers come from the
 * update's allocator, so every object it creates lands in the update with the number it was given.
 */
import { PDFArray, PDFContext, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFString } from '../pdf-lib.js';
import type { PDFObject } from '../pdf-lib.js';
import type { UpdateObject } from '../incremental-writer.js';
import type { AppearanceEnv, AppearanceParts } from '../sign-pdf.js';
import { FontSet, type FontStyle } from './fonts.js';
import type { LoadedImage } from './images.js';
import { pdfTextString } from '../text-string.js';

export type Rgb = [number, number, number];

export type Piece =
  | { kind: 'image'; image: LoadedImage; x: number; y: number; w: number; h: number }
  | { kind: 'text'; text: string; style: FontStyle; size: number; x: number; y: number; color?: Rgb }
  | { kind: 'frame'; x: number; y: number; w: number; h: number; width: number; color?: Rgb };

/** A rectangle on a page ([x0, y0, x1, y1] in user space) and what is drawn in it (coordinates relative to x0, y0). */
export interface Box {
  pageIndex: number;
  rect: [number, number, number, number];
  pieces: Piece[];
  /** for annotations: the text a reader shows as the annotation's contents */
  contents?: string;
}

export interface Layout {
  /** undefined = invisible signature */
  widget?: Box;
  annots: Box[];
}

const N = (s: string) => PDFName.of(s);
const f = (n: number) => (Math.round(n * 1000) / 1000).toString();

function numArray(ctx: PDFContext, nums: number[]): PDFArray {
  const a = PDFArray.withContext(ctx);
  for (const n of nums) a.push(PDFNumber.of(Math.round(n * 1000) / 1000));
  return a;
}

export async function buildAppearance(layout: Layout, env: AppearanceEnv): Promise<AppearanceParts> {
  const ctx = PDFContext.create();
  // every object pdf-lib registers gets its number from the update
  (ctx as unknown as { nextRef: () => PDFRef }).nextRef = () => env.alloc();
  const fonts = new FontSet();
  const images = new Map<LoadedImage, string>();
  const imageRefs = new Map<string, PDFRef>();

  const content = async (b: Box): Promise<Uint8Array> => {
    const ops: string[] = [];
    for (const p of b.pieces) {
      if (p.kind === 'image') {
        let name = images.get(p.image);
        if (!name) {
          name = `Im${images.size + 1}`;
          images.set(p.image, name);
          imageRefs.set(name, await p.image.embed(ctx));
        }
        ops.push(`q ${f(p.w)} 0 0 ${f(p.h)} ${f(p.x)} ${f(p.y)} cm /${name} Do Q`);
      } else if (p.kind === 'text') {
        const { name, hex } = await fonts.show(p.text, p.style);
        const [r, g, bl] = p.color ?? [0, 0, 0];
        ops.push(`BT ${f(r)} ${f(g)} ${f(bl)} rg /${name} ${f(p.size)} Tf ${f(p.x)} ${f(p.y)} Td ${hex} Tj ET`);
      } else {
        const [r, g, bl] = p.color ?? [0, 0, 0];
        ops.push(`q ${f(r)} ${f(g)} ${f(bl)} RG ${f(p.width)} w ${f(p.x)} ${f(p.y)} ${f(p.w)} ${f(p.h)} re S Q`);
      }
    }
    return Buffer.from(ops.join('\n'), 'latin1');
  };

  // Streams first (they record the glyphs and images used), then the fonts and the shared resources.
  const widgetStream = layout.widget ? await content(layout.widget) : new Uint8Array(0);
  const annotStreams: Uint8Array[] = [];
  for (const a of layout.annots) annotStreams.push(await content(a));

  const resources = PDFDict.withContext(ctx);
  const fontRefs = await fonts.embed(ctx);
  if (fontRefs.size) {
    const fd = PDFDict.withContext(ctx);
    for (const [k, v] of fontRefs) fd.set(N(k), v);
    resources.set(N('Font'), fd);
  }
  if (imageRefs.size) {
    const xd = PDFDict.withContext(ctx);
    for (const [k, v] of imageRefs) xd.set(N(k), v);
    resources.set(N('XObject'), xd);
  }
  const resRef = ctx.register(resources);

  const annots: { pageIndex: number; ref: PDFRef }[] = [];
  layout.annots.forEach((a, i) => {
    const [x0, y0, x1, y1] = a.rect;
    const ap = PDFDict.withContext(ctx);
    ap.set(N('Type'), N('XObject'));
    ap.set(N('Subtype'), N('Form'));
    ap.set(N('BBox'), numArray(ctx, [0, 0, x1 - x0, y1 - y0]));
    ap.set(N('Resources'), resRef);
    const apRef = ctx.register(PDFRawStream.of(ap, annotStreams[i]!));
    const d = PDFDict.withContext(ctx);
    d.set(N('Type'), N('Annot'));
    d.set(N('Subtype'), N('FreeText'));
    d.set(N('Rect'), numArray(ctx, a.rect));
    d.set(N('P'), env.pages[a.pageIndex]!);
    d.set(N('F'), PDFNumber.of(132 + 512)); // Print + Locked + LockedContents
    d.set(N('DA'), PDFString.of('0 g /Helv 12 Tf'));
    d.set(N('Border'), numArray(ctx, [0, 0, 0]));
    if (a.contents) d.set(N('Contents'), pdfTextString(a.contents));
    const apd = PDFDict.withContext(ctx);
    apd.set(N('N'), apRef);
    d.set(N('AP'), apd);
    annots.push({ pageIndex: a.pageIndex, ref: ctx.register(d) });
  });

  const objects: UpdateObject[] = [];
  for (const [ref, obj] of ctx.enumerateIndirectObjects()) objects.push({ ref, body: obj as PDFObject });
  const w = layout.widget;
  return {
    pageIndex: w?.pageIndex ?? 0,
    rect: w?.rect ?? [0, 0, 0, 0],
    streamBytes: widgetStream,
    resources: w ? resRef : undefined,
    objects,
    annots,
  };
}

