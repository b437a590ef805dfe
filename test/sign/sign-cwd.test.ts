/** Paths on the command line are relative to the working folder: --p12, --passphrase-file, inputs and -o. */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('kyso sign in another working folder', () => {
  it('resolves --p12, --passphrase-file, the input and -o against the working folder', async () => {
    const pki = getPki();
    const dir = await mkdtemp(path.join(tmpdir(), 'kyso-cwd-'));
    dirs.push(dir);
    const samples = await makeSamplePdfs(path.join(dir, 'samples'));
    await copyFile(samples.simple, path.join(dir, 'cv.pdf'));
    await copyFile(pki.leaves['leader-rsa'].p12, path.join(dir, 'lanh-dao.p12'));
    await writeFile(path.join(dir, 'mk.txt'), pki.password + '\n', { mode: 0o600 });
    const r = await runKyso(['sign', 'cv.pdf', '-o', 'cv.signed.pdf', '--p12', 'lanh-dao.p12', '--passphrase-file', 'mk.txt'], { cwd: dir, env: { KYSO_P12_PASSWORD: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'cv.signed.pdf'))).toBe(true);
  });
});
