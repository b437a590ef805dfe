// pdf-lib imports pako (45 kB) only for pako.deflate (PDFContext.flateStream, PDFFlateStream). The bundle
// gives it this instead (scripts/build.mjs): Node's own zlib, which produces the same zlib format, so every
// command that touches pdf-lib does not compile a second deflate implementation at start-up.
import { deflateSync } from 'node:zlib';

export function deflate(data) {
  const b = deflateSync(data);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export default { deflate };
