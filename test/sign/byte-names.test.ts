/**
 * A file whose name is not UTF-8 (Latin-1 / CP1258 bytes, as old archives have) in a folder being signed or
 * verified (issue 14): not a crash, not "file not found", not skipped silently. sign opens it by its bytes and
 * writes its output under the same name bytes (`--out-dir`) or `<those bytes>.signed.pdf` beside it; verify
 * reads it by its bytes. Reports show the name with \xNN escapes (no raw bytes, no U+FFFD on the terminal).
 * The files are made at test time through Buffer paths; outputs are found with readdir(encoding 'buffer').
 */
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign } from './helpers.js';
import { judge } from './validators.js';

let dir: string;
let src: string;
/** "văn.pdf" in Latin-1: v, 0xE3 (ã), n — not valid UTF-8 */
const LATIN1_NAME = Buffer.from([0x76, 0xe3, 0x6e, 0x2e, 0x70, 0x64, 0x66]);
/** "văn bản.pdf" in Latin-1 (ã = 0xE3 twice), shown as `v\xe3n b\xe3n.pdf` */
const NAME = Buffer.from('v\xe3n b\xe3n.pdf', 'latin1');
const SHOWN = 'v\\xe3n b\\xe3n.pdf';
const SIGNED_NAME = Buffer.from('v\xe3n b\xe3n.signed.pdf', 'latin1');
const SIGNED_SHOWN = 'v\\xe3n b\\xe3n.signed.pdf';

