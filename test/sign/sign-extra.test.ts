/** Ctrl-C leaves nothing behind; --chain completes a p12 that holds only the leaf. Through the real CLI. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLargePdf, makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';
import { KYSO_BIN, ROOT } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign, listFiles, tempFilesIn } from './helpers.js';
import { exec, judge } from './validators.js';

const pki = getPki();
let dir: string;
let samples: Record<SampleName, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-extra-'));
  await mkdir(path.join(dir, 'samples'));
  samples = await makeSamplePdfs(path.join(dir, 'samples'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('robustness', () => {
  it('Ctrl-C (SIGINT) while signing a large file: exit 130, no output, no temp file', async () => {
    const d = path.join(dir, 'int');
    await mkdir(d);
    const input = path.join(d, 'big.pdf');
    await makeLargePdf(input, 200 * 1024 * 1024);
    const out = path.join(d, 'big.signed.pdf');
    const child = spawn(process.execPath, [KYSO_BIN, 'sign', input, '-o', out, '--p12', pki.leaves['leader-rsa'].p12], {
      cwd: ROOT,
      env: { ...process.env, KYSO_P12_PASSWORD: pki.password, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
    // wait until the temp file exists (the copy is under way), then interrupt
    let sawTemp = false;
    for (let i = 0; i < 600 && !sawTemp; i++) {
      sawTemp = (await tempFilesIn(d)).length > 0;
      if (!sawTemp) await new Promise((r) => setTimeout(r, 10));
    }
    expect(sawTemp).toBe(true);
    child.kill('SIGINT');
    const code = await exit;
    expect(stderr).not.toMatch(/\n\s+at /);
    // 200 MB are still being copied when the temp file appears: the signal always lands mid-run.
    expect(code, stderr).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(await tempFilesIn(d)).toEqual([]);
    await rm(d, { recursive: true, force: true });
  }, 120_000);

  it('--chain completes a PKCS#12 that holds only the leaf', async () => {
    const d = path.join(dir, 'chain');
    await mkdir(d);
    const leafOnly = path.join(d, 'leaf-only.p12');
    const l = pki.leaves['secretary-rsa'];
    const r0 = await exec('openssl', ['pkcs12', '-export', '-inkey', l.key, '-in', l.cert, '-passout', `pass:${pki.password}`, '-out', leafOnly]);
    expect(r0.code).toBe(0);
    const out = path.join(d, 'out.pdf');
    const r = await kysoSign([samples.simple, '-o', out, '--p12', leafOnly, '--chain', pki.chainPem]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
    expect(await listFiles(d)).toEqual(['leaf-only.p12', 'out.pdf']);
  });
});
