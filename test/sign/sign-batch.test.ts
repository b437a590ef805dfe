/** Many inputs: folders (recursive), globs, --out-dir mirroring, default <name>.signed.pdf, mixed outcomes. */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-batch-'));
  await mkdir(path.join(dir, 'samples'));
  samples = await makeSamplePdfs(path.join(dir, 'samples'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('batches', () => {
  it('a folder with sub-folders → --out-dir mirrors relative paths; non-PDF files are ignored', async () => {
    const src = path.join(dir, 'in1');
    await mkdir(path.join(src, 'phong-a', 'thang-11'), { recursive: true });
    await copyFile(samples.simple, path.join(src, 'cong-van-1.pdf'));
    await copyFile(samples.objstm, path.join(src, 'phong-a', 'to-trinh.pdf'));
    await copyFile(samples.multipage, path.join(src, 'phong-a', 'thang-11', 'quyet-dinh.PDF'));
    await writeFile(path.join(src, 'ghi-chu.txt'), 'not a pdf');
    const out = path.join(dir, 'out1');
    await mkdir(out);
    const r = await kysoSign([src, '--out-dir', out, '--p12', pki.leaves['org-rsa'].p12, '--reason', 'Ban hành']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // human output in a pipe: one tab-separated line per file (file, output, signer, level)
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.split('\t')).toEqual([expect.stringContaining('in1'), expect.stringContaining('out1'), 'UBND huyện Phú Lương', 'B-B']);
    expect(await listFiles(out)).toEqual(['cong-van-1.pdf', 'phong-a/thang-11/quyet-dinh.PDF', 'phong-a/to-trinh.pdf']);
    for (const f of await listFiles(out)) expect((await pdfsig(path.join(out, f), pki.nssDir)).map((s) => s.valid && s.trusted)).toEqual([true]);
  });

  it('a glob without --out-dir → <name>.signed.pdf beside each input', async () => {
    const src = path.join(dir, 'in2');
    await mkdir(path.join(src, 'sub'), { recursive: true });
    await copyFile(samples.simple, path.join(src, 'a.pdf'));
    await copyFile(samples.objstm, path.join(src, 'b.pdf'));
    await copyFile(samples.simple, path.join(src, 'sub', 'c.pdf'));
    const r = await kysoSign(['in2/*.pdf', '--p12', pki.leaves['clerk-ec'].p12, '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.result.files.map((f: { input: string; output: string }) => [f.input, f.output])).toEqual([
      ['in2/a.pdf', 'in2/a.signed.pdf'],
      ['in2/b.pdf', 'in2/b.signed.pdf'],
    ]);
    expect(await listFiles(src)).toEqual(['a.pdf', 'a.signed.pdf', 'b.pdf', 'b.signed.pdf', 'sub/c.pdf']);
    const r2 = await kysoSign(['in2/**/c.pdf', '--p12', pki.leaves['clerk-ec'].p12], { cwd: dir });
    expect(r2.code).toBe(0);
    expect(await listFiles(path.join(src, 'sub'))).toEqual(['c.pdf', 'c.signed.pdf']);
  });

  it('mixed outcomes: good files are signed, bad ones reported one line each; exit 5 (input) wins over 2 (usage)', async () => {
    const src = path.join(dir, 'in3');
    const out = path.join(dir, 'out3');
    await mkdir(src);
    await mkdir(out);
    await copyFile(samples.simple, path.join(src, '1-good.pdf'));
    await copyFile(samples['not-pdf'], path.join(src, '2-notpdf.pdf'));
    await copyFile(samples.encrypted, path.join(src, '3-encrypted.pdf'));
    await copyFile(samples.objstm, path.join(src, '4-good.pdf'));
    await copyFile(samples.simple, path.join(src, '5-exists.pdf'));
    await writeFile(path.join(out, '5-exists.pdf'), 'already here');
    const r = await kysoSign([src, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12, '--json', '--lang', 'en']);
    expect(r.code).toBe(5);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.error).toBe(null);
    const byName = Object.fromEntries(j.result.files.map((f: { input: string }) => [path.basename(f.input), f]));
    expect(byName['1-good.pdf'].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(byName['4-good.pdf'].field).toBe('Signature1');
    expect(byName['2-notpdf.pdf'].error.code).toBe('INPUT_NOT_PDF');
    expect(byName['3-encrypted.pdf'].error.code).toBe('INPUT_ENCRYPTED');
    expect(byName['5-exists.pdf'].error.code).toBe('OUTPUT_EXISTS');
    expect(r.stderr.trim().split('\n')).toHaveLength(3);
    expect(await listFiles(out)).toEqual(['1-good.pdf', '4-good.pdf', '5-exists.pdf']);
    expect(await tempFilesIn(src)).toEqual([]); // (not `dir`: the other tests run concurrently there)
  });
});
