import type { Msg } from '../core/errors.js';
import type { Lang } from '../core/types.js';

/** `--lang` wins, then LC_ALL / LC_MESSAGES / LANG starting with "vi". */
export function detectLang(argv: string[], env: Record<string, string | undefined>): Lang {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--lang' && argv[i + 1]) return normaliseLang(argv[i + 1]!);
    if (a.startsWith('--lang=')) return normaliseLang(a.slice(7));
  }
  const loc = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return loc.toLowerCase().startsWith('vi') ? 'vi' : 'en';
}

export function normaliseLang(s: string): Lang {
  return s.toLowerCase().startsWith('vi') ? 'vi' : 'en';
}

export function tr(lang: Lang, m: Msg): string {
  return lang === 'vi' ? m.vi : m.en;
}
