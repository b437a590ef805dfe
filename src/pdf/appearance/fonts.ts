/**
 * Liberation Serif (assets/fonts, SIL OFL 1.1, metrically compatible with Times New Roman, full Vietnamese
 * coverage) for appearance text. pdf-lib's CustomFontSubsetEmbedder (with @pdf-lib/fontkit) builds the font
 * objects: a Type0 font over a CIDFontType2 subset with a ToUnicode CMap, so the text extracts back as the same
 * Unicode. It only ever writes objects into a throw-away PDFContext; the caller moves them into the incremental
 * update (the signed document itself is never re-saved by pdf-lib). No system font lookup.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { inputError, msg } from '../../core/errors.js';
import { createHash } from 'node:crypto';
import { CustomFontSubsetEmbedder, PDFArray, PDFContext, PDFDict, PDFName, PDFRef } from '../pdf-lib.js';
import type { PDFHexString } from '../pdf-lib.js';
import { copyInto } from './copy-objects.js';
import { assetPath } from '../../core/package-root.js';

export type FontStyle = 'Regular' | 'Bold' | 'Italic' | 'BoldItalic';

/** assets/fonts beside src/ and dist/ (both are three levels above this module). */
export const FONTS_DIR = assetPath('fonts');

const fileCache = new Map<FontStyle, Uint8Array>();
function fontBytes(style: FontStyle): Uint8Array {
  let b = fileCache.get(style);
  if (!b) {
    b = new Uint8Array(readFileSync(path.join(FONTS_DIR, `LiberationSerif-${style}.ttf`)));
    fileCache.set(style, b);
  }
  return b;
}

// fontkit parses a 390 KB TTF in ~10 ms; the parsed font is only read afterwards (subsets are separate
// objects), so one per style per process.
type FkGlyph = { advanceWidth: number };
type FkFont = { hasGlyphForCodePoint(cp: number): boolean; glyphForCodePoint(cp: number): FkGlyph; unitsPerEm: number; ascent: number };
const parsedCache = new Map<FontStyle, FkFont>();
function parsed(style: FontStyle): FkFont {
  let f = parsedCache.get(style);
  if (!f) {
    f = (fontkit as unknown as { create(b: Uint8Array): FkFont }).create(fontBytes(style));
    parsedCache.set(style, f);
  }
  return f;
}
const advanceCache = new Map<string, number>();
/** Advance width of one character in em (the .notdef glyph's for a character the font lacks). */
export function advance(style: FontStyle, ch: string): number {
  const k = style + ch;
  let a = advanceCache.get(k);
  if (a === undefined) {
    const f = parsed(style);
    a = f.glyphForCodePoint(ch.codePointAt(0)!).advanceWidth / f.unitsPerEm;
    advanceCache.set(k, a);
  }
  return a;
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
  embedIntoContext(ctx: PDFContext, ref?: PDFRef): Promise<PDFRef>;
}

function newEmbedder(style: FontStyle): Promise<Embedder> {
  // the parsed font is shared: hand pdf-lib a "fontkit" that returns it instead of parsing the file again
  const fk = { create: () => parsed(style) };
  // ligatures off: "fi" must stay two glyphs mapping to "f" and "i"
  return CustomFontSubsetEmbedder.for(fk as never, fontBytes(style), undefined, { liga: false, clig: false } as never) as unknown as Promise<Embedder>;
}

/**
 * Results of earlier documents of the batch, keyed by the exact sequence of texts shown so far: the same
 * sequence gives the same subset glyph ids and the same font objects, so a batch of documents with the same
 * texts subsets the font once. A new sequence replays its prefix on real embedders.
 */
const hexCache = new Map<string, string>();
const builtCache = new Map<string, { ctx: PDFContext; refs: Map<string, PDFRef> }>();
const CACHE_MAX = 256;
const remember = <V>(m: Map<string, V>, k: string, v: V) => {
  if (m.size >= CACHE_MAX) m.delete(m.keys().next().value as string);
  m.set(k, v);
};

