/**
 * An installation where the native addons did not compile (`npm ci --ignore-scripts`, or no C++ compiler):
 * pkcs11js and better-sqlite3 are present as packages but without their built .node files. Signing and
 * verifying with a PKCS#12 still work; the token and exchange commands say what is missing (exit 2).
 * The install is assembled in a temp folder from this checkout: the built bundle, and node_modules whose
 * packages link to the real ones except the two addons, copied without their build/ folders.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { ROOT } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { getPki } from '../helpers/pki.js';

const NATIVE = ['better-sqlite3', 'pkcs11js'];
let dir = '';

function kyso(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(dir, 'bin', 'kyso.js'), ...args], { cwd: dir, env: cleanEnv(env), encoding: 'utf8' });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kyso-no-native-'));
  for (const f of ['package.json', 'bin']) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  cpSync(path.join(ROOT, 'dist', 'bundle'), path.join(dir, 'dist', 'bundle'), { recursive: true });
  symlinkSync(path.join(ROOT, 'assets'), path.join(dir, 'assets'));
  const nm = path.join(dir, 'node_modules');
  mkdirSync(nm);
  for (const name of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    if (NATIVE.includes(name)) {
      cpSync(path.join(ROOT, 'node_modules', name), path.join(nm, name), {
        recursive: true,
        filter: (src) => !/[\\/](build|prebuilds)([\\/]|$)/.test(path.relative(path.join(ROOT, 'node_modules', name), src)) && !src.endsWith('.node'),
      });
    } else symlinkSync(path.join(ROOT, 'node_modules', name), path.join(nm, name));
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an install without the native addons', () => {
  it('signs and verifies with a PKCS#12', async () => {
    const pki = getPki();
    const input = (await makeSamplePdfs(dir)).simple;
    await copyFile(pki.leaves['leader-rsa'].p12, path.join(dir, 'k.p12'));
    const s = kyso(['sign', input, '-o', 'out.pdf', '--p12', 'k.p12'], { KYSO_P12_PASSWORD: pki.password });
    expect(s.status, s.stderr).toBe(0);
    const v = kyso(['verify', 'out.pdf', '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off']);
    expect(v.status, v.stdout + v.stderr).toBe(0);
  });

  it('the exchange commands say that the SQLite module is missing and how to get it (exit 2)', () => {
    const o = kyso(['outbox', 'list'], { HOME: dir });
    expect(o.status, o.stderr).toBe(2);
    expect(o.stderr).toContain('better-sqlite3');
    expect(o.stderr).toContain('npm rebuild better-sqlite3');
  });

  it('kyso token list says that the PKCS#11 module is missing (exit 2)', () => {
    const r = kyso(['token', 'list', '--pkcs11-module', '/usr/lib/softhsm/libsofthsm2.so']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('pkcs11js');
  });
});
