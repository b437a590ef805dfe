import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runKyso, type CliResult } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

/** Runs `kyso sign …` through the real CLI with the test passphrase in the environment. */
export function kysoSign(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {}): Promise<CliResult> {
  return runKyso(['sign', ...args], { env: { KYSO_P12_PASSWORD: getPki().password, ...opts.env }, cwd: opts.cwd, input: opts.input, timeoutMs: 60_000 });
}

/** Every file under `dir` (recursive), relative paths, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await listFiles(dir)).filter((f) => f.includes('.kyso-tmp-'));
}

/** True when the bytes of `before` are a prefix of `after`. */
export async function isPrefix(before: string, after: string): Promise<boolean> {
  const a = await readFile(before);
  const b = await readFile(after);
  return b.length > a.length && b.subarray(0, a.length).equals(a);
}
