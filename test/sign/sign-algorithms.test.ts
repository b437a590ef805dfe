/**
 * RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256 and P-384, modern and legacy p12, SHA-256/384/512 — through the real
 * CLI, one signature after another on the same document, each judged by pdfsig, qpdf and openssl.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { isPrefix, kysoSign } from './helpers.js';
import { cmsPrint, extractSignatures, judge, pdfsig } from './validators.js';

const pki = getPki();
let dir: string;
let first: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-alg-'));
  await mkdir(path.join(dir, 'samples'));
  const s = await makeSamplePdfs(path.join(dir, 'samples'));
  first = path.join(dir, 'doc0.pdf');
  await copyFile(s.objstm, first);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const STEPS: { leaf: LeafName; p12: 'p12' | 'legacyP12'; flags: string[]; alg: RegExp; hash: string }[] = [
  { leaf: 'leader-rsa', p12: 'p12', flags: ['--rsa-pss'], alg: /rsassaPss/, hash: 'SHA-256' },
  { leaf: 'org-rsa', p12: 'legacyP12', flags: ['--hash', 'sha384'], alg: /rsaEncryption/, hash: 'SHA-384' },
  { leaf: 'clerk-ec', p12: 'legacyP12', flags: ['--hash', 'sha512'], alg: /ecdsa-with-SHA512/, hash: 'SHA-512' },
  { leaf: 'deputy-ec384', p12: 'p12', flags: ['--hash', 'sha384'], alg: /ecdsa-with-SHA384/, hash: 'SHA-384' },
  { leaf: 'secretary-rsa', p12: 'legacyP12', flags: ['--rsa-pss', '--hash', 'sha512'], alg: /rsassaPss/, hash: 'SHA-512' },
  { leaf: 'deputy-ec384', p12: 'legacyP12', flags: [], alg: /ecdsa-with-SHA256/, hash: 'SHA-256' },
];

describe.sequential('signature algorithms and p12 formats, stacked on one document', () => {
  for (const [i, s] of STEPS.entries()) {
    it(`${i + 1}: ${s.leaf} (${s.p12}) ${s.flags.join(' ') || 'defaults'}`, async () => {
      const prev = path.join(dir, `doc${i}.pdf`);
      const out = path.join(dir, `doc${i + 1}.pdf`);
      // the same certificate twice in one file makes pdfsig say "Unknown issue": step 6 reuses deputy-ec384,
      // so only its own signature is judged by pdfsig there (the others were judged before).
      const r = await kysoSign([prev, '-o', out, '--p12', pki.leaves[s.leaf][s.p12], ...s.flags, '--json']);
      // signing again with a certificate that already signed the file is allowed, with a warning (step 6)
      const reused = STEPS.slice(0, i).some((p) => p.leaf === s.leaf);
      const warned = r.stderr.includes('already carries a signature by this same certificate');
      expect(warned, r.stderr).toBe(reused);
      expect(r.stderr.split('\n').filter((l) => l && !l.includes('already carries a signature by this same certificate'))).toEqual([]);
      expect(r.code).toBe(0);
      // the reported SHA-256 of the output is computed in the digest pass: check it against the file
      expect(JSON.parse(r.stdout).result.files[0].sha256).toBe(createHash('sha256').update(await readFile(out)).digest('hex'));
      expect(await isPrefix(prev, out)).toBe(true);
      const sigs = await extractSignatures(out);
      expect(sigs).toHaveLength(i + 1);
      expect(await cmsPrint(sigs[i]!.der)).toMatch(s.alg);
      const ps = await pdfsig(out, pki.nssDir);
      expect(ps[i]!.hash).toBe(s.hash);
      if (i < 5) {
        expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: i + 1 })).toEqual([]);
      } else {
        expect(ps[i]!.valid).toBe(true);
        expect(ps.every((x) => x.valid)).toBe(true);
      }
    });
  }
});
