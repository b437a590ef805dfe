/**
 * The problem catalogue (src/cli/catalogue): every code the sources emit has an entry in English and in
 * Vietnamese, with the same placeholders, in exactly one section.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueSections, hasEntry, renderProblem } from '../../src/cli/catalogue/index.js';
import { ROOT } from '../helpers/cli.js';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Codes built at run time from another module's machine code (see verify-document: `BR_${br.code}`). */
const BUILT = ['NO_BYTERANGE', 'BAD_BYTERANGE', 'NO_CONTENTS', 'BAD_CONTENTS', 'GAP_MISMATCH'].map((c) => `BR_${c}`);

describe('problem catalogue', () => {
  it('every code used in src/ has an English and a Vietnamese text', async () => {
    const used = new Set<string>(BUILT);
    for (const f of await sources(path.join(ROOT, 'src'))) {
      const text = await readFile(f, 'utf8');
      for (const m of text.matchAll(/\bproblem\(\s*'([A-Z0-9_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter((c) => !hasEntry(c));
    expect(missing).toEqual([]);
  });

  it('every entry has both languages, the same placeholders, and sits in one section only', () => {
    const seen = new Map<string, string>();
    const bad: string[] = [];
    for (const [section, entries] of Object.entries(catalogueSections)) {
      for (const [code, e] of Object.entries(entries)) {
        if (seen.has(code)) bad.push(`${code} in ${seen.get(code)} and ${section}`);
        seen.set(code, section);
        if (!e.en?.trim() || !e.vi?.trim()) bad.push(`${code}: a language is empty`);
        if (e.en === e.vi) bad.push(`${code}: Vietnamese is a copy of English`);
        const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
        if (ph(e.en) !== ph(e.vi)) bad.push(`${code}: placeholders differ (${ph(e.en)} / ${ph(e.vi)})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('renders params; an unknown code renders as itself', () => {
    expect(renderProblem({ code: 'WEAK_DIGEST', params: { alg: 'sha1' } }, 'vi')).toBe('thuật toán băm yếu sha1');
    expect(renderProblem({ code: 'WEAK_DIGEST', params: { alg: 'sha1' } }, 'en')).toBe('weak digest algorithm sha1');
    expect(renderProblem({ code: 'NO_SUCH_CODE' }, 'en')).toBe('NO_SUCH_CODE');
  });
});
