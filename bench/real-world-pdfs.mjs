// The shapes real PDFs have, generated (nothing downloaded): xref kinds and their mixes, line endings, junk
// tails, bytes before the header, encryption kinds (qpdf), attachments that hold a whole PDF, wide and deep
// page trees, incremental updates, shared /Annots, direct /Info, prepared signature fields, and the damaged
// files recovery must not mistake for another document. Plain JavaScript so that both the sweep
// (bench/real-world-sweep.mjs) and the tests (test/pdf/real-world.test.ts) use it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

const B = (s) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

/**
 * Assembles a classic-xref PDF from [number, body] pairs (bodies: strings or Buffers, streams included).
 * @param o.eol        line ending of the structure ('\n', '\r\n' or '\r')
 * @param o.trailer    extra trailer entries
 * @param o.prefix     bytes before %PDF- (a mail-gateway banner)
 * @param o.finalEol   whether %%EOF is followed by an EOL
 * @param o.tail       junk after %%EOF
 * @param o.startxref  replaces the startxref value (a damaged file)
 * @param o.noXref     no xref table at all (only objects + trailer)
 */
export function assemble(objs, o = {}) {
  const eol = o.eol ?? '\n';
  const parts = [];
  let pos = 0;
  const w = (b) => {
    const buf = B(b);
    parts.push(buf);
    pos += buf.length;
  };
  if (o.prefix) w(o.prefix);
  const start = pos;
  w(`${o.header ?? '%PDF-1.7'}${eol}%\xe2\xe3\xcf\xd3${eol}`);
  const offs = new Map();
  for (const [n, body] of objs) {
    offs.set(n, pos - (o.relativeOffsets ? start : 0));
    w(`${n} 0 obj${eol}`);
    w(body);
    w(`${eol}endobj${eol}`);
  }
  const size = Math.max(0, ...offs.keys()) + 1;
  const xrefAt = pos - (o.relativeOffsets ? start : 0);
  if (!o.noXref) {
    const rowEnd = eol.length === 2 ? eol : ` ${eol}`;
    let t = `xref${eol}0 ${size}${eol}0000000000 65535 f${rowEnd}`;
    for (let n = 1; n < size; n++) {
      const off = offs.get(n);
      t += off === undefined ? `0000000000 00001 f${rowEnd}` : `${String(off).padStart(10, '0')} 00000 n${rowEnd}`;
    }
    w(t);
  }
  w(`trailer${eol}<< /Size ${size} /Root ${o.root ?? 1} 0 R${o.trailer ? ` ${o.trailer}` : ''} >>${eol}`);
  w(`startxref${eol}${o.startxref ?? xrefAt}${eol}%%EOF${o.finalEol === false ? '' : eol}`);
  if (o.tail) w(o.tail);
  return Buffer.concat(parts);
}

export function stream(dict, data) {
  const d = B(data);
  return Buffer.concat([B(`<< ${dict} /Length ${d.length} >>\nstream\n`), d, B('\nendstream')]);
}

/**
 * A flat document of `pages` pages (one /Pages node with every page as a kid), each page with its own
 * content stream. Objects: 1 catalog, 2 page tree, then page/content pairs.
 * @param o.attachment   an uncompressed PDF carried as an embedded file, written after the pages
 * @param o.catalogExtra / o.pageExtra  extra entries
 */
