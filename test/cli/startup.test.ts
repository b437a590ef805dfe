/**
 * Start-up budget (issue 16): the top-level help and --version load no command implementation, and a
 * command loads only its own. Proven with a loader hook that records every ES module the CLI process loads
 * (test/helpers/record-imports.mjs), against the bundle that bin/kyso.js runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { KYSO_BIN, ROOT } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { COMMANDS } from '../../src/cli/command-list.js';
import { createApp } from '../../src/cli/app.js';
import type { Context } from '../../src/cli/context.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kyso-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function loaded(args: string[], extraEnv: Record<string, string> = {}): { code: number | null; files: string[]; urls: string[]; stdout: string } {
  const rec = path.join(dir, `rec-${n++}.txt`);
  const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test/helpers/record-imports.mjs'), KYSO_BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', KYSO_RECORD_IMPORTS: rec, ...extraEnv },
    encoding: 'utf8',
  });
  let text = '';
  try {
    text = readFileSync(rec, 'utf8');
  } catch {
    /* nothing recorded */
  }
  const urls = text.split('\n').filter(Boolean);
  const files = urls.filter((u) => u.includes('/dist/')).map((u) => path.basename(new URL(u).pathname));
  return { code: r.status, files, urls, stdout: r.stdout };
}

/**
 * The npm packages a run loaded: those bundled into the dist/bundle chunks it loaded (dist/bundle/meta.json
 * lists each chunk's inputs) and those it loaded from node_modules itself (external or require()d).
 */
function packagesLoaded(r: { files: string[]; urls: string[] }): Set<string> {
  const meta = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const libs = new Set<string>();
  const add = (p: string) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
    if (m) libs.add(m[1]!);
  };
  for (const f of r.files) for (const input of Object.keys(meta.outputs[`dist/bundle/${f}`]?.inputs ?? {})) add(input);
  for (const u of r.urls) add(new URL(u).pathname);
  return libs;
}

/** The problem catalogue's messages (not its small loader, src/cli/catalogue/load.ts). */
const isCatalogue = (s: string) => /src\/cli\/catalogue\/(index|verify|changes)\.ts$/.test(s);

/** The source files (src/…) bundled into the dist/bundle chunks a run loaded. */
function sourcesLoaded(r: { files: string[] }): Set<string> {
  const meta = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  return new Set(r.files.flatMap((f) => Object.keys(meta.outputs[`dist/bundle/${f}`]?.inputs ?? {})));
}

