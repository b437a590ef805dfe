/**
 * The V8 code cache of the bundle (issue 16, src/cli/code-cache.ts): the build trains a cache for the files the
 * common commands load, the CLI's start-up compiles them from it (V8 accepts it), and a damaged cache costs a
 * compile from source, never a wrong result.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { makeCongVan } from '../fixtures/cong-van.js';
import { BATCH_V8_FLAGS } from '../../src/core/v8-tuning.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kyso-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `bin/kyso.js` of a package folder (the repository, or a copy), and reports what the cache did (Node 20). */
function startWithCache(pkg: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stats: { accepted: string[]; compiled: string[]; fromProfile: string[] } } {
  const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'kyso.js'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', KYSO_CODE_CACHE: 'stats', ...env } });
  const line = r.stderr.split('\n').find((l) => l.startsWith('STATS '));
  return { status: r.status, stdout: r.stdout, stats: JSON.parse(line ? line.slice(6) : '{"accepted":[],"compiled":[],"fromProfile":[]}') };
}

/** The sample PDF signed by the leader's test .p12, as `name` in the test folder. */
async function signedSample(name: string): Promise<string> {
  const pki = getPki();
  const signed = path.join(dir, name);
  const s = await runKyso(['sign', (await makeSamplePdfs(dir)).simple, '-o', signed, '--p12', pki.leaves['leader-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
  expect(s.code, s.stderr).toBe(0);
  return signed;
}

describe('code cache of the bundle', () => {
  it('the build trained caches that V8 accepts for every bundle file `kyso sign --help` loads', () => {
    const bundle = path.join(ROOT, 'dist', 'bundle');
    expect(readdirSync(bundle).filter((f) => f.endsWith('.v8cache')).length).toBeGreaterThan(10);
    const r = startWithCache(ROOT, ['sign', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--p12');
    expect(r.stats.accepted).toContain('kyso.cjs');
    expect(r.stats.accepted).toContain('cmd-sign.cjs');
    expect(r.stats.compiled).toEqual([]);
  });

  it('`kyso verify` of a signed file: every bundle file it loads comes from its cache', async () => {
    const pki = getPki();
    const signed = await signedSample('signed.pdf');
    const r = startWithCache(ROOT, ['verify', signed, '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('TOTAL_PASSED');
    expect(r.stats.accepted).toContain('cmd-verify.cjs');
    expect(r.stats.compiled).toEqual([]);
    // every one from the caches trained on a single verify alone, not from the demo-wide ones
    expect(r.stats.fromProfile.sort()).toEqual([...r.stats.accepted].sort());
    // which hold less: the functions only other commands call are not deserialized by every verify
    const size = (f: string) => statSync(path.join(ROOT, 'dist', 'bundle', f)).size;
    expect(size('kyso.cjs.verify.v8cache')).toBeLessThan(size('kyso.cjs.v8cache'));
  });

  it('a visible signature placed by the text of the page: pdf.js is part of the bundle and comes from its cache too, without @napi-rs/canvas (32 MB, rendering only)', async () => {
    const pki = getPki();
    const cv = await makeCongVan(dir);
    const out = path.join(dir, 'cv.approved.pdf');
    const maps = path.join(dir, 'maps.txt');
    const hook = path.join(dir, 'maps-hook.cjs');
    // (read, not copied: a /proc file has no size for copyFileSync)
    writeFileSync(hook, `process.on('exit', () => { const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(maps)}, fs.readFileSync('/proc/self/maps')); });`);
    const r = spawnSync(process.execPath, ['-r', hook, path.join(ROOT, 'bin', 'kyso.js'), 'sign', cv.pdf, '-o', out, '--p12', pki.leaves['leader-rsa'].p12, '--role', 'approve', '--image', cv.signature], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', KYSO_CODE_CACHE: 'stats', KYSO_P12_PASSWORD: pki.password },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/Warning/);
    const stats = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('STATS '))!.slice(6)) as { accepted: string[]; compiled: string[] };
    expect(stats.compiled).toEqual([]);
    // pdf.js's two modules (pdf.mjs, ~0.4 MB, and its worker, ~1.4 MB minified) are the largest files this run loaded
    const sizes = stats.accepted.map((f) => statSync(path.join(ROOT, 'dist', 'bundle', f)).size).sort((a, b) => b - a);
    expect(sizes[0]).toBeGreaterThan(1_000_000);
    const mapped = readFileSync(maps, 'utf8');
    expect(mapped).toMatch(/libnode|\/node\b/); // the map is this run's
    expect(mapped).not.toMatch(/@napi-rs/);
  });

  it('two files or more: each verify worker compiles the verification stack from the caches trained in a worker under its V8 flags (--jobs 1, --jobs 2)', async () => {
    const pki = getPki();
    const signed = await signedSample('pool-signed.pdf');
    const copy = path.join(dir, 'pool-signed-2.pdf');
    copyFileSync(signed, copy);
    for (const [jobs, profile] of [['1', 'worker'], ['2', 'workerjobs']] as const) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kyso.js'), 'verify', signed, copy, '--jobs', jobs, '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', KYSO_CODE_CACHE: 'stats' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/2 passed/);
      const workers = r.stderr.split('\n').filter((l) => l.startsWith('STATS-WORKER ')).map((l) => JSON.parse(l.slice(13)) as { accepted: string[]; compiled: string[]; fromProfile: string[] });
      expect(workers, `--jobs ${jobs}`).toHaveLength(Number(jobs));
      for (const w of workers) {
        expect(w.accepted, `--jobs ${jobs}`).toContain('verify-worker.cjs');
        expect(w.compiled, `--jobs ${jobs}`).toEqual([]);
        expect(w.fromProfile.sort(), `--jobs ${jobs}`).toEqual([...w.accepted].sort());
      }
      expect(statSync(path.join(ROOT, 'dist', 'bundle', `verify-worker.cjs.${profile}.v8cache`)).size).toBeGreaterThan(0);
    }
  });

  it('the top-level help and one signed file read their own profile\'s caches too; another command the general ones', async () => {
    const help = startWithCache(ROOT, ['--help']);
    expect(help.status).toBe(0);
    expect(help.stats.accepted).toContain('kyso.cjs');
    expect(help.stats.fromProfile.sort()).toEqual([...help.stats.accepted].sort());
    const pki = getPki();
    const input = (await makeSamplePdfs(dir)).simple;
    const one = startWithCache(ROOT, ['sign', input, '-o', path.join(dir, 'one.pdf'), '--p12', pki.leaves['leader-rsa'].p12], { KYSO_P12_PASSWORD: pki.password });
    expect(one.status).toBe(0);
    expect(one.stats.compiled).toEqual([]);
    expect(one.stats.fromProfile).toContain('cmd-sign.cjs');
    const other = startWithCache(ROOT, ['token', '--help']);
    expect(other.status).toBe(0);
    expect(other.stats.accepted).toContain('kyso.cjs');
    expect(other.stats.fromProfile).toEqual([]);
  });

  it('`kyso sign` of a folder (a batch): every bundle file it loads comes from its cache, the batch\'s V8 tuning too', async () => {
    const pki = getPki();
    const input = (await makeSamplePdfs(dir)).simple;
    const folder = path.join(dir, 'batch');
    const out = path.join(dir, 'batch-out');
    mkdirSync(folder);
    mkdirSync(out);
    for (const n of ['a.pdf', 'b.pdf', 'c.pdf']) copyFileSync(input, path.join(folder, n));
    const r = startWithCache(ROOT, ['sign', folder, '--out-dir', out, '--p12', pki.leaves['leader-rsa'].p12], { KYSO_P12_PASSWORD: pki.password });
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['a.pdf', 'b.pdf', 'c.pdf']);
    expect(r.stats.accepted).toContain('cmd-sign.cjs');
    expect(r.stats.compiled).toEqual([]);
  });

  it('a damaged or missing cache is compiled from source and the command still works', () => {
    const copy = path.join(dir, 'pkg');
    cpSync(path.join(ROOT, 'dist', 'bundle'), path.join(copy, 'dist', 'bundle'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
    cpSync(path.join(ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
    const bundle = path.join(copy, 'dist', 'bundle');
    // `kyso sign`'s own caches (profile sign): garbage in one; another missing, so its general cache serves;
    // a third file with neither
    writeFileSync(path.join(bundle, 'kyso.cjs.sign.v8cache'), Buffer.alloc(4096, 0x5a));
    rmSync(path.join(bundle, 'cmd-sign.cjs.sign.v8cache'));
    const third = readdirSync(bundle).find((f) => f.endsWith('.cjs.sign.v8cache') && f.startsWith('chunk-'))!.replace('.sign.v8cache', '');
    rmSync(path.join(bundle, `${third}.sign.v8cache`));
    rmSync(path.join(bundle, `${third}.v8cache`));
    const r = startWithCache(copy, ['sign', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--p12');
    expect(r.stats.compiled).toEqual(expect.arrayContaining(['kyso.cjs']));
    expect(r.stats.accepted).toContain('cmd-sign.cjs');
    expect(r.stats.fromProfile).not.toContain('cmd-sign.cjs');
    // the general caches: garbage too, and the command still works
    writeFileSync(path.join(bundle, 'cmd-sign.cjs.v8cache'), Buffer.alloc(4096, 0x5a));
    const g = startWithCache(copy, ['sign', '--help']);
    expect(g.status).toBe(0);
    expect(g.stdout).toContain('--p12');
    expect(g.stats.compiled).toEqual(expect.arrayContaining(['kyso.cjs', 'cmd-sign.cjs']));
  });

  it('BATCH_V8_FLAGS hold TurboFan back: a function called 20,000 times is not optimised (it is with V8\'s defaults)', () => {
    const script = (tune: boolean) => `
${tune ? `require('node:v8').setFlagsFromString(${JSON.stringify(BATCH_V8_FLAGS)});` : ''}
function f(x) { return (x * 3 + 1) ^ (x >> 2); }
let s = 0;
function run(n) { for (let i = 0; i < n; i++) s += f(i); }
// (run itself is never optimised: f inlined into it would leave f's own status unset)
%NeverOptimizeFunction(run);
for (let k = 0; k < 200; k++) run(100);
// optimised, or queued or being compiled by TurboFan
process.stdout.write(String((%GetOptimizationStatus(f) & (16 | 64 | 256 | 512 | 1024)) !== 0));`;
    const run = (tune: boolean) => spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script(tune)], { encoding: 'utf8' });
    const plain = run(false);
    expect(plain.stdout, plain.stderr).toBe('true');
    const tuned = run(true);
    expect(tuned.stderr).toBe(''); // (V8 names a flag it does not know on stderr)
    expect(tuned.stdout).toBe('false');
  });
});
