/**
 * Every bad input of the issue through the real CLI: the one-line message (pinned with --lang), the exit
 * code, and that neither an output nor a temp file is left behind.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign, listFiles, tempFilesIn } from './helpers.js';
import { pdfsig } from './validators.js';

const pki = getPki();
let dir: string;
let samples: Record<SampleName, string>;
const leader = () => pki.leaves['leader-rsa'].p12;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-errors-'));
  await mkdir(path.join(dir, 'samples'));
  samples = await makeSamplePdfs(path.join(dir, 'samples'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh folder holding only `input` (copied), so "nothing left behind" is easy to check. */
async function caseDir(name: string, input?: string): Promise<{ d: string; in: string; out: string }> {
  const d = path.join(dir, name);
  await mkdir(d);
  const inp = path.join(d, 'in.pdf');
  if (input) await copyFile(input, inp);
  return { d, in: inp, out: path.join(d, 'out.pdf') };
}

async function expectNothingLeft(d: string, allowed: string[]) {
  expect(await listFiles(d)).toEqual(allowed.sort());
  expect(await tempFilesIn(d)).toEqual([]);
}

describe.concurrent('bad input documents → exit 5', () => {
  const cases: [string, SampleName | undefined, RegExp][] = [
    ['missing file', undefined, /in\.pdf: file not found/],
    ['not a PDF', 'not-pdf', /in\.pdf: not a PDF file/],
    ['truncated', 'truncated', /in\.pdf: the PDF is (truncated|damaged)/],
    ['encrypted', 'encrypted', /in\.pdf: the PDF is encrypted/],
    ['empty', 'empty', /in\.pdf: the file is empty/],
  ];
  for (const [name, sample, re] of cases) {
    it(name, async () => {
      const c = await caseDir(name.replace(/ /g, '-'), sample ? samples[sample] : undefined);
      const r = await kysoSign([c.in, '-o', c.out, '--p12', leader(), '--lang', 'en']);
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^kyso: /);
      expect(lines[0]).toMatch(re);
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      await expectNothingLeft(c.d, sample ? ['in.pdf'] : []);
    });
  }
});

