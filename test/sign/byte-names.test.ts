/**
 * A file whose name is not UTF-8 (Latin-1 / CP1258 bytes, as old archives have) in a folder being signed or
 * verified (issue 14): not a crash, not "file not found", not skipped silently. verify reads it by its bytes and
 * verifies it; sign (whose output name would need the same bytes) refuses it per file with its own code. The
 * name is shown with \xNN escapes (no raw bytes on the terminal); the other files are handled.
 */
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

let dir: string;
let src: string;
/** "văn.pdf" in Latin-1: v, 0xE3 (ã), n — not valid UTF-8 */
const LATIN1_NAME = Buffer.from([0x76, 0xe3, 0x6e, 0x2e, 0x70, 0x64, 0x66]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-byte-names-'));
  await mkdir(path.join(dir, 'samples'));
  src = (await makeSamplePdfs(path.join(dir, 'samples'))).simple;
});

async function folderWithLatin1Name(name: string): Promise<string> {
  const d = path.join(dir, name);
  await mkdir(d);
  await copyFile(src, path.join(d, 'ok.pdf'));
  // written through a Buffer path: the bytes on disk are exactly LATIN1_NAME
  await copyFile(src, Buffer.concat([Buffer.from(`${d}/`), LATIN1_NAME]));
  return d;
}

describe('file names that are not UTF-8', () => {
  it('sign: the file is reported INPUT_NAME_NOT_UTF8 by its escaped name; the other file is signed', async () => {
    const d = await folderWithLatin1Name('sign');
    const out = path.join(dir, 'sign-out');
    await mkdir(out);
    const pki = getPki();
    const args = ['sign', d, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12];
    const j = await runKyso([...args, '--json'], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(j.code, j.stderr).toBe(5);
    const files = JSON.parse(j.stdout).result.files as { input: string; output?: string; error?: { code: string; message: string } }[];
    expect(files).toHaveLength(2);
    const bad = files.find((f) => f.error)!;
    expect(bad.error!.code).toBe('INPUT_NAME_NOT_UTF8');
    expect(bad.input).toBe(path.join(d, 'v\\xe3n.pdf'));
    expect(files.find((f) => !f.error)!.output).toBe(path.join(out, 'ok.pdf'));
    expect(await readdir(out)).toEqual(['ok.pdf']);

    // text: one line naming the escaped file, no raw byte and no U+FFFD on the terminal
    await writeFile(path.join(out, '.keep'), '');
    const t = await runKyso([...args, '--force'], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(t.code).toBe(5);
    expect(t.stderr).toContain(`${path.join(d, 'v\\xe3n.pdf')}: the file name is not UTF-8`);
    expect(t.stderr + t.stdout).not.toMatch(/\uFFFD/);
  });

  it('verify: the file is read by its bytes and verified; its name is shown escaped', async () => {
    const pki = getPki();
    const d = path.join(dir, 'verify');
    await mkdir(d);
    await copyFile(src, path.join(d, 'ok.pdf'));
    const signed = path.join(dir, 'signed.pdf');
    const s = await runKyso(['sign', src, '-o', signed, '--p12', pki.leaves['leader-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(s.code, s.stderr).toBe(0);
    await copyFile(signed, Buffer.concat([Buffer.from(`${d}/`), LATIN1_NAME]));
    const trust = ['--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off', '--allow-unsigned'];
    const r = await runKyso(['verify', d, '--json', ...trust]);
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.stdout).result.files as { file: string; indication: string; error: { code: string } | null }[];
    expect(files.map((f) => [path.basename(f.file), f.indication, f.error?.code ?? null])).toEqual([
      ['ok.pdf', 'NO_SIGNATURE', null],
      ['v\\xe3n.pdf', 'TOTAL_PASSED', null],
    ]);
    const t = await runKyso(['verify', d, ...trust, '--lang', 'vi']);
    expect(t.stdout).toContain('v\\xe3n.pdf: HỢP LỆ');
    expect(t.stdout).not.toMatch(/\uFFFD/);
  });
});
