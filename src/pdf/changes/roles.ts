import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRef, PDFStream, type PDFObject } from '../pdf-lib.js';
import type { PdfReader } from '../reader.js';

/**
 * What each object IS in one view of the document (catalog, page, field, widget, appearance of field X,
 * DSS…), and the reference tracker: for every reachable object, the objects that point at it. A rule may
 * allow a change to an object only for its role AND only when nothing else the signer saw reaches it
 * (an appearance stream also drawn by the page, a font shared with page resources, a certificate stream
 * that is also a page's content) — see `onlyReachedFrom`.
 */

const N = (s: string) => PDFName.of(s);
export const MAX_DEPTH = 64;
/** Referrer id of the trailer (it is not an object). */
export const TRAILER = -1;

export function nameVal(o: PDFObject | undefined): string | undefined {
  return o instanceof PDFName ? o.decodeText() : undefined;
}

/** Every reference inside an object (dict/array recursion, stream dicts only), iterative with a depth cap. */
export function refsIn(obj: PDFObject | undefined): PDFRef[] {
  const out: PDFRef[] = [];
  if (!obj) return out;
  const stack: Array<[PDFObject, number]> = [[obj, 0]];
  while (stack.length) {
    const [o, d] = stack.pop()!;
    if (d > MAX_DEPTH) continue;
    if (o instanceof PDFRef) out.push(o);
    else if (o instanceof PDFDict) for (const [, v] of o.entries()) stack.push([v, d + 1]);
    else if (o instanceof PDFArray) for (const v of o.asArray()) stack.push([v, d + 1]);
    else if (o instanceof PDFStream) stack.push([o.dict, d + 1]);
  }
  return out;
}

export function refList(o: PDFObject | undefined): number[] {
  if (!(o instanceof PDFArray)) return [];
  return o.asArray().filter((x): x is PDFRef => x instanceof PDFRef).map((r) => r.objectNumber);
}

export interface FieldRole {
  name: string;
  ft?: string;
  isSig: boolean;
  signed: boolean;
  /** its value is a document time-stamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161): long-term validation material, allowed
   * even under DocMDP P = 1 (ISO 32000-2 §12.8.2.2.2, ETSI EN 319 142-1 §5.4) */
  docTimeStamp: boolean;
  widgets: Set<number>;
}

export interface RoleMap {
  catalog?: number;
  info?: number;
  pages: Map<number, number>; // page object → index
  pageTreeNodes: Set<number>;
  annotsArrays: Map<number, number>; // indirect /Annots array → page object
  acroForm?: number;
  fieldsArray?: number;
  fields: Map<number, FieldRole>; // field (or merged field/widget) object → role
  fieldByName: Map<string, FieldRole>;
  widgets: Map<number, string>; // widget object → field name
  sigDicts: Set<number>;
  dss: Set<number>;
  /** the DSS dictionary's own object number (when /DSS is a reference) */
  dssRoot?: number;
  metadata?: number;
  /** AcroForm /DR and what it holds (fonts, encodings). */
  dr: Set<number>;
  /** Structure tree skeleton: StructTreeRoot, StructElems, ParentTree nodes (not the pages they name). */
  structTree: Set<number>;
  /** the StructTreeRoot's object number, and the nodes of its /ParentTree number tree */
  structRoot?: number;
  parentTreeNodes: Set<number>;
  appearance: Map<number, string>; // AP stream (and its resources) → owner: field name or `annot:<n>`
  annots: Set<number>; // page annotations that are not form widgets (comments, markup, links…)
  annotPage: Map<number, number>; // annotation/widget → page index
  reachable: Set<number>;
  dangling: Set<number>;
  /** reference tracker: object → objects (or TRAILER) that reference it */
  referrers: Map<number, Set<number>>;
  incomplete: boolean;
}

export async function resolveDict(view: PdfReader, o: PDFObject | undefined): Promise<PDFDict | undefined> {
  let r: PDFObject | undefined;
  try {
    r = await view.resolve(o);
  } catch {
    return undefined;
  }
  if (r instanceof PDFDict) return r;
  if (r instanceof PDFStream) return r.dict;
  return undefined;
}

async function load(view: PdfReader, r: PDFRef): Promise<PDFObject | undefined> {
  try {
    return await view.getObject(r);
  } catch {
    return undefined;
  }
}

