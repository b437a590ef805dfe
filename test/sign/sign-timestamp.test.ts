/** PAdES B-T: a signature time-stamp from the local RFC 3161 TSA (getPki), through the real CLI. */
import { createHash, X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureTimestampOf, signatureValueOf } from '../../src/crypto/cades.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign, tempFilesIn } from './helpers.js';
import { cmsPrint, dssContents, exec, extractSignatures, judge, pdfsig } from './validators.js';

const pki = getPki();
let dir: string;
let src: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-bt-'));
  await mkdir(path.join(dir, 'samples'));
  const s = await makeSamplePdfs(path.join(dir, 'samples'));
  src = path.join(dir, 'doc.pdf');
  await copyFile(s['qpdf-objstm'], src);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.sequential('B-T', () => {
  it('--level B-T --tsa <dead> --tsa <local>: falls back, pdfsig valid, the token is in the CMS and verifies', async () => {
    const out = path.join(dir, 'bt.pdf');
    const r = await kysoSign([src, '-o', out, '--level', 'B-T', '--tsa', pki.urls.dead, '--tsa', pki.urls.tsa, '--p12', pki.leaves['leader-rsa'].p12, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).result.files[0].level).toBe('B-T');
    expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
    const [sig] = await extractSignatures(out);
    expect(await cmsPrint(sig!.der)).toContain('id-smime-aa-timeStampToken');
    const token = signatureTimestampOf(sig!.der);
    expect(token).toBeDefined();
    await writeFile(path.join(dir, 'tok.der'), token!);
    await writeFile(path.join(dir, 'sig.bin'), signatureValueOf(sig!.der));
    const ca = path.join(dir, 'ca.pem');
    await writeFile(ca, (await readFile(pki.inter.cert, 'utf8')) + (await readFile(pki.root.cert, 'utf8')));
    const v = await exec('openssl', ['ts', '-verify', '-token_in', '-in', path.join(dir, 'tok.der'), '-data', path.join(dir, 'sig.bin'), '-CAfile', ca, '-untrusted', pki.tsa.cert]);
    expect(v.stdout + v.stderr).toContain('Verification: OK');
    // and a second, B-B signature on top keeps both valid
    const out2 = path.join(dir, 'bt2.pdf');
    const r2 = await kysoSign([out, '-o', out2, '--p12', pki.leaves['deputy-ec384'].p12]);
    expect(r2.code).toBe(0);
    expect(await judge(out2, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 2 })).toEqual([]);
  });
  it('no TSA reachable: the file is not written, nothing left behind, exit 6', async () => {
    const out = path.join(dir, 'dead.pdf');
    const r = await kysoSign([src, '-o', out, '--level', 'B-T', '--tsa', pki.urls.dead, '--p12', pki.leaves['leader-rsa'].p12, '--lang', 'en']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/no time-stamp authority answered/);
    expect(existsSync(out)).toBe(false);
    expect(await tempFilesIn(dir)).toEqual([]);
  });
  for (const level of ['B-LT', 'B-LTA'] as const) {
    it(`--level ${level}: DSS with the chain's certificates and OCSP answers${level === 'B-LTA' ? ', then a document time-stamp' : ''}; all judges accept it`, async () => {
      const out = path.join(dir, `${level}.pdf`);
      const r = await kysoSign([src, '-o', out, '--level', level, '--tsa', pki.urls.tsa, '--p12', pki.leaves['clerk-ec'].p12, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const f = JSON.parse(r.stdout).result.files[0];
      expect(f.level).toBe(level);
      expect(f.sha256).toBe(createHash('sha256').update(await readFile(out)).digest('hex'));
      const text = await readFile(out, 'latin1');
      expect(text).toMatch(/\/DSS\s+\d+ 0 R|\/DSS\s*<</);
      expect(text).toMatch(/\/OCSPs\s*\[/);
      expect(text).toMatch(/\/Certs\s*\[/);
      // The OCSP responder that signed the embedded answers is in the DSS too (offline checks need it).
      const dss = await dssContents(out);
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      expect(dss.ocsps.length).toBeGreaterThan(0);
      expect(dss.certs.map(sha)).toContain(sha(new X509Certificate(await readFile(pki.ocspSigner.cert)).raw));
      const sigs = await extractSignatures(out);
      expect(sigs.map((s) => s.subFilter)).toEqual(level === 'B-LTA' ? ['ETSI.CAdES.detached', 'ETSI.RFC3161'] : ['ETSI.CAdES.detached']);
      expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert })).toEqual([]);
      const ps = await pdfsig(out, pki.nssDir);
      expect(ps[0]!.valid && ps[0]!.trusted).toBe(true);
      expect(await tempFilesIn(dir)).toEqual([]);
    });
  }
  it('--level B-LT with a revoked certificate: refused (exit 4), nothing written', async () => {
    const out = path.join(dir, 'revoked.pdf');
    const r = await kysoSign([src, '-o', out, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--p12', pki.leaves['revoked-rsa'].p12, '--lang', 'en']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/the certificate was revoked on \d{4}-/);
    expect(existsSync(out)).toBe(false);
    expect(await tempFilesIn(dir)).toEqual([]);
  });
});
