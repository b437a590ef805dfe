/**
 * Issue 3 "Done when", through the real CLI (node bin/kyso.js) on a private SoftHSM2 instance:
 * RSA/EC token signatures judged by pdfsig + qpdf, a P12 signature on top, wrong PIN (one C_Login counted
 * by OpenSC's pkcs11-spy, an outside tool), token list/certs, ambiguity and error paths.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeSoftHsm, pkcs11Spy, softhsmAvailableOrFail, type SoftHsm } from '../helpers/softhsm.js';
import { extractSignatures, pdfsig, qpdfCheck } from '../sign/validators.js';

const available = softhsmAvailableOrFail();
const SPY = available ? pkcs11Spy() : undefined;

describe.runIf(available)('kyso with a PKCS#11 token (SoftHSM2, real CLI)', () => {
  const pki = getPki();
  let hsm: SoftHsm;
  let work: string;
  let simple: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'kyso-token-cli-'));
    const samples = await makeSamplePdfs(path.join(work));
    simple = samples.simple;
    hsm = await makeSoftHsm([
      { label: 'KysoRSA', keys: [{ leaf: pki.leaves['leader-rsa'], id: '01', keyLabel: 'leader' }] },
      { label: 'KysoEC', keys: [{ leaf: pki.leaves['clerk-ec'], id: '02', keyLabel: 'clerk' }] },
      {
        label: 'KysoBoth',
        keys: [
          { leaf: pki.leaves['secretary-rsa'], id: '03', keyLabel: 'secretary' },
          { leaf: pki.leaves['deputy-ec384'], id: '04', keyLabel: 'deputy' },
        ],
      },
      { label: 'KysoNoCert', keys: [{ leaf: pki.leaves['secretary-rsa'], id: '05', keyLabel: 'orphan', withCert: false }] },
      { label: 'KysoExpired', keys: [{ leaf: pki.leaves['expired-rsa'], id: '06', keyLabel: 'old' }] },
      { label: 'KysoOther', keys: [{ leaf: pki.other.leaf, id: '07', keyLabel: 'stranger' }] },
    ]);
    env = { ...hsm.env, KYSO_PIN: hsm.pin };
  });
  afterAll(async () => {
    await hsm?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const tokenArgs = (label: string) => ['--pkcs11-module', hsm.module, '--token-label', label];

  it('token list shows every token with its PIN state (table in a pipe = TSV, and --json)', async () => {
    const r = await runKyso(['token', 'list', '--pkcs11-module', hsm.module], { env: hsm.env });
    expect(r.code, r.stderr).toBe(0);
    for (const l of ['KysoRSA', 'KysoEC', 'KysoBoth']) expect(r.stdout).toMatch(new RegExp(`\\t${l}\\t[0-9a-f]+\\tSoftHSM project\\tSoftHSM v2\\tPIN ok`));
    const j = await runKyso(['token', 'list', '--pkcs11-module', hsm.module, '--json'], { env: hsm.env });
    const doc = JSON.parse(j.stdout);
    expect(doc.ok).toBe(true);
    const m = doc.result.modules[0];
    expect(m.library.manufacturer).toBe('SoftHSM');
    const labels = m.slots.filter((s: { token?: { initialized: boolean } }) => s.token?.initialized).map((s: { token: { label: string } }) => s.token.label);
    expect(labels).toEqual(expect.arrayContaining(['KysoRSA', 'KysoEC', 'KysoBoth', 'KysoNoCert']));
    expect(m.slots.find((s: { token?: { label: string } }) => s.token?.label === 'KysoRSA').token.pinState).toBe('ok');
  });

  it('token certs lists subject, issuer, validity, key usage, key id and SHA-256 without a PIN', async () => {
    const r = await runKyso(['token', 'certs', ...tokenArgs('KysoRSA'), '--json'], { env: hsm.env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const [t] = doc.result.tokens;
    expect(t.label).toBe('KysoRSA');
    expect(t.loggedIn).toBe(false);
    const [c] = t.certificates;
    const der = await readFile(pki.leaves['leader-rsa'].certDer);
    expect(c.sha256).toBe(createHash('sha256').update(der).digest('hex'));
    expect(c.keyId).toBe('01');
    expect(c.issuer).toContain('Kyso Test Issuing CA');
    expect(c.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    const table = await runKyso(['token', 'certs', ...tokenArgs('KysoBoth')], { env: hsm.env });
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toHaveLength(2);
    expect(table.stdout).toMatch(/^KysoBoth\t03\t/m);
    expect(table.stdout).toMatch(/^KysoBoth\t04\t/m);
    const unknown = await runKyso(['token', 'certs', ...tokenArgs('Nope'), '--lang', 'en', '--json'], { env: hsm.env });
    expect(unknown.code).toBe(4);
    expect(JSON.parse(unknown.stdout).error.code).toBe('TOKEN_NOT_FOUND');
    const missing = await runKyso(['token', 'list', '--pkcs11-module', path.join(work, 'libnope.so'), '--lang', 'vi'], { env: hsm.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/libnope\.so: không tìm thấy thư viện PKCS#11/);
  });

  it.each([
    ['RSA', 'KysoRSA'],
    ['EC', 'KysoEC'],
  ])('%s token signature (token holds only the leaf, chain from --chain) passes pdfsig and qpdf; a P12 signature on top keeps both valid', async (_k, label) => {
    const out = path.join(work, `token-${label}.pdf`);
    const r = await runKyso(['sign', simple, '-o', out, ...tokenArgs(label), '--chain', pki.chainPem, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result.files[0].output).toBe(out);
    let sigs = await pdfsig(out, pki.nssDir);
    expect(sigs).toHaveLength(1);
    expect(sigs[0]!.valid && sigs[0]!.trusted, sigs[0]!.raw).toBe(true);
    expect((await qpdfCheck(out)).ok).toBe(true);
    // the CMS carries leaf + intermediate + root although the token held only the leaf
    const [cms] = await extractSignatures(out);
    const inter = await readFile(pki.inter.certDer);
    const root = await readFile(pki.root.certDer);
    expect(cms!.der.includes(inter) && cms!.der.includes(root)).toBe(true);

    const out2 = path.join(work, `token-${label}-then-p12.pdf`);
    const r2 = await runKyso(['sign', out, '-o', out2, '--p12', pki.leaves['org-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(r2.code, r2.stderr).toBe(0);
    sigs = await pdfsig(out2, pki.nssDir);
    expect(sigs).toHaveLength(2);
    for (const s of sigs) expect(s.valid && s.trusted, s.raw).toBe(true);
    expect((await qpdfCheck(out2)).ok).toBe(true);
  });

  it('completes the chain through AIA caIssuers (local server) when --chain is not given', async () => {
    const out = path.join(work, 'token-aia.pdf');
    const r = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoRSA')], { env });
    expect(r.code, r.stderr).toBe(0);
    const [s] = await pdfsig(out, pki.nssDir);
    expect(s!.valid && s!.trusted, s!.raw).toBe(true);
    const [cms] = await extractSignatures(out);
    expect(cms!.der.includes(await readFile(pki.root.certDer))).toBe(true);
  });

  it('names the missing issuer when the chain cannot be completed (exit 4, no output)', async () => {
    const out = path.join(work, 'token-other.pdf');
    const r = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoOther'), '--lang', 'en'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cannot complete the certificate chain: the issuer "[^"]*Other[^"]*"/i);
    expect(existsSync(out)).toBe(false);
  });

  it.runIf(SPY)('wrong PIN: exit 4, exactly one C_Login (counted by pkcs11-spy), message names the token, PIN never printed', async () => {
    const spyLog = path.join(work, 'spy.log');
    const out = path.join(work, 'wrong-pin.pdf');
    const badPin = '918273';
    for (const json of [false, true]) {
      await rm(spyLog, { force: true });
      const r = await runKyso(['sign', simple, '-o', out, '--pkcs11-module', SPY!, '--token-label', 'KysoRSA', '--chain', pki.chainPem, '--lang', 'en', ...(json ? ['--json'] : [])], {
        env: { ...hsm.env, KYSO_PIN: badPin, PKCS11SPY: hsm.module, PKCS11SPY_OUTPUT: spyLog },
      });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('KysoRSA');
      expect(r.stderr).toMatch(/wrong PIN/);
      expect(r.stdout + r.stderr).not.toContain(badPin);
      if (json) expect(JSON.parse(r.stdout).error.code).toBe('TOKEN_PIN_INCORRECT');
      const log = await readFile(spyLog, 'utf8');
      expect(log.match(/^\d+: C_Login$/gm)).toHaveLength(1);
      expect(log).toMatch(/Returned:\s+160 CKR_PIN_INCORRECT/);
      expect(log.match(/^\d+: C_Finalize$/gm)).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('several signing certificates on one token: exit 2 listing them in a script; --key-id picks one', async () => {
    const out = path.join(work, 'both.pdf');
    const r = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoBoth'), '--chain', pki.chainPem, '--lang', 'en'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/several signing certificates/);
    expect(r.stderr).toMatch(/key id 03/);
    expect(r.stderr).toMatch(/key id 04/);
    expect(existsSync(out)).toBe(false);
    const ok = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoBoth'), '--key-id', '04', '--chain', pki.chainPem], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const [s] = await pdfsig(out, pki.nssDir);
    expect(s!.valid && s!.trusted, s!.raw).toBe(true);
    const byLabel = await runKyso(['sign', simple, '-o', path.join(work, 'both-label.pdf'), ...tokenArgs('KysoBoth'), '--key-label', 'secretary', '--chain', pki.chainPem], { env });
    expect(byLabel.code, byLabel.stderr).toBe(0);
  });

  it('several tokens and no --token-label: exit 2 listing them', async () => {
    const r = await runKyso(['sign', simple, '-o', path.join(work, 'x.pdf'), '--pkcs11-module', hsm.module, '--lang', 'en'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/several tokens are plugged in.*"KysoRSA"/);
  });

  it('error paths: key without certificate, expired certificate, unknown token, no PIN in a script, no token (exit 4); missing or unloadable module (exit 2)', async () => {
    const out = path.join(work, 'err.pdf');
    const noCert = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoNoCert'), '--lang', 'en'], { env });
    expect(noCert.code).toBe(4);
    expect(noCert.stderr).toMatch(/KysoNoCert.*private key but no certificate/);
    const expired = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoExpired'), '--chain', pki.chainPem, '--lang', 'en'], { env });
    expect(expired.code).toBe(4);
    expect(expired.stderr).toMatch(/expired/i);
    const unknown = await runKyso(['sign', simple, '-o', out, ...tokenArgs('NoSuchToken'), '--lang', 'en'], { env });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/no token with label "NoSuchToken".*KysoRSA/);
    const missing = await runKyso(['sign', simple, '-o', out, '--pkcs11-module', path.join(work, 'nope.so'), '--lang', 'en'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.so: PKCS#11 module .* not found/);
    const noPin = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoRSA'), '--lang', 'en'], { env: hsm.env });
    expect(noPin.code).toBe(4);
    expect(existsSync(out)).toBe(false);
    // a file that is not a shared library: "cannot load" (exit 2)
    const fakeSo = path.join(work, 'libfake.so');
    await writeFile(fakeSo, 'not an ELF file');
    const notLoadable = await runKyso(['sign', simple, '-o', out, '--pkcs11-module', fakeSo, '--lang', 'en'], { env });
    expect(notLoadable.code).toBe(2);
    expect(notLoadable.stderr).toMatch(/libfake\.so: cannot load this PKCS#11 module/);
    // SoftHSM with no initialised token: "no token is plugged in" (exit 4)
    const emptyDir = path.join(work, 'empty-tokens');
    await mkdir(emptyDir, { recursive: true });
    const emptyConf = path.join(work, 'empty.conf');
    await writeFile(emptyConf, `directories.tokendir = ${emptyDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    const noToken = await runKyso(['sign', simple, '-o', out, '--pkcs11-module', hsm.module, '--lang', 'en'], { env: { ...env, SOFTHSM2_CONF: emptyConf } });
    expect(noToken.code).toBe(4);
    expect(noToken.stderr).toMatch(/no token is plugged in/);
    expect(existsSync(out)).toBe(false);
  });

  it('reads the PIN from --pin-file - (stdin) and the message is bilingual (--lang vi)', async () => {
    const out = path.join(work, 'pinfile.pdf');
    const r = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoRSA'), '--chain', pki.chainPem, '--pin-file', '-'], { env: hsm.env, input: hsm.pin + '\n' });
    expect(r.code, r.stderr).toBe(0);
    const pinFile = path.join(work, 'bad.pin');
    await writeFile(pinFile, '000000\n');
    const vi = await runKyso(['sign', simple, '-o', path.join(work, 'pinfile-vi.pdf'), ...tokenArgs('KysoRSA'), '--pin-file', pinFile, '--lang', 'vi'], { env: hsm.env });
    expect(vi.code).toBe(4);
    expect(vi.stderr).toMatch(/sai PIN/);
  });

  it('without --pkcs11-module: finds the module through p11-kit configs (user config overrides the system one of the same name)', async () => {
    const home = path.join(work, 'home');
    const conf = path.join(home, '.config/pkcs11/modules');
    await mkdir(conf, { recursive: true });
    await writeFile(path.join(conf, 'softhsm2.module'), `# test SoftHSM\nmodule: ${hsm.module}\n`);
    const list = await runKyso(['token', 'list', '--json'], { env: { ...hsm.env, HOME: home, XDG_CONFIG_HOME: '' } });
    expect(list.code, list.stderr).toBe(0);
    const mods = JSON.parse(list.stdout).result.modules as { path: string; configFile: string; slots: { token?: { label: string } }[] }[];
    const soft = mods.find((m) => m.configFile === path.join(conf, 'softhsm2.module'))!;
    expect(soft.path).toBe(hsm.module);
    expect(soft.slots.map((s) => s.token?.label)).toContain('KysoRSA');
    const out = path.join(work, 'discovered.pdf');
    const r = await runKyso(['sign', simple, '-o', out, '--token-label', 'KysoRSA', '--chain', pki.chainPem], { env: { ...env, HOME: home, XDG_CONFIG_HOME: '' } });
    expect(r.code, r.stderr).toBe(0);
    const [sig] = await pdfsig(out, pki.nssDir);
    expect(sig!.valid && sig!.trusted, sig!.raw).toBe(true);
  });

  it('takes the module from KYSO_PKCS11_MODULE or "pkcs11Module" in kyso.config.json', async () => {
    const list = await runKyso(['token', 'list'], { env: { ...hsm.env, KYSO_PKCS11_MODULE: hsm.module } });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').filter((l) => l.includes('\tKysoRSA\t'))).toHaveLength(1);
    expect(list.stdout).not.toContain('opensc');
    const proj = path.join(work, 'proj');
    await mkdir(proj, { recursive: true });
    await writeFile(path.join(proj, 'kyso.config.json'), JSON.stringify({ pkcs11Module: hsm.module }));
    // a project file may name the module only in a folder the user file trusts (issue 12)
    const xdg = path.join(work, 'xdg-trust');
    await mkdir(path.join(xdg, 'kyso'), { recursive: true });
    await writeFile(path.join(xdg, 'kyso', 'config.json'), JSON.stringify({ trustedProjectDirs: [proj] }));
    const out = path.join(work, 'from-config.pdf');
    const r = await runKyso(['sign', simple, '-o', out, '--token-label', 'KysoEC', '--chain', pki.chainPem, '--json'], { env: { ...env, XDG_CONFIG_HOME: xdg }, cwd: proj });
    expect(r.code, r.stderr).toBe(0);
    const [sig] = await pdfsig(out, pki.nssDir);
    expect(sig!.valid && sig!.trusted, sig!.raw).toBe(true);
  });

  it('--rsa-pss on the RSA token passes pdfsig; on the EC token it is refused before any PIN is needed (exit 2)', async () => {
    const out = path.join(work, 'pss.pdf');
    const r = await runKyso(['sign', simple, '-o', out, ...tokenArgs('KysoRSA'), '--chain', pki.chainPem, '--rsa-pss', '--hash', 'sha384'], { env });
    expect(r.code, r.stderr).toBe(0);
    const [sig] = await pdfsig(out, pki.nssDir);
    expect(sig!.valid && sig!.trusted, sig!.raw).toBe(true);
    // no KYSO_PIN: had the PIN been asked, this would be exit 4 (no PIN in a script)
    const ec = await runKyso(['sign', simple, '-o', path.join(work, 'pss-ec.pdf'), ...tokenArgs('KysoEC'), '--chain', pki.chainPem, '--rsa-pss', '--lang', 'en'], { env: hsm.env });
    expect(ec.code).toBe(2);
    expect(ec.stderr).toMatch(/the key is EC/);
  });
});
