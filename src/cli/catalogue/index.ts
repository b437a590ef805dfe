import type { Lang } from '../../core/types.js';
import type { Problem } from '../../core/problem.js';
import type { CatalogueEntry, CatalogueSection } from './types.js';
import { verifyEntries } from './verify.js';
import { changeEntries } from './changes.js';

/** Every section, one per area; a code appears in exactly one. */
export const catalogueSections: Record<string, CatalogueSection> = {
  verify: verifyEntries,
  changes: changeEntries,
};

const all: Record<string, CatalogueEntry> = Object.assign({}, ...Object.values(catalogueSections));

function fill(template: string, params: Problem['params']): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => {
    const v = params?.[k];
    return v === undefined ? m : String(v);
  });
}

export function hasEntry(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(all, code);
}

/** The problem in one language; an unknown code renders as itself with its params (never throws). */
export function renderProblem(p: Problem, lang: Lang): string {
  const e = all[p.code];
  if (!e) return p.params ? `${p.code} ${JSON.stringify(p.params)}` : p.code;
  return fill(lang === 'vi' ? e.vi : e.en, p.params);
}
