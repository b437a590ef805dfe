import { PDFDict, PDFRef, PDFStream, type PDFObject } from './pdf-lib.js';
import type { PdfReader } from './reader.js';
import { problem, type Problem } from '../core/problem.js';
import { sameBytes, TooComplex, ValueComparer } from './changes/compare.js';
import { buildRoles, onlyReachedFrom, refList, TRAILER } from './changes/roles.js';
import { Rules } from './changes/rules.js';
import { checkSignedXref, checkXrefIntegrity } from './changes/xref-integrity.js';
import { rectCoversText } from './changes/text-overlap.js';
import type { DiffOptions, ObjectChange, RevisionDiff } from './changes/types.js';

export type { ChangeVerdict, DiffOptions, ObjectChange, RevisionDiff } from './changes/types.js';
export { refsIn } from './changes/roles.js';

/**
 * Change analysis after a signature: the view of the PDF at the signature's revision is compared with the
 * final view, object by object, BY VALUE (dereferenced, key-order-free: src/pdf/changes/compare.ts), and
 * every difference is judged by one named rule (src/pdf/changes/rules.ts), each violation a stable problem
 * code (src/cli/catalogue/changes.ts). Written by hand because nothing installed does it; pyHanko's
 * DiffPolicy is the model that was read (not copied).
 *
 * Order of the analysis:
 *  0. the signed revision's own xref must point every object number at that object (no reader repair
 *     decides what was signed: changes/xref-integrity.ts `checkSignedXref`);
 *  1. the xref of every later revision must tell the truth about the bytes (changes/xref-integrity.ts):
 *     the reader's lenient repairs are for display only, never for verification;
 *  2. roles of objects in both views and the reference tracker (changes/roles.ts);
 *  3. the catalog (also when a later update replaced it by a copy), then every object number whose bytes
 *     differ between the views: added (harmless unless the signed revision already referenced that
 *     number: dangling-reference shadow), removed (only unused objects or deleted annotations), changed
 *     (one rule by role; an object whose value is unchanged is no change at all).
 * Allowed (ISO 32000-2 §12.8.2.2, PAdES): signing empty fields and adding signed signature fields, their
 * widgets and own appearance; DSS, Info, XMP, /Extensions, /Version; form filling (/V /AS /AP /I /DA /Q,
 * /DR growing, /NeedAppearances) unless locked or P = 1; the structure tree growing; annotations without
 * certification (reported as "annotations" when they draw on the page) and, under P = 3, adding and deleting
 * annotations that do not cover page content. Under P = 1 only long-term validation material: the DSS,
 * Info/XMP, /Extensions, /Version, and a document time-stamp (/Type /DocTimeStamp) in a new field whose
 * widget draws nothing (ISO 32000-2 §12.8.2.2.2, ETSI EN 319 142-1 §5.4). Everything else is disallowed.
 */
