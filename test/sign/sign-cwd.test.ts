/** Paths on the command line are relative to the working folder: --p12, --passphrase-file, inputs and -o. */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { main, realContext } from '../../src/cli/main.js';
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
    await mkdir(path.join(dir, 'samples'));
    const samples = await makeSamplePdfs(path.join(dir, 'samples'));
    await copyFile(samples.simple, path.join(dir, 'cv.pdf'));
    await copyFile(pki.leaves['leader-rsa'].p12, path.join(dir, 'lanh-dao.p12'));
    await writeFile(path.join(dir, 'mk.txt'), pki.password + '\n', { mode: 0o600 });
    // in-process, as `kyso demo` runs its steps: the context's folder differs from the process's
    let stderr = '';
    const base = realContext();
    const code = await main(['sign', 'cv.pdf', '-o', 'cv.signed.pdf', '--p12', 'lanh-dao.p12', '--passphrase-file', 'mk.txt', '--lang', 'en'], {
      ...base,
      cwd: dir,
      env: { PATH: process.env.PATH },
      stdinIsTTY: false,
      stdout: { write: () => {}, isTTY: false },
      stderr: { write: (s) => void (stderr += s), isTTY: false },
    });
    expect(process.cwd()).not.toBe(dir);
    expect(code, stderr).toBe(0);
    expect(existsSync(path.join(dir, 'cv.signed.pdf'))).toBe(true);
  });
});