/**
 * Names the subset the way ISO 32000-1 §9.6.4 asks ("ABCDEF+LiberationSerif-Bold": six upper-case letters
 * derived from the subset's content), in the Type0 font, its CIDFont and the descriptor; pdf-lib writes
 * "LiberationSerif-Bold-1234", which viewers do not recognise as a subset.
 */
function tagSubset(ctx: PDFContext, type0: PDFRef, key: string): void {
  const h = createHash('sha256').update(key).digest();
  const tag = Array.from(h.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
  const dict = (r: unknown) => (r instanceof PDFRef ? ctx.lookup(r) : r) as PDFDict | undefined;
  const t0 = dict(type0);
  if (!(t0 instanceof PDFDict)) return;
  const base = t0.get(PDFName.of('BaseFont'));
  if (!(base instanceof PDFName)) return;
  const name = PDFName.of(`${tag}+${base.decodeText().replace(/-\d+$/, '')}`);
  t0.set(PDFName.of('BaseFont'), name);
  const desc = t0.get(PDFName.of('DescendantFonts'));
  const cid = desc instanceof PDFArray ? dict(desc.get(0)) : undefined;
  if (!(cid instanceof PDFDict)) return;
  cid.set(PDFName.of('BaseFont'), name);
  const fd = dict(cid.get(PDFName.of('FontDescriptor')));
  if (fd instanceof PDFDict) fd.set(PDFName.of('FontName'), name);
}

/** The fonts one appearance uses: one subset per style, built on demand. */
export class FontSet {
  private calls: { style: FontStyle; text: string }[] = [];
  private live?: Map<FontStyle, Embedder>;
  private names = new Map<FontStyle, string>();

  private key(): string {
    return this.calls.map((c) => `${c.style}\u0000${c.text}`).join('\u0001');
  }

  private async embedder(style: FontStyle): Promise<Embedder> {
    if (!this.live) {
      this.live = new Map();
      for (const c of this.calls) (await this.liveFor(c.style)).encodeText(c.text); // replay
    }
    return this.liveFor(style);
  }
  private async liveFor(style: FontStyle): Promise<Embedder> {
    let e = this.live!.get(style);
    if (!e) {
      e = await newEmbedder(style);
      this.live!.set(style, e);
    }
    return e;
  }

  /** Width in points of `text` in `style` at `size`: the sum of the glyphs' advances (what the PDF's /W gives). */
  async width(text: string, style: FontStyle, size: number): Promise<number> {
    let w = 0;
    for (const ch of text.normalize('NFC')) w += advance(style, ch);
    return w * size;
  }

  async ascent(style: FontStyle, size: number): Promise<number> {
    const f = parsed(style);
    return (f.ascent / f.unitsPerEm) * size;
  }

  /** Encodes text for a Tj operator and returns [resource name, hex string]. */
  async show(text: string, style: FontStyle): Promise<{ name: string; hex: string }> {
    const t = checkGlyphs(text, style);
    if (!this.names.has(style)) this.names.set(style, `F${this.names.size + 1}`);
    this.calls.push({ style, text: t });
    const k = this.key();
    let hex = this.live ? undefined : hexCache.get(k);
    if (hex === undefined) {
      hex = (await this.embedder(style)).encodeText(t).toString();
      remember(hexCache, k, hex);
    }
    return { name: this.names.get(style)!, hex };
  }

  /** Embeds every used subset into `ctx`; returns resource name → font dict ref. */
  async embed(ctx: PDFContext): Promise<Map<string, PDFRef>> {
    if (this.calls.length === 0) return new Map();
    const k = this.key();
    let built = this.live ? undefined : builtCache.get(k);
    if (!built) {
      const own = PDFContext.create();
      const refs = new Map<string, PDFRef>();
      for (const [style, name] of this.names) {
        const ref = await (await this.embedder(style)).embedIntoContext(own);
        tagSubset(own, ref, `${k}\u0002${style}`);
        refs.set(name, ref);
      }
      built = { ctx: own, refs };
      remember(builtCache, k, built);
    }
    const out = new Map<string, PDFRef>();
    for (const [name, ref] of built.refs) out.set(name, copyInto(built.ctx, ref, ctx));
    return out;
  }
}
