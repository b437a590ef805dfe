/**
 * Images of visible signatures: PNG (alpha kept as an /SMask) and JPEG, decoded and turned into image
 * XObjects by pdf-lib's PngEmbedder / JpegEmbedder into a throw-away PDFContext (the caller moves the objects
 * into the incremental update). Here: validation (a clear error for a non-image or a truncated file, before
 * anything is written) and the physical size (mm, or the file's own DPI).
 */
import { inputError, msg } from '../../core/errors.js';
import { JpegEmbedder, PDFContext, PngEmbedder } from '../pdf-lib.js';
import type { PDFRef } from '../pdf-lib.js';
import { copyInto } from './copy-objects.js';

export interface LoadedImage {
  file: string;
  kind: 'png' | 'jpeg';
  widthPx: number;
  heightPx: number;
  /** pixels per inch recorded in the file (PNG pHYs, JPEG JFIF density), when there is one */
  dpi?: number;
  embed(ctx: PDFContext): Promise<PDFRef>;
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const imageErrors = {
  invalid: (file: string, why: string) =>
    inputError(
      'APPEARANCE_IMAGE_INVALID',
      msg(`${file}: not a usable PNG or JPEG image (${why})`, `${file}: không phải ảnh PNG hoặc JPEG dùng được (${why})`),
      { details: { file, why } },
    ),
};

/** Walks the PNG chunks (length, type, data, CRC) up to IEND; a file cut short fails here. */
function pngInfo(b: Uint8Array, file: string): { dpi?: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  let dpi: number | undefined;
  let sawIHDR = false;
  while (p + 8 <= b.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    if (p + 12 + len > b.length) throw imageErrors.invalid(file, `truncated in chunk ${type}`);
    if (type === 'IHDR') sawIHDR = true;
    if (type === 'pHYs' && len >= 9 && b[p + 16] === 1) dpi = dv.getUint32(p + 8) * 0.0254; // unit 1 = metre
    if (type === 'IEND') {
      if (!sawIHDR) throw imageErrors.invalid(file, 'no IHDR chunk');
      return { dpi: dpi && dpi > 1 ? Math.round(dpi) : undefined };
    }
    p += 12 + len;
  }
  throw imageErrors.invalid(file, 'truncated: no IEND chunk');
}

function jpegInfo(b: Uint8Array, file: string): { dpi?: number } {
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) throw imageErrors.invalid(file, 'truncated: no end-of-image marker');
  // JFIF APP0: FF E0 len "JFIF\0" ver(2) units(1) Xdensity(2) Ydensity(2)
  if (b[2] === 0xff && b[3] === 0xe0 && String.fromCharCode(...b.subarray(6, 10)) === 'JFIF') {
    const units = b[13];
    const x = (b[14]! << 8) | b[15]!;
    if (units === 1 && x > 1) return { dpi: x };
    if (units === 2 && x > 1) return { dpi: Math.round(x * 2.54) };
  }
  return {};
}

/** Embeds (decode, deflate) once into a private context; each document gets a copy of the objects. */
function once(embed: (ctx: PDFContext) => Promise<PDFRef>): (ctx: PDFContext) => Promise<PDFRef> {
  let built: Promise<{ ctx: PDFContext; ref: PDFRef }> | undefined;
  return async (dst) => {
    built ??= (async () => {
      const ctx = PDFContext.create();
      return { ctx, ref: await embed(ctx) };
    })();
    const b = await built;
    return copyInto(b.ctx, b.ref, dst);
  };
}

export async function loadImage(file: string, bytes: Uint8Array): Promise<LoadedImage> {
  if (bytes.length >= 8 && PNG_SIG.every((v, i) => bytes[i] === v)) {
    const { dpi } = pngInfo(bytes, file);
    let e: PngEmbedder;
    try {
      e = await PngEmbedder.for(bytes);
    } catch (err) {
      throw imageErrors.invalid(file, err instanceof Error ? err.message : String(err));
    }
    if (!(e.width > 0 && e.height > 0)) throw imageErrors.invalid(file, 'zero size');
    return { file, kind: 'png', widthPx: e.width, heightPx: e.height, dpi, embed: once((ctx) => e.embedIntoContext(ctx)) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const { dpi } = jpegInfo(bytes, file);
    let e: JpegEmbedder;
    try {
      e = await JpegEmbedder.for(bytes);
    } catch (err) {
      throw imageErrors.invalid(file, err instanceof Error ? err.message : String(err));
    }
    if (!(e.width > 0 && e.height > 0)) throw imageErrors.invalid(file, 'zero size');
    return { file, kind: 'jpeg', widthPx: e.width, heightPx: e.height, dpi, embed: once((ctx) => e.embedIntoContext(ctx)) };
  }
  throw imageErrors.invalid(file, bytes.length === 0 ? 'empty file' : 'neither PNG nor JPEG');
}

export const MM = 72 / 25.4;

/**
 * Size in points: a width in mm (height by the aspect ratio), else a height in mm, else the file's DPI,
 * else 96 DPI (what screen-made PNGs without pHYs assume).
 */
export function imageSize(img: LoadedImage, want: { widthMm?: number; heightMm?: number } = {}): { w: number; h: number } {
  const aspect = img.heightPx / img.widthPx;
  if (want.widthMm && want.widthMm > 0) return { w: want.widthMm * MM, h: want.widthMm * MM * aspect };
  if (want.heightMm && want.heightMm > 0) return { w: (want.heightMm * MM) / aspect, h: want.heightMm * MM };
  const dpi = img.dpi ?? 96;
  return { w: (img.widthPx / dpi) * 72, h: (img.heightPx / dpi) * 72 };
}
