/** Certification signatures (--certify --docmdp 1|2|3) and the P=1 refusal, through the real CLI. */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSignature, appendUpdate, dictWith, inspect, tsaToken, type SignOptions } from '../fixtures/attacks/pdf-raw.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { PDFArray, type PDFDict, PDFName } from '../../src/pdf/pdf-lib.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign, tempFilesIn } from './helpers.js';
import { extractSignatures, judge } from './validators.js';

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

// An "LTV under P=1" test used to embed a raw digest as a document time-stamp and assert nothing
// (test/pdf/refusals.test.ts); these go through the real CLI and are judged by pdfsig and kyso verify.
describe.sequential('DocMDP P=1 and long-term validation material', () => {
  let lta: string;
  it('--certify --docmdp 1 --level B-LTA: the DSS and document time-stamp that P=1 still allows are added; pdfsig accepts both', async () => {
    lta = path.join(dir, 'cert1-lta.pdf');
    const r = await kysoSign([src, '-o', lta, '--certify', '--docmdp', '1', '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--p12', pki.leaves['leader-rsa'].p12, '--lang', 'en']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await extractSignatures(lta)).map((s) => s.subFilter)).toEqual(['ETSI.CAdES.detached', 'ETSI.RFC3161']);
    const text = await readFile(lta, 'latin1');
    expect(text).toMatch(/\/DSS\s+\d+ 0 R|\/DSS\s*<</);
    expect(text).toMatch(/\/P\s+1\b/);
    expect(await judge(lta, { nssDir: pki.nssDir, rootPem: pki.root.cert })).toEqual([]);
  });

  // ISO 32000-2 §12.8.2.2.2 and ETSI EN 319 142-1 §5.4: under P=1, incremental updates that only add a DSS
  // and/or document time-stamps are not changes (src/pdf/revision-diff.ts, "P = 1").
  it('kyso verify: the certification stays TOTAL_PASSED, the later revisions are allowed', async () => {
    const v = await runKyso(['verify', lta, '--json', '--no-default-trust', '--trust', pki.root.cert, '--cache-dir', path.join(dir, '.cache')]);
    const f = JSON.parse(v.stdout).result.files[0];
    expect(f.signatures.find((s: { type: string }) => s.type === 'timestamp')).toMatchObject({ indication: 'TOTAL_PASSED' });
    expect(f.signatures.find((s: { type: string }) => s.type === 'signature'), v.stdout).toMatchObject({ indication: 'TOTAL_PASSED', modifiedAfter: 'allowed' });
    expect(v.code).toBe(0);
  });

  // Just inside and just outside the P=1 rule, each appended to kyso's own P=1 B-LTA output and judged in one
  // `kyso verify` run. pdfsig has no DocMDP check (it calls every one of these signatures valid), so for the
  // forbidden changes only kyso's verdict is asserted; pdfsig judges the allowed one.
  it('after P=1: another invisible document time-stamp stays allowed; an annotation, a normal signature (also one typed /DocTimeStamp), a visible time-stamp or a time-stamp update that adds a note are disallowed', async () => {
    const cases = path.join(dir, 'p1-cases');
    await mkdir(cases);
    const base = await readFile(lta);
    const kp = { cert: pki.leaves['org-rsa'].cert, key: pki.leaves['org-rsa'].key };
    const st = await inspect(base);
    const note = (num: number) => `<< /Type /Annot /Subtype /Text /Rect [500 800 520 820] /Contents (ghi chu) /P ${st.pages[0]!.toString()} >>`;
    const docTs = (fieldName: string, o: Partial<SignOptions> = {}) =>
      addSignature(Buffer.from(base), { signer: { cert: '', key: '' }, fieldName, subFilter: 'ETSI.RFC3161', sigDictOverride: { Type: '/DocTimeStamp', M: undefined }, cmsProducer: (data) => tsaToken(data, pki.urls.tsa), ...o });
    const files: Record<string, Buffer> = {
      'ts-again': await docTs('Signature3'),
      'ts-visible': await docTs('Signature3', { rect: [40, 770, 300, 800], appearance: 'BT /F1 12 Tf 2 10 Td (Da dong dau thoi gian) Tj ET' }),
      'ts-with-note': await docTs('Signature3', { extra: (_f, free) => ({ objects: [{ num: free, body: note(free) }], annots: [free] }) }),
      signature: await addSignature(Buffer.from(base), { signer: kp, chainPem: pki.chainPem, fieldName: 'Signature3' }),
      // an approval signature dressed up as a time-stamp (/Type /DocTimeStamp, but a CAdES signature)
      'signature-as-ts': await addSignature(Buffer.from(base), { signer: kp, chainPem: pki.chainPem, fieldName: 'Signature3', sigDictOverride: { Type: '/DocTimeStamp' } }),
    };
    const page = (await st.reader.getObject(st.pages[0]!)) as PDFDict;
    const annots = page.get(PDFName.of('Annots'));
    const list = annots instanceof PDFArray ? annots.asArray().map(String) : [];
    files.note = (await appendUpdate(base, [{ num: st.size, body: note(st.size) }, { num: st.pages[0]!.objectNumber, body: dictWith(page, { Annots: `[${[...list, `${st.size} 0 R`].join(' ')}]` }) }])).pdf;
    for (const [name, pdf] of Object.entries(files)) await writeFile(path.join(cases, `${name}.pdf`), pdf);
    const v = await runKyso(['verify', cases, '--json', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off']);
    const byName = new Map<string, { signatures: Array<{ field: string; indication: string; modifiedAfter: string; problems: Array<{ code: string }> }> }>();
    for (const f of JSON.parse(v.stdout).result.files) byName.set(path.basename(f.file, '.pdf'), f);
    const cert = (name: string) => {
      const s = byName.get(name)?.signatures.find((x) => x.field === 'Signature1');
      return s && { modifiedAfter: s.modifiedAfter, indication: s.indication, codes: [...new Set(s.problems.map((p) => p.code))] };
    };
    expect(cert('ts-again')).toMatchObject({ modifiedAfter: 'allowed', indication: 'TOTAL_PASSED', codes: [] });
    // pdfsig, qpdf --check and openssl agree that the file with the second time-stamp is sound
    expect(await judge(path.join(cases, 'ts-again.pdf'), { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 3 })).toEqual([]);
    expect(cert('ts-visible')).toMatchObject({ modifiedAfter: 'disallowed', indication: 'TOTAL_FAILED', codes: ['CHANGE_DOCMDP_P1'] });
    expect(cert('signature-as-ts')).toMatchObject({ modifiedAfter: 'disallowed', indication: 'TOTAL_FAILED', codes: ['CHANGE_DOCMDP_P1'] });
    expect(cert('signature')).toMatchObject({ modifiedAfter: 'disallowed', indication: 'TOTAL_FAILED', codes: ['CHANGE_DOCMDP_P1'] });
    expect(cert('ts-with-note')).toMatchObject({ modifiedAfter: 'disallowed', indication: 'TOTAL_FAILED', codes: ['CHANGE_DOCMDP_P1'] });
    expect(cert('note')).toMatchObject({ modifiedAfter: 'disallowed', indication: 'TOTAL_FAILED', codes: ['CHANGE_DOCMDP_P1'] });
  });
});
