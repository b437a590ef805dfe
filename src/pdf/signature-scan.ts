import { PDFContext, PDFDict, PDFName, PDFRef } from './pdf-lib.js';
import type { ByteSource } from './byte-source.js';
import { withWindow } from './xref.js';
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

/**
 * Damaged files (cut tail, /Prev loop, broken xref): the signatures are found the way pdfsig finds them
 * when the xref cannot be trusted — by scanning the bytes for signature dictionaries ("/ByteRange" inside
 * an "n g obj"). A dictionary that cannot be parsed (a file cut inside /Contents) is still returned, as an
 * empty dictionary, so that it is reported as a broken signature instead of silently vanishing.
 * `names` maps signature object numbers to field names when a recovered reader could still read the form.
 */
export async function scanSignatureDictionaries(src: ByteSource, ctx: PDFContext, names: Map<number, string>): Promise<FoundSignature[]> {
  const CH = 1024 * 1024;
  const OV = 32;
  const hits: number[] = [];
  for (let pos = 0; pos < src.size; pos += CH - OV) {
    const chunk = await src.read(pos, CH);
    const limit = pos + chunk.length >= src.size ? chunk.length : CH - OV;
    for (let i = chunk.indexOf('/ByteRange'); i >= 0 && i < limit; i = chunk.indexOf('/ByteRange', i + 1)) {
      if (hits.length < 1000) hits.push(pos + i);
    }
    if (chunk.length < CH) break;
  }
  const out: FoundSignature[] = [];
  const seenObj = new Set<number>();
  for (const h of hits) {
    // The object holding it: the last "n g obj" before the hit (a /Contents placeholder can be big).
    const back = Math.min(h, 4 * 1024 * 1024);
    const win = (await src.read(h - back, back)).toString('latin1');
    const re = /(?<![0-9])(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj(?![A-Za-z])/g;
    let m: RegExpExecArray | null;
    let last: RegExpExecArray | undefined;
    while ((m = re.exec(win))) last = m;
    if (!last) continue;
    const at = h - back + last.index;
    if (seenObj.has(at)) continue;
    seenObj.add(at);
    const num = Number(last[1]);
    let sig: PDFDict;
    try {
      const io = await withWindow(src, at, 64 * 1024, (p) => p.parseIndirect(), ctx);
      if (!(io.obj instanceof PDFDict)) continue;
      sig = io.obj;
    } catch {
      sig = PDFDict.withContext(ctx);
    }
    if (sig.get(PDFName.of('ByteRange')) === undefined && sig.keys().length > 0) continue; // "/ByteRange" in some other object
    out.push({
      fieldName: names.get(num) ?? `(signature object ${num})`,
      widgetRefs: [],
      sigRef: PDFRef.of(num, Number(last[2])),
      sig,
      kind: sigKind(sig),
      subFilter: nameOf(sig, 'SubFilter'),
      firstSeenRevision: 0,
      presentInFinal: true,
    });
  }
  return out;
}

/** The byte after each %%EOF marker (and its end-of-line): where the revisions of a damaged file end. */
export async function eofOffsets(src: ByteSource): Promise<number[]> {
  const out: number[] = [];
  const CH = 1024 * 1024;
  for (let pos = 0; pos < src.size; pos += CH - 8) {
    const chunk = await src.read(pos, CH);
    const limit = pos + chunk.length >= src.size ? chunk.length : CH - 8;
    for (let i = chunk.indexOf('%%EOF'); i >= 0 && i < limit; i = chunk.indexOf('%%EOF', i + 1)) {
      let end = pos + i + 5;
      const after = await src.read(end, 2);
      if (after[0] === 13 && after[1] === 10) end += 2;
      else if (after[0] === 10 || after[0] === 13) end += 1;
      if (out[out.length - 1] !== end) out.push(end);
    }
    if (chunk.length < CH) break;
  }
  if (out.length === 0 || out[out.length - 1]! < src.size) out.push(src.size);
  return out;
}
