import { deflateSync } from 'node:zlib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFRawStream, PDFString } from '../../src/pdf/pdf-lib.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, openFileSource } from '../../src/pdf/byte-source.js';
import { PdfReader } from '../../src/pdf/reader.js';
import { digestByteRange, embedSignature, preparePdfForSigning } from '../../src/pdf/sign-pdf.js';
import { escapeLiteral, pdfDate, pdfTextString } from '../../src/pdf/text-string.js';
import { EXTRA_VALID_SAMPLES, makeSamplePdfs, VALID_SAMPLES, type SampleName } from '../fixtures/make-pdfs.js';

let dir: string;
let samples: Record<SampleName, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-pdf-reader-'));
  samples = await makeSamplePdfs(dir);
});
afterAll(async () => {
  if (dir && !process.env.KYSO_KEEP_TEST_PDFS) await rm(dir, { recursive: true, force: true });
});

const open = async (f: string, maxStreamBytes?: number) => PdfReader.open(await openFileSource(f), { file: f, maxStreamBytes });

/** A minimal classic PDF around the given catalog extras and extra objects (for hostile inputs). */
function miniPdf(extraObjs: string[] = [], catalogExtra = ''): Buffer {
  const objs = [
    `<< /Type /Catalog /Pages 2 0 R ${catalogExtra} >>`,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>',
    ...extraObjs,
  ];
  let out = '%PDF-1.7\n';
  const offs: number[] = [];
  objs.forEach((o, i) => {
    offs.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const x = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offs) out += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

describe('reader on every sample', () => {
  const expectKind: Record<string, 'table' | 'stream'> = {
    simple: 'table',
    objstm: 'stream',
    'qpdf-objstm': 'stream',
    linearized: 'table',
    acroform: 'table',
    multipage: 'table',
    'broken-xref': 'table',
    'no-eol': 'table',
    hybrid: 'table',
  };
  for (const name of [...VALID_SAMPLES, ...EXTRA_VALID_SAMPLES]) {
    it(name, async () => {
      const r = await open(samples[name]);
      expect(r.xrefKind).toBe(expectKind[name]);
      expect(r.recovered).toBe(name === 'broken-xref');
      expect(r.revisions.length).toBe(1); // linearized: first-page + main xref are one revision
      expect(r.encrypted).toBe(false);
      const pages = await r.pages();
      expect(pages.length).toBe(name === 'multipage' ? 3 : 1);
      const page = await r.getObject(pages[0]!);
      expect(page).toBeInstanceOf(PDFDict);
      const contents = await r.resolve((page as PDFDict).get(PDFName.of('Contents')));
      const streams: PDFRawStream[] = [];
      if (contents instanceof PDFRawStream) streams.push(contents);
      else if (contents instanceof PDFArray)
        for (const c of contents.asArray()) {
          const s = await r.resolve(c);
          if (s instanceof PDFRawStream) streams.push(s);
        }
      expect(streams.length).toBeGreaterThan(0);
      let text = '';
      for (const s of streams) text += Buffer.from(await r.decodeStream(s)).toString('latin1');
      expect(text).toMatch(/BT|Tj|TJ/);
      // every object the xref maps can be read
      for (const n of r.objectNumbers()) {
        const e = r.xrefEntry(n)!;
        const gen = e.type === 1 ? e.gen : 0;
        const { PDFRef } = await import('../../src/pdf/pdf-lib.js');
        expect(await r.getObject(PDFRef.of(n, gen)), `object ${n}`).toBeDefined();
      }
      expect(r.revisions[0]!.endOffset).toBe((await readFile(samples[name])).length);
      const fields = await r.signatureFields();
      expect(fields.map((f) => f.name)).toEqual(name === 'acroform' ? ['LanhDao'] : []);
      if (name === 'acroform') {
        expect(fields[0]!.sig).toBeUndefined();
        expect(fields[0]!.pageIndex).toBe(0);
        expect((await r.fields()).map((f) => f.name).sort()).toEqual(['HoTen', 'LanhDao']);
      }
      expect(await r.docMdpPermission()).toBeUndefined();
      await r.close();
    });
  }

  it('objects inside object streams are read (objstm sample has type-2 entries)', async () => {
    const r = await open(samples['qpdf-objstm']);
    const types = r.objectNumbers().map((n) => r.xrefEntry(n)!.type);
    expect(types).toContain(2);
    expect(await r.catalog()).toBeInstanceOf(PDFDict);
    await r.close();
  });

  it('revisions and atRevision views after two updates; docMdp and sig discovery', async () => {
    let prev = samples.objstm;
    for (let i = 0; i < 2; i++) {
      const out = join(dir, `rev${i}.pdf`);
      const p = await preparePdfForSigning(prev, out, {
        signingTime: new Date(),
        subFilter: 'ETSI.CAdES.detached',
        contentsBytes: 256,
        certify: i === 0 ? { permission: 3 } : undefined,
      });
      await embedSignature(p, await digestByteRange(out, p.byteRange, 'sha256'));
      prev = out;
    }
    const r = await open(prev);
    expect(r.revisions.map((x) => x.xrefKind)).toEqual(['stream', 'stream', 'stream']);
    expect(r.revisions[2]!.endOffset).toBe(r.source.size);
    // pdf-lib ends the file right after %%EOF; the EOL we add before our update counts as that line's end
    const len0 = (await readFile(samples.objstm)).length;
    expect([len0, len0 + 1]).toContain(r.revisions[0]!.endOffset);
    expect(await r.docMdpPermission()).toBe(3);
    const sigs = await r.signatureFields();
    expect(sigs.map((s) => s.name)).toEqual(['Signature1', 'Signature2']);
    expect(sigs.every((s) => s.sig && s.pageIndex === 0)).toBe(true);
    const r0 = r.atRevision(0);
    expect(await r0.signatureFields()).toEqual([]);
    expect(await r0.docMdpPermission()).toBeUndefined();
    expect(r0.objectNumbers().length).toBeLessThan(r.objectNumbers().length);
    const r1 = r.atRevision(1);
    expect((await r1.signatureFields()).length).toBe(1);
    expect(r1.size).toBeLessThan(r.size);
    await r.close();
  });
});

describe('hostile input: clean errors, bounded work', () => {
  it('100,000 nested arrays', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const r = PdfReader.open(bufferSource(miniPdf([], `/Deep ${deep}`)));
    await expect(r).rejects.toMatchObject({ category: 'input' });
  });
  it('an object with millions of items is refused, not built', async () => {
    const big = `[${'1 '.repeat(1_200_000)}]`;
    await expect(PdfReader.open(bufferSource(miniPdf([], `/Big ${big}`)))).rejects.toMatchObject({ category: 'input' });
    // the parser stops at its item cap instead of building the array (no time assertion: timings are for bench)
    const { ObjectParser, MAX_ITEMS } = await import('../../src/pdf/object-parser.js');
    const { PDFContext } = await import('../../src/pdf/pdf-lib.js');
    expect(() => new ObjectParser(Buffer.from(big, 'latin1'), 0, PDFContext.create(), true).parseObject()).toThrow(`more than ${MAX_ITEMS} items`);
  });
  it('decompression bomb is capped', async () => {
    const bomb = deflateSync(Buffer.alloc(50 * 1024 * 1024));
    const obj = Buffer.concat([
      Buffer.from(`<< /Length ${bomb.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'),
      bomb,
      Buffer.from('\nendstream', 'latin1'),
    ]);
    // build with a binary object: assemble by hand
    const head = miniPdf(['<< /Placeholder true >>']);
    const s = head.toString('latin1').replace('<< /Placeholder true >>', obj.toString('latin1'));
    const fixed = Buffer.from(s, 'latin1');
    // recompute xref offsets by letting the reader recover (offsets of obj 4+ changed, startxref too)
    const r = await PdfReader.open(bufferSource(fixed), { maxStreamBytes: 1024 * 1024 });
    const { PDFRef } = await import('../../src/pdf/pdf-lib.js');
    const st = await r.getObject(PDFRef.of(4, 0));
    expect(st).toBeInstanceOf(PDFRawStream);
    await expect(r.decodeStream(st as PDFRawStream)).rejects.toMatchObject({ code: 'INPUT_STREAM_TOO_LARGE' });
  });
  it('garbage startxref and xref offsets: recovered', async () => {
    const b = miniPdf();
    const s = b.toString('latin1').replace(/startxref\n\d+/, 'startxref\n999999999');
    const r = await PdfReader.open(bufferSource(Buffer.from(s, 'latin1')));
    expect(r.recovered).toBe(true);
    expect((await r.pages()).length).toBe(1);
  });
  it('recovery scan: an object header straddling the 1 MiB chunk boundary keeps its full number', async () => {
    const head = '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [1234567 0 R] /Count 1 >>\nendobj\n';
    const target = 1024 * 1024 - 64 - 4; // digits "1234" before the second chunk's start, "567 0 obj" after
    const pad = `%${'x'.repeat(target - head.length - 2)}\n`;
    const body = `${head}${pad}1234567 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n`;
    expect(body.indexOf('1234567 0 obj')).toBe(target);
    const r = await PdfReader.open(bufferSource(Buffer.from(body, 'latin1')));
    expect(r.recovered).toBe(true);
    expect(r.objectNumbers()).toEqual([1, 2, 1234567]);
    expect((await r.pages()).map((p) => p.objectNumber)).toEqual([1234567]);
  });
  it('10 KB of junk after %%EOF: the xref is still found (not recovered)', async () => {
    const r = await PdfReader.open(bufferSource(Buffer.concat([miniPdf(), Buffer.alloc(10_000, 0)])));
    expect(r.recovered).toBe(false);
    expect((await r.pages()).length).toBe(1);
  });
  it('xref loop (/Prev pointing at itself) terminates', async () => {
    const b = miniPdf().toString('latin1');
    const x = Number(/startxref\n(\d+)/.exec(b)![1]);
    const s = b.replace('/Root 1 0 R >>', `/Root 1 0 R /Prev ${x} >>`);
    const r = await PdfReader.open(bufferSource(Buffer.from(s, 'latin1')));
    expect(r.revisions.length).toBe(1);
  });
  it('page tree cycle terminates', async () => {
    const b = miniPdf().toString('latin1').replace('/Kids [3 0 R]', '/Kids [3 0 R 2 0 R]');
    const r = await PdfReader.open(bufferSource(Buffer.from(b, 'latin1')));
    expect((await r.pages()).length).toBe(1);
  });
  it('zero-length and non-PDF buffers', async () => {
    await expect(PdfReader.open(bufferSource(Buffer.alloc(0)))).rejects.toMatchObject({ code: 'INPUT_NOT_PDF' });
    await expect(PdfReader.open(bufferSource(Buffer.from('hello')))).rejects.toMatchObject({ code: 'INPUT_NOT_PDF' });
    await expect(PdfReader.open(bufferSource(Buffer.from('%PDF-1.7\n1 0 obj << >>')))).rejects.toMatchObject({ code: 'INPUT_MALFORMED' });
  });
});

describe('text strings', () => {
  it('escapes ( ) \\ exactly once', () => {
    expect(escapeLiteral('a(b)c\\d')).toBe('a\\(b\\)c\\\\d');
    const s = pdfTextString('Phê duyệt') as PDFHexString;
    expect(s).toBeInstanceOf(PDFHexString);
    expect(s.toString().startsWith('<FEFF')).toBe(true);
    expect(s.decodeText()).toBe('Phê duyệt');
    const l = pdfTextString('Approved (v2) C:\\x') as PDFString;
    expect(l).toBeInstanceOf(PDFString);
    expect(l.toString()).toBe('(Approved \\(v2\\) C:\\\\x)');
    expect(l.decodeText()).toBe('Approved (v2) C:\\x');
    for (const t of ['Nguyễn Thúy Hằng', 'Phú Lương', 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM']) expect(pdfTextString(t).decodeText()).toBe(t);
  });
  it('PDF dates', () => {
    const d = new Date('2026-11-27T10:00:05Z');
    expect(pdfDate(d, 0)).toBe('D:20261127100005Z');
    expect(pdfDate(d, 420)).toBe("D:20261127170005+07'00'");
    expect(pdfDate(d, -330)).toBe("D:20261127043005-05'30'");
  });
  it('Vietnamese Reason/Name/Location survive a round trip through the file', async () => {
    const out = join(dir, 'text.pdf');
    const p = await preparePdfForSigning(samples.simple, out, {
      signingTime: new Date(),
      subFilter: 'ETSI.CAdES.detached',
      contentsBytes: 128,
      reason: 'Đồng ý (ký duyệt) \\ hết',
      name: 'Nguyễn Thúy Hằng',
      location: 'Phú Lương',
      contactInfo: 'vanthu@phuluong.gov.vn',
    });
    await embedSignature(p, Buffer.from([1, 2, 3]));
    const r = await open(out);
    const sig = (await r.signatureFields())[0]!.sig!;
    const t = (k: string) => (sig.get(PDFName.of(k)) as PDFString | PDFHexString).decodeText();
    expect(t('Reason')).toBe('Đồng ý (ký duyệt) \\ hết');
    expect(t('Name')).toBe('Nguyễn Thúy Hằng');
    expect(t('Location')).toBe('Phú Lương');
    expect(t('ContactInfo')).toBe('vanthu@phuluong.gov.vn');
    expect((sig.get(PDFName.of('M')) as PDFString).decodeText()).toMatch(/^D:\d{14}(Z|[+-]\d\d'\d\d')$/);
    await r.close();
  });
});