describe('kyso start-up', () => {
  it('top-level --help lists every command but loads none of them', () => {
    const r = loaded(['--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout).toContain(name);
    expect(r.files).toContain('kyso.cjs');
    expect(r.files.filter((f) => f.startsWith('cmd-'))).toEqual([]);
    expect([...sourcesLoaded(r)].filter(isCatalogue)).toEqual([]);
    expect(sourcesLoaded(r).has('src/cli/main.ts')).toBe(true); // the meta file matches the bundle
  });

  it('top-level --help sets up neither the ES module loader nor node:crypto (CommonJS entry, temp registry on node:fs alone)', () => {
    const list = path.join(dir, 'module-list.txt');
    const hook = path.join(dir, 'module-list.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));`);
    const modules = (args: string[]) => {
      const r = spawnSync(process.execPath, ['-r', hook, ...args], { env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' }, encoding: 'utf8' });
      expect(r.status).toBe(0);
      return new Set(readFileSync(list, 'utf8').split('\n'));
    };
    // what a plain Node script writing to the same stdout loads, against what kyso --help adds to it
    const plain = modules(['-e', "process.stdout.write('x\\n')"]);
    const added = [...modules([KYSO_BIN, '--help'])].filter((m) => !plain.has(m));
    expect(added).toContain('NativeModule vm'); // the code cache: the list is kyso's own
    expect(added.filter((m) => /^NativeModule (crypto|internal\/modules\/esm\/.*|child_process|fs\/promises)$/.test(m))).toEqual([]);
  });

  it('output to a pipe, a file or /dev/null is written without node:tty, net or Node\'s stdio streams (they are built only for a terminal)', () => {
    const list = path.join(dir, 'stdio-module-list.txt');
    const hook = path.join(dir, 'stdio-module-list.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));`);
    const out = path.join(dir, 'help-out.txt');
    for (const [name, stdio] of [
      ['pipes', ['ignore', 'pipe', 'pipe']],
      ['a file', ['ignore', 'pipe', 'pipe']],
      ['/dev/null', ['ignore', 'ignore', 'ignore']],
    ] as const) {
      const file = name === 'a file';
      const r = spawnSync(file ? 'sh' : process.execPath, file ? ['-c', `"$0" -r "$1" "$2" --help >"$3" 2>&1 </dev/null`, process.execPath, hook, KYSO_BIN, out] : ['-r', hook, KYSO_BIN, '--help'], {
        env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' },
        encoding: 'utf8',
        stdio: [...stdio],
      });
      expect(r.status, name).toBe(0);
      const help = file ? readFileSync(out, 'utf8') : (r.stdout ?? '');
      if (name !== '/dev/null') expect(help, name).toContain('verify');
      const modules = readFileSync(list, 'utf8').split('\n');
      expect(modules.filter((m) => /^NativeModule (tty|net|internal\/fs\/sync_write_stream)$/.test(m)), name).toEqual([]);
    }
  });

  it('one file signed, one verified: neither loads node:fs/promises (fs.promises is read only when a call needs it)', async () => {
    const list = path.join(dir, 'one-module-list.txt');
    const hook = path.join(dir, 'one-module-list.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));`);
    const pki = getPki();
    const input = (await makeSamplePdfs(dir)).simple;
    const signed = path.join(dir, 'one-signed.pdf');
    const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', KYSO_P12_PASSWORD: pki.password };
    for (const args of [
      ['sign', input, '-o', signed, '--p12', pki.leaves['leader-rsa'].p12],
      ['verify', signed, '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off'],
    ]) {
      const r = spawnSync(process.execPath, ['-r', hook, KYSO_BIN, ...args], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const modules = readFileSync(list, 'utf8').split('\n');
      expect(modules).toContain('NativeModule crypto'); // the list is the run's
      expect(modules.filter((m) => /^NativeModule (fs\/promises|internal\/fs\/promises)$/.test(m)), args[0]).toEqual([]);
    }
  });

  it('one verified file is guarded by the native watchdog thread (dist/native, built with the C compiler CI installs): no worker environment starts; KYSO_WATCHDOG=worker starts one', async () => {
    expect(existsSync(path.join(ROOT, 'dist', 'native', 'kyso-watchdog.node')), 'npm run build made no native watchdog').toBe(true);
    const list = path.join(dir, 'watchdog-module-list.txt');
    const hook = path.join(dir, 'watchdog-module-list.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));`);
    const pki = getPki();
    const signed = path.join(dir, 'watchdog-signed.pdf');
    const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', KYSO_P12_PASSWORD: pki.password };
    const s = spawnSync(process.execPath, [KYSO_BIN, 'sign', (await makeSamplePdfs(dir)).simple, '-o', signed, '--p12', pki.leaves['leader-rsa'].p12], { env, encoding: 'utf8' });
    expect(s.status, s.stderr).toBe(0);
    const workerLoaded = (extra: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['-r', hook, KYSO_BIN, 'verify', signed, '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off'], { env: { ...env, ...extra }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const modules = readFileSync(list, 'utf8').split('\n');
      expect(modules).toContain('NativeModule crypto'); // the list is the run's
      return modules.includes('NativeModule worker_threads');
    };
    expect(workerLoaded({})).toBe(false);
    expect(workerLoaded({ KYSO_WATCHDOG: 'worker' })).toBe(true);
  });

  it('a reader that goes away (`kyso --help | true`) ends kyso quietly with exit 0, not with an EPIPE error', () => {
    const r = spawnSync('bash', ['-c', '"$0" "$1" --help | true; echo "status ${PIPESTATUS[0]}"', process.execPath, KYSO_BIN], {
      env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' },
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('status 0');
    expect(r.stderr).toBe('');
  });

  it('--version loads no command', () => {
    const r = loaded(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.files.filter((f) => f.startsWith('cmd-'))).toEqual([]);
  });

  it('a command loads only its own implementation', () => {
    for (const [args, want] of [
      [['sign', '--help'], 'cmd-sign.cjs'],
      [['help', 'verify'], 'cmd-verify.cjs'],
    ] as const) {
      const r = loaded([...args]);
      expect(r.code).toBe(0);
      expect(r.files.filter((f) => f.startsWith('cmd-'))).toEqual([want]);
    }
  });

  it('signing an unsigned PDF with a PKCS#12 loads neither pkijs, asn1js, forge, undici nor pako (no heavy library on the hot path)', async () => {
    const pki = getPki();
    const input = (await makeSamplePdfs(dir)).simple;
    const r = loaded(['sign', input, '-o', path.join(dir, 'hot.pdf'), '--p12', pki.leaves['leader-rsa'].p12], { KYSO_P12_PASSWORD: pki.password });
    expect(r.code).toBe(0);
    const libs = packagesLoaded(r);
    expect(libs.size).toBeGreaterThan(0); // the meta file matches the bundle
    // pako: pdf-lib's deflate is node:zlib in the bundle (scripts/pako-zlib.mjs)
    expect([...libs].filter((l) => /^(pkijs|asn1js|node-forge|undici|pako)$/.test(l))).toEqual([]);
    // nor the problem catalogue (its messages: loaded for --json output and reports with problems)
    expect([...sourcesLoaded(r)].filter(isCatalogue)).toEqual([]);
  });

  it('verifying a kyso-signed file (B-B; B-LTA: timestamps, DSS with OCSP/CRL; revocation checked online) loads neither pkijs nor asn1js; a BER CMS loads them on demand', async () => {
    const pki = getPki();
    const input = (await makeSamplePdfs(dir)).simple;
    const env = { KYSO_P12_PASSWORD: pki.password };
    for (const level of ['B-B', 'B-LTA']) {
      const signed = path.join(dir, `verify-${level}.pdf`);
      const tsa = level === 'B-B' ? [] : ['--tsa', pki.urls.tsa];
      const s = spawnSync(process.execPath, [KYSO_BIN, 'sign', input, '-o', signed, '--level', level, ...tsa, '--p12', pki.leaves['leader-rsa'].p12], {
        env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', ...env },
        encoding: 'utf8',
      });
      expect(s.status, s.stderr).toBe(0);
      const r = loaded(['verify', signed, '--trust', pki.root.cert, '--no-default-trust', '--json', '--cache-dir', path.join(dir, `cache-${level}`)]);
      expect(r.code, r.stdout).toBe(0);
      const sigs = JSON.parse(r.stdout).result.files[0].signatures as { level: string; indication: string }[];
      expect(sigs[0]).toMatchObject({ level, indication: 'TOTAL_PASSED' });
      const libs = packagesLoaded(r);
      expect(r.files).toContain('cmd-verify.cjs');
      expect([...libs].filter((l) => /^(pkijs|asn1js)$/.test(l)), level).toEqual([]);
      // as text, a file that passes with nothing to warn about does not load the problem catalogue; one
      // verified without its trust anchor is told why, in words from the catalogue
      const text = loaded(['verify', signed, '--trust', pki.root.cert, '--no-default-trust', '--cache-dir', path.join(dir, `cache-${level}`)]);
      expect(text.code, text.stdout).toBe(0);
      expect(text.stdout).toContain('TOTAL_PASSED');
      // (a warning line, "      ! …", is said through the catalogue)
      const warned = /^ {6}! /m.test(text.stdout);
      expect([...sourcesLoaded(text)].filter(isCatalogue).length > 0, `${level}: ${text.stdout}`).toBe(warned);
      if (level === 'B-B') expect(warned).toBe(false);
      const untrusted = loaded(['verify', signed, '--no-default-trust', '--revocation', 'off']);
      expect(untrusted.code).toBe(3);
      expect(untrusted.stdout).toMatch(/- the chain ends at .*not a trusted root/);
      expect([...sourcesLoaded(untrusted)].filter(isCatalogue).length, level).toBeGreaterThan(0);
    }
    // An unusual encoding (the CMS as BER: outer SEQUENCE of indefinite length, same size) still verifies,
    // through pkijs loaded on demand from the bundle.
    const ber = path.join(dir, 'verify-ber.pdf');
    const bytes = readFileSync(path.join(dir, 'verify-B-B.pdf'));
    const text = bytes.toString('latin1');
    const at = text.indexOf('/Contents <') + '/Contents <'.length;
    const hex = text.slice(at, text.indexOf('>', at));
    expect(hex).toMatch(/^3082/i);
    const body = hex.slice(8, 8 + 2 * Number.parseInt(hex.slice(4, 8), 16));
    bytes.write(`3080${body}0000`, at, 'latin1');
    writeFileSync(ber, bytes);
    const r = loaded(['verify', ber, '--trust', pki.root.cert, '--no-default-trust', '--json', '--revocation', 'off']);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).result.files[0].signatures[0]).toMatchObject({ level: 'B-B', indication: 'TOTAL_PASSED' });
    expect(packagesLoaded(r).has('pkijs')).toBe(true);
  });

  it('each declared summary is the description its command registers', async () => {
    for (const [name, d] of Object.entries(COMMANDS)) {
      const program = new Command('kyso');
      const app = createApp({ lang: 'en', env: {} } as unknown as Context);
      (await d.load()).register(program, app);
      const cmd = program.commands.find((c) => c.name() === name);
      expect(cmd?.description(), name).toBe(d.summary.en);
    }
  });
});
