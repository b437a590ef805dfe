/**
 * Bytes before "%PDF-" (a mail-gateway banner; the PDF 2.0 "offset start" example), through the real CLI,
 * judged by pdfsig, qpdf and mutool. What the validators installed here do with such files (measured):
 *  - qpdf 11 and poppler 22 count the xref offsets from the header; poppler (pdfsig) counts /ByteRange from
 *    the first byte of the file;
 *  - mupdf 1.21 repairs every such file and reads no signature in it as valid ("signature byte range extends
 *    past end of file"), whichever way its offsets and /ByteRange count.
 * So kyso signs an unsigned file as a clean copy from the header on (when its offsets count from the header),
 * and refuses every other shape: any signature it added to a file that keeps the bytes would be read
 * differently by pdfsig and mupdf.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { exec, pdfsig, qpdfCheck } from './validators.js';

const BANNER = Buffer.from('X-Mailer: gateway\r\n\r\n', 'latin1'); // 21 bytes
let dir: string;
let pki: ReturnType<typeof getPki>;
const env = () => ({ KYSO_P12_PASSWORD: pki.password });
const sign = (input: string, output: string, lang = 'en') =>
  runKyso(['sign', input, '-o', output, '--p12', pki.leaves['leader-rsa'].p12, '--lang', lang], { env: env() });
const verifyJson = async (file: string) => {
  const r = await runKyso(['verify', file, '--json', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off']);
  return { code: r.code, sig: JSON.parse(r.stdout).result.files[0].signatures[0] };
};
/** mutool's verdicts, and whether mupdf had to repair the file */
async function mutool(file: string): Promise<{ unchanged: number; invalid: number; repaired: boolean }> {
  const v = await exec('mutool', ['sign', '-v', file]);
  const info = await exec('mutool', ['info', file]);
  return {
    unchanged: (v.stdout.match(/The document is unchanged since signing\./g) ?? []).length,
    invalid: (v.stdout.match(/Verification error/g) ?? []).length,
    repaired: /repair/i.test(info.stderr + v.stderr),
  };
}

beforeAll(async () => {
  pki = getPki();
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-prefix-'));
  const { flatPdf } = await import('../../bench/real-world-pdfs.mjs');
  await writeFile(path.join(dir, 'clean.pdf'), flatPdf(3));
  // the banner in front of a finished file: offsets count from the header
  await writeFile(path.join(dir, 'banner.pdf'), flatPdf(3, { prefix: BANNER.toString('latin1'), relativeOffsets: true }));
  // offsets counted from the first byte (no validator reads it that way)
  await writeFile(path.join(dir, 'banner-absolute.pdf'), flatPdf(3, { prefix: BANNER.toString('latin1') }));
  // a signed file with the banner put in front afterwards
  const r = await sign(path.join(dir, 'clean.pdf'), path.join(dir, 'signed.pdf'));
  expect(r.code, r.stderr).toBe(0);
  await writeFile(path.join(dir, 'signed-banner.pdf'), Buffer.concat([BANNER, await readFile(path.join(dir, 'signed.pdf'))]));
  // a file signed WITH the banner, /ByteRange counted from the first byte (what pdfsig checks): the signed
  // file above, banner in front, /ByteRange moved by 21 and the CMS made again over the new ranges
  await writeFile(path.join(dir, 'signed-with-banner.pdf'), resignFromFirstByte(await readFile(path.join(dir, 'signed-banner.pdf'))));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function resignFromFirstByte(f: Buffer): Buffer {
  const s = f.toString('latin1');
  const m = [...s.matchAll(/\/ByteRange\s*\[([^\]]*)\]/g)].pop()!;
  const [, b, c, d] = m[1]!.trim().split(/\s+/).map(Number) as [number, number, number, number];
  const br = [0, b + BANNER.length, c + BANNER.length, d];
  f.write(`/ByteRange [${br.join(' ')}`.padEnd(m[0].length - 1, ' ') + ']', m.index!, 'latin1');
  const data = Buffer.concat([f.subarray(0, br[1]), f.subarray(br[2]!, br[2]! + br[3]!)]);
  const leaf = pki.leaves['leader-rsa'];
  const der = execFileSync('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-signer', leaf.cert, '-inkey', leaf.key, '-certfile', pki.inter.cert, '-outform', 'DER'], { input: data });
  expect(f[br[1]!]).toBe(0x3c);
  f.write(der.toString('hex').padEnd(br[2]! - br[1]! - 2, '0'), br[1]! + 1, 'latin1');
  return f;
}

