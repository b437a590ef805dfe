import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestByteRange, embedSignature, preparePdfForSigning } from '../../src/pdf/sign-pdf.js';
import { EXTRA_VALID_SAMPLES, makeSamplePdfs, VALID_SAMPLES, type SampleName } from '../fixtures/make-pdfs.js';
import { getPki, type LeafName } from '../helpers/pki.js';

/**
 * The placeholder is what validators read: sign with a real CMS made by `openssl cms -sign` over the two
 * ranges (helper B makes our own CMS; this isolates the PDF structure) and ask pdfsig.
 */
let dir: string;
let samples: Record<SampleName, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-pdfsig-'));
  samples = await makeSamplePdfs(dir);
});
afterAll(async () => {
  if (dir && !process.env.KYSO_KEEP_TEST_PDFS) await rm(dir, { recursive: true, force: true });
});

async function opensslSign(input: string, out: string, leaf: LeafName, extra: { certify?: 1 | 2 | 3; reason?: string } = {}) {
  const pki = getPki();
  const l = pki.leaves[leaf];
  const prepared = await preparePdfForSigning(input, out, {
    signingTime: new Date(),
    subFilter: 'ETSI.CAdES.detached',
    contentsBytes: 12000,
    reason: extra.reason ?? 'Phê duyệt (đồng ý)',
    name: 'Nguyễn Thúy Hằng',
    location: 'Phú Lương',
    certify: extra.certify ? { permission: extra.certify } : undefined,
  });
  const buf = await readFile(out);
  const [a, b, c, d] = prepared.byteRange;
  const content = join(dir, 'content.bin');
  await writeFile(content, Buffer.concat([buf.subarray(a, a + b), buf.subarray(c, c + d)]));
  const der = execFileSync('openssl', [
    'cms', '-sign', '-binary', '-in', content, '-signer', l.cert, '-inkey', l.key, '-certfile', pki.chainPem,
    '-outform', 'DER', '-nosmimecap', '-md', 'sha256', '-nodetach',
  ].filter((x) => x !== '-nodetach'));
  await embedSignature(prepared, der);
  // sanity: our digest helper agrees with what was signed
  expect((await digestByteRange(out, prepared.byteRange, 'sha256')).length).toBe(32);
  return prepared;
}

