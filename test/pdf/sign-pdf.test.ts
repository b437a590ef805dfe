import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFName, PDFNumber } from '../../src/pdf/pdf-lib.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSource } from '../../src/pdf/byte-source.js';
import { PdfReader } from '../../src/pdf/reader.js';
import { digestByteRange, embedSignature, preparePdfForSigning, type PlaceholderOptions } from '../../src/pdf/sign-pdf.js';
import { EXTRA_VALID_SAMPLES, makeSamplePdfs, VALID_SAMPLES, type SampleName } from '../fixtures/make-pdfs.js';

let dir: string;
let samples: Record<SampleName, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-pdf-sign-'));
  samples = await makeSamplePdfs(dir);
});
afterAll(async () => {
  if (dir && !process.env.KYSO_KEEP_TEST_PDFS) await rm(dir, { recursive: true, force: true });
});

const base = (o: Partial<PlaceholderOptions> = {}): PlaceholderOptions => ({
  signingTime: new Date('2026-11-27T10:00:00Z'),
  subFilter: 'ETSI.CAdES.detached',
  contentsBytes: 8192,
  ...o,
});

/** A dummy "CMS": the test only checks structure; helper B's tests do real signatures. */
const dummyCms = (digest: Buffer) => Buffer.concat([Buffer.from([0x30, 0x82, 0x00, 0x24]), digest, Buffer.from('dummy')]);

function qpdfCheck(file: string): { ok: boolean; out: string } {
  const r = spawnSync('qpdf', ['--check', file], { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

async function signOnce(input: string, out: string, o: Partial<PlaceholderOptions> = {}) {
  const prepared = await preparePdfForSigning(input, out, base(o));
  const digest = await digestByteRange(out, prepared.byteRange, 'sha256');
  await embedSignature(prepared, dummyCms(digest));
  return { prepared, digest };
}

async function readerOf(file: string) {
  return PdfReader.open(await openFileSource(file), { file });
}

describe('preparePdfForSigning on every sample', () => {
  for (const name of [...VALID_SAMPLES, ...EXTRA_VALID_SAMPLES]) {
    it(`${name}: three incremental signatures, prefix property, qpdf --check, /Prev chain, /Size, xref kind`, async () => {
      const input = samples[name];
      const r0 = await readerOf(input);
      const kind0 = r0.recovered ? (r0.xrefKind as string) : r0.xrefKind;
      const revs0 = r0.revisions.length;
      await r0.close();
      let prev = input;
      for (let i = 1; i <= 3; i++) {
        const out = join(dir, `${name}.s${i}.pdf`);
        const { prepared } = await signOnce(prev, out, { reason: `Lần ký ${i}`, name: 'Nguyễn Thúy Hằng', location: 'Phú Lương' });
        const before = await readFile(prev);
        const after = await readFile(out);
        expect(after.subarray(0, before.length).equals(before)).toBe(true);
        expect(prepared.byteRange[0]).toBe(0);
        expect(prepared.byteRange[2] + prepared.byteRange[3]).toBe(after.length);
        expect(after[prepared.byteRange[1]]).toBe(0x3c);
        expect(after[prepared.byteRange[2] - 1]).toBe(0x3e);
        const chk = qpdfCheck(out);
        expect(chk.ok, chk.out).toBe(true);
        expect(chk.out).not.toMatch(/WARNING/);
        const r = await readerOf(out);
        expect(r.recovered).toBe(false);
        expect(r.xrefKind).toBe(kind0);
        expect(r.revisions.length).toBe((name === 'broken-xref' ? 0 : revs0) + i); // the first update of a recovered file has no /Prev
        const last = r.revisions[r.revisions.length - 1]!;
        expect(last.endOffset).toBe(after.length);
        if (!(name === 'broken-xref' && i === 1)) {
          const p = last.trailer.get(PDFName.of('Prev'));
          expect(p).toBeInstanceOf(PDFNumber);
          expect((p as PDFNumber).asNumber()).toBe(r.revisions[r.revisions.length - 2]!.xrefOffset);
        }
        const nums = r.objectNumbers();
        expect((r.trailer.get(PDFName.of('Size')) as PDFNumber).asNumber()).toBe(Math.max(...nums) + 1);
        const sigs = (await r.signatureFields()).filter((f) => f.sig);
        expect(sigs.length).toBe(i);
        expect(new Set(sigs.map((s) => s.name)).size).toBe(i);
        expect(sigs.map((s) => s.name)).toContain(prepared.fieldName);
        // previous revision still hashes to what was signed
        await r.close();
        prev = out;
      }
    });
  }
});

describe('digest and embed', () => {
  it('digest equals sha256 of the two ranges; embed writes hex in place', async () => {
    const out = join(dir, 'digest.pdf');
    const prepared = await preparePdfForSigning(samples.simple, out, base({ contentsBytes: 64 }));
    const d = await digestByteRange(out, prepared.byteRange, 'sha256');
    const buf = await readFile(out);
    const [a, b, c, e] = prepared.byteRange;
    const h = createHash('sha256').update(buf.subarray(a, a + b)).update(buf.subarray(c, c + e)).digest();
    expect(d.equals(h)).toBe(true);
    await embedSignature(prepared, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const buf2 = await readFile(out);
    expect(buf2.length).toBe(buf.length);
    expect(buf2.toString('latin1', prepared.contentsOffset, prepared.contentsOffset + 10)).toBe('DEADBEEF00');
    expect(buf2.toString('latin1').match(/\/ByteRange \[([0-9 ]+)\]/)![1]!.trim().split(/ +/).map(Number)).toEqual(prepared.byteRange);
    await expect(embedSignature(prepared, Buffer.alloc(65))).rejects.toMatchObject({ code: 'SIGNATURE_TOO_LARGE', category: 'internal' });
  });
});
