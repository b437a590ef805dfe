import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFStream, type PDFObject } from './pdf-lib.js';
import type { PdfReader } from './reader.js';
import type { XrefEntry } from './xref.js';

/**
 * Change analysis after a signature: the view of the PDF at the signature's revision is compared with the
 * final view, object by object, and every difference is classified as allowed or disallowed.
 * Written by hand because nothing installed does it (pyHanko's DiffPolicy is the model; this is a smaller,
 * stricter version of it).
 *
 * Allowed after a signature (ISO 32000-2 §12.8.2.2 DocMDP, PAdES, and what Rohlmann et al. S&P 2021 showed
 * must NOT be allowed):
 *  - new signature fields that are signed (or, on a non-certified document, empty ones), their widgets and
 *    appearance streams, the AcroForm /Fields, /SigFlags, /DR, /DA, /NeedAppearances edits, page /Annots
 *    growing by those widgets; signing a field that was empty;
 *  - /DSS and everything under it, document timestamps, /Info, XMP /Metadata, catalog /Extensions;
 *  - form filling (field /V, widget /AS, /AP) when no certification or P >= 2, unless a /Lock forbids it;
 *  - new annotations when the document is not certified; on certified documents with P = 3 only annotations
 *    that cannot cover page content (/Text sticky notes, /Popup): others are the Evil Annotation Attack.
 * Disallowed: everything else — page /Contents, /Resources, /MediaBox, new pages, catalog entries (/Pages,
 * /OpenAction, /Names, /Outlines, /Perms…), a different /Root, changed or removed objects of the signed
 * revision that no rule above allows (xref-only updates that point a signed object elsewhere: shadow
 * attacks), objects the signed revision referenced but did not define and a later update defines
 * (dangling-reference shadow), a signed signature dictionary changed, an empty signature field with a
 * visible appearance added to a certified document (Sneaky Signature Attack), anything under P = 1.
 */

export type ChangeVerdict = 'allowed' | 'disallowed';
export interface ObjectChange {
  objectNumber: number;
  kind: 'added' | 'changed' | 'removed';
  role: string;
  verdict: ChangeVerdict;
  reason: string;
}
export interface RevisionDiff {
  modifiedAfter: 'none' | 'allowed' | 'disallowed';
  changes: ObjectChange[];
  /** Plain reasons for the disallowed changes (deduplicated, short). */
  problems: string[];
  /** The analysis hit a cap (object count) and is incomplete; treated as disallowed. */
  incomplete?: boolean;
}

export interface DiffOptions {
  /** DocMDP permission of a certification signature present in the signed revision. */
  certification?: 1 | 2 | 3;
  /** Full names of fields a signature's /Lock (FieldMDP) protects; '*' = all. */
  lockedFields?: Set<string>;
  maxObjects?: number;
}

const N = (s: string) => PDFName.of(s);
const MAX_DEPTH = 64;

function nameVal(o: PDFObject | undefined): string | undefined {
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

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function sameEntry(a: XrefEntry | undefined, b: XrefEntry | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.type !== b.type) return false;
  if (a.type === 1 && b.type === 1) return a.offset === b.offset && a.gen === b.gen;
  if (a.type === 2 && b.type === 2) return a.stream === b.stream && a.index === b.index;
  return a.type === 0;
}

export function sameObject(a: PDFObject | undefined, b: PDFObject | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a instanceof PDFStream || b instanceof PDFStream) {
    if (!(a instanceof PDFRawStream) || !(b instanceof PDFRawStream)) return false;
    return a.dict.toString() === b.dict.toString() && bytesEqual(a.contents, b.contents);
  }
  return a.toString() === b.toString();
}

/** Keys whose values differ between two dicts (present in one only counts). */
function changedKeys(a: PDFDict, b: PDFDict): string[] {
  const keys = new Set<string>();
  for (const [k] of a.entries()) keys.add(k.decodeText());
  for (const [k] of b.entries()) keys.add(k.decodeText());
  const out: string[] = [];
  for (const k of keys) if (!sameObject(a.get(N(k)), b.get(N(k)))) out.push(k);
  return out;
}

