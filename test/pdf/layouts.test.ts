import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFArray, PDFDict, PDFName, PDFRef } from '../../src/pdf/pdf-lib.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, openFileSource } from '../../src/pdf/byte-source.js';
import { PdfReader } from '../../src/pdf/reader.js';
import { digestByteRange, embedSignature, preparePdfForSigning, type PlaceholderOptions } from '../../src/pdf/sign-pdf.js';
import { makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';
import { buildClassicPdf, streamObj } from '../fixtures/pdf-handmade.js';

let dir: string;
let samples: Record<SampleName, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-pdf-layouts-'));
  samples = await makeSamplePdfs(dir);
});
afterAll(async () => {
  if (dir && !process.env.KYSO_KEEP_TEST_PDFS) await rm(dir, { recursive: true, force: true });
});
const opts = (o: Partial<PlaceholderOptions> = {}): PlaceholderOptions => ({
  signingTime: new Date('2026-11-27T10:00:00Z'),
  subFilter: 'ETSI.CAdES.detached',
  contentsBytes: 512,
  ...o,
});
let n = 0;
async function sign(input: string, o: Partial<PlaceholderOptions> = {}) {
  const out = join(dir, `l-${n++}.pdf`);
  const p = await preparePdfForSigning(input, out, opts(o));
  await embedSignature(p, await digestByteRange(out, p.byteRange, 'sha256'));
  expect(spawnSync('qpdf', ['--check', out]).status, `qpdf --check ${out}`).toBe(0);
  return { out, p };
}
const open = async (f: string) => PdfReader.open(await openFileSource(f), { file: f });
const N = PDFName.of;