function pdfsig(file: string): string {
  const r = spawnSync('pdfsig', ['-nssdir', getPki().nssDir, '-no-ocsp', file], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

describe('pdfsig accepts our placeholder', () => {
  for (const name of [...VALID_SAMPLES, ...EXTRA_VALID_SAMPLES]) {
    it(`${name}: two signatures by different certificates both valid`, async () => {
      const s1 = join(dir, `${name}.1.pdf`);
      const s2 = join(dir, `${name}.2.pdf`);
      await opensslSign(samples[name], s1, 'leader-rsa');
      await opensslSign(s1, s2, 'org-rsa');
      const out = pdfsig(s2);
      expect(out).toMatch(/Signature #2/);
      const valid = out.match(/Signature Validation: Signature is Valid\./g) ?? [];
      expect(valid.length, out).toBe(2);
      expect(out).not.toMatch(/not been modified|Digest Mismatch/i);
      if (process.env.KYSO_SHOW) console.log(out);
    });
  }

  it('certification signature (DocMDP P=2) is accepted, and P=1 blocks a later signature', async () => {
    const c2 = join(dir, 'cert2.pdf');
    await opensslSign(samples.simple, c2, 'leader-rsa', { certify: 2 });
    expect(pdfsig(c2)).toMatch(/Signature is Valid/);
    const c1 = join(dir, 'cert1.pdf');
    await opensslSign(samples.simple, c1, 'leader-rsa', { certify: 1 });
    expect(pdfsig(c1)).toMatch(/Signature is Valid/);
    await expect(opensslSign(c1, join(dir, 'cert1-2.pdf'), 'org-rsa')).rejects.toMatchObject({ code: 'INPUT_DOCMDP_LOCKED', category: 'input' });
  });

  it('signs the existing empty field "LanhDao" of the acroform sample', async () => {
    const out = join(dir, 'field.pdf');
    const pki = getPki();
    const l = pki.leaves['clerk-ec'];
    const prepared = await preparePdfForSigning(samples.acroform, out, {
      signingTime: new Date(),
      subFilter: 'ETSI.CAdES.detached',
      contentsBytes: 12000,
      fieldName: 'LanhDao',
    });
    expect(prepared.fieldName).toBe('LanhDao');
    const buf = await readFile(out);
    const [a, b, c, d] = prepared.byteRange;
    const content = join(dir, 'content2.bin');
    await writeFile(content, Buffer.concat([buf.subarray(a, a + b), buf.subarray(c, c + d)]));
    const der = execFileSync('openssl', ['cms', '-sign', '-binary', '-in', content, '-signer', l.cert, '-inkey', l.key, '-certfile', pki.chainPem, '-outform', 'DER', '-nosmimecap', '-md', 'sha256']);
    await embedSignature(prepared, der);
    const o = pdfsig(out);
    expect(o).toMatch(/Signature is Valid/);
    expect(o).not.toMatch(/Signature #2/);
  });
});

describe('appendDss', () => {
  it('adds /DSS after a signature; the signature stays valid; repeated items are not added twice', async () => {
    const { appendDss } = await import('../../src/pdf/dss.js');
    const { PdfReader } = await import('../../src/pdf/reader.js');
    const { openFileSource } = await import('../../src/pdf/byte-source.js');
    const { PDFName } = await import('../../src/pdf/pdf-lib.js');
    const pki = getPki();
    const signed = join(dir, 'dss-0.pdf');
    await opensslSign(samples.objstm, signed, 'deputy-ec384');
    const certs = [await readFile(pki.root.certDer), await readFile(pki.inter.certDer), await readFile(pki.leaves['deputy-ec384'].certDer)];
    const crls = [await readFile(pki.crlDer)];
    const d1 = join(dir, 'dss-1.pdf');
    await appendDss(signed, d1, { certs, ocsps: [], crls });
    const d2 = join(dir, 'dss-2.pdf');
    await appendDss(d1, d2, { certs: [certs[0]!], ocsps: [], crls });
    for (const f of [d1, d2]) {
      expect(spawnSync('qpdf', ['--check', f]).status).toBe(0);
      expect(pdfsig(f)).toMatch(/Signature is Valid/);
      const before = await readFile(signed);
      expect((await readFile(f)).subarray(0, before.length).equals(before)).toBe(true);
    }
    const r = await PdfReader.open(await openFileSource(d2), { file: d2 });
    const dss = await r.resolve((await r.catalog()).get(PDFName.of('DSS')));
    const arr = async (k: string) => (await r.resolve((dss as import('pdf-lib').PDFDict).get(PDFName.of(k)))) as import('pdf-lib').PDFArray;
    expect((await arr('Certs')).size()).toBe(3);
    expect((await arr('CRLs')).size()).toBe(1);
    expect(r.revisions.length).toBe(4);
    expect(r.xrefKind).toBe('stream');
    await r.close();
  });
});

describe('after another tool signed', () => {
  it('poppler (pdfsig -add-signature) signs first, we append: both signatures valid', async () => {
    const pki = getPki();
    const nss = join(dir, 'nss-poppler');
    execFileSync('mkdir', ['-p', nss]);
    execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${nss}`]);
    execFileSync('pk12util', ['-i', pki.leaves['secretary-rsa'].legacyP12, '-d', `sql:${nss}`, '-W', pki.password], { stdio: 'pipe' });
    const list = execFileSync('certutil', ['-L', '-d', `sql:${nss}`], { encoding: 'utf8' });
    const nick = list
      .split('\n')
      .slice(4)
      .map((l) => l.replace(/\s+\S*,\S*,\S*\s*$/, '').trim())
      .find((l) => l.length > 0)!;
    for (const name of ['simple', 'objstm'] as const) {
      const p1 = join(dir, `poppler-${name}.pdf`);
      execFileSync('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', nick, samples[name], p1], { stdio: 'pipe' });
      const p2 = join(dir, `poppler-${name}-kyso.pdf`);
      await opensslSign(p1, p2, 'leader-rsa');
      const out = pdfsig(p2);
      expect((out.match(/Signature is Valid/g) ?? []).length, out).toBe(2);
      expect(spawnSync('qpdf', ['--check', p2]).status).toBe(0);
    }
  });
});