export async function diffRevisions(reader: PdfReader, signedRevision: number, opts: DiffOptions = {}): Promise<RevisionDiff> {
  const last = reader.revisions.length - 1;
  const max = opts.maxObjects ?? 200_000;
  // 0. the signed revision's own xref: what the signer's bytes mean must not depend on a reader's repair.
  const own = await checkSignedXref(reader, signedRevision, max);
  const ownChanges: ObjectChange[] = own.problems.map((p) => ({ objectNumber: Number(p.params?.object ?? 0), kind: 'changed', role: 'xref', verdict: 'disallowed', problem: p }));
  if (signedRevision >= last) return { modifiedAfter: ownChanges.length ? 'disallowed' : 'none', changes: ownChanges, problems: own.problems, warnings: own.warnings };
  const signed = reader.atRevision(signedRevision);
  const final = reader;
  const changes: ObjectChange[] = [...ownChanges];
  const tooBig = (): RevisionDiff => ({ modifiedAfter: 'disallowed', changes, problems: [problem('CHANGE_TOO_COMPLEX')], warnings: [], incomplete: true });

  // 1. xref honesty.
  const xrefProblems = await checkXrefIntegrity(reader, signedRevision, max);
  for (const p of xrefProblems) changes.push({ objectNumber: Number(p.params?.object ?? 0), kind: 'changed', role: 'xref', verdict: 'disallowed', problem: p });

  // 2. roles.
  const [before, after] = [await buildRoles(signed, max), await buildRoles(final, max)];
  if (before.incomplete || after.incomplete) return tooBig();
  const numbers = new Set<number>([...signed.objectNumbers(), ...final.objectNumbers()]);
  if (numbers.size > max) return tooBig();
  const cmp = new ValueComparer(signed, final);
  const revisionOf = (n: number): number | undefined => {
    for (let r = signedRevision + 1; r <= last; r++) {
      const v = r === last ? reader : reader.atRevision(r);
      if (!sameBytes(reader.atRevision(r - 1), v, n)) return r;
    }
    return undefined;
  };
  const rules = new Rules(signed, final, before, after, cmp, opts, revisionOf);
  const P = rules.P;

  try {
    // 3a. catalog (same object, or replaced by a copy).
    const catA = before.catalog !== undefined ? await signed.resolve(PDFRef.of(before.catalog, 0)).catch(() => undefined) : undefined;
    let catB: PDFObject | undefined;
    try {
      catB = await final.catalog();
    } catch {
      catB = undefined;
    }
    if (!(catA instanceof PDFDict) || !(catB instanceof PDFDict)) {
      changes.push(rules.bad(after.catalog ?? 0, 'catalog', 'CHANGE_CATALOG', { keys: '/Root' }));
    } else if (before.catalog !== after.catalog || !sameBytes(signed, final, before.catalog!)) {
      if (before.catalog !== after.catalog && after.catalog !== undefined && (before.reachable.has(after.catalog) || signed.xrefEntry(after.catalog)?.type))
        changes.push(rules.bad(after.catalog, 'catalog', 'CHANGE_CATALOG', { keys: '/Root' }));
      else changes.push(...(await rules.catalog(catA, catB, after.catalog!, before.catalog !== after.catalog)));
    }

    // 3b. every object whose bytes differ between the views.
    for (const n of [...numbers].sort((a, b) => a - b)) {
      if (n === before.catalog || n === after.catalog) continue;
      if (sameBytes(signed, final, n)) continue;
      const gen = (v: PdfReader) => {
        const e = v.xrefEntry(n);
        return e && e.type === 1 ? e.gen : 0;
      };
      const a = await cmp.load(signed, PDFRef.of(n, gen(signed)));
      const b = await cmp.load(final, PDFRef.of(n, gen(final)));
      if (a === undefined && b === undefined) continue;
      if (a === undefined) {
        if (before.dangling.has(n) || before.reachable.has(n)) changes.push(rules.bad(n, 'dangling', 'CHANGE_DANGLING_DEFINED', { object: n }, 'added'));
        else changes.push(rules.ok(n, 'new', 'ALLOWED_NEW_OBJECT', undefined, 'added'));
        continue;
      }
      if (b === undefined) {
        changes.push(removed(n));
        continue;
      }
      if (await cmp.equal(a, b)) continue; // same value (reordered keys, a reference swapped to an equal object…)
      changes.push(await classify(n, a, b));
    }
  } catch (e) {
    if (e instanceof TooComplex) return tooBig();
    throw e;
  }

  function removed(n: number): ObjectChange {
    if (!before.reachable.has(n)) return rules.ok(n, 'unused', 'ALLOWED_UNUSED_OBJECT', undefined, 'removed');
    // A deleted annotation (and its appearance/popup) is judged where the page's /Annots changed.
    const owner = before.appearance.get(n);
    if (before.annots.has(n) || (owner?.startsWith('annot:') && !after.annots.has(Number(owner.slice(6)))))
      return rules.ok(n, 'annotation', 'ALLOWED_ANNOTATION_DELETED', { page: (before.annotPage.get(n) ?? 0) + 1 }, 'removed');
    return rules.bad(n, 'signed-object', 'CHANGE_OBJECT_DELETED', { object: n }, 'removed');
  }

  async function classify(n: number, a: PDFObject, b: PDFObject): Promise<ObjectChange> {
    const usedBefore = before.reachable.has(n);
    const usedAfter = after.reachable.has(n);
    if (!usedBefore && !usedAfter) return rules.ok(n, 'unused', 'ALLOWED_UNUSED_OBJECT');
    if (!usedBefore) {
      // An object that existed, unused, in the signed revision and is now part of the document with new
      // bytes: a reused number. Only for what later updates legitimately add.
      const f = after.fields.get(n);
      const fresh = after.dss.has(n) || after.appearance.has(n) || n === after.info || n === after.metadata || after.widgets.has(n) || (f?.isSig && !rules.sigNamesBefore.has(f.name)) || after.structTree.has(n) || after.annots.has(n);
      if (!fresh) return rules.bad(n, 'shadow', 'CHANGE_UNUSED_OBJECT_USED', { object: n });
    }
    const onlyFrom = (ok: (m: number) => boolean) => onlyReachedFrom(before, n, ok);
    if (n === after.info && (!usedBefore || onlyFrom((m) => m === TRAILER))) return rules.ok(n, 'info', 'ALLOWED_INFO');
    if (n === after.metadata && (!usedBefore || (n === before.metadata && onlyFrom((m) => m === before.catalog)))) return rules.ok(n, 'metadata', 'ALLOWED_METADATA');
    if (after.dss.has(n) && (!usedBefore || (before.dss.has(n) && onlyFrom((m) => (before.dss.has(m) && m !== n) || (m === before.catalog && (before.dssRoot === n || before.dssRoot === undefined)))))) return rules.ok(n, 'dss', 'ALLOWED_DSS');
    // P = 1 forbids every change except long-term validation material: the DSS (above) and a document
    // time-stamp in a new field, which touches only the form's field list and a page's /Annots; those
    // objects are judged by their own rules below, each refusing anything else under P = 1.
    const docTimeStampPath = (n === before.acroForm && n === after.acroForm) || (n === before.fieldsArray && n === after.fieldsArray) || (before.pages.has(n) && after.pages.has(n)) || (before.annotsArrays.has(n) && after.annotsArrays.has(n));
    if (P === 1 && usedBefore && !after.dss.has(n) && !docTimeStampPath) return rules.p1(n, 'object');
    if (before.sigDicts.has(n)) return rules.bad(n, 'signature', 'CHANGE_SIGNATURE_DICT', { object: n });

    const da = a instanceof PDFDict ? a : a instanceof PDFStream ? a.dict : undefined;
    const db = b instanceof PDFDict ? b : b instanceof PDFStream ? b.dict : undefined;

    if (n === after.acroForm && n === before.acroForm && db && da) return rules.acroForm(da, db, n);
    if (n === after.fieldsArray && n === before.fieldsArray) {
      return rules.fields(refList(a), refList(b), n) ?? rules.ok(n, 'acroform', 'ALLOWED_ACROFORM', { keys: '/Fields' });
    }
    if (after.pages.has(n) && before.pages.has(n) && da && db) return rules.page(da, db, n);
    if (after.annotsArrays.has(n) && before.annotsArrays.has(n)) {
      const page = after.pages.get(after.annotsArrays.get(n)!) ?? 0;
      return (await rules.annots(refList(a), refList(b), n, page)) ?? rules.ok(n, 'annots', 'ALLOWED_ANNOTS', { page: page + 1 });
    }
    if (before.dr.has(n) && after.dr.has(n)) return rules.drObject(a, b, n);
    if (before.structTree.has(n) && after.structTree.has(n)) return rules.structTree(a, b, n);
    const fa = before.fields.get(n);
    const fb = after.fields.get(n);
    if (fa && fb && da && db) {
      const keys = await cmp.changedKeys(da, db);
      if (fa.isSig) return rules.sigField(fa.name, fa.signed, fb.signed, keys, n, 'signature-field');
      return rules.fill(fa.name, keys, 'field', n);
    }
    const wa = before.widgets.get(n);
    if (wa !== undefined && after.widgets.get(n) === wa && da && db) {
      const keys = await cmp.changedKeys(da, db);
      const pa = before.fieldByName.get(wa);
      const pb = after.fieldByName.get(wa);
      if (pa?.isSig) return rules.sigField(wa, pa.signed, !!pb?.signed, keys, n, 'widget');
      return rules.fill(wa, keys, 'widget', n);
    }
    if (before.annots.has(n) && after.annots.has(n) && da && db) return rules.annotEdit(da, db, n);
    if (before.appearance.has(n) && after.appearance.has(n)) return rules.appearance(n);
    if (before.pageTreeNodes.has(n)) return rules.bad(n, 'pages', 'CHANGE_PAGE_TREE');
    if (before.pages.has(n)) return rules.bad(n, 'page', 'CHANGE_PAGE', { page: before.pages.get(n)! + 1, keys: '' });
    return rules.bad(n, 'content', 'CHANGE_OBJECT', { object: n });
  }

  const warnings: Problem[] = [...own.warnings];
  for (const c of rules.overlapCandidates.slice(0, 10)) {
    if (await rectCoversText(reader.source, reader.revisions[signedRevision]!.endOffset, c.pageIndex, c.rect))
      warnings.push(problem('WARN_SIGNATURE_OVER_TEXT', { field: c.field, page: c.pageIndex + 1 }));
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (c.verdict !== 'disallowed') continue;
    const k = JSON.stringify(c.problem);
    if (!seen.has(k)) {
      seen.add(k);
      problems.push(c.problem);
    }
  }
  const anyDisallowed = problems.length > 0;
  const anyAnnotation = changes.some((c) => c.verdict === 'annotation');
  return {
    modifiedAfter: anyDisallowed ? 'disallowed' : anyAnnotation ? 'annotations' : changes.length > 0 || last > signedRevision ? 'allowed' : 'none',
    changes,
    problems,
    warnings,
  };
}
