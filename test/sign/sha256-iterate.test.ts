/**
 * The iterated SHA-256 of the PKCS#12 MAC check (src/crypto/sha256-iterate.ts, a hand-written WebAssembly
 * function) against node:crypto, round by round and over the 2,048 rounds OpenSSL 3 writes; and a .p12 made by
 * openssl with a SHA-256 MAC, opened through it, with the right and a wrong password.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WASM_BASE64, moduleBytes, sha256Iterate, warmUp } from '../../src/crypto/sha256-iterate.js';
import { openPkcs12Native, pkcs12Kdf } from '../../src/crypto/pkcs12-native.js';
import { ROOT } from '../helpers/cli.js';

const byNode = (a: Buffer, n: number) => {
  let x = a;
  for (let i = 0; i < n; i++) x = createHash('sha256').update(x).digest();
  return x;
};

const dir = mkdtempSync(path.join(tmpdir(), 'kyso-sha256-iterate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sha256Iterate', () => {
  it('equals node:crypto for 0 to 3 rounds, around the 64 rounds of one call, and for 2,047, on values with high bits set and on zeros', () => {
    const values = [randomBytes(32), Buffer.alloc(32, 0xff), Buffer.alloc(32), randomBytes(32)];
    for (const v of values) for (const n of [0, 1, 2, 3, 63, 64, 65, 129, 2047]) expect(sha256Iterate(v, n)?.toString('hex'), `${n} rounds`).toBe(byNode(v, n).toString('hex'));
  });

  it('after warmUp() (a throw-away run), and once V8 has optimised the loop, the results are the same', async () => {
    warmUp();
    const v = randomBytes(32);
    const want = byNode(v, 2047).toString('hex');
    for (let i = 0; i < 20; i++) {
      expect(sha256Iterate(v, 2047)?.toString('hex')).toBe(want);
      await new Promise((r) => setTimeout(r, 1)); // time for the background compile
    }
  });

  it('reads the value where it lies in a larger buffer and leaves it unchanged', () => {
    const big = randomBytes(100);
    const view = big.subarray(37, 69);
    const before = Buffer.from(view);
    expect(sha256Iterate(view, 5)?.equals(byNode(before, 5))).toBe(true);
    expect(view.equals(before)).toBe(true);
  });

  it('ships exactly the bytes its emitter makes', () => {
    expect(WASM_BASE64, 'WASM_BASE64 in src/crypto/sha256-iterate.ts is stale: set it to the value received').toBe(Buffer.from(moduleBytes()).toString('base64'));
  });

  it('refuses what it is not for', () => {
    expect(() => sha256Iterate(randomBytes(31), 1)).toThrow(RangeError);
    expect(() => sha256Iterate(randomBytes(32), -1)).toThrow(RangeError);
  });

  it('the PKCS#12 key derivation gives the same key through it as round by round', () => {
    const salt = randomBytes(8);
    for (const iterations of [1, 2, 2048]) {
      const key = pkcs12Kdf('mật khẩu', salt, 3, iterations, 'sha256', 64, 32);
      // RFC 7292 B.2 written out for one block: A = H^iterations(D || I)
      const pw = Buffer.concat([Buffer.from('mật khẩu', 'utf16le').swap16(), Buffer.alloc(2)]);
      const fill = (s: Buffer) => Buffer.from(Array.from({ length: 64 * Math.ceil(s.length / 64) }, (_, i) => s[i % s.length]!));
      const first = createHash('sha256').update(Buffer.alloc(64, 3)).update(Buffer.concat([fill(salt), fill(pw)])).digest();
      expect(key.equals(byNode(first, iterations - 1)), `${iterations} iterations`).toBe(true);
    }
  });

  it('an openssl .p12 with a SHA-256 MAC over 2,048 rounds opens with its password and is refused with another', () => {
    const key = path.join(dir, 'k.pem');
    const cert = path.join(dir, 'c.pem');
    const p12 = path.join(dir, 'p.p12');
    const run = (args: string[]) => expect(spawnSync('openssl', args, { encoding: 'utf8' }).status).toBe(0);
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=MAC test']);
    run(['pkcs12', '-export', '-inkey', key, '-in', cert, '-passout', 'pass:s3cret', '-macalg', 'sha256', '-iter', '2048', '-out', p12]);
    const info = spawnSync('openssl', ['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'pass:s3cret'], { encoding: 'utf8' });
    expect(info.stderr).toMatch(/MAC: sha256, Iteration 2048/);
    const der = readFileSync(p12);
    const ok = openPkcs12Native(der, 's3cret');
    expect(typeof ok === 'object' && ok.keys.length).toBe(1);
    expect(openPkcs12Native(der, 's3cret!')).toBe('bad-password');
    // without WebAssembly (node --jitless) the MAC is checked round by round through node:crypto
    const mod = pathToFileURL(path.join(ROOT, 'dist', 'crypto', 'pkcs12-native.js')).href;
    const script = `import { readFileSync } from 'node:fs'; import { openPkcs12Native } from ${JSON.stringify(mod)};
      const der = readFileSync(${JSON.stringify(p12)}); const ok = openPkcs12Native(der, 's3cret');
      console.log(typeof WebAssembly, typeof ok === 'object' && ok.keys.length, openPkcs12Native(der, 'x'));`;
    const jitless = spawnSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(jitless.stdout.trim(), jitless.stderr).toBe('undefined 1 bad-password');
  });
});
