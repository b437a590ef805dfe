/**
 * `kyso verify --shard i/n` + `kyso report merge` through the real CLI: 1,000 files in 4 shards merge into
 * exactly the single-run report (same files in the same order, same summary, same exit code, same JUnit);
 * a missing or truncated shard report makes the merge fail. Then the three CI examples in docs/ci are run
 * locally: their shard script with the variables each engine would set, then their merge script.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVerdictSamples } from '../fixtures/verdict-samples.js';
import { KYSO_BIN, ROOT, runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const pki = getPki();
let dir: string;
let big: string;
let small: string;

type FileRep = { file: string; ms?: number; indication: string };
const strip = (files: FileRep[]) => files.map(({ ms: _ms, ...rest }) => rest);

async function makeArchive(root: string, n: number, kinds: Record<string, Buffer>): Promise<void> {
  for (let i = 0; i < n; i++) {
    const d = path.join(root, `hop-${String(i % 7)}`, i % 3 === 0 ? 'con' : '');
    await mkdir(d, { recursive: true });
    const kind = i % 53 === 0 ? 'tampered' : i % 97 === 0 ? 'unsigned' : i % 61 === 0 ? 'untrusted' : 'valid';
    await writeFile(path.join(d, `van-ban-${i}.pdf`), kinds[kind]!);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-shard-'));
  const { valid, tampered, unsigned: base, untrusted } = await makeVerdictSamples(pki);
  const kinds = { valid, tampered, unsigned: base, untrusted };
  big = path.join(dir, 'big');
  await makeArchive(big, 1000, kinds);
  small = path.join(dir, 'small');
  await makeArchive(path.join(small, 'archive'), 16, kinds);
  await mkdir(path.join(small, 'trust'));
  await writeFile(path.join(small, 'trust', 'root.pem'), await readFile(pki.root.cert));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kyso verify --shard + kyso report merge', () => {
  const common = () => ['--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off'];

  it('4 shards of 1,000 files merge into exactly the single-run report; a missing shard fails the merge', async () => {
    const single = await runKyso(['verify', 'big', ...common(), '--json'], { cwd: dir, timeoutMs: 300_000 });
    const singleRes = JSON.parse(single.stdout).result;
    expect(singleRes.summary.files).toBe(1000);
    expect(singleRes.summary.failed).toBeGreaterThan(0);
    expect(single.code).toBe(1);
    const names: string[] = [];
    let sum = 0;
    for (let i = 1; i <= 4; i++) {
      const s = await runKyso(['verify', 'big', ...common(), '--json', '--shard', `${i}/4`], { cwd: dir, timeoutMs: 300_000 });
      const r = JSON.parse(s.stdout).result;
      expect(r.shard).toMatchObject({ index: i, count: 4, totalFiles: 1000 });
      expect(r.files.length).toBeGreaterThan(150);
      sum += r.files.length;
      const name = path.join(dir, `shard-${i}.json`);
      await writeFile(name, s.stdout);
      names.push(name);
    }
    expect(sum).toBe(1000);
    const merged = await runKyso(['report', 'merge', ...names, '--json']);
    expect(merged.code).toBe(single.code);
    const m = JSON.parse(merged.stdout).result;
    expect(m.summary).toEqual(singleRes.summary);
    expect(strip(m.files)).toEqual(strip(singleRes.files));
    // JUnit: the same document but for timings.
    const noTime = (x: string) => x.replace(/ time="[^"]*"/g, '').replace(/ timestamp="[^"]*"/g, '');
    // (the single run's JUnit is rendered from its JSON report: one more 1,000-file run would only cost time)
    const singleJson = path.join(dir, 'single.json');
    await writeFile(singleJson, single.stdout);
    const sj = await runKyso(['report', 'merge', singleJson, '--format', 'junit']);
    const mj = await runKyso(['report', 'merge', ...names, '--format', 'junit']);
    expect(mj.code).toBe(sj.code);
    expect(noTime(mj.stdout)).toBe(noTime(sj.stdout));
    // A missing shard: no smaller archive, a failure.
    const missing = await runKyso(['report', 'merge', names[0]!, names[1]!, names[3]!, '--json']);
    expect(missing.code).toBe(5);
    expect(JSON.parse(missing.stdout).error.code).toBe('REPORT_SHARD_MISSING');
    expect(missing.stderr).toContain('3/4');
    // A shard that crashed mid-write (truncated JSON) fails it too; a shard given twice as well.
    const cut = path.join(dir, 'cut.json');
    await writeFile(cut, (await readFile(names[2]!, 'utf8')).slice(0, 500));
    expect((await runKyso(['report', 'merge', names[0]!, names[1]!, cut, names[3]!])).code).toBe(5);
    expect((await runKyso(['report', 'merge', names[0]!, names[1]!, names[1]!, names[3]!])).code).toBe(5);
  }, 600_000);

  it('--shard must be i/n with 1 <= i <= n', async () => {
    expect((await runKyso(['verify', 'big', '--shard', '0/4'], { cwd: dir })).code).toBe(2);
    expect((await runKyso(['verify', 'big', '--shard', '5/4'], { cwd: dir })).code).toBe(2);
  });
});

/** The script between `# kyso-<what>-begin` and `# kyso-<what>-end`, dedented. */
function block(text: string, what: 'shard' | 'merge'): string {
  const m = new RegExp(`^([ \\t]*)# kyso-${what}-begin\\n([\\s\\S]*?)^[ \\t]*# kyso-${what}-end`, 'm').exec(text);
  if (!m) throw new Error(`no kyso-${what} block`);
  const indent = m[1]!.length;
  return m[2]!
    .split('\n')
    .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
    .join('\n');
}

