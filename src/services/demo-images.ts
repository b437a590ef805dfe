/**
 * Generated images for `kyso demo` and the tests: a blue handwritten-looking signature and a round red seal,
 * both RGBA PNGs with a transparent background and a pHYs DPI, drawn by signed-distance functions with
 * anti-aliased edges. The PNG encoder is a few lines over node:zlib (no PNG encoder is installed).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes RGBA (colour type 6) or RGB (2) pixels as a PNG, with the DPI in a pHYs chunk. */
export function encodePng(width: number, height: number, pixels: Uint8Array, opts: { dpi?: number; channels?: 3 | 4 } = {}): Buffer {
  const ch = opts.channels ?? 4;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = ch === 4 ? 6 : 2;
  const raw = Buffer.alloc((width * ch + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * ch + 1)] = 0;
    Buffer.from(pixels.buffer, pixels.byteOffset + y * width * ch, width * ch).copy(raw, y * (width * ch + 1) + 1);
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (opts.dpi) {
    const p = Buffer.alloc(9);
    const ppm = Math.round(opts.dpi / 0.0254);
    p.writeUInt32BE(ppm, 0);
    p.writeUInt32BE(ppm, 4);
    p[8] = 1;
    parts.push(chunk('pHYs', p));
  }
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

type Rgb = [number, number, number];

/** Paints pixels whose "ink" (0..1 coverage from a distance function) is > 0 in one colour. */
function paint(w: number, h: number, colour: Rgb, ink: (x: number, y: number) => number): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const a = Math.max(0, Math.min(1, ink(x + 0.5, y + 0.5)));
      if (a <= 0) continue;
      const o = (y * w + x) * 4;
      px[o] = colour[0];
      px[o + 1] = colour[1];
      px[o + 2] = colour[2];
      px[o + 3] = Math.round(a * 255);
    }
  return px;
}

/** Coverage of a stroke of half-width r at distance d (one pixel of anti-aliasing). */
const stroke = (d: number, r: number) => Math.max(0, Math.min(1, r - d + 0.5));

/** A blue signature-like scribble, 40 × 16 mm at 150 DPI. */
export function signaturePng(): Buffer {
  const dpi = 150;
  const w = Math.round((40 / 25.4) * dpi);
  const h = Math.round((16 / 25.4) * dpi);
  // a polyline of a looping curve
  const pts: [number, number][] = [];
  for (let i = 0; i <= 400; i++) {
    const t = i / 400;
    const x = w * (0.06 + 0.88 * t) + Math.sin(t * Math.PI * 10) * w * 0.03;
    const y = h * (0.55 - 0.25 * Math.sin(t * Math.PI * 3.2) * (1 - t * 0.5) + 0.18 * Math.cos(t * Math.PI * 10));
    pts.push([x, y]);
  }
  const underline: [number, number][] = [
    [w * 0.15, h * 0.85],
    [w * 0.9, h * 0.78],
  ];
  const segDist = (px: number, py: number, a: [number, number], b: [number, number]) => {
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const t = Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy || 1)));
    return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy);
  };
  const px = paint(w, h, [20, 50, 170], (x, y) => {
    let d = Infinity;
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!;
      if (Math.abs(a[0] - x) > 12) continue;
      d = Math.min(d, segDist(x, y, a, pts[i]!));
    }
    d = Math.min(d, segDist(x, y, underline[0]!, underline[1]!));
    return stroke(d, 2.2);
  });
  return encodePng(w, h, px, { dpi });
}

/** A round red seal: two rings, a dotted ring and a five-pointed star, `diameterMm` across at 150 DPI. */
export function sealPng(diameterMm = 36): Buffer {
  const dpi = 150;
  const s = Math.round((diameterMm / 25.4) * dpi);
  const c = s / 2;
  const R = s / 2 - 2;
  const star = (x: number, y: number) => {
    // inside test of a five-pointed star of outer radius R*0.3 (polar form)
    const dx = x - c;
    const dy = y - c;
    const r = Math.hypot(dx, dy);
    const a = Math.atan2(dy, dx) + Math.PI / 2;
    const k = (((a % ((2 * Math.PI) / 5)) + (2 * Math.PI) / 5) % ((2 * Math.PI) / 5)) / ((2 * Math.PI) / 5);
    const edge = R * 0.3 * (0.45 + 0.55 * Math.abs(1 - 2 * k)); // between inner and outer radius
    return Math.max(0, Math.min(1, edge - r + 0.5));
  };
  const px = paint(s, s, [220, 20, 30], (x, y) => {
    const r = Math.hypot(x - c, y - c);
    const rings = Math.max(stroke(Math.abs(r - (R - 3)), 3), stroke(Math.abs(r - R * 0.62), 1.6));
    const ang = Math.atan2(y - c, x - c);
    const dots = Math.abs(r - R * 0.8) < 3 && Math.cos(ang * 36) > 0.2 ? 1 : 0;
    return Math.max(rings, dots, star(x, y)) * 0.92;
  });
  return encodePng(s, s, px, { dpi });
}