function refList(o: PDFObject | undefined): number[] {
  if (!(o instanceof PDFArray)) return [];
  return o.asArray().filter((x): x is PDFRef => x instanceof PDFRef).map((r) => r.objectNumber);
}

interface FieldRole {
  name: string;
  isSig: boolean;
  signed: boolean;
  widgets: Set<number>;
}

/** Roles of objects in one view: which object is the catalog, a page, a field, a widget, DSS… */
interface RoleMap {
  catalog?: number;
  info?: number;
  pages: Map<number, number>; // page object → index
  pageTreeNodes: Set<number>;
  annotsArrays: Map<number, number>; // indirect /Annots array → page object
  acroForm?: number;
  fieldsArray?: number;
  fields: Map<number, FieldRole>; // field (or merged field/widget) object → role
  widgets: Map<number, string>; // widget object → field name
  sigDicts: Set<number>;
  dss: Set<number>;
  metadata?: number;
  appearance: Map<number, string>; // AP stream → field name (or '' for plain annotations)
  annots: Set<number>; // page annotations that are not form widgets (comments, markup, links…)
  reachable: Set<number>;
  dangling: Set<number>;
  incomplete: boolean;
}

async function resolveDict(view: PdfReader, o: PDFObject | undefined): Promise<PDFDict | undefined> {
  const r = await view.resolve(o);
  if (r instanceof PDFDict) return r;
  if (r instanceof PDFStream) return r.dict;
  return undefined;
}

async function collectReachable(view: PdfReader, roots: PDFRef[], into: Set<number>, dangling: Set<number>, max: number): Promise<boolean> {
  const queue = [...roots];
  while (queue.length) {
    const r = queue.pop()!;
    if (into.has(r.objectNumber)) continue;
    if (into.size >= max) return false;
    let o: PDFObject | undefined;
    try {
      o = await view.getObject(r);
    } catch {
      o = undefined;
    }
    if (o === undefined) {
      dangling.add(r.objectNumber);
      continue;
    }
    into.add(r.objectNumber);
    for (const x of refsIn(o)) if (!into.has(x.objectNumber)) queue.push(x);
  }
  return true;
}

