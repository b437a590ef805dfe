import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRef, PDFStream, type PDFObject } from '../pdf-lib.js';
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

  /**
   * Rule "structure tree" (tagged PDF). The one addition a later update may make is a new signature's
   * structure element: a /Form StructElem whose /K is an OBJR to the widget of a signature field signed
   * after the signed revision, hung under the root or an existing element, with its /ParentTree entry and a
   * larger /ParentTreeNextKey. Existing structure elements keep every key (/Alt, /ActualText, /Pg…) and all
   * their kids in order; nothing else in the tree (role and class maps, page entries of the parent tree)
   * changes.
   */
  async structTree(a: PDFObject, b: PDFObject, n: number): Promise<ObjectChange> {
    if (this.P === 1) return this.p1(n, 'structure');
    const ok = await this.structObject(a, b, n);
    return ok ? this.ok(n, 'structure', 'ALLOWED_STRUCTURE_ADDITION') : this.bad(n, 'structure', 'CHANGE_STRUCTURE_TREE', { object: n });
  }

  private async structObject(a: PDFObject, b: PDFObject, n: number): Promise<boolean> {
    // an indirect kids array (of the root or an element): it may only grow by signature elements
    if (a instanceof PDFArray && b instanceof PDFArray) return this.kidsGrow(a, b);
    if (!(a instanceof PDFDict) || !(b instanceof PDFDict)) return false;
    const keys = await this.cmp.changedKeys(a, b);
    const isRoot = n === this.before.structRoot && n === this.after.structRoot;
    const isNode = this.before.parentTreeNodes.has(n) && this.after.parentTreeNodes.has(n);
    if (isRoot) {
      if (keys.some((k) => !['K', 'ParentTree', 'ParentTreeNextKey'].includes(k))) return false;
      if (keys.includes('ParentTreeNextKey') && !((num(b.get(N('ParentTreeNextKey'))) ?? -1) >= (num(a.get(N('ParentTreeNextKey'))) ?? 0))) return false;
      if (keys.includes('ParentTree')) {
        // a direct number tree in the root (an indirect one keeps its number: judged on its own)
        const pa = a.get(N('ParentTree'));
        const pb = b.get(N('ParentTree'));
        if (!(pa instanceof PDFDict && pb instanceof PDFDict) || !(await this.parentTreeNode(pa, pb))) return false;
      }
      return !keys.includes('K') || this.kidsGrow(a.get(N('K')), b.get(N('K')));
    }
    if (isNode) return this.parentTreeNode(a, b);
    // an existing structure element: only its kids, and only by signature elements
    if (!isStructElem(a) || !isStructElem(b) || keys.some((k) => k !== 'K')) return false;
    return !keys.includes('K') || this.kidsGrow(a.get(N('K')), b.get(N('K')));
  }

  /** A /ParentTree node: old /Nums pairs kept, new pairs only for signature elements; /Kids only grow. */
  private async parentTreeNode(a: PDFDict, b: PDFDict, depth = 0): Promise<boolean> {
    const keys = await this.cmp.changedKeys(a, b);
    if (keys.some((k) => !['Nums', 'Kids', 'Limits'].includes(k))) return false;
    if (keys.includes('Nums')) {
      const na = await this.list(this.signed, a.get(N('Nums')));
      const nb = await this.list(this.final, b.get(N('Nums')));
      const old = new Map<number, PDFObject>();
      for (let i = 0; i + 1 < na.length; i += 2) old.set(num(na[i]) ?? NaN, na[i + 1]!);
      const seen = new Set<number>();
      for (let i = 0; i + 1 < nb.length; i += 2) {
        const k = num(nb[i]) ?? NaN;
        seen.add(k);
        if (old.has(k)) {
          if (!(await this.cmp.equal(old.get(k), nb[i + 1]))) return false;
        } else if (!(await this.signatureElement(nb[i + 1]))) return false;
      }
      if ([...old.keys()].some((k) => !seen.has(k))) return false;
    }
    if (keys.includes('Kids')) {
      const ka = await this.list(this.signed, a.get(N('Kids')));
      const kb = await this.list(this.final, b.get(N('Kids')));
      let j = 0;
      for (const x of ka) {
        while (j < kb.length && !(await this.cmp.equal(x, kb[j]))) {
          if (!(await this.newParentTreeNode(kb[j], depth + 1))) return false;
          j++;
        }
        if (j >= kb.length) return false;
        j++;
      }
      for (; j < kb.length; j++) if (!(await this.newParentTreeNode(kb[j], depth + 1))) return false;
    }
    return true;
  }

  /** A parent-tree node added later: it may only map keys to signature elements. */
  private async newParentTreeNode(x: PDFObject | undefined, depth: number): Promise<boolean> {
    if (depth > 8 || !(x instanceof PDFRef) || this.before.reachable.has(x.objectNumber)) return false;
    const d = await resolveDict(this.final, x);
    if (!d) return false;
    const nums = await this.list(this.final, d.get(N('Nums')));
    for (let i = 1; i < nums.length; i += 2) if (!(await this.signatureElement(nums[i]))) return false;
    for (const k of await this.list(this.final, d.get(N('Kids')))) if (!(await this.newParentTreeNode(k, depth + 1))) return false;
    return true;
  }

  /** Kids (/K) of the root or an element: every old kid kept, in order; every new one a signature element. */
  private async kidsGrow(ka: PDFObject | undefined, kb: PDFObject | undefined): Promise<boolean> {
    const la = await this.list(this.signed, ka);
    const lb = await this.list(this.final, kb);
    let j = 0;
    for (const x of la) {
      while (j < lb.length && !(await this.cmp.equal(x, lb[j]))) {
        if (!(await this.signatureElement(lb[j]))) return false;
        j++;
      }
      if (j >= lb.length) return false;
      j++;
    }
    for (; j < lb.length; j++) if (!(await this.signatureElement(lb[j]))) return false;
    return true;
  }

  /** An array's items (a single kid is a one-item list; an indirect array is resolved). */
  private async list(view: PdfReader, o: PDFObject | undefined): Promise<PDFObject[]> {
    if (o === undefined) return [];
    const r = o instanceof PDFRef ? await view.resolve(o).catch(() => undefined) : o;
    return r instanceof PDFArray ? r.asArray() : [o];
  }

  /**
   * A new signature's structure element: an indirect StructElem the signed revision did not use, /S /Form,
   * whose /K holds only OBJRs to widgets of signature fields signed after the signed revision.
   */
  private async signatureElement(x: PDFObject | undefined): Promise<boolean> {
    if (!(x instanceof PDFRef) || this.before.reachable.has(x.objectNumber)) return false;
    const d = await resolveDict(this.final, x);
    if (!d || !isStructElem(d) || nameVal(d.get(N('S'))) !== 'Form') return false;
    const kids = await this.list(this.final, d.get(N('K')));
    if (kids.length === 0) return false;
    for (const k of kids) {
      const objr = await resolveDict(this.final, k);
      const w = objr?.get(N('Obj'));
      if (!objr || nameVal(objr.get(N('Type'))) !== 'OBJR' || !(w instanceof PDFRef)) return false;
      const name = this.after.fields.get(w.objectNumber)?.name ?? this.after.widgets.get(w.objectNumber);
      const field = name !== undefined ? this.after.fieldByName.get(name) : undefined;
      if (!field?.isSig || !field.signed) return false;
      if (this.before.fieldByName.get(field.name)?.signed) return false;
    }
    return true;
  }
}

function isStructElem(d: PDFDict): boolean {
  const t = nameVal(d.get(N('Type')));
  return (t === undefined || t === 'StructElem') && d.get(N('S')) instanceof PDFName;
}

const num = (o: PDFObject | undefined): number | undefined => (o instanceof PDFNumber ? o.asNumber() : undefined);
