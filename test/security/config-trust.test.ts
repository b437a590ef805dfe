/**
 * Issue 12 through the real CLI: a kyso.config.json dropped into a folder can neither load native code
 * nor send the exchange secret elsewhere; plain http:// to another host is refused before connecting;
 * URL credentials never appear in messages.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const pki = getPki();
let dir: string;
let pdf: string;
let server: Server;
let hits = 0;
let port = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-trust-'));
  await mkdir(path.join(dir, 'samples'));
  const s = await makeSamplePdfs(path.join(dir, 'samples'));
  pdf = path.join(dir, 'in.pdf');
  await copyFile(s.simple, pdf);
  // the "attacker" server: counts every request it gets
  server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"OK","data":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** A folder with its own empty XDG config home; `user` becomes its user config file when given. */
async function folder(name: string, project: unknown, user?: (d: string) => unknown) {
  const d = path.join(dir, name);
  const xdg = path.join(d, '.xdg');
  await mkdir(path.join(xdg, 'kyso'), { recursive: true });
  await writeFile(path.join(d, 'kyso.config.json'), JSON.stringify(project));
  if (user) await writeFile(path.join(xdg, 'kyso', 'config.json'), JSON.stringify(user(d)));
  const env = { HOME: d, XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: path.join(d, '.data'), KYSO_PKCS11_MODULE: undefined, KYSO_CONFIG: undefined, KYSO_ENDPOINT: undefined };
  return { d, env };
}

describe('a planted kyso.config.json', () => {
  it('cannot make kyso sign load its shared object (the warning names the key)', async () => {
    const marker = path.join(dir, 'PWNED');
    const src = path.join(dir, 'evil.c');
    await writeFile(src, `#include <stdio.h>\n__attribute__((constructor)) static void pwn(void) { FILE *f = fopen(${JSON.stringify(marker)}, "w"); if (f) { fputs("loaded", f); fclose(f); } }\n`);
    const { d, env } = await folder('planted', { pkcs11Module: './evil.so' });
    execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(d, 'evil.so'), src]);
    const r = await runKyso(['sign', pdf, '-o', path.join(d, 'out.pdf'), '--token-label', 'Nope', '--lang', 'en'], { cwd: d, env: { ...env, KYSO_PIN: '1234' } });
    expect(r.stderr).toMatch(/"pkcs11Module" ignored/);
    expect(r.code).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
    // the same folder, trusted in the user file: now the module IS loaded (proves the marker works)
    const t = await folder('planted', { pkcs11Module: './evil.so' }, (dd) => ({ trustedProjectDirs: [dd] }));
    await runKyso(['sign', pdf, '-o', path.join(t.d, 'out.pdf'), '--token-label', 'Nope', '--lang', 'en'], { cwd: t.d, env: { ...t.env, KYSO_PIN: '1234' } });
    expect(existsSync(marker)).toBe(true);
  });

  it('cannot send the exchange secret to its own endpoint (the server gets no request)', async () => {
    const project = { defaultProfile: 'hub', profiles: { hub: { adapter: 'vdxp', endpoint: `http://127.0.0.1:${port}/`, systemId: 'S1', organId: '000.00.00.A01', secretEnv: 'KYSO_EXCHANGE_SECRET' } } };
    const { d, env } = await folder('steal', project);
    hits = 0;
    const r = await runKyso(['receive', '--lang', 'en'], { cwd: d, env: { ...env, KYSO_EXCHANGE_SECRET: 's3cret-value' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"profiles\.hub\.endpoint" ignored/);
    expect(r.stderr).toMatch(/"profiles\.hub\.secretEnv" ignored/);
    expect(hits).toBe(0);
    // control: in a trusted folder the same file is obeyed and the server is reached
    const t = await folder('steal', project, (dd) => ({ trustedProjectDirs: [dd] }));
    await runKyso(['receive', '--lang', 'en'], { cwd: t.d, env: { ...t.env, KYSO_EXCHANGE_SECRET: 's3cret-value' } });
    expect(hits).toBeGreaterThan(0);
  });

  it('kyso config show --origin names where each key came from, and the ignored ones', async () => {
    const { d, env } = await folder('origin', { dataDir: './d', pkcs11Module: './x.so' }, () => ({ profiles: { hub: { endpoint: 'https://lgsp.example/' } } }));
    const r = await runKyso(['config', 'show', '--origin', '--lang', 'en'], { cwd: d, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`dataDir = ${path.join(d, 'd')}\t(project file ${path.join(d, 'kyso.config.json')})`);
    expect(r.stdout).toMatch(/profiles\.hub\.endpoint = https:\/\/lgsp\.example\/\t\(user file .*config\.json\)/);
    expect(r.stdout).toMatch(/^pkcs11Module\t\(ignored, untrusted project file/m);
    const viaFlag = await runKyso(['config', 'show', '--origin', '--config', path.join(d, 'kyso.config.json'), '--json'], { cwd: d, env });
    const doc = JSON.parse(viaFlag.stdout);
    expect(doc.result.entries.find((e: { key: string }) => e.key === 'pkcs11Module').origin).toMatch(/^--config /);
  });
});

describe('transport rules', () => {
  it('http:// to a host that is not this machine is refused before connecting (exit 2)', async () => {
    const { d, env } = await folder('plain', {}, () => ({ profiles: { hub: { adapter: 'vdxp', endpoint: 'http://192.0.2.10/', systemId: 'S1', organId: '000.00.00.A01' } } }));
    const r = await runKyso(['receive', '--lang', 'en'], { cwd: d, env: { ...env, KYSO_EXCHANGE_SECRET: 'x' }, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plain http:\/\/ to a host that is not this machine/);
  });

  it('--tsa https://user:pass@host failing prints no credentials', async () => {
    const r = await runKyso(
      ['sign', pdf, '-o', path.join(dir, 'bt.pdf'), '--p12', pki.leaves['leader-rsa'].p12, '--level', 'B-T', '--tsa', `https://tsauser:tsa-pa55@127.0.0.1:${port}/tsa`, '--lang', 'en'],
      { env: { KYSO_P12_PASSWORD: pki.password } },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/time-stamp/);
    expect(r.stdout + r.stderr).not.toMatch(/tsauser|tsa-pa55/);
    const j = await runKyso(
      ['sign', pdf, '-o', path.join(dir, 'bt.pdf'), '--p12', pki.leaves['leader-rsa'].p12, '--level', 'B-T', '--tsa', `http://tsauser:tsa-pa55@192.0.2.10/tsa`, '--json'],
      { env: { KYSO_P12_PASSWORD: pki.password } },
    );
    expect(j.code).toBe(2);
    expect(j.stdout + j.stderr).not.toMatch(/tsauser|tsa-pa55/);
  });
});
