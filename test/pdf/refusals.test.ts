import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestByteRange, embedSignature, preparePdfForSigning, type PlaceholderOptions } from '../../src/pdf/sign-pdf.js';
import { makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';

let dir: string;
let samples: Record<SampleName, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-pdf-refuse-'));
  samples = await makeSamplePdfs(dir);
});
afterAll(async () => {
  if (dir && !process.env.KYSO_KEEP_TEST_PDFS) await rm(dir, { recursive: true, force: true });
});

const opts = (o: Partial<PlaceholderOptions> = {}): PlaceholderOptions => ({
  signingTime: new Date('2026-11-27T10:00:00Z'),
  subFilter: 'ETSI.CAdES.detached',
  contentsBytes: 4096,
  ...o,
});
let n = 0;
async function sign(input: string, o: Partial<PlaceholderOptions> = {}) {
  const out = join(dir, `out-${n++}.pdf`);
  const p = await preparePdfForSigning(input, out, opts(o));
  await embedSignature(p, await digestByteRange(out, p.byteRange, 'sha256'));
  return out;
}

async function expectRefused(input: string, code: string, category: string, re: RegExp, o: Partial<PlaceholderOptions> = {}) {
  const out = join(dir, `refused-${n++}.pdf`);
  const err = await preparePdfForSigning(input, out, opts(o)).then(
    () => undefined,
    (e: unknown) => e as { code: string; category: string; msg: { en: string; vi: string } },
  );
  expect(err, `${input} should be refused`).toBeDefined();
  expect(err!.code).toBe(code);
  expect(err!.category).toBe(category);
  expect(err!.msg.en).toMatch(re);
  expect(err!.msg.en).toContain(input);
  expect(err!.msg.vi.length).toBeGreaterThan(10);
  expect(existsSync(out)).toBe(false);
  return err!;
}

describe('refusals: clear KysoError, file named, no output left', () => {
  it('missing file', () => expectRefused(join(dir, 'nope.pdf'), 'INPUT_NOT_FOUND', 'input', /not found/));
  it('not a PDF', () => expectRefused(samples['not-pdf'], 'INPUT_NOT_PDF', 'input', /not a PDF/));
  it('empty file', () => expectRefused(samples.empty, 'INPUT_NOT_PDF', 'input', /empty/));
  it('truncated', () => expectRefused(samples.truncated, 'INPUT_MALFORMED', 'input', /truncated|damaged/));
  it('encrypted', async () => {
    const e = await expectRefused(samples.encrypted, 'INPUT_ENCRYPTED', 'input', /encrypted/);
    expect(e.msg.vi).toMatch(/mã hóa/);
  });
  it('a directory', () => expectRefused(dir, 'INPUT_NOT_PDF', 'input', /not a PDF/));
  it('DocMDP P=1', async () => {
    const certified = await sign(samples.simple, { certify: { permission: 1 } });
    const e = await expectRefused(certified, 'INPUT_DOCMDP_LOCKED', 'input', /DocMDP permission 1/);
    expect(e.msg.vi).toMatch(/chứng thực/);
    // a document time-stamp and a DSS are still allowed under P=1: test/sign/sign-certify.test.ts checks that
    // through the real CLI with a real time-stamp (here it embedded a raw digest and asserted nothing)
  });
  it('DocMDP P=2 still allows a second signature, but not a second certification', async () => {
    const certified = await sign(samples.simple, { certify: { permission: 2 } });
    await sign(certified);
    await expectRefused(certified, 'CERTIFY_NOT_FIRST', 'usage', /first signature/, { certify: { permission: 2 } });
  });
  it('field already signed / not a signature field', async () => {
    const signed = await sign(samples.acroform, { fieldName: 'LanhDao' });
    await expectRefused(signed, 'FIELD_ALREADY_SIGNED', 'usage', /already signed/, { fieldName: 'LanhDao' });
    await expectRefused(samples.acroform, 'FIELD_NOT_SIGNATURE', 'usage', /not a signature field/, { fieldName: 'HoTen' });
  });
  it('already-signed file with a broken xref is never repaired', async () => {
    const signed = await sign(samples.simple);
    const b = await readFile(signed);
    // break the last startxref
    const i = b.lastIndexOf('startxref');
    const broken = Buffer.concat([b.subarray(0, i), Buffer.from('startxref\n12\n%%EOF\n')]);
    const f = join(dir, 'signed-broken.pdf');
    await writeFile(f, broken);
    await expectRefused(f, 'INPUT_SIGNED_DAMAGED', 'input', /already signed/);
  });
  it('page out of range', () => expectRefused(samples.simple, 'PAGE_OUT_OF_RANGE', 'usage', /page 5/, { pageIndex: 4 }));
  it('output that already exists is not overwritten', async () => {
    const out = join(dir, 'exists.pdf');
    await writeFile(out, 'keep me');
    await expect(preparePdfForSigning(samples.simple, out, opts())).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(await readFile(out, 'utf8')).toBe('keep me');
  });
});

describe('field names', () => {
  it('the one prepared empty field is used first; then default names are unique: Signature1, Signature2, … and a named new field is created', async () => {
    const o0 = join(dir, 'fn0.pdf');
    const p0 = await preparePdfForSigning(samples.acroform, o0, opts());
    expect(p0.fieldName).toBe('LanhDao');
    expect(p0.preparedField).toBe(true);
    const o1 = join(dir, 'fn1.pdf');
    const p1 = await preparePdfForSigning(o0, o1, opts());
    expect(p1.fieldName).toBe('Signature1');
    expect(p1.preparedField).toBe(false);
    const o2 = join(dir, 'fn2.pdf');
    const p2 = await preparePdfForSigning(o1, o2, opts());
    expect(p2.fieldName).toBe('Signature2');
    const o3 = join(dir, 'fn3.pdf');
    const p3 = await preparePdfForSigning(o2, o3, opts({ fieldName: 'Văn thư' }));
    expect(p3.fieldName).toBe('Văn thư');
    const o4 = join(dir, 'fn4.pdf');
    await expect(preparePdfForSigning(o3, o4, opts({ fieldName: 'a.b' }))).rejects.toMatchObject({ code: 'FIELD_NAME_INVALID' });
  });
});
