import { zlib } from '../core/lazy-zlib.js';

/**
 * Stream filters the reader needs (xref streams, object streams, and what verify inspects). Every decoder
 * caps its output at maxBytes so that a decompression bomb fails fast instead of eating memory.
 */
export class StreamTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`stream inflates past ${maxBytes} bytes`);
  }
}
export class UnsupportedFilterError extends Error {}

export interface FilterStep {
  name: string;
  parms?: { predictor?: number; colors?: number; bitsPerComponent?: number; columns?: number; earlyChange?: number };
}

export function applyFilters(data: Uint8Array, steps: FilterStep[], maxBytes: number): Uint8Array {
  let out = data;
  for (const s of steps) {
    switch (s.name) {
      case 'FlateDecode':
      case 'Fl':
        out = inflate(out, maxBytes);
        out = unpredict(out, s.parms, maxBytes);
        break;
      case 'LZWDecode':
      case 'LZW':
        out = lzw(out, maxBytes, s.parms?.earlyChange ?? 1);
        out = unpredict(out, s.parms, maxBytes);
        break;
      case 'ASCIIHexDecode':
      case 'AHx':
        out = asciiHex(out);
        break;
      case 'ASCII85Decode':
      case 'A85':
        out = ascii85(out, maxBytes);
        break;
      case 'RunLengthDecode':
      case 'RL':
        out = runLength(out, maxBytes);
        break;
      default:
        throw new UnsupportedFilterError(`unsupported filter /${s.name}`);
    }
    if (out.length > maxBytes) throw new StreamTooLargeError(maxBytes);
  }
  return out;
}

function inflate(data: Uint8Array, maxBytes: number): Uint8Array {
  try {
    // Z_SYNC_FLUSH tolerates streams that end without a proper zlib trailer (common in the wild).
    const z = zlib();
    return z.inflateSync(data, { maxOutputLength: Math.max(1, maxBytes), finishFlush: z.constants.Z_SYNC_FLUSH });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new StreamTooLargeError(maxBytes);
    throw e;
  }
}

function unpredict(data: Uint8Array, parms: FilterStep['parms'], maxBytes: number): Uint8Array {
  const predictor = parms?.predictor ?? 1;
  if (predictor <= 1) return data;
  const colors = parms?.colors ?? 1;
  const bpc = parms?.bitsPerComponent ?? 8;
  const columns = parms?.columns ?? 1;
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((colors * bpc * columns) / 8);
  if (rowLen <= 0 || rowLen > maxBytes) throw new Error('bad predictor parameters');
  if (predictor === 2) {
    if (bpc !== 8) throw new UnsupportedFilterError('TIFF predictor with bits per component other than 8');
    const out = Buffer.from(data);
    for (let r = 0; r + rowLen <= out.length; r += rowLen)
      for (let i = bpp; i < rowLen; i++) out[r + i] = (out[r + i]! + out[r + i - bpp]!) & 0xff;
    return out;
  }
  // PNG predictors (10..15): each row starts with its own filter-type byte.
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = Buffer.alloc(rows * rowLen);
  const prev = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)]!;
    const src = r * (rowLen + 1) + 1;
    const dst = r * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const x = data[src + i]!;
      const a = i >= bpp ? out[dst + i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v: number;
      switch (type) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`bad PNG predictor row type ${type}`);
      }
      out[dst + i] = v & 0xff;
    }
    prev.set(out.subarray(dst, dst + rowLen));
  }
  return out;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let hi = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) v = c - 55;
    else if (c >= 0x61 && c <= 0x66) v = c - 87;
    else continue;
    if (hi < 0) hi = v;
    else {
      out.push((hi << 4) | v);
      hi = -1;
    }
  }
  if (hi >= 0) out.push(hi << 4);
  return Uint8Array.from(out);
}

function ascii85(data: Uint8Array, maxBytes: number): Uint8Array {
  const out: number[] = [];
  let group: number[] = [];
  let i = 0;
  if (data[0] === 0x3c && data[1] === 0x7e) i = 2;
  for (; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x7e) break;
    if (c <= 32) continue;
    if (c === 0x7a && group.length === 0) {
      out.push(0, 0, 0, 0);
    } else {
      if (c < 33 || c > 117) throw new Error('bad ASCII85 character');
      group.push(c - 33);
      if (group.length === 5) {
        let v = 0;
        for (const g of group) v = v * 85 + g;
        out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
        group = [];
      }
    }
    if (out.length > maxBytes) throw new StreamTooLargeError(maxBytes);
  }
  if (group.length > 1) {
    const n = group.length;
    while (group.length < 5) group.push(84);
    let v = 0;
    for (const g of group) v = v * 85 + g;
    const bytes = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    out.push(...bytes.slice(0, n - 1));
  }
  return Uint8Array.from(out);
}

function runLength(data: Uint8Array, maxBytes: number): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    const n = data[i++]!;
    if (n === 128) break;
    if (n < 128) {
      for (let k = 0; k <= n && i < data.length; k++) out.push(data[i++]!);
    } else {
      const b = data[i++] ?? 0;
      for (let k = 0; k < 257 - n; k++) out.push(b);
    }
    if (out.length > maxBytes) throw new StreamTooLargeError(maxBytes);
  }
  return Uint8Array.from(out);
}

function lzw(data: Uint8Array, maxBytes: number, earlyChange: number): Uint8Array {
  const out: number[] = [];
  let dict: number[][] = [];
  const reset = () => {
    dict = [];
    for (let i = 0; i < 256; i++) dict.push([i]);
    dict.push([], []);
  };
  reset();
  let codeLen = 9;
  let bitBuf = 0;
  let bitCount = 0;
  let prev: number[] | null = null;
  for (let i = 0; i < data.length; i++) {
    bitBuf = (bitBuf << 8) | data[i]!;
    bitCount += 8;
    while (bitCount >= codeLen) {
      const code = (bitBuf >>> (bitCount - codeLen)) & ((1 << codeLen) - 1);
      bitCount -= codeLen;
      bitBuf &= (1 << bitCount) - 1;
      if (code === 256) {
        reset();
        codeLen = 9;
        prev = null;
        continue;
      }
      if (code === 257) return Uint8Array.from(out);
      let entry: number[];
      if (code < dict.length && dict[code]!.length > 0) entry = dict[code]!;
      else if (prev && code === dict.length) entry = [...prev, prev[0]!];
      else throw new Error('bad LZW code');
      for (const b of entry) out.push(b);
      if (out.length > maxBytes) throw new StreamTooLargeError(maxBytes);
      if (prev) dict.push([...prev, entry[0]!]);
      prev = entry;
      if (dict.length + earlyChange >= 1 << codeLen && codeLen < 12) codeLen++;
    }
  }
  return Uint8Array.from(out);
}