const run = promisify(execFile);
async function sh(shell: string[], script: string, cwd: string, env: Record<string, string>): Promise<number> {
  try {
    await run(shell[0]!, [...shell.slice(1), script], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return 0;
  } catch (e) {
    return typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code as number) : 1;
  }
}

describe('the CI examples in docs/ci, run locally', () => {
  const engines = [
    { file: 'github-actions.yml', shell: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'], vars: (i: number) => ({}), subst: (s: string, i: number) => s.replaceAll('${{ matrix.shard }}', String(i)) },
    { file: 'gitlab-ci.yml', shell: ['bash', '-eo', 'pipefail', '-c'], vars: (i: number) => ({ SHARD: String(i) }), subst: (s: string) => s },
    { file: 'k8s-indexed-job.yaml', shell: ['sh', '-c'], vars: (i: number) => ({ JOB_COMPLETION_INDEX: String(i - 1) }), subst: (s: string) => s },
  ];

  it('each engine’s shard commands then its merge step give the single-run result; a lost shard fails the merge', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'kyso'), `#!/bin/sh\nexec "${process.execPath}" "${KYSO_BIN}" "$@"\n`);
    await chmod(path.join(bin, 'kyso'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, XDG_CACHE_HOME: path.join(dir, 'cache'), LANG: 'C.UTF-8', NO_COLOR: '1' };
    const single = await runKyso(['verify', 'archive/', '--trust', 'trust/', '--json'], { cwd: small, env: { XDG_CACHE_HOME: env.XDG_CACHE_HOME } });
    const singleRes = JSON.parse(single.stdout).result;
    expect(singleRes.summary.files).toBe(16);
    for (const e of engines) {
      const text = await readFile(path.join(ROOT, 'docs', 'ci', e.file), 'utf8');
      await rm(path.join(small, 'reports'), { recursive: true, force: true });
      for (let i = 1; i <= 4; i++) {
        const code = await sh(e.shell, e.subst(block(text, 'shard'), i), small, { ...env, ...e.vars(i) });
        expect(code, `${e.file} shard ${i}`).toBe(0);
      }
      expect((await readdir(path.join(small, 'reports'))).filter((f) => f.endsWith('.json')).sort()).toEqual(['shard-1.json', 'shard-2.json', 'shard-3.json', 'shard-4.json']);
      const mergeCode = await sh(e.shell, e.subst(block(text, 'merge'), 0), small, env);
      expect(mergeCode, e.file).toBe(single.code);
      const merged = JSON.parse(await readFile(path.join(small, 'report.json'), 'utf8')).result;
      expect(merged.summary, e.file).toEqual(singleRes.summary);
      expect(strip(merged.files)).toEqual(strip(singleRes.files));
      expect(await readFile(path.join(small, 'junit.xml'), 'utf8')).toContain('<testsuites');
      expect(await readFile(path.join(small, 'report.html'), 'utf8')).toContain('<!DOCTYPE html>');
      // A shard that never reported: the merge step fails.
      await unlink(path.join(small, 'reports', 'shard-2.json'));
      expect(await sh(e.shell, e.subst(block(text, 'merge'), 0), small, env), e.file).toBe(5);
    }
  }, 600_000);
});