describe('kyso sign, bytes before %PDF-', () => {
  it('an unsigned file whose offsets count from the header: a clean copy from %PDF- on, said on stderr; every validator reads it, and it signs again', async () => {
    const out = path.join(dir, 'banner.signed.pdf');
    const r = await sign(path.join(dir, 'banner.pdf'), out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('banner.pdf: the 21 byte(s) before the %PDF- header (a mail-gateway banner?) are left out');
    expect(r.stderr).toContain('is a clean copy from the header on');
    const input = await readFile(path.join(dir, 'banner.pdf'));
    const output = await readFile(out);
    expect(output.subarray(0, 5).toString()).toBe('%PDF-');
    // the input from its header on is a byte prefix of the output: nothing of the document was rewritten
    expect(output.subarray(0, input.length - 21).equals(input.subarray(21))).toBe(true);
    expect((await pdfsig(out, pki.nssDir)).map((s) => s.valid && s.trusted && s.totalDocument)).toEqual([true]);
    expect((await qpdfCheck(out)).ok).toBe(true);
    expect(await mutool(out)).toEqual({ unchanged: 1, invalid: 0, repaired: false });
    const out2 = path.join(dir, 'banner.signed2.pdf');
    const r2 = await sign(out, out2);
    expect(r2.code, r2.stderr).toBe(0);
    expect((await pdfsig(out2, pki.nssDir)).map((s) => s.valid && s.trusted)).toEqual([true, true]);
    expect(await mutool(out2)).toMatchObject({ invalid: 0, repaired: false });
  });

  it('the same in Vietnamese', async () => {
    const r = await sign(path.join(dir, 'banner.pdf'), path.join(dir, 'banner.vi.pdf'), 'vi');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('21 byte đứng trước phần đầu %PDF- (dòng chữ do cổng thư điện tử thêm vào?) được bỏ đi');
  });

  it('offsets counted from the first byte: refused (exit 5), no output, with the qpdf command that makes a clean copy', async () => {
    const out = path.join(dir, 'abs.signed.pdf');
    const r = await sign(path.join(dir, 'banner-absolute.pdf'), out);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/banner-absolute\.pdf: 21 byte\(s\) come before the %PDF- header .*its offsets do not count from the header.*qpdf in\.pdf clean\.pdf/);
    expect(existsSync(out)).toBe(false);
    // the advice works: qpdf's copy signs
    const q = path.join(dir, 'abs-qpdf.pdf');
    await exec('qpdf', [path.join(dir, 'banner-absolute.pdf'), q]);
    expect((await sign(q, path.join(dir, 'abs-qpdf.signed.pdf'))).code).toBe(0);
  });

  it('validators disagree on a signed file with bytes before %PDF-, so kyso refuses to add a signature to it (exit 5, no output)', async () => {
    // banner put in front after signing: pdfsig and mupdf both read the signature as broken
    const banner = path.join(dir, 'signed-banner.pdf');
    expect((await pdfsig(banner, pki.nssDir)).map((s) => s.valid)).toEqual([false]);
    expect(await mutool(banner)).toMatchObject({ unchanged: 0, invalid: 1, repaired: true });
    // signed with the banner, /ByteRange from the first byte: pdfsig says valid, mupdf says invalid
    const withBanner = path.join(dir, 'signed-with-banner.pdf');
    expect((await pdfsig(withBanner, pki.nssDir)).map((s) => s.valid && s.totalDocument)).toEqual([true]);
    expect(await mutool(withBanner)).toMatchObject({ unchanged: 0, invalid: 1, repaired: true });
    for (const f of [banner, withBanner]) {
      const out = f.replace(/\.pdf$/, '.signed.pdf');
      const r = await sign(f, out);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/21 byte\(s\) come before the %PDF- header of this signed PDF .*mupdf reads no signature in it as valid.*not signed; ask the sender for the original file/);
      expect(existsSync(out)).toBe(false);
    }
    const vi = await sign(banner, path.join(dir, 'x.pdf'), 'vi');
    expect(vi.stderr).toContain('có 21 byte đứng trước phần đầu %PDF- của tệp PDF đã ký này');
  });
});

