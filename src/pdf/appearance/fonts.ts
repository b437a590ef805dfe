/**
 * Liberation Serif (assets/fonts, SIL OFL 1.1, metrically compatible with Times New Roman, full Vietnamese
 * coverage) for appearance text. pdf-lib's CustomFontSubsetEmbedder (with @pdf-lib/fontkit) builds the font
 * objects: a Type0 font over a CIDFontType2 subset with a ToUnicode CMap, so the text extracts back as the same
 * Unicode. It only ever writes objects into a throw-away PDFContext; the caller moves them into the incremental
 * update (the signed document itself is never re-saved by pdf-lib). No system font lookup.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fontkit from '@pdf-lib/fontkit';
import { inputError, msg } from '../../core/errors.js';
import { CustomFontSubsetEmbedder } from '../pdf-lib.js';
import type { PDFContext, PDFHexString, PDFRef } from '../pdf-lib.js';

export type FontStyle = 'Regular' | 'Bold' | 'Italic' | 'BoldItalic';

/** assets/fonts beside src/ and dist/ (both are three levels above this module). */
export const FONTS_DIR = fileURLToPath(new URL('../../../assets/fonts/', import.meta.url));

const fileCache = new Map<FontStyle, Uint8Array>();
function fontBytes(style: FontStyle): Uint8Array {
  let b = fileCache.get(style);
  if (!b) {
    b = new Uint8Array(readFileSync(`${FONTS_DIR}LiberationSerif-${style}.ttf`));
    fileCache.set(style, b);
  }
  return b;
}

// fontkit parses a 390 KB TTF in a few ms; the parsed font is immutable, so one per style per process.
type FkFont = { hasGlyphForCodePoint(cp: number): boolean };
const parsedCache = new Map<FontStyle, FkFont>();
function parsed(style: FontStyle): FkFont {
  let f = parsedCache.get(style);
  if (!f) {
    f = (fontkit as unknown as { create(b: Uint8Array): FkFont }).create(fontBytes(style));
    parsedCache.set(style, f);
  }
  return f;
}

export const fontErrors = {
  missingGlyph: (text: string, ch: string, style: FontStyle) =>
    inputError(
      'APPEARANCE_GLYPH_MISSING',
      msg(
        `appearance text "${text}": the character "${ch}" (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the font Liberation Serif ${style}`,
        `chữ trong hình thức chữ ký "${text}": ký tự "${ch}" (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) không có trong phông Liberation Serif ${style}`,
      ),
      { details: { char: ch } },
    ),
};

/** Refuses text with a character the font has no glyph for (a missing glyph would print as a box). */
export function checkGlyphs(text: string, style: FontStyle): string {
  const t = text.normalize('NFC');
  const f = parsed(style);
  for (const ch of t) {
    if (ch === '\n') continue;
    if (!f.hasGlyphForCodePoint(ch.codePointAt(0)!)) throw fontErrors.missingGlyph(text, ch, style);
  }
  return t;
}

interface Embedder {
  encodeText(text: string): PDFHexString;
  widthOfTextAtSize(text: string, size: number): number;
  heightOfFontAtSize(size: number, o?: { descender?: boolean }): number;
  embedIntoContext(ctx: PDFContext, ref?: PDFRef): Promise<PDFRef>;
  font: { ascent: number; descent: number; unitsPerEm: number };
}

/** The fonts one appearance uses: one subset per style, built on demand. */
export class FontSet {
  private embedders = new Map<FontStyle, Embedder>();
  private resourceNames = new Map<FontStyle, string>();

  private async get(style: FontStyle): Promise<Embedder> {
    let e = this.embedders.get(style);
    if (!e) {
      // ligatures off: "fi" must stay two glyphs mapping to "f" and "i"
      e = (await CustomFontSubsetEmbedder.for(fontkit as never, fontBytes(style), undefined, { liga: false, clig: false } as never)) as unknown as Embedder;
      this.embedders.set(style, e);
      this.resourceNames.set(style, `F${this.resourceNames.size + 1}`);
    }
    return e;
  }

  /** Width in points of `text` in `style` at `size` (the text must have passed checkGlyphs). */
  async width(text: string, style: FontStyle, size: number): Promise<number> {
    return (await this.get(style)).widthOfTextAtSize(text, size);
  }

  async ascent(style: FontStyle, size: number): Promise<number> {
    const e = await this.get(style);
    return (e.font.ascent / e.font.unitsPerEm) * size;
  }

  /** Encodes text for a Tj operator and returns [resource name, hex string]. */
  async show(text: string, style: FontStyle): Promise<{ name: string; hex: string }> {
    const t = checkGlyphs(text, style);
    const e = await this.get(style);
    return { name: this.resourceNames.get(style)!, hex: e.encodeText(t).toString() };
  }

  /** Embeds every used subset into `ctx`; returns resource name → font dict ref. */
  async embed(ctx: PDFContext): Promise<Map<string, PDFRef>> {
    const out = new Map<string, PDFRef>();
    for (const [style, e] of this.embedders) out.set(this.resourceNames.get(style)!, await e.embedIntoContext(ctx));
    return out;
  }
}
