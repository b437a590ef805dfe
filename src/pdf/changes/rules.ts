import { PDFArray, PDFDict, PDFName, PDFRef, PDFStream, type PDFObject } from '../pdf-lib.js';
import type { PdfReader } from '../reader.js';
import { problem, type ProblemParams } from '../../core/problem.js';
import type { ValueComparer } from './compare.js';
import { drawsOnPage, nameVal, onlyReachedFrom, refList, resolveDict, type RoleMap } from './roles.js';
import type { DiffOptions, ObjectChange } from './types.js';

const N = (s: string) => PDFName.of(s);

/** Keys a form filler writes on the filled field or its widget (ISO 32000-2 §12.7; what Acrobat, pyHanko,
 * MuPDF and pdf.js write): value, appearance state/stream, choice indices, text style and alignment. */
export const FILL_KEYS = ['V', 'AS', 'AP', 'MK', 'RV', 'I', 'DA', 'Q', 'DS'];
/** Keys the signing update writes on the empty signature field it signs (and its widget). */
export const SIGN_FIELD_KEYS = ['V', 'AP', 'AS', 'Lock', 'SV', 'MK', 'F', 'StructParent', 'DA'];
/** Catalog keys a legitimate later update may change (each judged further where it matters). */
export const CATALOG_FREE_KEYS = ['DSS', 'Extensions', 'Version', 'Metadata'];
/** AcroForm keys a legitimate later update may change. */
/** Catalog keys an update may change under DocMDP P = 1 (ISO 32000-2 §12.8.2.2.2 and ETSI EN 319 142-1
 * §5.4: a DSS and document time-stamps are not "changes"); /AcroForm only for a document time-stamp field. */
export const P1_CATALOG_KEYS = ['DSS', 'Extensions', 'Version', 'AcroForm'];
export const ACROFORM_FREE_KEYS = ['Fields', 'SigFlags', 'DR', 'DA', 'NeedAppearances'];

function isLocked(name: string, locked: Set<string> | undefined): boolean {
  if (!locked || locked.size === 0) return false;
  return locked.has('*') || locked.has(name) || [...locked].some((l) => name.startsWith(l + '.'));
}

const keyList = (keys: string[]) => keys.map((k) => '/' + k).join(', ');

/** The named rules. Each returns one ObjectChange (verdict + stable code) for the object it judges. */
export class Rules {
  readonly P: 1 | 2 | 3 | undefined;
  readonly sigNamesBefore: Set<string>;
  /** new signed visible signature widgets under P=2: checked for covering page text (a warning) */
  readonly overlapCandidates: Array<{ field: string; pageIndex: number; rect: number[] }> = [];
  constructor(
    readonly signed: PdfReader,
    readonly final: PdfReader,
    readonly before: RoleMap,
    readonly after: RoleMap,
    readonly cmp: ValueComparer,
    readonly opts: DiffOptions,
    /** first revision (0-based) where an object number was (re)defined after the signed one */
    readonly revisionOf: (n: number) => number | undefined,
  ) {
    const ps = [opts.certification, opts.lockPermission].filter((x): x is 1 | 2 | 3 => x !== undefined);
    this.P = ps.length ? (Math.min(...ps) as 1 | 2 | 3) : undefined;
    this.sigNamesBefore = new Set([...before.fields.values()].filter((f) => f.isSig).map((f) => f.name));
  }

  ok(n: number, role: string, code: string, params?: ProblemParams, kind: ObjectChange['kind'] = 'changed'): ObjectChange {
    return { objectNumber: n, kind, role, verdict: 'allowed', problem: problem(code, params) };
  }
  bad(n: number, role: string, code: string, params?: ProblemParams, kind: ObjectChange['kind'] = 'changed'): ObjectChange {
    return { objectNumber: n, kind, role, verdict: 'disallowed', problem: problem(code, params) };
  }
  p1(n: number, role: string): ObjectChange {
    return this.bad(n, role, 'CHANGE_DOCMDP_P1', { role });
  }