const bytesPath = (d: string, name: Buffer) => Buffer.concat([Buffer.from(`${d}/`), name]);
/** a folder's names as bytes, as hex (to compare exactly), sorted */
const namesIn = async (d: string) => (await readdir(d, { encoding: 'buffer' })).map((n) => n.toString('hex')).sort();
const hexOf = (...names: (string | Buffer)[]) => names.map((n) => Buffer.from(n).toString('hex')).sort();
const sha = async (p: string | Buffer) => createHash('sha256').update(await readFile(p)).digest('hex');
const trust = () => ['--trust', getPki().root.cert, '--no-default-trust', '--revocation', 'off', '--allow-unsigned'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-byte-names-'));
  await mkdir(path.join(dir, 'samples'));
  src = (await makeSamplePdfs(path.join(dir, 'samples'))).simple;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder holding ok.pdf and a copy of the sample under `name` (written through a Buffer path). */
async function folderWith(sub: string, name: Buffer): Promise<string> {
  const d = path.join(dir, sub);
  await mkdir(d);
  await copyFile(src, path.join(d, 'ok.pdf'));
  await copyFile(src, bytesPath(d, name));
  return d;
}

/** pdfsig (trusted, valid), qpdf --check and openssl judge the file; the tools get a UTF-8 hard link to it. */
async function judgeBytes(file: Buffer): Promise<string[]> {
  const alias = path.join(await mkdtemp(path.join(dir, 'judge-')), 'alias.pdf');
  await link(file, alias);
  return judge(alias, { nssDir: getPki().nssDir, rootPem: getPki().root.cert, expectSignatures: 1 });
}

interface JsonFile {
  input: string;
  output?: string;
  skipped?: string;
  error?: { code: string; message: string };
}

describe('file names that are not UTF-8', () => {
  it('sign --out-dir: signed under the same name bytes, judged valid, verified; --skip-existing skips it; a signed copy is skipped', async () => {
    const pki = getPki();
    const d = await folderWith('outdir', NAME);
    const out = path.join(dir, 'outdir-signed');
    await mkdir(out);
    const r = await kysoSign([d, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.stdout).result.files as JsonFile[];
    expect(files.map((f) => [f.input, f.output, f.error?.code ?? null])).toEqual([
      [path.join(d, 'ok.pdf'), path.join(out, 'ok.pdf'), null],
      [path.join(d, SHOWN), path.join(out, SHOWN), null],
    ]);
    // the output carries exactly the input's name bytes; no temp file is left
    expect(await namesIn(out)).toEqual(hexOf('ok.pdf', NAME));
    expect(await judgeBytes(bytesPath(out, NAME))).toEqual([]);
    expect(r.stdout + r.stderr).not.toMatch(/\uFFFD/);

    // kyso verify of the output folder reads it by its bytes and names it escaped
    const v = await runKyso(['verify', out, '--json', ...trust()]);
    expect(v.code, v.stderr).toBe(0);
    const vf = JSON.parse(v.stdout).result.files as { file: string; indication: string }[];
    expect(vf.map((f) => [f.file, f.indication])).toEqual([
      [path.join(out, 'ok.pdf'), 'TOTAL_PASSED'],
      [path.join(out, SHOWN), 'TOTAL_PASSED'],
    ]);

    // re-run with --skip-existing: both outputs exist, both skipped, nothing rewritten
    const before = await sha(bytesPath(out, NAME));
    const s = await kysoSign([d, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12, '--skip-existing', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect((JSON.parse(s.stdout).result.files as JsonFile[]).map((f) => [f.input, f.skipped])).toEqual([
      [path.join(d, 'ok.pdf'), 'output-exists'],
      [path.join(d, SHOWN), 'output-exists'],
    ]);
    expect(await sha(bytesPath(out, NAME))).toBe(before);

    // without --skip-existing (nor --force): the existing output is an error naming it escaped
    const e = await kysoSign([d, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain(`${path.join(out, SHOWN)}: the output file exists already`);
    expect(e.stderr).not.toMatch(/\uFFFD/);

    // the signed output found in a folder again: read by its bytes, left alone (same certificate)
    const again = path.join(dir, 'outdir-again');
    await mkdir(again);
    const a = await kysoSign([out, '--out-dir', again, '--p12', pki.leaves['leader-rsa'].p12, '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect((JSON.parse(a.stdout).result.files as JsonFile[]).map((f) => [f.input, f.skipped])).toEqual([
      [path.join(out, 'ok.pdf'), 'already-signed'],
      [path.join(out, SHOWN), 'already-signed'],
    ]);
    expect(await readdir(again)).toEqual([]);
  });

  it('sign without --out-dir: <name bytes>.signed.pdf beside the input; the next run leaves it alone by name', async () => {
    const pki = getPki();
    const d = await folderWith('beside', NAME);
    const input = await sha(bytesPath(d, NAME));
    // text report (a pipe: tab-separated lines) names both files escaped
    const r = await kysoSign(['beside', '--p12', pki.leaves['leader-rsa'].p12], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 2))).toEqual([
      [path.join('beside', 'ok.pdf'), path.join('beside', 'ok.signed.pdf')],
      [path.join('beside', SHOWN), path.join('beside', SIGNED_SHOWN)],
    ]);
    expect(r.stdout + r.stderr).not.toMatch(/\uFFFD/);
    expect(await namesIn(d)).toEqual(hexOf('ok.pdf', 'ok.signed.pdf', NAME, SIGNED_NAME));
    expect(await sha(bytesPath(d, NAME))).toBe(input);
    expect(await judgeBytes(bytesPath(d, SIGNED_NAME))).toEqual([]);

    // signing the folder again: the outputs are skipped by name, the inputs' outputs exist (--skip-existing)
    const s = await kysoSign(['beside', '--p12', pki.leaves['leader-rsa'].p12, '--skip-existing', '--json'], { cwd: dir });
    expect(s.code, s.stderr).toBe(0);
    expect((JSON.parse(s.stdout).result.files as JsonFile[]).map((f) => [f.input, f.skipped])).toEqual([
      [path.join('beside', 'ok.pdf'), 'output-exists'],
      [path.join('beside', 'ok.signed.pdf'), 'signed-name'],
      [path.join('beside', SHOWN), 'output-exists'],
      [path.join('beside', SIGNED_SHOWN), 'signed-name'],
    ]);
    expect(await namesIn(d)).toEqual(hexOf('ok.pdf', 'ok.signed.pdf', NAME, SIGNED_NAME));
  });

  it('sign a glob: the matched file is signed beside itself under its name bytes', async () => {
    const pki = getPki();
    const d = await folderWith('glob', LATIN1_NAME);
    const r = await kysoSign(['glob/v*.pdf', '--p12', pki.leaves['clerk-ec'].p12, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout).result.files as JsonFile[]).map((f) => [f.input, f.output])).toEqual([['glob/v\\xe3n.pdf', 'glob/v\\xe3n.signed.pdf']]);
    const signed = Buffer.concat([LATIN1_NAME.subarray(0, 3), Buffer.from('.signed.pdf')]);
    expect(await namesIn(d)).toEqual(hexOf('ok.pdf', LATIN1_NAME, signed));
    expect(await judgeBytes(bytesPath(d, signed))).toEqual([]);
  });

  it('--out-dir reaching the input folder through a symlink: refused (OUTPUT_IS_INPUT), the input unchanged', async () => {
    const pki = getPki();
    const d = await folderWith('alias', NAME);
    const before = await sha(bytesPath(d, NAME));
    const same = path.join(dir, 'alias-link');
    await symlink(d, same);
    const r = await kysoSign([d, '--out-dir', same, '--p12', pki.leaves['leader-rsa'].p12, '--json']);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout).result.files as JsonFile[]).map((f) => [f.input, f.error?.code])).toEqual([
      [path.join(d, 'ok.pdf'), 'OUTPUT_IS_INPUT'],
      [path.join(d, SHOWN), 'OUTPUT_IS_INPUT'],
    ]);
    expect(await sha(bytesPath(d, NAME))).toBe(before);
    expect(await namesIn(d)).toEqual(hexOf('ok.pdf', NAME));
  });

  it('a sub-folder whose name is not UTF-8 is entered by its bytes: its files are signed beside themselves or under --out-dir in a sub-folder of the same name bytes', async () => {
    const pki = getPki();
    const d = await folderWith('subdir', NAME);
    const SUB = Buffer.from('c\xf4ng v\xe3n', 'latin1');
    const sub = bytesPath(d, SUB);
    await mkdir(sub);
    await copyFile(src, Buffer.concat([sub, Buffer.from('/a.pdf')]));
    await copyFile(src, Buffer.concat([sub, Buffer.from('/'), LATIN1_NAME]));
    const out = path.join(dir, 'subdir-signed');
    await mkdir(out);
    const key = ['--p12', pki.leaves['leader-rsa'].p12];
    const r = await kysoSign([d, '--out-dir', out, ...key, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.stdout).result.files as JsonFile[];
    expect(files.map((f) => [f.input, f.output, f.error?.code ?? null])).toEqual([
      [path.join(d, 'c\\xf4ng v\\xe3n/a.pdf'), path.join(out, 'c\\xf4ng v\\xe3n/a.pdf'), null],
      [path.join(d, 'c\\xf4ng v\\xe3n/v\\xe3n.pdf'), path.join(out, 'c\\xf4ng v\\xe3n/v\\xe3n.pdf'), null],
      [path.join(d, 'ok.pdf'), path.join(out, 'ok.pdf'), null],
      [path.join(d, SHOWN), path.join(out, SHOWN), null],
    ]);
    expect(r.stdout + r.stderr).not.toMatch(/\/proc\/self|\uFFFD/);
    // the output sub-folder carries the same name bytes; inside it, the same file name bytes
    expect(await namesIn(out)).toEqual(hexOf('ok.pdf', NAME, SUB));
    const outSub = bytesPath(out, SUB);
    expect((await readdir(outSub, { encoding: 'buffer' })).map((n) => n.toString('hex')).sort()).toEqual(hexOf('a.pdf', LATIN1_NAME));
    expect(await judgeBytes(Buffer.concat([outSub, Buffer.from('/'), LATIN1_NAME]))).toEqual([]);
    expect(await judgeBytes(Buffer.concat([outSub, Buffer.from('/a.pdf')]))).toEqual([]);
    // beside the input, inside the sub-folder: <name bytes>.signed.pdf
    const beside = await kysoSign([d, ...key, '--json']);
    expect(beside.code, beside.stderr).toBe(0);
    expect((await readdir(sub, { encoding: 'buffer' })).map((n) => n.toString('hex')).sort()).toEqual(
      hexOf('a.pdf', 'a.signed.pdf', LATIN1_NAME, Buffer.from('v\xe3n.signed.pdf', 'latin1')),
    );
    expect(await judgeBytes(Buffer.concat([sub, Buffer.from('/v\xe3n.signed.pdf', 'latin1')]))).toEqual([]);
    // the next run finds them: --skip-existing, and *.signed.pdf left alone
    const again = await kysoSign([d, '--out-dir', out, '--skip-existing', ...key, '--json']);
    expect((JSON.parse(again.stdout).result.files as JsonFile[]).filter((f) => f.input.includes('c\\xf4ng')).map((f) => f.skipped)).toEqual([
      'output-exists',
      'signed-name',
      'output-exists',
      'signed-name',
    ]);
    // kyso verify walks the sub-folder by its bytes too
    const v = await runKyso(['verify', out, '--json', ...trust()]);
    expect(v.code, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout).result.files as { indication: string }[]).map((f) => f.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED', 'TOTAL_PASSED', 'TOTAL_PASSED']);
    for (const folder of [outSub, sub]) expect((await readdir(folder, { encoding: 'buffer' })).filter((n) => n.includes('.kyso-tmp-'))).toEqual([]);
  });

  it('a stale temp file of ours whose name is not UTF-8 is swept by its bytes', async () => {
    const pki = getPki();
    const out = path.join(dir, 'sweep');
    await mkdir(out);
    const stale = Buffer.concat([Buffer.from('.'), NAME, Buffer.from('.kyso-tmp-9999999-0123456789ab')]);
    await writeFile(bytesPath(out, stale), 'stale');
    const r = await kysoSign([src, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12]);
    expect(r.code, r.stderr).toBe(0);
    expect(await namesIn(out)).toEqual(hexOf('simple.pdf'));
  });

  it('verify: the file is read by its bytes and verified; its name is shown escaped', async () => {
    const pki = getPki();
    const d = path.join(dir, 'verify');
    await mkdir(d);
    await copyFile(src, path.join(d, 'ok.pdf'));
    const signed = path.join(dir, 'signed.pdf');
    const s = await runKyso(['sign', src, '-o', signed, '--p12', pki.leaves['leader-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(s.code, s.stderr).toBe(0);
    await copyFile(signed, bytesPath(d, LATIN1_NAME));
    const r = await runKyso(['verify', d, '--json', ...trust()]);
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.stdout).result.files as { file: string; indication: string; error: { code: string } | null }[];
    expect(files.map((f) => [path.basename(f.file), f.indication, f.error?.code ?? null])).toEqual([
      ['ok.pdf', 'NO_SIGNATURE', null],
      ['v\\xe3n.pdf', 'TOTAL_PASSED', null],
    ]);
    const t = await runKyso(['verify', d, ...trust(), '--lang', 'vi']);
    expect(t.stdout).toContain('v\\xe3n.pdf: HỢP LỆ');
    expect(t.stdout).not.toMatch(/\uFFFD/);
  });

  it('verify: a sub-folder whose name is not UTF-8 is walked by its bytes; its files are verified and shown escaped', async () => {
    const pki = getPki();
    const d = path.join(dir, 'verify-sub');
    await mkdir(d);
    const sub = bytesPath(d, Buffer.from('c\xf4ng v\xe3n', 'latin1'));
    await mkdir(sub);
    const signed = path.join(dir, 'signed-sub.pdf');
    const s = await runKyso(['sign', src, '-o', signed, '--p12', pki.leaves['leader-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(s.code, s.stderr).toBe(0);
    await copyFile(signed, Buffer.concat([sub, Buffer.from('/a.pdf')]));
    await copyFile(signed, Buffer.concat([sub, Buffer.from('/'), LATIN1_NAME]));
    const r = await runKyso(['verify', d, '--json', ...trust()]);
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.stdout).result.files as { file: string; indication: string; error: { code: string } | null }[];
    expect(files.map((f) => [path.relative(d, f.file), f.indication, f.error?.code ?? null])).toEqual([
      ['c\\xf4ng v\\xe3n/a.pdf', 'TOTAL_PASSED', null],
      ['c\\xf4ng v\\xe3n/v\\xe3n.pdf', 'TOTAL_PASSED', null],
    ]);
    expect(r.stdout).not.toMatch(/\uFFFD/);
  });
});