async function collect(view: PdfReader, roots: PDFRef[], into: Set<number>, max: number, skipKeys?: Set<string>): Promise<boolean> {
  const queue = [...roots];
  while (queue.length) {
    const r = queue.pop()!;
    if (into.has(r.objectNumber)) continue;
    if (into.size >= max) return false;
    const o = await load(view, r);
    if (o === undefined) continue;
    into.add(r.objectNumber);
    let refs: PDFRef[];
    if (skipKeys && (o instanceof PDFDict || o instanceof PDFStream)) {
      const d = o instanceof PDFDict ? o : o.dict;
      refs = [];
      for (const [k, v] of d.entries()) if (!skipKeys.has(k.decodeText())) refs.push(...refsIn(v));
    } else refs = refsIn(o);
    for (const x of refs) if (!into.has(x.objectNumber)) queue.push(x);
  }
  return true;
}

export async function buildRoles(view: PdfReader, max: number): Promise<RoleMap> {
  const roles: RoleMap = {
    pages: new Map(),
    pageTreeNodes: new Set(),
    annotsArrays: new Map(),
    fields: new Map(),
    fieldByName: new Map(),
    widgets: new Map(),
    sigDicts: new Set(),
    dss: new Set(),
    dr: new Set(),
    structTree: new Set(),
    parentTreeNodes: new Set(),
    appearance: new Map(),
    annots: new Set(),
    annotPage: new Map(),
    reachable: new Set(),
    dangling: new Set(),
    referrers: new Map(),
    incomplete: false,
  };
  const trailer = view.revisions[view.revisions.length - 1]!.trailer;
  const rootRef = trailer.get(N('Root'));
  const infoRef = trailer.get(N('Info'));
  if (rootRef instanceof PDFRef) roles.catalog = rootRef.objectNumber;
  if (infoRef instanceof PDFRef) roles.info = infoRef.objectNumber;

  // Reachability and the reference tracker (who points at whom).
  const addRef = (to: number, from: number) => {
    let s = roles.referrers.get(to);
    if (!s) roles.referrers.set(to, (s = new Set()));
    s.add(from);
  };
  const queue: PDFRef[] = [];
  for (const r of [rootRef, infoRef]) if (r instanceof PDFRef) {
    addRef(r.objectNumber, TRAILER);
    queue.push(r);
  }
  while (queue.length) {
    const r = queue.pop()!;
    if (roles.reachable.has(r.objectNumber) || roles.dangling.has(r.objectNumber)) continue;
    if (roles.reachable.size >= max) {
      roles.incomplete = true;
      break;
    }
    const o = await load(view, r);
    if (o === undefined) {
      roles.dangling.add(r.objectNumber);
      continue;
    }
    roles.reachable.add(r.objectNumber);
    for (const x of refsIn(o)) {
      addRef(x.objectNumber, r.objectNumber);
      if (!roles.reachable.has(x.objectNumber)) queue.push(x);
    }
  }
  const catalog = await resolveDict(view, rootRef);
  if (!catalog) return roles;

  // Page tree nodes (intermediate /Pages) and pages.
  const stack: Array<[PDFObject | undefined, number]> = [[catalog.get(N('Pages')), 0]];
  const seen = new Set<number>();
  while (stack.length) {
    const [r, d] = stack.pop()!;
    if (!(r instanceof PDFRef) || seen.has(r.objectNumber) || d > MAX_DEPTH) continue;
    seen.add(r.objectNumber);
    const node = await resolveDict(view, r);
    if (!node) continue;
    if (nameVal(node.get(N('Type'))) === 'Pages' || node.get(N('Kids'))) {
      roles.pageTreeNodes.add(r.objectNumber);
      const kids = await view.resolve(node.get(N('Kids')));
      if (kids instanceof PDFArray) for (const k of kids.asArray()) stack.push([k, d + 1]);
    }
  }
  let pageIndex = 0;
  let pages: PDFRef[] = [];
  try {
    pages = await view.pages();
  } catch {
    pages = [];
  }
  for (const p of pages) {
    const idx = pageIndex++;
    roles.pages.set(p.objectNumber, idx);
    roles.pageTreeNodes.delete(p.objectNumber);
    const page = await resolveDict(view, p);
    const annots = page?.get(N('Annots'));
    if (annots instanceof PDFRef) roles.annotsArrays.set(annots.objectNumber, p.objectNumber);
    const arr = await view.resolve(annots).catch(() => undefined);
    if (!(arr instanceof PDFArray)) continue;
    for (const a of arr.asArray()) {
      if (!(a instanceof PDFRef)) continue;
      roles.annotPage.set(a.objectNumber, idx);
      const ad = await resolveDict(view, a);
      if (!ad) continue;
      // Widgets get their field's name when the AcroForm is walked below (their appearance is the field's).
      if (nameVal(ad.get(N('Subtype'))) === 'Widget') continue;
      roles.annots.add(a.objectNumber);
      await markAppearance(view, ad, `annot:${a.objectNumber}`, roles);
    }
  }

  const af = catalog.get(N('AcroForm'));
  if (af instanceof PDFRef) roles.acroForm = af.objectNumber;
  const afDict = await resolveDict(view, af);
  if (afDict) {
    const fieldsObj = afDict.get(N('Fields'));
    if (fieldsObj instanceof PDFRef) roles.fieldsArray = fieldsObj.objectNumber;
    const dr = afDict.get(N('DR'));
    await collect(view, refsIn(dr instanceof PDFRef ? undefined : dr).concat(dr instanceof PDFRef ? [dr] : []), roles.dr, 10_000);
    const fieldsArr = await view.resolve(fieldsObj).catch(() => undefined);
    const fstack: Array<[PDFObject, string, string | undefined, number]> = [];
    if (fieldsArr instanceof PDFArray) for (const f of fieldsArr.asArray()) fstack.push([f, '', undefined, 0]);
    const fseen = new Set<number>();
    while (fstack.length) {
      const [r, parentName, inheritedFT, d] = fstack.pop()!;
      if (!(r instanceof PDFRef) || fseen.has(r.objectNumber) || d > MAX_DEPTH || fseen.size > max) continue;
      fseen.add(r.objectNumber);
      const fd = await resolveDict(view, r);
      if (!fd) continue;
      const t = fd.get(N('T'));
      const partial = t && 'decodeText' in t ? (t as unknown as { decodeText(): string }).decodeText() : undefined;
      const ft = nameVal(fd.get(N('FT'))) ?? inheritedFT;
      if (partial === undefined && d > 0) {
        // A pure widget of the parent field.
        roles.widgets.set(r.objectNumber, parentName);
        await markAppearance(view, fd, parentName, roles);
        continue;
      }
      const name = partial === undefined ? parentName : parentName ? `${parentName}.${partial}` : partial;
      const v = fd.get(N('V'));
      const role: FieldRole = { name, ft, isSig: ft === 'Sig', signed: ft === 'Sig' && v !== undefined, docTimeStamp: ft === 'Sig' && (await isDocTimeStamp(view, v)), widgets: new Set() };
      roles.fields.set(r.objectNumber, role);
      roles.fieldByName.set(name, role);
      if (ft === 'Sig' && v instanceof PDFRef) roles.sigDicts.add(v.objectNumber);
      if (nameVal(fd.get(N('Subtype'))) === 'Widget' || fd.get(N('Rect'))) {
        role.widgets.add(r.objectNumber);
        await markAppearance(view, fd, name, roles);
      }
      const kids = await view.resolve(fd.get(N('Kids'))).catch(() => undefined);
      if (kids instanceof PDFArray) {
        for (const k of kids.asArray()) {
          fstack.push([k, name, ft, d + 1]);
          if (k instanceof PDFRef) role.widgets.add(k.objectNumber);
        }
      }
    }
  }
  // Signature widgets reachable only through page /Annots (no AcroForm entry) are widgets too.
  for (const [a] of roles.annotPage) {
    if (roles.annots.has(a) || roles.widgets.has(a) || roles.fields.has(a)) continue;
    const ad = await resolveDict(view, PDFRef.of(a, 0));
    if (!ad || nameVal(ad.get(N('FT'))) !== 'Sig') continue;
    const t = ad.get(N('T'));
    const name = t && 'decodeText' in t ? (t as unknown as { decodeText(): string }).decodeText() : `(${a})`;
    const v = ad.get(N('V'));
    const role: FieldRole = { name, ft: 'Sig', isSig: true, signed: v !== undefined, docTimeStamp: await isDocTimeStamp(view, v), widgets: new Set([a]) };
    roles.fields.set(a, role);
    roles.fieldByName.set(name, role);
    if (v instanceof PDFRef) roles.sigDicts.add(v.objectNumber);
    await markAppearance(view, ad, name, roles);
  }
  const dss = catalog.get(N('DSS'));
  if (dss instanceof PDFRef) roles.dssRoot = dss.objectNumber;
  if (dss instanceof PDFRef || dss instanceof PDFDict) await collect(view, dss instanceof PDFRef ? [dss] : refsIn(dss), roles.dss, max);
  const md = catalog.get(N('Metadata'));
  if (md instanceof PDFRef) roles.metadata = md.objectNumber;
  // Structure tree: follow the tree's own links only (/K, /ParentTree /Nums /Kids, /RoleMap, /ClassMap),
  // never /Pg, /Obj or /Stm (pages and content are judged as such).
  const st = catalog.get(N('StructTreeRoot'));
  if (st instanceof PDFRef) {
    roles.structRoot = st.objectNumber;
    await collect(view, [st], roles.structTree, max, new Set(['Pg', 'Obj', 'Stm', 'StmOwn', 'P', 'IDTree']));
    const root = await resolveDict(view, st);
    const pt: Array<[PDFObject | undefined, number]> = [[root?.get(N('ParentTree')), 0]];
    while (pt.length) {
      const [r, d] = pt.pop()!;
      if (!(r instanceof PDFRef) || roles.parentTreeNodes.has(r.objectNumber) || d > MAX_DEPTH) continue;
      roles.parentTreeNodes.add(r.objectNumber);
      const node = await resolveDict(view, r);
      const kids = await view.resolve(node?.get(N('Kids'))).catch(() => undefined);
      if (kids instanceof PDFArray) for (const k of kids.asArray()) pt.push([k, d + 1]);
    }
  }
  return roles;
}