  /** Rule "catalog": only DSS, Extensions, Version, XMP, the form and (for a later certification) /Perms. */
  async catalog(a: PDFDict, b: PDFDict, n: number, copied: boolean): Promise<ObjectChange[]> {
    const out: ObjectChange[] = [];
    const keys = await this.cmp.changedKeys(a, b);
    const perms = keys.includes('Perms') && a.get(N('Perms')) === undefined && (await this.permsIsNewSignature(b));
    const other = keys.filter((k) => !CATALOG_FREE_KEYS.includes(k) && k !== 'AcroForm' && k !== 'StructTreeRoot' && !(k === 'Perms' && perms));
    if (other.length) return [this.bad(n, 'catalog', 'CHANGE_CATALOG', { keys: keyList(other) })];
    // P = 1: long-term validation material only (DSS, and a document time-stamp's field in /AcroForm,
    // judged by the form rule below).
    if (this.P === 1 && keys.some((k) => !P1_CATALOG_KEYS.includes(k))) return [this.p1(n, 'catalog')];
    if (keys.includes('StructTreeRoot')) {
      const sa = a.get(N('StructTreeRoot'));
      const sb = b.get(N('StructTreeRoot'));
      if (!(sa instanceof PDFRef && sb instanceof PDFRef && sa.objectNumber === sb.objectNumber))
        return [this.bad(n, 'catalog', 'CHANGE_CATALOG', { keys: '/StructTreeRoot' })];
    }
    if (keys.includes('AcroForm')) {
      const afa = a.get(N('AcroForm'));
      const afb = b.get(N('AcroForm'));
      if (afa instanceof PDFRef && afb instanceof PDFRef && afa.objectNumber !== afb.objectNumber) {
        const da = await resolveDict(this.signed, afa);
        const db = await resolveDict(this.final, afb);
        if (!db) return [this.bad(n, 'catalog', 'CHANGE_CATALOG', { keys: '/AcroForm' })];
        out.push(await this.acroForm(da, db, afb.objectNumber));
      } else if (!(afa instanceof PDFRef && afb instanceof PDFRef)) {
        const da = await resolveDict(this.signed, afa);
        const db = await resolveDict(this.final, afb);
        if (!db) return [this.bad(n, 'catalog', 'CHANGE_CATALOG', { keys: '/AcroForm' })];
        out.push(await this.acroForm(da, db, n));
      }
    }
    out.push(this.ok(n, 'catalog', copied ? 'ALLOWED_CATALOG_COPY' : 'ALLOWED_CATALOG', { keys: keyList(keys) }));
    return out;
  }

  /** /Perms added after approval signatures: allowed here only when its /DocMDP is a signature dictionary
   * of this update (the certification signature itself is then judged — and blamed — by the verifier). */
  private async permsIsNewSignature(cat: PDFDict): Promise<boolean> {
    const perms = await resolveDict(this.final, cat.get(N('Perms')));
    const d = perms?.get(N('DocMDP'));
    if (!perms || !(d instanceof PDFRef) || perms.keys().length !== 1) return false;
    return this.after.sigDicts.has(d.objectNumber) && !this.before.sigDicts.has(d.objectNumber);
  }

  /** Rule "form dictionary": signature fields added, /SigFlags, /DA, /NeedAppearances, /DR (additive). */
  async acroForm(a: PDFDict | undefined, b: PDFDict, n: number): Promise<ObjectChange> {
    const keys = a ? await this.cmp.changedKeys(a, b) : ['Fields'];
    const other = keys.filter((k) => !ACROFORM_FREE_KEYS.includes(k));
    if (other.length) return this.bad(n, 'acroform', 'CHANGE_ACROFORM', { keys: keyList(other) });
    // P = 1: only a document time-stamp's field may be added (checked by `fields`).
    if (this.P === 1 && keys.some((k) => k !== 'Fields' && k !== 'SigFlags')) return this.p1(n, 'acroform');
    if (keys.includes('DR')) {
      const r = await this.additive(a?.get(N('DR')), b.get(N('DR')), 0);
      if (!r) return this.bad(n, 'acroform', 'CHANGE_FORM_RESOURCES');
    }
    if (keys.includes('Fields')) {
      const fa = a?.get(N('Fields'));
      const fb = b.get(N('Fields'));
      if (!(fb instanceof PDFRef && fa instanceof PDFRef && fb.objectNumber === fa.objectNumber)) {
        const la = refList(await this.signed.resolve(fa));
        const lb = refList(await this.final.resolve(fb));
        const r = this.fields(la, lb, n);
        if (r) return r;
      }
    }
    return this.ok(n, 'acroform', 'ALLOWED_ACROFORM', { keys: keyList(keys) });
  }

