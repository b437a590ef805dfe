/**
 * Module discovery from p11-kit configs (with the Vietnamese module-name labels), chain completion from
 * the token / --chain (PEM, DER, p7b) / bundled certificates / AIA caIssuers over the local test server.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KysoError } from '../../src/core/errors.js';
import { completeChain, defaultBundledDir, parseCertificates, readCertificateFile } from '../../src/crypto/chain-completion.js';
import { discoverModules, vendorHintFor } from '../../src/crypto/pkcs11-modules.js';
import { probeDiscoveredModules, resolveModuleByDiscovery } from '../../src/crypto/pkcs11-probe.js';
import { getPki } from '../helpers/pki.js';
import { makeFakeModule, tokenFromLeaves } from './fake-binding.js';

const pki = getPki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-token-disc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PKCS#11 module discovery (p11-kit)', () => {
  it('reads *.module files, resolves relative names in the module folder, labels Vietnamese module names, invents nothing', async () => {
    const sys = path.join(dir, 'share');
    const user = path.join(dir, 'home/.config/pkcs11/modules');
    const mods = path.join(dir, 'lib/pkcs11');
    await mkdir(sys, { recursive: true });
    await mkdir(user, { recursive: true });
    await mkdir(mods, { recursive: true });
    await writeFile(path.join(mods, 'libvnptca_p11_v8.so'), '');
    await writeFile(path.join(mods, 'opensc-pkcs11.so'), '');
    await writeFile(path.join(sys, 'vnpt.module'), '# VNPT driver\nmodule: libvnptca_p11_v8.so\ncritical: no\n');
    await writeFile(path.join(sys, 'opensc.module'), 'module: opensc-pkcs11.so\n');
    await writeFile(path.join(sys, 'gone.module'), 'module: /nowhere/libviettel-ca_v5.so\n');
    await writeFile(path.join(sys, 'noline.module'), 'priority: 3\n');
    await writeFile(path.join(user, 'opensc.module'), `module: ${path.join(mods, 'opensc-pkcs11.so')}\n`);
    const found = discoverModules({ configDirs: [sys, user], moduleDirs: [mods] });
    expect(found.map((m) => m.name).sort()).toEqual(['gone', 'opensc', 'vnpt']);
    const vnpt = found.find((m) => m.name === 'vnpt')!;
    expect(vnpt.path).toBe(path.join(mods, 'libvnptca_p11_v8.so'));
    expect(vnpt.vendorHint).toBe('VNPT-CA');
    const gone = found.find((m) => m.name === 'gone')!;
    expect(gone.path).toBeUndefined();
    expect(gone.vendorHint).toBe('Viettel-CA');
    expect(found.find((m) => m.name === 'opensc')!.configFile).toBe(path.join(user, 'opensc.module')); // user config wins
    // the home folder is found from HOME
    expect(discoverModules({ home: path.join(dir, 'home'), configDirs: undefined, moduleDirs: [mods] }).some((m) => m.configFile.startsWith(user))).toBe(true);
  });

  it('labels the Windows module names of spec §2.4 and nothing else', () => {
    const cases: [string, string | undefined][] = [
      ['vnpt-ca_csp11.dll', 'VNPT-CA'],
      ['C:\\Windows\\System32\\vnptca_p11_v10.dll', 'VNPT-CA'],
      ['viettel-ca_v2_s.x64.dll', 'Viettel-CA'],
      ['BkavCA_P11.dll', 'BKAV-CA'],
      ['libbkavcaetoken.so', 'BKAV-CA'],
      ['fptca_v4.dll', 'FPT-CA'],
      ['CA2_csp11.dll', 'CA2 (Nacencomm)'],
      ['ShuttleCsp11_3003.dll', 'CA2 (Nacencomm)'],
      ['eTPKCS11.dll', 'SafeNet eToken middleware'],
      ['libeps2003csp11.so', 'Feitian ePass2003 middleware'],
      ['libsofthsm2.so', undefined],
      ['opensc-pkcs11.so', undefined],
    ];
    for (const [f, v] of cases) expect(vendorHintFor(f), f).toBe(v);
  });

  it('probes each found module (fake binding) and picks the only one with a token', async () => {
    const sys = path.join(dir, 'probe');
    await mkdir(sys, { recursive: true });
    const a = path.join(dir, 'liba.so');
    const b = path.join(dir, 'libb.so');
    await writeFile(a, '');
    await writeFile(b, '');
    await writeFile(path.join(sys, 'a.module'), `module: ${a}\n`);
    await writeFile(path.join(sys, 'b.module'), `module: ${b}\n`);
    const withToken = makeFakeModule([tokenFromLeaves('LanhDao', [{ leaf: pki.leaves['leader-rsa'], id: '01' }])]);
    const empty = makeFakeModule([]);
    const loader = (p: string) => (p === a ? empty.binding(p) : withToken.binding(p));
    const reports = probeDiscoveredModules({ configDirs: [sys] }, loader);
    expect(reports.map((r) => [r.configName, r.library?.description, r.slots.length])).toEqual([
      ['a', 'Fake PKCS#11', 0],
      ['b', 'Fake PKCS#11', 1],
    ]);
    expect(await resolveModuleByDiscovery({}, { configDirs: [sys] }, loader)).toBe(b);
    const none = await resolveModuleByDiscovery({ tokenLabel: 'Nope' }, { configDirs: [sys] }, loader).catch((e: KysoError) => e);
    expect((none as KysoError).code).toBe('TOKEN_NOT_PRESENT');
    expect((none as KysoError).category).toBe('credentials');
    const both = (p: string) => withToken.binding(p);
    const amb = await resolveModuleByDiscovery({}, { configDirs: [sys] }, both).catch((e: KysoError) => e);
    expect((amb as KysoError).code).toBe('PKCS11_MODULE_AMBIGUOUS');
  });
});

describe('chain completion', () => {
  const leaf = () => readFileSync(pki.leaves['leader-rsa'].certDer);
  const inter = () => readFileSync(pki.inter.certDer);
  const root = () => readFileSync(pki.root.certDer);

  it('from --chain PEM, DER and PKCS#7 (.p7b, PEM and DER), ordered nearest issuer first', async () => {
    const p7bDer = path.join(dir, 'chain.p7b');
    const p7bPem = path.join(dir, 'chain-pem.p7b');
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pki.chainPem, '-outform', 'DER', '-out', p7bDer]);
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pki.chainPem, '-out', p7bPem]);
    for (const f of [pki.chainPem, p7bDer, p7bPem]) {
      const r = await completeChain({ leaf: leaf(), chainFile: f, bundledDir: '', aia: false });
      expect(r.chain.map((c) => Buffer.from(c).equals(inter()) || Buffer.from(c).equals(root()))).toEqual([true, true]);
      expect(Buffer.from(r.chain[0]!).equals(inter())).toBe(true);
      expect(r.sources).toEqual(['chain-file', 'chain-file']);
    }
    // a single DER certificate is accepted too
    expect(parseCertificates(inter(), 'inter.der')).toHaveLength(1);
  });

  it('prefers certificates from the token, then fetches the rest over AIA caIssuers', async () => {
    const r = await completeChain({ leaf: leaf(), tokenCerts: [inter()], bundledDir: '' });
    expect(r.sources).toEqual(['token', 'aia']);
    expect(Buffer.from(r.chain[1]!).equals(root())).toBe(true);
    const viaAia = await completeChain({ leaf: leaf(), bundledDir: '' });
    expect(viaAia.sources).toEqual(['aia', 'aia']);
  });

  it('names the missing issuer when nothing has it', async () => {
    const e = await completeChain({ leaf: leaf(), bundledDir: '', aia: false }).catch((x: KysoError) => x);
    expect((e as KysoError).code).toBe('CHAIN_INCOMPLETE');
    expect((e as KysoError).category).toBe('credentials');
    expect((e as KysoError).msg.en).toMatch(/the issuer "CN=Kyso Test Issuing CA, O=Kyso Test PKI, C=VN"/);
    expect((e as KysoError).msg.vi).toMatch(/không tìm thấy tổ chức cấp/);
    // an unreachable AIA URL is not fatal by itself: the error still names the issuer, after one attempt
    // per URL (no retry loop; a count, not a clock, so it cannot flake on a loaded machine)
    const tried: string[] = [];
    const dead = await completeChain({ leaf: leaf(), bundledDir: '', fetch: async (url) => (tried.push(url), Promise.reject(new Error('ECONNREFUSED'))) }).catch((x: KysoError) => x);
    expect((dead as KysoError).code).toBe('CHAIN_INCOMPLETE');
    expect((dead as KysoError).msg.en).toMatch(/the issuer "CN=Kyso Test Issuing CA/);
    expect(tried).toHaveLength(1);
    expect(tried[0]).toMatch(/^http:\/\/(127\.0\.0\.1|localhost)[:/]/);
  });

  it('a bad --chain file is an input error naming it', async () => {
    const junk = path.join(dir, 'junk.pem');
    await writeFile(junk, 'not a certificate');
    expect(() => readCertificateFile(junk)).toThrow(/junk\.pem: no certificate found/);
    expect(() => readCertificateFile(path.join(dir, 'missing.pem'))).toThrow(/missing\.pem: file not found/);
  });

  it('ships the Vietnamese CA certificates and they parse (VNPT-CA intermediate chains to the NEAC root)', async () => {
    const bundled = defaultBundledDir();
    const vnpt = readCertificateFile(path.join(bundled, 'vnpt-ca-sha2-intermediate.pem'))[0]!;
    const r = await completeChain({ leaf: vnpt, aia: false });
    expect(r.sources).toEqual(['bundled']);
    const cpca = readCertificateFile(path.join(bundled, 'vgca-cpca-g2-intermediate.pem'))[0]!;
    expect((await completeChain({ leaf: cpca, aia: false })).chain).toHaveLength(1);
  });
});