async function buildRoles(view: PdfReader, max: number): Promise<RoleMap> {
  const roles: RoleMap = {
    pages: new Map(),
    pageTreeNodes: new Set(),
    annotsArrays: new Map(),
    fields: new Map(),
    widgets: new Map(),
    sigDicts: new Set(),
    dss: new Set(),
    appearance: new Map(),
    annots: new Set(),
    reachable: new Set(),
    dangling: new Set(),
    incomplete: false,
  };
  const trailer = view.revisions[view.revisions.length - 1]!.trailer;
  const rootRef = trailer.get(N('Root'));
  const infoRef = trailer.get(N('Info'));
  if (rootRef instanceof PDFRef) roles.catalog = rootRef.objectNumber;
  if (infoRef instanceof PDFRef) roles.info = infoRef.objectNumber;
  const catalog = await resolveDict(view, rootRef);
  const roots = [rootRef, infoRef].filter((x): x is PDFRef => x instanceof PDFRef);
  roles.incomplete = !(await collectReachable(view, roots, roles.reachable, roles.dangling, max));
  if (!catalog) return roles;

  // Page tree nodes (intermediate /Pages) and pages.
  const pagesRef = catalog.get(N('Pages'));
  const stack: Array<[PDFObject | undefined, number]> = [[pagesRef, 0]];
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
  for (const p of await view.pages()) {
    roles.pages.set(p.objectNumber, pageIndex++);
    roles.pageTreeNodes.delete(p.objectNumber);
    const page = await resolveDict(view, p);
    const annots = page?.get(N('Annots'));
    if (annots instanceof PDFRef) roles.annotsArrays.set(annots.objectNumber, p.objectNumber);
    const arr = await view.resolve(annots);
    if (arr instanceof PDFArray) {
      for (const a of arr.asArray()) {
        if (!(a instanceof PDFRef)) continue;
        const ad = await resolveDict(view, a);
        if (!ad) continue;
        // Widgets get their field's name when the AcroForm is walked below (their appearance is the field's).
        if (nameVal(ad.get(N('Subtype'))) === 'Widget') continue;
        roles.annots.add(a.objectNumber);
        await markAppearance(view, ad, '', roles);
      }
    }
  }

  const af = catalog.get(N('AcroForm'));
  if (af instanceof PDFRef) roles.acroForm = af.objectNumber;
  const afDict = await resolveDict(view, af);
  if (afDict) {
    const fieldsObj = afDict.get(N('Fields'));
    if (fieldsObj instanceof PDFRef) roles.fieldsArray = fieldsObj.objectNumber;
    const fieldsArr = await view.resolve(fieldsObj);
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
      const role: FieldRole = { name, isSig: ft === 'Sig', signed: ft === 'Sig' && v !== undefined, widgets: new Set() };
      roles.fields.set(r.objectNumber, role);
      if (ft === 'Sig' && v instanceof PDFRef) roles.sigDicts.add(v.objectNumber);
      if (nameVal(fd.get(N('Subtype'))) === 'Widget') {
        role.widgets.add(r.objectNumber);
        await markAppearance(view, fd, name, roles);
      }
      const kids = await view.resolve(fd.get(N('Kids')));
      if (kids instanceof PDFArray) {
        for (const k of kids.asArray()) {
          fstack.push([k, name, ft, d + 1]);
          if (k instanceof PDFRef) role.widgets.add(k.objectNumber);
        }
      }
    }
  }
  const dss = catalog.get(N('DSS'));
  if (dss instanceof PDFRef || dss instanceof PDFDict) {
    const dssRoots = dss instanceof PDFRef ? [dss] : refsIn(dss);
    const dangling = new Set<number>();
    await collectReachable(view, dssRoots, roles.dss, dangling, max);
  }
  const md = catalog.get(N('Metadata'));
  if (md instanceof PDFRef) roles.metadata = md.objectNumber;
  return roles;
}

/** Appearance streams of an annotation and what they reference (fonts, images) get the annotation's role. */
async function markAppearance(view: PdfReader, annot: PDFDict, fieldName: string, roles: RoleMap): Promise<void> {
  const ap = await resolveDict(view, annot.get(N('AP')));
  if (!ap) return;
  const set = new Set<number>();
  await collectReachable(view, refsIn(ap), set, new Set(), 2000);
  for (const n of set) if (!roles.appearance.has(n)) roles.appearance.set(n, fieldName);
}

function annotIsVisible(a: PDFDict): boolean {
  const f = a.get(N('F'));
  const flags = f instanceof PDFNumber ? f.asNumber() : 0;
  if (flags & 2 /* Hidden */ || flags & 32 /* NoView */) return false;
  const rect = a.get(N('Rect'));
  if (rect instanceof PDFArray && rect.size() === 4) {
    const v = rect.asArray().map((x) => (x instanceof PDFNumber ? x.asNumber() : 0));
    if (Math.abs(v[2]! - v[0]!) < 0.01 || Math.abs(v[3]! - v[1]!) < 0.01) return false;
  }
  return a.get(N('AP')) !== undefined;
}

function isLocked(name: string, locked: Set<string> | undefined): boolean {
  if (!locked || locked.size === 0) return false;
  return locked.has('*') || locked.has(name) || [...locked].some((l) => name.startsWith(l + '.'));
}

