/** Unit tests of src/pdf/byte-range-check.ts on hand-made byte buffers (no CLI, no crypto). */
import { describe, expect, it } from 'vitest';
import { PDFContext, PDFDict, PDFHexString, PDFName } from '../../src/pdf/pdf-lib.js';
import { bufferSource } from '../../src/pdf/byte-source.js';
import { checkByteRange, trailingGarbage, trimDer, MAX_CONTENTS_GAP } from '../../src/pdf/byte-range-check.js';

const ctx = PDFContext.create();
function sig(byteRange: unknown, contentsHex?: string): PDFDict {
  const d = ctx.obj({ Type: 'Sig' }) as PDFDict;
  if (byteRange !== undefined) d.set(PDFName.of('ByteRange'), ctx.obj(byteRange as number[]));
  if (contentsHex !== undefined) d.set(PDFName.of('Contents'), PDFHexString.of(contentsHex));
  return d;
}

/** "AAAA<hex>BBBB%%EOF\n" with the ByteRange of that gap. */
function file(hex: string, tail = 'BBBB%%EOF\n'): { buf: Buffer; a: number; b: number } {
  const head = 'AAAA';
  const buf = Buffer.from(`${head}<${hex}>${tail}`, 'latin1');
  return { buf, a: head.length, b: head.length + hex.length + 2 };
}

describe('checkByteRange', () => {
  it('accepts the exact gap and finds the revision', async () => {
    const { buf, a, b } = file('3003020100');
    const r = await checkByteRange(bufferSource(buf), sig([0, a, b, buf.length - b], '3003020100'), [buf.length]);
    expect(r.ok).toBe(true);
    expect(r.coverage).toBe('whole');
    expect(r.revisionIndex).toBe(0);
    expect(Buffer.from(r.contents!).toString('hex')).toBe('3003020100');
  });
  it('coverage partial when the range stops before the end of the revision', async () => {
    const { buf, a, b } = file('3003020100');
    const r = await checkByteRange(bufferSource(buf), sig([0, a, b, buf.length - b - 4], '3003020100'), [buf.length]);
    expect(r.ok).toBe(true);
    expect(r.coverage).toBe('partial');
  });
  it('rejects a gap larger than /Contents (wrapping), a shifted gap, another string, odd hex', async () => {
    const { buf, a, b } = file('3003020100', ' 9 0 obj (evil) endobj BBBB%%EOF\n');
    expect((await checkByteRange(bufferSource(buf), sig([0, a, b + 21, buf.length - b - 21], '3003020100'), [buf.length])).code).toBe('GAP_MISMATCH');
    expect((await checkByteRange(bufferSource(buf), sig([0, a + 1, b, buf.length - b], '3003020100'), [buf.length])).code).toBe('GAP_MISMATCH');
    expect((await checkByteRange(bufferSource(buf), sig([0, a, b, buf.length - b], '3003020101'), [buf.length])).code).toBe('GAP_MISMATCH');
    const odd = file('30030');
    expect((await checkByteRange(bufferSource(odd.buf), sig([0, odd.a, odd.b, odd.buf.length - odd.b], '30030'), [odd.buf.length])).code).toBe('BAD_CONTENTS');
  });
  it('rejects malformed ByteRanges without allocating', async () => {
    const { buf } = file('3003020100');
    const src = bufferSource(buf);
    for (const br of [[0, 0, 0, 0], [1, 4, 16, 10], [0, 4, 16], [0, -4, 16, 10], [0, 4, 16, 1e20], [0, 4, 2 ** 53, 10]]) {
      const r = await checkByteRange(src, sig(br, '3003020100'), [buf.length]);
      expect(r.ok, JSON.stringify(br)).toBe(false);
    }
    expect((await checkByteRange(src, sig(undefined, '3003020100'), [buf.length])).code).toBe('NO_BYTERANGE');
    expect((await checkByteRange(src, sig([0, 4, 16, 10]), [buf.length])).code).toBe('NO_CONTENTS');
    expect((await checkByteRange(src, sig([0, 4, 16, 10], '0000'), [buf.length])).code).toBe('NO_CONTENTS');
    const big = await checkByteRange({ size: MAX_CONTENTS_GAP * 4, read: () => Promise.reject(new Error('must not read')), close: async () => {} }, sig([0, 4, MAX_CONTENTS_GAP * 2, 10], '3003'), [MAX_CONTENTS_GAP * 4]);
    expect(big.code).toBe('GAP_MISMATCH');
  });
  it('trimDer strips placeholder zeros; trailingGarbage ignores whitespace only', async () => {
    expect(Buffer.from(trimDer(Buffer.from('3003020100000000', 'hex'))).toString('hex')).toBe('3003020100');
    const buf = Buffer.from('%%EOF\n  \r\n', 'latin1');
    expect(await trailingGarbage(bufferSource(buf), 6)).toBe(0);
    expect(await trailingGarbage(bufferSource(Buffer.from('%%EOF\n1 0 obj', 'latin1')), 6)).toBeGreaterThan(0);
  });
});
