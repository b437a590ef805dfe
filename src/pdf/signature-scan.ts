import { PDFDict, PDFName, PDFRef } from './pdf-lib.js';
import type { PdfReader, SignatureFieldInfo } from './reader.js';

/**
 * Finds every signature of a PDF across ALL its revisions: AcroForm signature fields (the reader walks /Kids),
 * signature dictionaries reachable only through page /Annots, and document timestamps. A signature that an
 * earlier revision has and the final one lost (field removed, /V replaced) is still reported, with
 * `presentInFinal: false`, so that its removal is judged as a change instead of silently vanishing.
 */
export interface FoundSignature {
  fieldName: string;
  fieldRef?: PDFRef;
  widgetRefs: PDFRef[];
  sigRef?: PDFRef;
  sig: PDFDict;
  kind: 'signature' | 'doc-timestamp';
  subFilter?: string;
  /** First revision (index) whose view shows this signature. */
  firstSeenRevision: number;
  presentInFinal: boolean;
  locked?: PDFDict;
}

export function nameOf(d: PDFDict, key: string): string | undefined {
  const v = d.get(PDFName.of(key));
  return v instanceof PDFName ? v.decodeText() : undefined;
}

function sigKind(sig: PDFDict): FoundSignature['kind'] {
  return nameOf(sig, 'Type') === 'DocTimeStamp' || nameOf(sig, 'SubFilter') === 'ETSI.RFC3161' ? 'doc-timestamp' : 'signature';
}

function keyOf(f: SignatureFieldInfo): string {
  if (f.sigRef) return `ref:${f.sigRef.objectNumber}`;
  const br = f.sig?.get(PDFName.of('ByteRange'));
  return `field:${f.name}:${br ? br.toString() : ''}`;
}

export async function scanSignatures(reader: PdfReader): Promise<FoundSignature[]> {
  const found = new Map<string, FoundSignature>();
  const last = reader.revisions.length - 1;
  // Final view first (the common case), then earlier views to catch signatures that disappeared.
  const order = [last, ...Array.from({ length: last }, (_, i) => i)];
  for (const idx of order) {
    const view = idx === last ? reader : reader.atRevision(idx);
    let fields: SignatureFieldInfo[];
    try {
      fields = await view.signatureFields();
    } catch (e) {
      // The final view is what a viewer shows: if its form cannot be read, the file is unreadable (ERROR),
      // not unsigned. An earlier view that cannot be read only means fewer historical signatures.
      if (idx === last) throw e;
      continue;
    }
    for (const f of fields) {
      if (!f.sig) continue;
      const k = keyOf(f);
      const prev = found.get(k);
      if (prev) {
        prev.firstSeenRevision = Math.min(prev.firstSeenRevision, idx);
        continue;
      }
      found.set(k, {
        fieldName: f.name,
        fieldRef: f.fieldRef,
        widgetRefs: f.widgetRefs,
        sigRef: f.sigRef,
        sig: f.sig,
        kind: sigKind(f.sig),
        subFilter: nameOf(f.sig, 'SubFilter'),
        firstSeenRevision: idx,
        presentInFinal: idx === last,
        locked: f.locked,
      });
    }
    if (last > 0 && idx === last && reader.revisions.length > 64) break; // do not walk hundreds of views
  }
  return [...found.values()];
}
