// pdf-lib imports pako (45 kB) only for pako.deflate (PDFContext.flateStream, PDFFlateStream). The bundle
// gives it this instead (scripts/build.mjs): Node's own zlib, which produces the same zlib format, so every
// command that touches pdf-lib does not compile a second deflate implementation at start-up. node:zlib itself is
// loaded on first use (src/core/lazy-zlib.ts).
import { zlib } from '../src/core/lazy-zlib.ts';

export function deflate(data) {
  const b = zlib().deflateSync(data);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export default { deflate };