  /** Rule "resources only grow": every key of the old dict keeps its value (by value), new keys may appear. */
  async additive(a: PDFObject | undefined, b: PDFObject | undefined, depth: number): Promise<boolean> {
    if (depth > 4) return false;
    if (await this.cmp.equal(a, b)) return true;
    const da = await resolveDict(this.signed, a);
    const db = await resolveDict(this.final, b);
    if (a === undefined) return db !== undefined;
    if (!da || !db || (await this.signed.resolve(a)) instanceof PDFStream) return false;
    for (const [k, v] of da.entries()) if (!(await this.additive(v, db.get(k), depth + 1))) return false;
    return true;
  }

  /** An indirect object inside /DR (a /Font dictionary object) grew. */
  async drObject(a: PDFObject, b: PDFObject, n: number): Promise<ObjectChange> {
    if (a instanceof PDFDict && b instanceof PDFDict && !(await this.additive(a, b, 1))) return this.bad(n, 'dr', 'CHANGE_FORM_RESOURCES');
    if (!(a instanceof PDFDict && b instanceof PDFDict)) return this.bad(n, 'dr', 'CHANGE_FORM_RESOURCES');
    if (!onlyReachedFrom(this.before, n, (m) => this.before.dr.has(m) || m === this.before.acroForm)) return this.bad(n, 'dr', 'CHANGE_SHARED_OBJECT', { object: n });
    return this.ok(n, 'dr', 'ALLOWED_DR_ADDITION');
  }

  /** Rule "field list": fields may be added (signature fields; others only without certification), never removed. */
  fields(la: number[], lb: number[], n: number): ObjectChange | undefined {
    const setB = new Set(lb);
    if (la.some((x) => !setB.has(x))) return this.bad(n, 'acroform', 'CHANGE_FIELD_REMOVED');
    const setA = new Set(la);
    for (const x of lb) {
      if (setA.has(x)) continue;
      const f = this.after.fields.get(x);
      if (!f) continue;
      if (this.P === 1 && !f.docTimeStamp) return this.p1(x, 'field');
      if (!f.isSig && this.P !== undefined) return this.bad(x, 'field', 'CHANGE_FIELD_ADDED_CERTIFIED', { field: f.name, p: this.P }, 'added');
    }
    return undefined;
  }

  /** Rule "form fill": value, appearance, choice /I, /DA and /Q of a field — unless locked or P = 1. */
  fill(name: string, keys: string[], role: string, n: number): ObjectChange {
    if (isLocked(name, this.opts.lockedFields)) return this.bad(n, role, 'CHANGE_FIELD_LOCKED', { field: name });
    if (this.P === 1) return this.p1(n, role);
    const other = keys.filter((k) => !FILL_KEYS.includes(k));
    if (other.length) return this.bad(n, role, 'CHANGE_FIELD_BEYOND_VALUE', { field: name, keys: keyList(other) });
    return this.ok(n, role, 'ALLOWED_FILL', { field: name });
  }

  /** Rule "page": nothing but /Annots may change on a page; /Annots judged by `annots`. */
  async page(a: PDFDict, b: PDFDict, n: number): Promise<ObjectChange> {
    const page = this.after.pages.get(n)! + 1;
    const keys = (await this.cmp.changedKeys(a, b)).filter((k) => k !== 'Annots');
    if (keys.length) return this.bad(n, 'page', 'CHANGE_PAGE', { page, keys: keyList(keys) });
    const annA = a.get(N('Annots'));
    const annB = b.get(N('Annots'));
    const la = refList(await this.signed.resolve(annA));
    const lb = refList(await this.final.resolve(annB));
    return (await this.annots(la, lb, n, page - 1)) ?? this.ok(n, 'page', 'ALLOWED_ANNOTS', { page });
  }

