/** Certification signatures (--certify --docmdp 1|2|3) and the P=1 refusal, through the real CLI. */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign, tempFilesIn } from './helpers.js';
import { judge } from './validators.js';

const pki = getPki();
let dir: string;
let src: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-certify-'));
  await mkdir(path.join(dir, 'samples'));
  const s = await makeSamplePdfs(path.join(dir, 'samples'));
  src = path.join(dir, 'doc.pdf');
  await copyFile(s.simple, src);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('certification', () => {
  for (const p of ['1', '2', '3'] as const) {
    it(`--certify --docmdp ${p}: pdfsig accepts it; a later signature is ${p === '1' ? 'refused (exit 5)' : 'allowed'}`, async () => {
      const cert = path.join(dir, `cert${p}.pdf`);
      const r = await kysoSign([src, '-o', cert, '--certify', '--docmdp', p, '--p12', pki.leaves['leader-rsa'].p12, '--lang', 'en']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await judge(cert, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
      const text = await readFile(cert, 'latin1');
      expect(text).toMatch(/\/TransformMethod\s*\/DocMDP/);
      expect(text).toMatch(new RegExp(`/P\\s+${p}\\b`));
      expect(text).toMatch(/\/Perms\s*<<\s*\/DocMDP/);

      const next = path.join(dir, `cert${p}-2.pdf`);
      const r2 = await kysoSign([cert, '-o', next, '--p12', pki.leaves['org-rsa'].p12, '--lang', 'en']);
      if (p === '1') {
        expect(r2.code).toBe(5);
        expect(r2.stderr).toMatch(/certified with DocMDP permission 1 \(no changes allowed\)/);
        expect(r2.stderr).toContain(`cert1.pdf`);
        expect(r2.stderr.trim().split('\n')).toHaveLength(1);
        expect(existsSync(next)).toBe(false);
        // only this test's temp files: the other certification tests write into `dir` concurrently
        expect((await tempFilesIn(dir)).filter((f) => f.includes('cert1-2'))).toEqual([]);
      } else {
        expect(r2.stderr).toBe('');
        expect(r2.code).toBe(0);
        expect(await judge(next, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 2 })).toEqual([]);
      }
    });
  }
  it('--docmdp without --certify is a usage error (exit 2)', async () => {
    const r = await kysoSign([src, '-o', path.join(dir, 'x.pdf'), '--docmdp', '1', '--p12', pki.leaves['leader-rsa'].p12, '--lang', 'en']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--docmdp only goes with --certify');
    expect(existsSync(path.join(dir, 'x.pdf'))).toBe(false);
  });
});