describe('update layouts', () => {
  it('indirect /Annots array and indirect AcroForm with indirect /Fields: those objects are updated, others kept', async () => {
    const f = join(dir, 'indirect.pdf');
    await writeFile(
      f,
      buildClassicPdf([
        '<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /Lang (vi-VN) /Names << /Dests << >> >> >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 4 0 R /Contents 8 0 R >>',
        '[7 0 R]',
        '<< /Fields 6 0 R /DA (/Helv 0 Tf 0 g) >>',
        '[7 0 R]',
        '<< /Type /Annot /Subtype /Widget /FT /Tx /T (Ten) /V (abc) /Rect [10 10 100 30] /P 3 0 R >>',
        streamObj('', 'BT ET'),
      ]),
    );
    const { out } = await sign(f, { reason: 'a (b) \\ c' });
    const r = await open(out);
    const last = r.revisions.length - 1;
    expect(last).toBe(1);
    // catalog not rewritten (AcroForm is indirect); /Annots array 4 and /Fields array 6 rewritten; page 3 not
    const before = r.atRevision(0);
    const changed: number[] = [];
    for (const num of r.objectNumbers()) {
      const e1 = r.xrefEntry(num);
      const e0 = before.xrefEntry(num);
      if (JSON.stringify(e1) !== JSON.stringify(e0)) changed.push(num);
    }
    expect(changed.filter((x) => x <= 8).sort()).toEqual([4, 5, 6]);
    const cat = await r.catalog();
    expect(cat.get(N('Lang'))?.toString()).toBe('(vi-VN)');
    const fields = await r.resolve(((await r.resolve(cat.get(N('AcroForm')))) as PDFDict).get(N('Fields')));
    expect((fields as PDFArray).size()).toBe(2);
    const af = (await r.resolve(cat.get(N('AcroForm')))) as PDFDict;
    expect(af.get(N('SigFlags'))?.toString()).toBe('3');
    expect(af.get(N('DA'))?.toString()).toBe('(/Helv 0 Tf 0 g)');
    expect((await r.fields()).map((x) => x.name).sort()).toEqual(['Signature1', 'Ten']);
    await r.close();
  });

  it('a non-terminal field name is neither reused nor signed', async () => {
    const f = join(dir, 'parent.pdf');
    await writeFile(
      f,
      buildClassicPdf([
        '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>',
        '<< /T (Signature1) /Kids [5 0 R] >>',
        '<< /Type /Annot /Subtype /Widget /FT /Tx /T (a) /Parent 4 0 R /Rect [0 0 10 10] /P 3 0 R >>',
      ]),
    );
    const { p } = await sign(f);
    expect(p.fieldName).toBe('Signature2');
    await expect(preparePdfForSigning(f, join(dir, 'parent-x.pdf'), opts({ fieldName: 'Signature1' }))).rejects.toMatchObject({
      code: 'FIELD_NOT_SIGNATURE',
    });
  });

  for (const extra of [0, 300]) {
    it(`an xref offset a few bytes off is tolerated and re-declared in the update (${extra} extra objects)`, async () => {
      const objs = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
        ...Array.from({ length: extra }, (_, i) => `<< /Dummy ${i} >>`),
      ];
      const good = buildClassicPdf(objs).toString('latin1');
      // move object 2's (the page tree root: read, never rewritten) xref entry two bytes too far
      const m = /xref\n0 \d+\n(?:\d{10} \d{5} [fn]\r\n){2}(\d{10})/.exec(good)!;
      const wrong = String(Number(m[1]) + 2).padStart(10, '0');
      const at = m.index + m[0].length - 10;
      const f = join(dir, `offby2-${extra}.pdf`);
      await writeFile(f, Buffer.from(good.slice(0, at) + wrong + good.slice(at + 10), 'latin1'));
      const r0 = await open(f);
      expect(r0.recovered).toBe(false);
      expect((await r0.pages()).length).toBe(1);
      await r0.close();
      const { out } = await sign(f);
      const chk = spawnSync('qpdf', ['--check', out], { encoding: 'utf8' });
      expect(`${chk.stdout}${chk.stderr}`).not.toMatch(/WARNING/);
      const r = await open(out);
      expect(r.recovered).toBe(false);
      expect(r.revisions.length).toBe(2);
      const e = r.xrefEntry(2)!;
      expect(r.revisions[1]!.trailer.get(N('Prev'))).toBeDefined();
      expect(e.type === 1 && r.actualOffset(e.offset) === e.offset).toBe(true);
      await r.close();
    });
  }

  it('inline AcroForm: the catalog is rewritten with every entry kept', async () => {
    const f = join(dir, 'inline.pdf');
    await writeFile(
      f,
      buildClassicPdf([
        '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /NeedAppearances true >> /PageMode /UseOutlines /Metadata 4 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
        streamObj('/Type /Metadata /Subtype /XML', '<x/>'),
      ]),
    );
    const { out } = await sign(f);
    const r = await open(out);
    const cat = await r.catalog();
    expect(cat.get(N('PageMode'))?.toString()).toBe('/UseOutlines');
    expect(cat.get(N('Metadata'))).toBeInstanceOf(PDFRef);
    const af = cat.get(N('AcroForm')) as PDFDict;
    expect(af.get(N('NeedAppearances'))?.toString()).toBe('true');
    expect((af.get(N('Fields')) as PDFArray).size()).toBe(1);
    await r.close();
  });

  it('signature widgets reachable only from page /Annots are discovered', async () => {
    const pdf = buildClassicPdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>',
      '<< /Type /Annot /Subtype /Widget /FT /Sig /T (Hidden) /V 5 0 R /Rect [0 0 0 0] >>',
      '<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <00> >>',
    ]);
    const r = await PdfReader.open(bufferSource(pdf));
    const s = await r.signatureFields();
    expect(s.map((x) => [x.name, x.pageIndex, x.sigRef?.objectNumber])).toEqual([['Hidden', 0, 5]]);
    expect(s[0]!.sig).toBeInstanceOf(PDFDict);
  });

  it('a broken xref in an object-stream file is recovered and the update carries a full xref stream', async () => {
    const b = await readFile(samples.objstm);
    const i = b.lastIndexOf('startxref');
    const f = join(dir, 'objstm-broken.pdf');
    await writeFile(f, Buffer.concat([b.subarray(0, i), Buffer.from('startxref\n17\n%%EOF\n')]));
    const r0 = await open(f);
    expect(r0.recovered).toBe(true);
    expect(r0.xrefKind).toBe('stream');
    await r0.close();
    const { out } = await sign(f);
    const r = await open(out);
    expect(r.recovered).toBe(false);
    expect(r.revisions.length).toBe(1);
    expect(r.trailer.get(N('Prev'))).toBeUndefined();
    expect((await r.signatureFields()).length).toBe(1);
    const { out: out2 } = await sign(out);
    const r2 = await open(out2);
    expect(r2.revisions.length).toBe(2);
    expect((await r2.signatureFields()).length).toBe(2);
    await r.close();
    await r2.close();
  });

  it('document timestamp placeholder (/DocTimeStamp, ETSI.RFC3161)', async () => {
    const { out, p } = await sign(samples.simple, { subFilter: 'ETSI.RFC3161' });
    const r = await open(out);
    const s = (await r.signatureFields())[0]!;
    expect(s.name).toBe(p.fieldName);
    expect(s.sig!.get(N('Type'))?.toString()).toBe('/DocTimeStamp');
    expect(s.sig!.get(N('SubFilter'))?.toString()).toBe('/ETSI.RFC3161');
    expect(s.sig!.get(N('M'))).toBeUndefined();
    await r.close();
  });

  it('widget on another page with a visible rect and appearance stream', async () => {
    const { out } = await sign(samples.multipage, {
      pageIndex: 2,
      rect: [50, 50, 250, 120],
      appearance: { streamBytes: Buffer.from('0 0 1 rg 0 0 200 70 re f') },
    });
    const r = await open(out);
    const s = (await r.signatureFields())[0]!;
    expect(s.pageIndex).toBe(2);
    await r.close();
  });
});
