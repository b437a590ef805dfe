/**
 * The main "Done when": every fixture PDF signed three times by three different certificates
 * through the real CLI; after each signature pdfsig says every signature is valid and trusted, qpdf --check
 * passes, openssl cms -verify accepts each CMS against the root, and the input is a prefix of the output.
 * Each round signs all fixtures in ONE `kyso sign <folder> --out-dir` run (one passphrase for the batch),
 * which keeps the test fast and exercises the batch path too.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs, VALID_SAMPLES, type SampleName } from '../fixtures/make-pdfs.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { isPrefix, kysoSign, listFiles, tempFilesIn } from './helpers.js';
import { judge, pdfsig } from './validators.js';

const pki = getPki();
let dir: string;
let samples: Record<SampleName, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-matrix-'));
  samples = await makeSamplePdfs(path.join(dir));
  await mkdir(path.join(dir, 'r0'));
  for (const n of VALID_SAMPLES) await copyFile(samples[n], path.join(dir, 'r0', `${n}.pdf`));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ROUNDS: { leaf: LeafName; extra: string[] }[] = [
  { leaf: 'leader-rsa', extra: ['--reason', 'Phê duyệt (bản chính)', '--name', 'Nguyễn Thúy Hằng', '--location', 'Phú Lương'] },
  { leaf: 'org-rsa', extra: ['--reason', 'Ban hành'] },
  { leaf: 'clerk-ec', extra: ['--contact', 'vanthu@phuluong.gov.vn'] },
];

describe.sequential('each fixture signed three times by three certificates', () => {
  const fieldsOf: Record<string, string[]> = {};
  for (const [i, round] of ROUNDS.entries()) {
    it(`round ${i + 1}: ${round.leaf} signs every fixture; pdfsig, qpdf, openssl accept all ${i + 1} signatures`, async () => {
      const from = path.join(dir, `r${i}`);
      const to = path.join(dir, `r${i + 1}`);
      await mkdir(to);
      if (i === 0) {
        // the acroform sample has an empty signature field "LanhDao": fill it first, alone, with -o
        const r = await kysoSign([path.join(from, 'acroform.pdf'), '-o', path.join(to, 'acroform.pdf'), '--field', 'LanhDao', '--p12', pki.leaves[round.leaf].p12, ...round.extra, '--json']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        fieldsOf['acroform'] = [JSON.parse(r.stdout).result.files[0].field];
      }
      const inputs = VALID_SAMPLES.filter((n) => !(i === 0 && n === 'acroform')).map((n) => path.join(from, `${n}.pdf`));
      const r = await kysoSign([...inputs, '--out-dir', to, '--p12', pki.leaves[round.leaf].p12, '--json', ...round.extra, '--lang', 'en']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.ok).toBe(true);
      expect(j.error).toBe(null);
      for (const f of j.result.files) {
        expect(Object.keys(f).sort()).toEqual(['field', 'input', 'level', 'output', 'sha256', 'signer']);
        expect(f.level).toBe('B-B');
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(f.signer).toMatch(/^CN=/);
        const name = path.basename(f.input, '.pdf');
        expect(f.sha256).toBe(createHash('sha256').update(await readFile(path.join(to, `${name}.pdf`))).digest('hex'));
        (fieldsOf[name] ??= []).push(f.field);
      }
      expect(await listFiles(to)).toEqual(VALID_SAMPLES.map((n) => `${n}.pdf`).sort());
      const results = await Promise.all(
        VALID_SAMPLES.map(async (n) => {
          const problems = await judge(path.join(to, `${n}.pdf`), { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: i + 1 });
          if (!(await isPrefix(path.join(from, `${n}.pdf`), path.join(to, `${n}.pdf`)))) problems.push('input is not a prefix of the output');
          return [n, problems] as const;
        }),
      );
      expect(Object.fromEntries(results.filter(([, p]) => p.length))).toEqual({});
      expect(await tempFilesIn(dir)).toEqual([]);
    });
  }

  it('three distinct fields, CAdES subfilter, the last one covers the whole file, Vietnamese text as UTF-16', async () => {
    expect(fieldsOf['acroform']![0]).toBe('LanhDao');
    for (const n of VALID_SAMPLES) {
      expect(new Set(fieldsOf[n]).size, n).toBe(3);
      const f = path.join(dir, 'r3', `${n}.pdf`);
      const sigs = await pdfsig(f, pki.nssDir);
      expect(sigs.map((s) => s.type)).toEqual(['ETSI.CAdES.detached', 'ETSI.CAdES.detached', 'ETSI.CAdES.detached']);
      expect(sigs[2]!.totalDocument).toBe(true);
      expect(await readFile(f, 'latin1')).toMatch(/\/Reason\s*<FEFF/i);
    }
  });
});
