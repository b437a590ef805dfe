import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, PDFString, type PDFObject } from './pdf-lib.js';
import { appendUpdateToCopy, openInputFile } from './append-update.js';
import type { UpdateObject } from './incremental-writer.js';
import { pdfErrors } from './pdf-errors.js';
import { PdfReader } from './reader.js';
import { refOf } from './xref.js';

/**
 * Appends a Document Security Store (PAdES B-LT, ETSI EN 319 142-1 §5.4.2) in one incremental update:
 * /DSS << /Certs [...] /OCSPs [...] /CRLs [...] >> in the catalog, each item a stream holding the DER.
 * Existing DSS entries are kept; items already present (same bytes) are not added twice. Optional /VRI
 * entries (EN 319 142-1 §5.4.2.2, used by `kyso extend`) say which items validate which signature.
 */
export interface DssMaterial {
  certs: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
  /** Per signature: key = uppercase hex SHA-1 of its /Contents string; items must also be in the lists above. */
  vri?: Array<{ key: string; certs: Uint8Array[]; ocsps: Uint8Array[]; crls: Uint8Array[]; time?: Date }>;
}

function pdfDateString(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

const N = (s: string) => PDFName.of(s);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export async function appendDss(input: string, outTempPath: string, dss: DssMaterial): Promise<void> {
  const src = await openInputFile(input);
  try {
    const reader = await PdfReader.open(src, { file: input });
    if (reader.encrypted) throw pdfErrors.encrypted(input);
    if (reader.recovered) throw pdfErrors.signedDamaged(input);
    // bytes before "%PDF-": validators disagree on such a file (README), so nothing is added to it
    if (reader.headerOffset > 0) throw pdfErrors.headerOffsetSigned(input, reader.headerOffset);
    // No DocMDP check: a DSS is the one change PAdES allows even under P=1 (ISO 32000-2 §12.8.4.3).
    const ctx = reader.context;
    const cat = await reader.catalog();
    const catRef = refOf(reader.trailer.get(N('Root')));
    if (!catRef) throw pdfErrors.malformed(input, 'no document catalog');

    const dssVal = cat.get(N('DSS'));
    const dssRef = refOf(dssVal);
    const oldDss = await reader.resolve(dssVal);
    const nd = PDFDict.withContext(ctx);
    if (oldDss instanceof PDFDict) for (const [k, v] of oldDss.entries()) nd.set(k, v);
    nd.set(N('Type'), N('DSS'));

    let next = reader.size;
    const objects: UpdateObject[] = [];
    /** sha256 of an item's DER -> its stream (old or new), for the /VRI arrays. */
    const refBySha = new Map<string, PDFObject>();
    for (const [key, items] of [
      ['Certs', dss.certs],
      ['OCSPs', dss.ocsps],
      ['CRLs', dss.crls],
    ] as const) {
      const arr = PDFArray.withContext(ctx);
      const have = new Set<string>();
      const old = await reader.resolve(nd.get(N(key)));
      if (old instanceof PDFArray) {
        for (let i = 0; i < old.size(); i++) {
          const item = old.get(i);
          arr.push(item);
          const s = await reader.resolve(item);
          if (s instanceof PDFRawStream) {
            try {
              const h = sha(await reader.decodeStream(s, 16 * 1024 * 1024));
              have.add(h);
              refBySha.set(h, item);
            } catch {
              /* unreadable old entry: keep it as it is */
            }
          }
        }
      }
      for (const der of items) {
        const h = sha(der);
        if (have.has(h)) continue;
        have.add(h);
        const ref = PDFRef.of(next++, 0);
        objects.push({ ref, body: PDFRawStream.of(PDFDict.withContext(ctx), der) });
        arr.push(ref);
        refBySha.set(h, ref);
      }
      if (arr.size() > 0) nd.set(N(key), arr);
    }
    if (dss.vri && dss.vri.length > 0) {
      const oldVri = await reader.resolve(nd.get(N('VRI')));
      const vri = PDFDict.withContext(ctx);
      if (oldVri instanceof PDFDict) for (const [k, v] of oldVri.entries()) vri.set(k, v);
      for (const e of dss.vri) {
        const entry = PDFDict.withContext(ctx);
        for (const [k, items] of [
          ['Cert', e.certs],
          ['OCSP', e.ocsps],
          ['CRL', e.crls],
        ] as const) {
          const arr = PDFArray.withContext(ctx);
          for (const der of items) {
            const r = refBySha.get(sha(der));
            if (r) arr.push(r);
          }
          if (arr.size() > 0) entry.set(N(k), arr);
        }
        if (e.time) entry.set(N('TU'), PDFString.of(pdfDateString(e.time)));
        vri.set(N(e.key.toUpperCase()), entry);
      }
      nd.set(N('VRI'), vri);
    }
    if (dssRef) objects.push({ ref: dssRef, body: nd });
    else {
      const ref = PDFRef.of(next++, 0);
      objects.push({ ref, body: nd });
      const nc = PDFDict.withContext(ctx);
      for (const [k, v] of cat.entries()) nc.set(k, v);
      nc.set(N('DSS'), ref);
      objects.push({ ref: catRef, body: nc });
    }
    await appendUpdateToCopy(input, src, reader, objects, outTempPath);
  } finally {
    await src.close();
  }
}