  /** Rule "page annotations": additions and removals, by kind, under the certification level. */
  async annots(la: number[], lb: number[], n: number, pageIndex: number): Promise<ObjectChange | undefined> {
    const page = pageIndex + 1;
    const P = this.P;
    const setB = new Set(lb);
    const setA = new Set(la);
    for (const x of la) {
      if (setB.has(x)) continue;
      if (this.before.widgets.has(x) || this.before.fields.has(x)) return this.bad(n, 'annots', 'CHANGE_WIDGET_REMOVED', { page });
      // ISO 32000-2 §12.8.2.2.2: P = 3 also permits deleting annotations; P = 1 and 2 do not.
      if (P === 1) return this.p1(n, 'annots');
      if (P === 2) return this.bad(n, 'annots', 'CHANGE_ANNOTATION_REMOVED_CERTIFIED', { page, p: P });
    }
    const pending: ObjectChange[] = [];
    for (const x of lb) {
      if (setA.has(x)) continue;
      const ad = await resolveDict(this.final, PDFRef.of(x, 0));
      if (!ad) continue;
      const subtype = nameVal(ad.get(N('Subtype')));
      const field = this.after.fields.get(x);
      const widgetOf = this.after.widgets.get(x);
      const ownerName = field?.name ?? widgetOf;
      const owner = ownerName !== undefined ? this.after.fieldByName.get(ownerName) : undefined;
      if (subtype === 'Widget' && owner?.isSig && !this.sigNamesBefore.has(owner.name)) {
        // P = 1: only the widget of a document time-stamp, and only one that draws nothing on the page.
        if (P === 1 && !(owner.docTimeStamp && !drawsOnPage(subtype, ad))) return this.p1(n, 'annots');
        if (P !== undefined && !owner.signed && drawsOnPage(subtype, ad))
          return this.bad(n, 'annots', 'CHANGE_SNEAKY_SIGNATURE', { page, field: owner.name });
        if (P === 2 && drawsOnPage(subtype, ad)) {
          const rect = ad.get(N('Rect'));
          const nums = rect instanceof PDFArray ? rect.asArray().map((v) => Number(v.toString())) : [];
          if (nums.length === 4 && nums.every(Number.isFinite)) this.overlapCandidates.push({ field: owner.name, pageIndex, rect: nums });
        }
        continue;
      }
      if (subtype === 'Widget' && owner) {
        if (P !== undefined) return this.bad(n, 'annots', 'CHANGE_FIELD_ADDED_CERTIFIED', { field: owner.name, p: P });
        continue;
      }
      if (P === 1) return this.p1(n, 'annots');
      if (P === 2) return this.bad(n, 'annots', 'CHANGE_ANNOTATION_ADDED_CERTIFIED', { page, subtype: subtype ?? '?', p: P });
      if (P === 3 && drawsOnPage(subtype, ad)) return this.bad(n, 'annots', 'CHANGE_EVIL_ANNOTATION', { page, subtype: subtype ?? '?' });
      if (P === undefined && drawsOnPage(subtype, ad)) pending.push(this.annotation(x, page, subtype, 'added'));
    }
    if (pending.length) return pending[0];
    return undefined;
  }

  annotation(x: number, page: number, subtype: string | undefined, kind: ObjectChange['kind']): ObjectChange {
    return {
      objectNumber: x,
      kind,
      role: 'annotation',
      verdict: 'annotation',
      problem: problem('CHANGE_ANNOTATION_ADDED', { page, subtype: subtype ?? '?', object: x }),
      revision: this.revisionOf(x),
    };
  }

  /** Rule "existing annotation edited". */
  async annotEdit(da: PDFDict, db: PDFDict, n: number): Promise<ObjectChange> {
    const P = this.P;
    const st = nameVal(db.get(N('Subtype')));
    const page = (this.after.annotPage.get(n) ?? 0) + 1;
    if ((await this.cmp.changedKeys(da, db)).includes('Subtype')) return this.bad(n, 'annotation', 'CHANGE_ANNOTATION_TYPE', { page });
    if (P === 1 || P === 2) return this.bad(n, 'annotation', 'CHANGE_ANNOTATION_CERTIFIED', { page, p: P });
    if (!drawsOnPage(st, db)) return this.ok(n, 'annotation', 'ALLOWED_ANNOTATION_EDIT', { page });
    if (P === 3) return this.bad(n, 'annotation', 'CHANGE_EVIL_ANNOTATION', { page, subtype: st ?? '?' });
    return this.annotation(n, page, st, 'changed');
  }

