/**
 * `LANG=vi_VN.UTF-8 kyso <command> --help` speaks Vietnamese: no English word of the same command's English help
 * appears in it, except names scripts type (commands, flags, their placeholders, example command lines) and
 * the allow-list of terms that have no Vietnamese form (issue 14).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KYSO_BIN } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { ALLOWED_ENGLISH, VIETNAMESE_SYLLABLES } from '../helpers/vi-words.js';
import { COMMANDS } from '../../src/cli/command-list.js';

const ALLOWED = ALLOWED_ENGLISH;

function help(args: string[], lang: 'vi' | 'en'): string {
  const r = spawnSync(process.execPath, [KYSO_BIN, ...args, '--help'], { env: cleanEnv({ LANG: lang === 'vi' ? 'vi_VN.UTF-8' : 'C.UTF-8' }), encoding: 'utf8' });
  expect(r.status, `${args.join(' ')} --help: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The words a person reads: without flags, placeholders and example command lines. */
function prose(text: string): string[] {
  const names = new Set<string>();
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*(\$ )?kyso\s/.test(line) || /^\s*(KYSO_|LANG=)/.test(line)) continue; // example command lines
    for (const m of line.matchAll(/--?[a-z0-9][a-z0-9-]*|<[^>]*>|\[[^\]]*\]/gi)) for (const w of m[0].toLowerCase().split(/[^a-z0-9]+/)) names.add(w);
    kept.push(line.replace(/--?[a-z0-9][a-z0-9-]*|<[^>]*>|\[[^\]]*\]/gi, ' '));
  }
  // words in quotes are values a script types ("sha256", "hard"); words with Vietnamese letters are Vietnamese
  const body = kept.join('\n').replace(/"[^"]*"/g, ' ');
  return [...body.matchAll(/[\p{L}][\p{L}']+/gu)]
    .map((m) => m[0].toLowerCase())
    .filter((w) => /^[a-z']+$/.test(w) && !names.has(w));
}

async function commandPaths(): Promise<string[][]> {
  const paths: string[][] = [];
  for (const name of Object.keys(COMMANDS)) {
    paths.push([name]);
    const text = help([name], 'en');
    const sub = text.split(/^Commands:$/m)[1]?.split(/\n\s*\n/)[0];
    for (const m of (sub ?? '').matchAll(/^ {2}([a-z][a-z-]*)/gm)) if (m[1] !== 'help') paths.push([name, m[1]!]);
  }
  return paths;
}

describe('Vietnamese help', () => {
  it('top level and every command speak Vietnamese', async () => {
    const offences: string[] = [];
    const paths = await commandPaths();
    const subcommands = new Set(paths.flat());
    for (const args of [[], ...paths]) {
      const english = new Set(prose(help(args, 'en')));
      const words = prose(help(args, 'vi')).filter((w) => english.has(w) && !ALLOWED.has(w) && !VIETNAMESE_SYLLABLES.has(w) && !subcommands.has(w));
      if (words.length) offences.push(`kyso ${args.join(' ')} --help: ${[...new Set(words)].join(', ')}`);
    }
    expect(offences).toEqual([]);
  }, 300_000);
});