export function flatObjects(pages, o = {}) {
  const objs = [];
  const kids = [];
  for (let i = 0; i < pages; i++) kids.push(`${3 + 2 * i} 0 R`);
  let next = 3 + 2 * pages;
  let names = '';
  const tailObjs = [];
  if (o.attachment) {
    const fs = next++;
    const ef = next++;
    names = ` /Names << /EmbeddedFiles << /Names [(appendix.pdf) ${fs} 0 R] >> >>`;
    tailObjs.push([fs, `<< /Type /Filespec /F (appendix.pdf) /UF (appendix.pdf) /EF << /F ${ef} 0 R >> >>`]);
    tailObjs.push([ef, stream('/Type /EmbeddedFile /Subtype /application#2Fpdf', o.attachment)]);
  }
  objs.push([1, `<< /Type /Catalog /Pages 2 0 R${names}${o.catalogExtra ?? ''} >>`]);
  objs.push([2, `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`]);
  for (let i = 0; i < pages; i++) {
    const text = `BT /F1 24 Tf 72 720 Td (Page ${i + 1} of ${pages}) Tj ET`;
    objs.push([3 + 2 * i, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents ${4 + 2 * i} 0 R${o.pageExtra?.(i) ?? ''} >>`]);
    objs.push([4 + 2 * i, stream('', text)]);
  }
  return [...objs, ...tailObjs];
}

export const flatPdf = (pages, o = {}) => assemble(flatObjects(pages, o), o);

/** A page tree `depth` levels deep (each /Pages node has one kid) ending in one page. */
export function deepTreePdf(depth) {
  const objs = [[1, '<< /Type /Catalog /Pages 2 0 R >>']];
  let n = 2;
  for (let d = 0; d < depth; d++, n++) objs.push([n, `<< /Type /Pages /Kids [${n + 1} 0 R] /Count 1${d > 0 ? ` /Parent ${n - 1} 0 R` : ''} >>`]);
  objs.push([n, `<< /Type /Page /Parent ${n - 1} 0 R /MediaBox [0 0 595 842] /Contents ${n + 1} 0 R >>`]);
  objs.push([n + 1, stream('', '0 0 1 rg 100 600 200 100 re f')]);
  return assemble(objs);
}

/** Two pages sharing one indirect /Annots array (object 7) that already holds a link annotation. */
export function sharedAnnotsPdf() {
  return assemble([
    [1, '<< /Type /Catalog /Pages 2 0 R >>'],
    [2, '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>'],
    [3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Annots 7 0 R >>'],
    [4, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots 7 0 R >>'],
    [5, stream('', '0 0 1 rg 100 600 200 100 re f')],
    [6, stream('', '1 0 0 rg 100 600 200 100 re f')],
    [7, '[8 0 R]'],
    [8, '<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /Border [0 0 0] /A << /S /URI /URI (https://example.org/) >> >>'],
  ]);
}

/** Signature fields prepared by another tool: `names` empty /FT /Sig widgets on page 1. */
export function preparedFieldsPdf(names) {
  const objs = [
    [1, '<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>'],
    [2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'],
    [3, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [${names.map((_, i) => `${6 + i} 0 R`).join(' ')}] >>`],
    [4, stream('', '0 0 1 rg 100 600 200 100 re f')],
    [5, `<< /Fields [${names.map((_, i) => `${6 + i} 0 R`).join(' ')}] >>`],
  ];
  names.forEach((nm, i) => objs.push([6 + i, `<< /Type /Annot /Subtype /Widget /FT /Sig /T (${nm}) /Rect [${50 + i * 200} 50 ${230 + i * 200} 120] /F 4 /P 3 0 R >>`]));
  return assemble(objs);
}

/** Appends an incremental update (classic xref with /Prev) that replaces page 1's content, as an editor would. */
export function withIncrementalEdit(pdf, contentObj = 4) {
  const text = pdf.toString('latin1');
  const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const size = Number(/\/Size (\d+)/.exec(text.slice(prev))?.[1]);
  const root = /\/Root (\d+ \d+ R)/.exec(text.slice(prev))?.[1];
  const base = pdf.length + (pdf[pdf.length - 1] === 10 ? 0 : 1);
  const body = Buffer.concat([B(`${contentObj} 0 obj\n`), stream('', '0 1 0 rg 100 500 200 100 re f'), B('\nendobj\n')]);
  const xrefAt = base + body.length;
  const upd = Buffer.concat([
    B(pdf[pdf.length - 1] === 10 ? '' : '\n'),
    body,
    B(`xref\n${contentObj} 1\n${String(base).padStart(10, '0')} 00000 n\r\ntrailer\n<< /Size ${size} /Root ${root} /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`),
  ]);
  return Buffer.concat([pdf, upd]);
}

/**
 * A hybrid-reference file: classic table + /XRefStm for objects kept in an object stream (PDF 1.5).
 * @param sparse  the table leaves the compressed objects out (subsections 0-1 and 4-6) instead of listing
 *                them free; mupdf reads only this layout, qpdf both
 */
export function hybridPdf(sparse = false) {
  const parts = [];
  let pos = 0;
  const off = {};
  const w = (b) => {
    const buf = B(b);
    parts.push(buf);
    pos += buf.length;
  };
  w('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n');
  off[1] = pos;
  w('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n');
  const o2 = '<< /Type /Pages /Kids [3 0 R] /Count 1 >>';
  const o3 = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R >>';
  const header = `2 0 3 ${o2.length + 1} `;
  const body = deflateSync(B(`${header}${o2}\n${o3}\n`));
  off[4] = pos;
  w(`4 0 obj\n<< /Type /ObjStm /N 2 /First ${header.length} /Filter /FlateDecode /Length ${body.length} >>\nstream\n`);
  w(body);
  w('\nendstream\nendobj\n');
  off[6] = pos;
  w(Buffer.concat([B('6 0 obj\n'), stream('', '0 0 1 rg 100 600 200 100 re f'), B('\nendobj\n')]));
  off[5] = pos;
  const rows = [
    [2, 4, 0],
    [2, 4, 1],
    [1, off[4], 0],
    [1, off[5], 0],
  ];
  const data = Buffer.alloc(rows.length * 7);
  rows.forEach(([t, f2, f3], i) => {
    data[i * 7] = t;
    data.writeUInt32BE(f2, i * 7 + 1);
    data.writeUInt16BE(f3, i * 7 + 5);
  });
  const z = deflateSync(data);
  w(`5 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Index [2 4] /Filter /FlateDecode /Length ${z.length} >>\nstream\n`);
  w(z);
  w('\nendstream\nendobj\n');
  const xref = pos;
  const e = (o) => (o === undefined ? '0000000000 00000 f\r\n' : `${String(o).padStart(10, '0')} 00000 n\r\n`);
  if (sparse) w(`xref\n0 2\n0000000000 65535 f\r\n${e(off[1])}4 3\n${e(off[4])}${e(off[5])}${e(off[6])}`);
  else w(`xref\n0 7\n0000000000 65535 f\r\n${e(off[1])}${e(undefined)}${e(undefined)}${e(off[4])}${e(off[5])}${e(off[6])}`);
  w(`trailer\n<< /Size 7 /Root 1 0 R /XRefStm ${off[5]} >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

/**
 * A file whose startxref points at an older xref section with wrong offsets (so it is recovered), while the
 * objects found by scanning describe another document (another catalog, 2 pages instead of 1).
 */
export function conflictingPdf() {
  const first = assemble([
    [1, '<< /Type /Catalog /Pages 2 0 R >>'],
    [2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'],
    [3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'],
  ]);
  const t = first.toString('latin1');
  const xrefAt = t.lastIndexOf('xref\n0 ');
  // shift every offset of the old table by 3 bytes: nothing is where the xref says any more
  const table = t.slice(xrefAt).replace(/(\d{10}) 00000 n/g, (_m, d) => `${String(Number(d) + 3).padStart(10, '0')} 00000 n`);
  const head = t.slice(0, xrefAt) + table;
  const upd = '10 0 obj\n<< /Type /Catalog /Pages 11 0 R >>\nendobj\n11 0 obj\n<< /Type /Pages /Kids [12 0 R 13 0 R] /Count 2 >>\nendobj\n' +
    '12 0 obj\n<< /Type /Page /Parent 11 0 R /MediaBox [0 0 595 842] >>\nendobj\n13 0 obj\n<< /Type /Page /Parent 11 0 R /MediaBox [0 0 595 842] >>\nendobj\n' +
    `trailer\n<< /Size 14 /Root 10 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return B(head.replace(/startxref\s+\d+\s+%%EOF\s*$/, '') + upd);
}

function qpdf(args) {
  try {
    execFileSync('qpdf', args, { stdio: 'pipe' });
  } catch (e) {
    if (e.status !== 3) throw e; // 3 = succeeded with warnings
  }
}

/**
 * Writes every shape into `dir`. Returns [{ name, file, pages, expect }] where `expect` is 'sign' (must be
 * signed, validators must accept the output, page count must stay `pages`) or 'refuse' (a clear refusal is
 * the right answer: the reason is shown by the sweep).
 * @param o.bigPages  pages of the large flat files (7,000 reproduces the 256 KiB xref table of the issue)
 * @param o.p12 / o.password  a PKCS#12 for the shapes another tool signs first (mutool sign)
 */
export function writeShapes(dir, o = {}) {
  const big = o.bigPages ?? 7000;
  const out = [];
  const put = (name, buf, pages, expect = 'sign') => {
    const file = path.join(dir, `${name}.pdf`);
    writeFileSync(file, buf);
    out.push({ name, file, pages, expect });
    return file;
  };
  const derive = (name, from, args, pages, expect = 'sign') => {
    const file = path.join(dir, `${name}.pdf`);
    qpdf([...args, from, file]);
    out.push({ name, file, pages, expect });
    return file;
  };
  const appendix = flatPdf(1);
  const base = put('classic-lf', flatPdf(3), 3);
  put('classic-crlf', flatPdf(3, { eol: '\r\n' }), 3);
  put('classic-cr', flatPdf(3, { eol: '\r' }), 3);
  put('no-final-eol', flatPdf(3, { finalEol: false }), 3);
  put('junk-tail', flatPdf(3, { tail: '\r\n\0\0\0 mail gateway footer: scanned for viruses\r\n' }), 3);
  put('junk-tail-nul-padding', flatPdf(3, { tail: Buffer.alloc(3000) }), 3);
  // a banner in front of a finished file (offsets count from the header): signed as a clean copy from %PDF-
  put('bytes-before-header', flatPdf(3, { prefix: 'X-Mailer: gateway\r\n\r\n', relativeOffsets: true }), 3);
  put('bytes-before-header-absolute', flatPdf(3, { prefix: 'X-Mailer: gateway\r\n\r\n' }), 3, 'refuse');
  put('no-xref-table', flatPdf(3, { noXref: true }), 3);
  put('damaged-startxref', flatPdf(3, { startxref: 12 }), 3);
  put('hybrid', hybridPdf(), 1);
  put('hybrid-sparse-table', hybridPdf(true), 1);
  derive('xref-stream', base, ['--object-streams=generate'], 3);
  derive('xref-stream-uncompressed', base, ['--object-streams=disable', '--compress-streams=n', '--force-version=1.5'], 3);
  derive('linearized', base, ['--linearize'], 3);
  derive('linearized-objstm', base, ['--linearize', '--object-streams=generate'], 3);
  put('incremental-classic', withIncrementalEdit(flatPdf(3)), 3);
  derive('qpdf-rewrite-of-incremental', path.join(dir, 'incremental-classic.pdf'), [], 3);
  put('deep-tree-100', deepTreePdf(100), 1);
  put('deep-tree-1000', deepTreePdf(1000), 1);
  put('wide-tree-2000', flatPdf(2000), 2000);
  put('shared-annots', sharedAnnotsPdf(), 2);
  put('direct-info', flatPdf(2, { trailer: '/Info << /Title (Direct info) /Producer (hand) >>' }), 2);
  put('catalog-object-0', assemble([[1, '<< /Type /Pages /Kids [2 0 R] /Count 1 >>'], [2, '<< /Type /Page /Parent 1 0 R /MediaBox [0 0 595 842] >>']], { root: 0 }), 1, 'refuse');
  put('zero-pages', assemble([[1, '<< /Type /Catalog /Pages 2 0 R >>'], [2, '<< /Type /Pages /Kids [] /Count 0 >>']]), 0, 'refuse');
  put('prepared-field', preparedFieldsPdf(['LanhDao']), 1);
  put('prepared-fields-two', preparedFieldsPdf(['LanhDao', 'VanThu']), 1, 'refuse');
  if (o.p12) {
    // an incremental update by another tool: mupdf signs the prepared field first
    const file = path.join(dir, 'signed-by-mutool.pdf');
    execFileSync('mutool', ['sign', '-s', o.p12, '-P', o.password ?? '', '-o', file, path.join(dir, 'prepared-field.pdf'), '6'], { stdio: 'pipe' });
    out.push({ name: 'signed-by-mutool', file, pages: 1, expect: 'sign', signatures: 1 });
    // the same signed file with a banner put in front (a mail gateway): validators disagree, refused
    const bannered = path.join(dir, 'bytes-before-header-signed.pdf');
    writeFileSync(bannered, Buffer.concat([B('X-Mailer: gateway\r\n\r\n'), readFileSync(file)]));
    out.push({ name: 'bytes-before-header-signed', file: bannered, pages: 1, expect: 'refuse', signatures: 1 });
  }
  put('attachment', flatPdf(20, { attachment: appendix }), 20);
  put('attachment-damaged-startxref', flatPdf(20, { attachment: appendix, startxref: 12 }), 20);
  put('attachment-no-xref', flatPdf(20, { attachment: appendix, noXref: true }), 20);
  put('conflicting-recovery', conflictingPdf(), 1, 'refuse');
  for (const [name, args] of [
    ['enc-owner-only-rc4-128', ['--allow-weak-crypto', '--encrypt', '', 'owner', '128', '--']],
    ['enc-owner-only-aes-256', ['--encrypt', '', 'owner', '256', '--']],
    ['enc-user-aes-128', ['--encrypt', 'user', 'owner', '128', '--use-aes=y', '--']],
    ['enc-user-aes-256', ['--encrypt', 'user', 'owner', '256', '--']],
  ])
    derive(name, base, args, 3, 'refuse');
  const flat = put(`flat-${big}`, flatPdf(big), big);
  put(`flat-${big}-attachment`, flatPdf(big, { attachment: appendix }), big);
  derive(`flat-${big}-xref-stream`, flat, ['--object-streams=generate'], big);
  return out;
}