export async function diffRevisions(reader: PdfReader, signedRevision: number, opts: DiffOptions = {}): Promise<RevisionDiff> {
  const last = reader.revisions.length - 1;
  if (signedRevision >= last) return { modifiedAfter: 'none', changes: [], problems: [] };
  const max = opts.maxObjects ?? 200_000;
  const signed = reader.atRevision(signedRevision);
  const final = reader;
  const P = opts.certification;
  const changes: ObjectChange[] = [];
  const problems = new Set<string>();
  const add = (c: ObjectChange) => {
    changes.push(c);
    if (c.verdict === 'disallowed') problems.add(c.reason);
  };

  const [before, after] = [await buildRoles(signed, max), await buildRoles(final, max)];
  const incomplete = before.incomplete || after.incomplete;
  if (incomplete) problems.add('the document has too many objects to compare completely');

  if (before.catalog !== after.catalog) {
    add({ objectNumber: after.catalog ?? 0, kind: 'changed', role: 'trailer', verdict: 'disallowed', reason: 'a later update replaced the document catalog (/Root)' });
  }

  // Object numbers to compare: everything either view maps.
  const numbers = new Set<number>([...signed.objectNumbers(), ...final.objectNumbers()]);
  if (numbers.size > max) {
    problems.add('the document has too many objects to compare completely');
    return { modifiedAfter: 'disallowed', changes, problems: [...problems], incomplete: true };
  }
  const sigFieldNamesBefore = new Set([...before.fields.values()].filter((f) => f.isSig).map((f) => f.name));

  for (const n of [...numbers].sort((a, b) => a - b)) {
    // Fast path: the same xref entry in both views means the same bytes (inside the signed range).
    const ea = signed.xrefEntry(n);
    const eb = final.xrefEntry(n);
    if (sameEntry(ea, eb) && (ea?.type !== 2 || sameEntry(signed.xrefEntry(ea.stream), final.xrefEntry(ea.stream)))) continue;
    const ref = PDFRef.of(n, eb && eb.type === 1 ? eb.gen : ea && ea.type === 1 ? ea.gen : 0);
    let a: PDFObject | undefined;
    let b: PDFObject | undefined;
    try {
      a = await signed.getObject(ref);
    } catch {
      a = undefined;
    }
    try {
      b = await final.getObject(ref);
    } catch {
      b = undefined;
    }
    if (a === undefined && b === undefined) continue;
    if (a !== undefined && b !== undefined && sameObject(a, b)) continue;
    if (a === undefined) {
      // Added. Harmless by itself: it matters only through the objects that reference it, which are
      // classified below — except when the signed revision already referenced this number (dangling).
      if (before.dangling.has(n) || before.reachable.has(n)) {
        add({ objectNumber: n, kind: 'added', role: 'dangling', verdict: 'disallowed', reason: `object ${n}, referenced but missing when signed, was defined later (shadow attack)` });
      } else {
        add({ objectNumber: n, kind: 'added', role: 'new', verdict: 'allowed', reason: 'new object' });
      }
      continue;
    }
    if (b === undefined) {
      const wasUsed = before.reachable.has(n);
      add({
        objectNumber: n,
        kind: 'removed',
        role: wasUsed ? 'signed-object' : 'unused',
        verdict: wasUsed ? 'disallowed' : 'allowed',
        reason: wasUsed ? `object ${n} of the signed revision was deleted` : 'an unused object was deleted',
      });
      continue;
    }
    add(await classifyChange(n, a, b));
  }

  async function classifyChange(n: number, a: PDFObject, b: PDFObject): Promise<ObjectChange> {
    const ok = (role: string, reason: string): ObjectChange => ({ objectNumber: n, kind: 'changed', role, verdict: 'allowed', reason });
    const bad = (role: string, reason: string): ObjectChange => ({ objectNumber: n, kind: 'changed', role, verdict: 'disallowed', reason });
    const usedBefore = before.reachable.has(n);
    const usedAfter = after.reachable.has(n);
    if (!usedBefore && !usedAfter) return ok('unused', 'an unused object changed');
    if (!usedBefore && usedAfter && !after.dss.has(n) && !after.appearance.has(n) && n !== after.info && n !== after.metadata) {
      // An object that existed, unused, in the signed revision and is now referenced (shadow hide/replace).
      // New signature widgets and DSS may reuse free numbers; anything else may not.
      const f = after.fields.get(n);
      if (!(f && f.isSig && !sigFieldNamesBefore.has(f.name)) && !after.widgets.has(n)) {
        return bad('shadow', `object ${n}, unused when signed, is now part of the document (shadow attack)`);
      }
    }
    if (P === 1 && !after.dss.has(n) && n !== after.info) return bad('docmdp', 'the certification (DocMDP P=1) forbids any change');
    if (n === after.info) return ok('info', 'document information');
    if (n === after.metadata && n === before.metadata) return ok('metadata', 'XMP metadata');
    if (after.dss.has(n) && !before.reachable.has(n)) return ok('dss', 'validation data (DSS)');
    if (after.dss.has(n) && before.dss.has(n)) return ok('dss', 'validation data (DSS)');
    if (before.sigDicts.has(n)) return bad('signature', `signature dictionary ${n} was changed after signing`);

    const da = a instanceof PDFDict ? a : a instanceof PDFStream ? a.dict : undefined;
    const db = b instanceof PDFDict ? b : b instanceof PDFStream ? b.dict : undefined;

    if (n === after.catalog && n === before.catalog && da && db) {
      const keys = changedKeys(da, db).filter((k) => !['AcroForm', 'DSS', 'Extensions', 'Metadata'].includes(k));
      if (keys.length) return bad('catalog', `the document catalog changed (${keys.map((k) => '/' + k).join(', ')})`);
      // An inline AcroForm changed: judge it as the AcroForm.
      const afa = da.get(N('AcroForm'));
      const afb = db.get(N('AcroForm'));
      if (afb instanceof PDFDict && !sameObject(afa, afb)) {
        const r = await judgeAcroForm(afa instanceof PDFDict ? afa : undefined, afb, n);
        if (r) return r;
      }
      if (afa instanceof PDFRef && afb instanceof PDFRef && afa.objectNumber !== afb.objectNumber)
        return bad('catalog', 'the document catalog points at a different form (/AcroForm)');
      return ok('catalog', 'catalog: form / DSS entries');
    }
    if (n === after.acroForm && n === before.acroForm && db) {
      return (await judgeAcroForm(da, db, n)) ?? ok('acroform', 'form dictionary: signature fields');
    }
    if (n === after.fieldsArray && n === before.fieldsArray) {
      return judgeFields(refList(a), refList(b), n) ?? ok('acroform', 'form field list grew by signature fields');
    }
    if (after.pages.has(n) && before.pages.has(n) && da && db) {
      const keys = changedKeys(da, db).filter((k) => k !== 'Annots');
      if (keys.length) return bad('page', `page ${after.pages.get(n)! + 1} changed (${keys.map((k) => '/' + k).join(', ')})`);
      const annA = da.get(N('Annots'));
      const annB = db.get(N('Annots'));
      if (annA instanceof PDFRef && annB instanceof PDFRef && annA.objectNumber === annB.objectNumber) return ok('page', 'page');
      const la = annA instanceof PDFArray ? refList(annA) : annA instanceof PDFRef ? refList(await signed.resolve(annA)) : [];
      const lb = annB instanceof PDFArray ? refList(annB) : annB instanceof PDFRef ? refList(await final.resolve(annB)) : [];
      return (await judgeAnnots(la, lb, n, after.pages.get(n)!)) ?? ok('page', 'page annotations: new signature widgets');
    }
    if (after.annotsArrays.has(n) && before.annotsArrays.has(n)) {
      const page = after.pages.get(after.annotsArrays.get(n)!) ?? 0;
      return (await judgeAnnots(refList(a), refList(b), n, page)) ?? ok('annots', 'page annotations: new signature widgets');
    }
    const fa = before.fields.get(n);
    const fb = after.fields.get(n);
    if (fa && fb && da && db) {
      const keys = changedKeys(da, db);
      if (fa.isSig) {
        if (!fa.signed && fb.signed && keys.every((k) => ['V', 'AP', 'AS', 'Lock', 'SV', 'MK', 'F'].includes(k))) {
          if (isLocked(fa.name, opts.lockedFields)) return bad('field', `field "${fa.name}" is locked by a signature`);
          return ok('signature-field', `the empty signature field "${fa.name}" was signed`);
        }
        return bad('signature-field', `signature field "${fa.name}" was changed after signing`);
      }
      return judgeFill(fa.name, keys, 'field', n);
    }
    const wa = before.widgets.get(n);
    if (wa !== undefined && after.widgets.get(n) === wa && da && db) {
      const parent = [...before.fields.values()].find((f) => f.name === wa);
      if (parent?.isSig) return bad('widget', `the widget of signature field "${wa}" was changed after signing`);
      return judgeFill(wa, changedKeys(da, db), 'widget', n);
    }
    if (before.annots.has(n) && after.annots.has(n) && da && db) {
      // An existing comment/markup annotation edited: allowed without certification; under P=3 only for
      // annotations that cannot cover content; never under P=1/2.
      if (P === 1 || P === 2) return bad('annotation', `an annotation was changed, which the certification (DocMDP P=${P}) forbids`);
      const st = nameVal(db.get(N('Subtype')));
      if (P === 3 && !['Text', 'Popup'].includes(st ?? '') && annotIsVisible(db))
        return bad('annotation', `an annotation (/${st ?? '?'}) that can cover the page was changed on a certified document`);
      if (changedKeys(da, db).includes('Subtype')) return bad('annotation', 'an annotation changed its type');
      return ok('annotation', 'an annotation (comment) was edited');
    }
    if (before.appearance.has(n) && after.appearance.has(n) && before.appearance.get(n) === '' && P === undefined) {
      return ok('annotation', "an annotation's appearance was edited");
    }
    if (before.appearance.has(n) && after.appearance.has(n)) {
      const owner = before.appearance.get(n)!;
      const parent = [...before.fields.values()].find((f) => f.name === owner);
      if (owner && parent && !parent.isSig) return judgeFill(owner, ['AP'], 'appearance', n);
      return bad('appearance', `the appearance of ${owner ? `field "${owner}"` : 'an annotation'} was changed after signing`);
    }
    if (before.dss.has(n) || after.dss.has(n)) return ok('dss', 'validation data (DSS)');
    if (before.pageTreeNodes.has(n)) return bad('pages', 'the page tree changed (pages added, removed or reordered)');
    return bad('content', `object ${n} of the signed revision changed (page content, resources or other document data)`);
  }

  function judgeFill(name: string, keys: string[], role: string, n: number): ObjectChange {
    if (isLocked(name, opts.lockedFields)) return { objectNumber: n, kind: 'changed', role, verdict: 'disallowed', reason: `field "${name}" is locked by a signature` };
    if (P === 1) return { objectNumber: n, kind: 'changed', role, verdict: 'disallowed', reason: 'the certification (DocMDP P=1) forbids filling in fields' };
    const fillKeys = ['V', 'AS', 'AP', 'MK', 'RV', 'DV'];
    const other = keys.filter((k) => !fillKeys.includes(k));
    if (other.length) return { objectNumber: n, kind: 'changed', role, verdict: 'disallowed', reason: `field "${name}" changed beyond its value (${other.map((k) => '/' + k).join(', ')})` };
    return { objectNumber: n, kind: 'changed', role, verdict: 'allowed', reason: `form field "${name}" filled in` };
  }

  async function judgeAcroForm(a: PDFDict | undefined, b: PDFDict, n: number): Promise<ObjectChange | undefined> {
    const keys = a ? changedKeys(a, b) : ['Fields'];
    const other = keys.filter((k) => !['Fields', 'SigFlags', 'DR', 'DA', 'NeedAppearances'].includes(k));
    if (other.length) return { objectNumber: n, kind: 'changed', role: 'acroform', verdict: 'disallowed', reason: `the form dictionary changed (${other.map((k) => '/' + k).join(', ')})` };
    if (keys.includes('Fields')) {
      const fa = a?.get(N('Fields'));
      const fb = b.get(N('Fields'));
      if (fb instanceof PDFRef && fa instanceof PDFRef && fb.objectNumber === fa.objectNumber) return undefined; // judged as its own object
      const la = fa instanceof PDFArray ? refList(fa) : refList(await signed.resolve(fa));
      const lb = fb instanceof PDFArray ? refList(fb) : refList(await final.resolve(fb));
      return judgeFields(la, lb, n);
    }
    return undefined;
  }

  function judgeFields(la: number[], lb: number[], n: number): ObjectChange | undefined {
    const setB = new Set(lb);
    const removed = la.filter((x) => !setB.has(x));
    if (removed.length) return { objectNumber: n, kind: 'changed', role: 'acroform', verdict: 'disallowed', reason: 'form fields were removed after signing' };
    const setA = new Set(la);
    for (const x of lb) {
      if (setA.has(x)) continue;
      const f = after.fields.get(x);
      if (!f) continue;
      const r = judgeNewField(f, x);
      if (r) return r;
    }
    return undefined;
  }

  function judgeNewField(f: FieldRole, _x: number): ObjectChange | undefined {
    const bad = (reason: string): ObjectChange => ({ objectNumber: _x, kind: 'added', role: 'field', verdict: 'disallowed', reason });
    if (P === 1) return bad('the certification (DocMDP P=1) forbids adding fields');
    if (!f.isSig) {
      if (P !== undefined) return bad(`a form field "${f.name}" was added to a certified document`);
      return undefined;
    }
    return undefined;
  }

  async function judgeAnnots(la: number[], lb: number[], n: number, pageIndex: number): Promise<ObjectChange | undefined> {
    const bad = (reason: string): ObjectChange => ({ objectNumber: n, kind: 'changed', role: 'annots', verdict: 'disallowed', reason });
    const setB = new Set(lb);
    const setA = new Set(la);
    const removed = la.filter((x) => !setB.has(x));
    for (const x of removed) {
      if (before.widgets.has(x) || before.fields.has(x)) return bad(`a form or signature widget was removed from page ${pageIndex + 1}`);
      if (P !== undefined) return bad(`an annotation was removed from page ${pageIndex + 1} of a certified document`);
    }
    for (const x of lb) {
      if (setA.has(x)) continue;
      const ad = await resolveDict(final, PDFRef.of(x, 0));
      if (!ad) continue;
      const subtype = nameVal(ad.get(N('Subtype')));
      const field = after.fields.get(x);
      const widgetOf = after.widgets.get(x);
      const isNewSigWidget =
        subtype === 'Widget' &&
        ((field?.isSig && !sigFieldNamesBefore.has(field.name)) ||
          (widgetOf !== undefined && [...after.fields.values()].some((f) => f.isSig && f.name === widgetOf && !sigFieldNamesBefore.has(f.name))));
      if (isNewSigWidget) {
        const signedNow = field ? field.signed : [...after.fields.values()].some((f) => f.name === widgetOf && f.signed);
        if (P !== undefined && !signedNow && annotIsVisible(ad))
          return bad(`an unsigned signature field with a visible appearance was added to page ${pageIndex + 1} of a certified document (sneaky signature)`);
        if (P === 1) return bad('the certification (DocMDP P=1) forbids new signatures');
        continue;
      }
      if (subtype === 'Widget' && (field || widgetOf !== undefined)) {
        if (P !== undefined) return bad(`a form field widget was added to page ${pageIndex + 1} of a certified document`);
        continue;
      }
      if (P === 1 || P === 2) return bad(`an annotation (/${subtype ?? '?'}) was added to page ${pageIndex + 1}, which the certification (DocMDP P=${P}) forbids`);
      if (P === 3 && !['Text', 'Popup'].includes(subtype ?? '') && annotIsVisible(ad))
        return bad(`an annotation (/${subtype ?? '?'}) that can cover page ${pageIndex + 1} was added to a certified document (evil annotation)`);
    }
    return undefined;
  }

  const anyDisallowed = changes.some((c) => c.verdict === 'disallowed') || incomplete;
  const anyChange = changes.some((c) => c.kind !== 'added' || c.role !== 'new') || changes.length > 0;
  return {
    modifiedAfter: anyDisallowed ? 'disallowed' : anyChange ? 'allowed' : 'none',
    changes,
    problems: [...problems],
    ...(incomplete ? { incomplete: true } : {}),
  };
}