  /** Rule "appearance streams": a field's own appearance follows its fill or signing; nothing shared. */
  async appearance(n: number): Promise<ObjectChange> {
    const owner = this.before.appearance.get(n)!;
    const exclusive = onlyReachedFrom(this.before, n, (m) => this.before.appearance.get(m) === owner || this.before.widgets.get(m) === owner || this.before.fields.get(m)?.name === owner || (owner.startsWith('annot:') && m === Number(owner.slice(6))));
    if (!exclusive) return this.bad(n, 'appearance', 'CHANGE_SHARED_OBJECT', { object: n });
    if (owner.startsWith('annot:')) {
      const x = Number(owner.slice(6));
      const ad = await resolveDict(this.final, PDFRef.of(x, 0));
      const st = ad ? nameVal(ad.get(N('Subtype'))) : undefined;
      const page = (this.after.annotPage.get(x) ?? 0) + 1;
      if (this.P === 1 || this.P === 2) return this.bad(n, 'appearance', 'CHANGE_ANNOTATION_CERTIFIED', { page, p: this.P });
      if (!ad || !drawsOnPage(st, ad)) return this.ok(n, 'appearance', 'ALLOWED_ANNOTATION_EDIT', { page });
      if (this.P === 3) return this.bad(n, 'appearance', 'CHANGE_EVIL_ANNOTATION', { page, subtype: st ?? '?' });
      return this.annotation(x, page, st, 'changed');
    }
    const fa = this.before.fieldByName.get(owner);
    const fb = this.after.fieldByName.get(owner);
    if (fa?.isSig) {
      if (!fa.signed && fb?.signed) {
        if (isLocked(owner, this.opts.lockedFields)) return this.bad(n, 'appearance', 'CHANGE_FIELD_LOCKED', { field: owner });
        if (this.P === 1) return this.p1(n, 'appearance');
        return this.ok(n, 'appearance', 'ALLOWED_OWN_APPEARANCE', { field: owner });
      }
      return this.bad(n, 'appearance', 'CHANGE_SIGNATURE_APPEARANCE', { field: owner });
    }
    return this.fill(owner, ['AP'], 'appearance', n);
  }

  /** Rule "signature field": an empty one may be signed (its own keys); a signed one never changes. */
  async sigField(name: string, wasSigned: boolean, isSigned: boolean, keys: string[], n: number, role: string): Promise<ObjectChange> {
    if (!wasSigned && isSigned && keys.every((k) => SIGN_FIELD_KEYS.includes(k))) {
      if (isLocked(name, this.opts.lockedFields)) return this.bad(n, role, 'CHANGE_FIELD_LOCKED', { field: name });
      if (this.P === 1) return this.p1(n, role);
      return this.ok(n, role, 'ALLOWED_SIGNED_EMPTY_FIELD', { field: name });
    }
    return this.bad(n, role, 'CHANGE_SIGNATURE_FIELD', { field: name });
  }

  /** Rule "structure tree": a tagged PDF's tree may grow (the new signature's StructElem, ParentTree
   * entries, /ParentTreeNextKey); nothing it held before may change or disappear. */
  async structTree(a: PDFObject, b: PDFObject, n: number): Promise<ObjectChange> {
    if (this.P === 1) return this.p1(n, 'structure');
    if (await this.grows(a, b, 0)) return this.ok(n, 'structure', 'ALLOWED_STRUCTURE_ADDITION');
    return this.bad(n, 'structure', 'CHANGE_STRUCTURE_TREE', { object: n });
  }

  private async grows(a: PDFObject | undefined, b: PDFObject | undefined, depth: number): Promise<boolean> {
    if (depth > 6) return false;
    if (await this.cmp.equal(a, b)) return true;
    if (a === undefined) return true;
    if (a instanceof PDFRef || b instanceof PDFRef) {
      // Same object number: judged as its own object. A different one: the old value must be kept.
      if (a instanceof PDFRef && b instanceof PDFRef && a.objectNumber === b.objectNumber) return true;
      return this.grows(await this.signed.resolve(a), await this.final.resolve(b), depth + 1);
    }
    if (a instanceof PDFArray) {
      // An array may become longer (elements inserted), each old element still present in order;
      // /K may also turn from a single kid into an array of kids.
      const lb = b instanceof PDFArray ? b.asArray() : [];
      let j = 0;
      for (const x of a.asArray()) {
        while (j < lb.length && !(await this.cmp.equal(x, lb[j]))) j++;
        if (j >= lb.length) return false;
        j++;
      }
      return true;
    }
    if (b instanceof PDFArray && !(a instanceof PDFDict && a.get(N('Type')) === undefined && a.get(N('S')) === undefined)) {
      for (const x of b.asArray()) if (await this.cmp.equal(a, x)) return true;
      return false;
    }
    if (a instanceof PDFDict && b instanceof PDFDict) {
      for (const [k, v] of a.entries()) {
        const key = k.decodeText();
        const nv = b.get(k);
        if (key === 'ParentTreeNextKey' || key === 'Limits') continue;
        if (!(await this.grows(v, nv, depth + 1))) return false;
      }
      return true;
    }
    return false;
  }
}