describe.concurrent('credentials → exit 4', () => {
  const cases: [string, () => string, Record<string, string>, RegExp][] = [
    ['wrong passphrase', () => pki.leaves['leader-rsa'].p12, { KYSO_P12_PASSWORD: 'wrong' }, /leader-rsa\.p12: wrong passphrase/],
    ['wrong passphrase (legacy p12)', () => pki.leaves['clerk-ec'].legacyP12, { KYSO_P12_PASSWORD: 'wrong' }, /wrong passphrase/],
    ['p12 without a private key', () => pki.nokeyP12, {}, /holds no private key/],
    ['expired certificate', () => pki.leaves['expired-rsa'].p12, {}, /Hoàng Văn Cũ: the certificate expired on \d{4}-\d\d-\d\d/],
    ['not yet valid certificate', () => pki.leaves['notyet-rsa'].p12, {}, /the certificate is not valid yet: valid from \d{4}-\d\d-\d\d/],
    ['certificate without signing key usage', () => pki.leaves['nokeyusage-rsa'].p12, {}, /not for signing \(key usage: keyEncipherment/],
    ['no passphrase and no terminal', () => pki.leaves['leader-rsa'].p12, { KYSO_P12_PASSWORD: '' }, /no passphrase: set KYSO_P12_PASSWORD/],
  ];
  for (const [name, p12, env, re] of cases) {
    it(name, async () => {
      const c = await caseDir(name.replace(/[ ()]/g, '-'), samples.simple);
      const r = await kysoSign([c.in, '-o', c.out, '--p12', p12(), '--lang', 'en'], { env });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toMatch(re);
      expect(r.stderr).not.toContain('wrong\n'); // the passphrase itself is never printed
      await expectNothingLeft(c.d, ['in.pdf']);
    });
  }
  it('the Vietnamese message for a wrong passphrase (--lang vi)', async () => {
    const c = await caseDir('vi', samples.simple);
    const r = await kysoSign([c.in, '-o', c.out, '--p12', leader(), '--lang', 'vi'], { env: { KYSO_P12_PASSWORD: 'sai' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^kyso: .*leader-rsa\.p12: sai mật khẩu\n/);
    expect(r.stderr).toContain('Hãy kiểm tra KYSO_P12_PASSWORD');
    await expectNothingLeft(c.d, ['in.pdf']);
  });
  it('--json: the error envelope', async () => {
    const c = await caseDir('json-cred', samples.simple);
    // the error object is the same whatever the language: English message, Vietnamese messageVi
    const r = await kysoSign([c.in, '-o', c.out, '--p12', leader(), '--json', '--lang', 'vi'], { env: { KYSO_P12_PASSWORD: 'bad' } });
    expect(r.code).toBe(4);
    const j = JSON.parse(r.stdout);
    expect(j).toEqual({
      schemaVersion: 1,
      ok: false,
      result: null,
      error: { code: 'P12_BAD_PASSWORD', message: expect.stringContaining('wrong passphrase'), messageVi: expect.stringContaining('sai mật khẩu') },
    });
    expect(r.stdout).not.toContain('bad');
  });
});

describe.concurrent('usage → exit 2', () => {
  it('output exists without --force (and --force replaces it)', async () => {
    const c = await caseDir('exists', samples.simple);
    await writeFile(c.out, 'old');
    const r = await kysoSign([c.in, '-o', c.out, '--p12', leader(), '--lang', 'en']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/out\.pdf: the output file exists already \(use --force to replace it, or --skip-existing to leave it\)/);
    await expectNothingLeft(c.d, ['in.pdf', 'out.pdf']);
    const f = await kysoSign([c.in, '-o', c.out, '--p12', leader(), '--force']);
    expect(f.code).toBe(0);
    expect((await pdfsig(c.out, pki.nssDir)).map((s) => s.valid && s.trusted)).toEqual([true]);
    await expectNothingLeft(c.d, ['in.pdf', 'out.pdf']);
  });
  it('output folder missing', async () => {
    const c = await caseDir('nodir', samples.simple);
    const r = await kysoSign([c.in, '-o', path.join(c.d, 'no', 'such', 'out.pdf'), '--p12', leader(), '--lang', 'en']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no\/such: the output folder does not exist/);
    await expectNothingLeft(c.d, ['in.pdf']);
    const r2 = await kysoSign([c.in, '--out-dir', path.join(c.d, 'missing'), '--p12', leader(), '--lang', 'vi']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/missing: thư mục đầu ra không tồn tại/);
    await expectNothingLeft(c.d, ['in.pdf']);
  });
  it('never overwrites the input, even with --force', async () => {
    const c = await caseDir('same', samples.simple);
    const r = await kysoSign([c.in, '-o', c.in, '--force', '--p12', leader(), '--lang', 'en']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/in\.pdf: the output would overwrite this input itself/);
    await expectNothingLeft(c.d, ['in.pdf']);
  });
  it('B-T / B-LTA without --tsa; an unknown level; -o with several inputs; no credentials', async () => {
    const c = await caseDir('levels', samples.simple);
    const lt = await kysoSign([c.in, '-o', c.out, '--level', 'B-LTA', '--p12', leader(), '--lang', 'en']);
    expect([lt.code, lt.stderr]).toEqual([2, expect.stringMatching(/--level B-LTA needs a time-stamp authority/)]);
    const unknown = await kysoSign([c.in, '-o', c.out, '--level', 'B-X', '--p12', leader(), '--lang', 'en']);
    expect(unknown.code).toBe(2);
    const bt = await kysoSign([c.in, '-o', c.out, '--level', 'B-T', '--p12', leader(), '--lang', 'en']);
    expect([bt.code, bt.stderr]).toEqual([2, expect.stringMatching(/needs a time-stamp authority: --tsa <url>/)]);
    const many = await kysoSign([c.in, samples.simple, '-o', c.out, '--p12', leader(), '--lang', 'en']);
    expect([many.code, many.stderr]).toEqual([2, expect.stringMatching(/-o takes one input, but 2 PDFs were given/)]);
    const none = await kysoSign([c.in, '-o', c.out, '--lang', 'en']);
    expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/no signing key given/)]);
    const bad = await kysoSign([c.in, '-o', c.out, '--hash', 'md5', '--p12', leader(), '--lang', 'en']);
    expect(bad.code).toBe(2);
    await expectNothingLeft(c.d, ['in.pdf']);
  });
});

describe.concurrent('warnings and secrets', () => {
  it('a certificate expiring within 30 days signs with a warning on stderr', async () => {
    const c = await caseDir('expiring', samples.simple);
    const r = await kysoSign([c.in, '-o', c.out, '--p12', pki.leaves['expiring-rsa'].p12, '--lang', 'en']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^kyso: warning: .*the certificate expires in (9|10) day\(s\)/);
    expect(existsSync(c.out)).toBe(true);
  });
  it('--passphrase-file and --passphrase-file - (stdin); the passphrase never appears in output', async () => {
    const c = await caseDir('passfile', samples.simple);
    const pf = path.join(dir, 'pass.txt');
    await writeFile(pf, pki.password + '\n');
    const r = await kysoSign([c.in, '-o', c.out, '--p12', leader(), '--passphrase-file', pf, '--json'], { env: { KYSO_P12_PASSWORD: 'wrong' } });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(pki.password);
    const r2 = await kysoSign([c.in, '-o', path.join(c.d, 'out2.pdf'), '--p12', leader(), '--passphrase-file', '-'], { env: { KYSO_P12_PASSWORD: '' }, input: pki.password + '\n' });
    expect(r2.code).toBe(0);
  });
});
