import { openInputFile } from '../pdf/append-update.js';
import type { PDFRef } from '../pdf/pdf-lib.js';
import { PdfReader } from '../pdf/reader.js';

/** One form field of a document, as `kyso fields` lists it. */
export interface ListedField {
  name: string;
  /** the field type: Sig, Tx, Btn, Ch (or null when the field has none) */
  type: string | null;
  /** signature fields: whether a signature value is present; other fields: null */
  signed: boolean | null;
  /** 1-based pages the field's widgets are on (empty: not on any page) */
  pages: number[];
}

export interface FieldListing {
  file: string;
  pageCount: number;
  fields: ListedField[];
}

/** Lists the form fields of a PDF (signature fields too when they are reachable only from the pages). */
export async function listFields(file: string): Promise<FieldListing> {
  const src = await openInputFile(file);
  try {
    const reader = await PdfReader.open(src, { file });
    const pages = await reader.pages();
    const out: ListedField[] = [];
    const seen = new Set<string>();
    const pagesOf = async (widgets: PDFRef[]) => {
      const ps = new Set<number>();
      for (const w of widgets) {
        const i = await reader.widgetPageIndex(w);
        if (i !== undefined) ps.add(i + 1);
      }
      return [...ps].sort((a, b) => a - b);
    };
    for (const s of await reader.signatureFields()) {
      seen.add(s.name);
      out.push({ name: s.name, type: 'Sig', signed: s.sig !== undefined, pages: await pagesOf(s.widgetRefs) });
    }
    for (const f of await reader.fields()) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      out.push({ name: f.name, type: f.ft ?? null, signed: f.ft === 'Sig' ? false : null, pages: await pagesOf(f.widgetRefs) });
    }
    return { file, pageCount: pages.length, fields: out };
  } finally {
    await src.close();
  }
}