async function isDocTimeStamp(view: PdfReader, v: PDFObject | undefined): Promise<boolean> {
  if (v === undefined) return false;
  const d = await resolveDict(view, v);
  return nameVal(d?.get(N('Type'))) === 'DocTimeStamp' && nameVal(d?.get(N('SubFilter'))) === 'ETSI.RFC3161';
}

/** Appearance streams of an annotation and what they reference (fonts, images) get the annotation's role. */
async function markAppearance(view: PdfReader, annot: PDFDict, owner: string, roles: RoleMap): Promise<void> {
  const ap = await resolveDict(view, annot.get(N('AP')));
  if (!ap) return;
  const set = new Set<number>();
  const apRef = annot.get(N('AP'));
  await collect(view, apRef instanceof PDFRef ? [apRef] : refsIn(ap), set, 2000);
  for (const n of set) if (!roles.appearance.has(n)) roles.appearance.set(n, owner);
}

export function annotIsVisible(a: PDFDict): boolean {
  const f = a.get(N('F'));
  const flags = f instanceof PDFNumber ? f.asNumber() : 0;
  if (flags & 2 /* Hidden */ || flags & 32 /* NoView */) return false;
  const rect = a.get(N('Rect'));
  if (rect instanceof PDFArray && rect.size() === 4) {
    const v = rect.asArray().map((x) => (x instanceof PDFNumber ? x.asNumber() : 0));
    if (Math.abs(v[2]! - v[0]!) < 0.01 || Math.abs(v[3]! - v[1]!) < 0.01) return false;
  }
  return true;
}

/** Annotation types that draw over the page (overlays); sticky notes, popups and links do not. */
export function drawsOnPage(subtype: string | undefined, a: PDFDict): boolean {
  if (['Text', 'Popup', 'Link'].includes(subtype ?? '')) return false;
  return annotIsVisible(a);
}

/**
 * The reference tracker's question: is object n, in this view, referenced ONLY by the given objects? Used
 * before allowing a change because of a role: an appearance stream that the page also draws, a font shared
 * with page resources, a DSS entry that is also a page's content stream are not "the field's appearance" or
 * "validation data" only. No climbing: every object that refers to n must itself be allowed.
 */
export function onlyReachedFrom(roles: RoleMap, n: number, allowed: (m: number) => boolean): boolean {
  for (const from of roles.referrers.get(n) ?? []) if (!allowed(from)) return false;
  return true;
}
