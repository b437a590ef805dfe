/** PAdES levels as kyso verify reports them for what kyso sign makes, B-B through B-LTA, through the real CLI. */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const pki = getPki();
let dir: string;
let src: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-levels-'));
  await mkdir(path.join(dir, 'samples'));
  src = path.join(dir, 'doc.pdf');
  await copyFile((await makeSamplePdfs(path.join(dir, 'samples'))).simple, src);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('levels: kyso sign --level X, then kyso verify', () => {
  for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const) {
    it(`${level} is verified as ${level}, TOTAL_PASSED, with OCSP checked online`, async () => {
      const out = path.join(dir, `${level}.pdf`);
      const tsa = level === 'B-B' ? [] : ['--tsa', pki.urls.tsa];
      const s = await runKyso(['sign', src, '-o', out, '--level', level, ...tsa, '--p12', pki.leaves['leader-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
      expect(s.code, s.stderr).toBe(0);
      const v = await runKyso(['verify', out, '--trust', pki.root.cert, '--no-default-trust', '--json', '--cache-dir', path.join(dir, 'cache-' + level)]);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      const sigs = JSON.parse(v.stdout).result.files[0].signatures as Array<{ type: string; level: string; indication: string; timestamp: { valid: boolean } | null }>;
      const signature = sigs.filter((x) => x.type === 'signature');
      expect(signature).toHaveLength(1);
      expect(signature[0]).toMatchObject({ level, indication: 'TOTAL_PASSED' });
      if (level !== 'B-B') expect(signature[0]!.timestamp?.valid).toBe(true);
      const docTs = sigs.filter((x) => x.type === 'timestamp');
      expect(docTs).toHaveLength(level === 'B-LTA' ? 1 : 0);
      for (const t of docTs) expect(t).toMatchObject({ level: 'none', indication: 'TOTAL_PASSED' });
    });
  }
});