describe('kyso extend, bytes before %PDF-', () => {
  it('a signed file with a banner gets no DSS or timestamp either (exit 5), nothing written', async () => {
    const out = path.join(dir, 'extended');
    const r = await runKyso([
      'extend', path.join(dir, 'signed-with-banner.pdf'), '--level', 'B-LT', '--tsa', pki.urls.tsa, '--accept-indeterminate',
      '--out-dir', out, '--no-default-trust', '--trust', pki.root.cert, '--cache-dir', path.join(dir, 'cache'), '--lang', 'en',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.stdout + r.stderr).toContain('21 byte(s) come before the %PDF- header of this signed PDF');
    expect(existsSync(path.join(out, 'signed-with-banner.pdf'))).toBe(false);
  });
});

describe('kyso verify, bytes before %PDF-', () => {
  it('a banner put in front after signing: broken, as pdfsig and mupdf see it, and the message says how to get the signed file back', async () => {
    const file = path.join(dir, 'signed-banner.pdf');
    const v = await verifyJson(file);
    expect(v.code).toBe(1);
    expect(v.sig.integrity).toBe('broken');
    expect(v.sig.problems.map((p: { code: string }) => p.code)).toEqual(['BR_BYTES_BEFORE_HEADER_ADDED']);
    const t = await runKyso(['verify', file, '--revocation', 'off', '--lang', 'en']);
    expect(t.stdout).toContain('21 byte(s) come before the %PDF- header and this signature counts its signed range from the header, so they were added after signing');
    expect(t.stdout).toContain('tail -c +22 in.pdf > clean.pdf');
    expect(t.stdout).not.toContain('signature wrapping');
    expect(t.stdout).not.toContain('damaged');
    // and the advice is right: the stripped copy is the signed file, intact
    const clean = path.join(dir, 'stripped.pdf');
    await writeFile(clean, execFileSync('tail', ['-c', '+22', file]));
    const c = await verifyJson(clean);
    expect([c.code, c.sig.integrity, c.sig.indication]).toEqual([0, 'ok', 'TOTAL_PASSED']);
  });

  it('signed with the banner (/ByteRange from the first byte): intact as pdfsig reads it, with a warning that mupdf does not accept it', async () => {
    const v = await verifyJson(path.join(dir, 'signed-with-banner.pdf'));
    // (openssl's CMS has no signing-certificate attribute, so the verdict itself is not the point here)
    expect([v.sig.integrity, v.sig.coverage]).toEqual(['ok', 'whole']);
    expect(v.sig.problems.map((p: { code: string }) => p.code)).not.toContain('DOC_DIGEST_MISMATCH');
    expect(v.sig.warnings.map((w: { code: string }) => w.code)).toContain('BYTES_BEFORE_HEADER');
    const t = await runKyso(['verify', path.join(dir, 'signed-with-banner.pdf'), '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--lang', 'vi']);
    expect(t.stdout).toContain('có 21 byte đứng trước phần đầu %PDF-: pdfsig và kyso kiểm tra chữ ký từ byte đầu tiên của tệp, nhưng mupdf (mutool) coi mọi chữ ký trong tệp như vậy là không hợp lệ');
  });

  it('an unsigned file with a banner is read (not reported damaged): no signature', async () => {
    const r = await runKyso(['verify', path.join(dir, 'banner.pdf'), '--json']);
    const f = JSON.parse(r.stdout).result.files[0];
    expect([f.indication, f.error]).toEqual(['NO_SIGNATURE', null]);
  });
});
