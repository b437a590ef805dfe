/**
 * Branches SoftHSM cannot reach (it never locks, has no final-try state, no PIN pad and cannot be
 * unplugged), driven through the real signer and the real sign service with a fake module injected behind
 * the Pkcs11Binding interface.
 */
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KysoError } from '../../src/core/errors.js';
import type { Warning } from '../../src/core/types.js';
import { CKM_ECDSA, CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS } from '../../src/crypto/pkcs11-constants.js';
import { openPkcs11Signer, rawEcdsaToDer, type Pkcs11SignerOptions } from '../../src/crypto/pkcs11-signer.js';
import { isFailed, signDocuments } from '../../src/services/sign-document.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { getPki } from '../helpers/pki.js';
import { pdfsig } from '../sign/validators.js';
import {
  CKF_PROTECTED_AUTHENTICATION_PATH,
  CKF_USER_PIN_COUNT_LOW,
  CKF_USER_PIN_FINAL_TRY,
  CKF_USER_PIN_LOCKED,
  makeFakeModule,
  tokenFromLeaves,
  type FakeToken,
} from './fake-binding.js';

const pki = getPki();

async function open(tokens: FakeToken[], o: Partial<Pkcs11SignerOptions> = {}) {
  const fake = makeFakeModule(tokens);
  const warnings: Warning[] = [];
  const notices: string[] = [];
  let pinAsked = 0;
  const run = openPkcs11Signer(
    { module: '/fake/libfake.so', chainFile: pki.chainPem, interactive: false, pin: async () => (pinAsked++, '1234'), ...o },
    { loadBinding: fake.binding, warn: (w) => warnings.push(w), notice: (m) => notices.push(m.en), bundledDir: '', aia: false },
  );
  return { run, fake, warnings, notices, pinAsked: () => pinAsked };
}

async function rejection(p: Promise<unknown>): Promise<KysoError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KysoError);
    return e as KysoError;
  }
  throw new Error('expected a rejection');
}

const leader = () => tokenFromLeaves('LanhDao', [{ leaf: pki.leaves['leader-rsa'], id: '01' }]);

describe('PKCS#11 signer with a fake module', () => {
  it('locked PIN: credentials error before any C_Login, PIN never asked, module finalized', async () => {
    const t = await open([{ ...leader(), flags: CKF_USER_PIN_LOCKED }]);
    const e = await rejection(t.run);
    expect(e.code).toBe('TOKEN_PIN_LOCKED');
    expect(e.category).toBe('credentials');
    expect(e.msg.en).toContain('"LanhDao"');
    expect(t.fake.calls.logins).toHaveLength(0);
    expect(t.pinAsked()).toBe(0);
    expect(t.fake.calls.log.filter((c) => c === 'C_Finalize')).toHaveLength(1);
    expect(t.fake.calls.log.filter((c) => c === 'C_CloseSession')).toHaveLength(1);
  });

  it('final try and count low: a warning, then one login', async () => {
    for (const [flag, code] of [
      [CKF_USER_PIN_FINAL_TRY, 'TOKEN_PIN_FINAL_TRY'],
      [CKF_USER_PIN_COUNT_LOW, 'TOKEN_PIN_COUNT_LOW'],
    ] as const) {
      const t = await open([{ ...leader(), flags: flag }]);
      const s = await t.run;
      expect(t.warnings.map((w) => w.code)).toEqual([code]);
      expect(t.warnings[0]!.vi.length).toBeGreaterThan(10);
      expect(t.fake.calls.logins).toHaveLength(1);
      await s.close();
    }
  });

  it('PIN pad: logs in without a PIN and tells the user to type it on the device', async () => {
    const t = await open([{ ...leader(), flags: CKF_PROTECTED_AUTHENTICATION_PATH }]);
    const s = await t.run;
    expect(t.pinAsked()).toBe(0);
    expect(t.fake.calls.logins).toEqual([{ pin: null }]);
    expect(t.notices.join()).toMatch(/PIN pad of token "LanhDao"/);
    await s.close();
  });

  it('wrong PIN: one C_Login, exit-4 error naming the token and the PIN state read back from the flags', async () => {
    const t = await open([leader()], { pin: async () => '9999' });
    const e = await rejection(t.run);
    expect(e.code).toBe('TOKEN_PIN_INCORRECT');
    expect(e.category).toBe('credentials');
    expect(e.msg.en).toMatch(/token "LanhDao" \(serial SN-LanhDao\): wrong PIN \(now: PIN tries running low\); not retried/);
    expect(e.msg.vi).toMatch(/sai PIN/);
    expect(JSON.stringify(e.details) + e.msg.en + e.msg.vi).not.toContain('9999');
    expect(t.fake.calls.logins).toHaveLength(1);
    expect(t.fake.calls.log.at(-1)).toBe('C_Finalize');
  });

  it('an empty PIN is refused without calling C_Login (it would cost a try)', async () => {
    const t = await open([leader()], { pin: async () => '' });
    expect((await rejection(t.run)).code).toBe('TOKEN_PIN_EMPTY');
    expect(t.fake.calls.logins).toHaveLength(0);
  });

  it('Ctrl-C at the PIN prompt: "interrupted" (exit 130), no C_Login, module finalized', async () => {
    const t = await open([leader()], { pin: async () => Promise.reject(Object.assign(new Error('interrupted'), { code: 'INTERRUPTED' })) });
    const e = await rejection(t.run);
    expect(e.category).toBe('interrupted');
    expect(t.fake.calls.logins).toHaveLength(0);
    expect(t.fake.calls.log.at(-1)).toBe('C_Finalize');
  });

  it('token unplugged while kyso reads it: TOKEN_REMOVED (exit 4), not an internal error', async () => {
    const t = await open([{ ...leader(), removeBeforeSearch: true }]);
    const e = await rejection(t.run);
    expect(e.code).toBe('TOKEN_REMOVED');
    expect(e.category).toBe('credentials');
    expect(t.fake.calls.log.at(-1)).toBe('C_Finalize');
  });

  it('uses CKM_RSA_PKCS over the DER DigestInfo when no hashed RSA mechanism is advertised (signature verifies)', async () => {
    const t = await open([{ ...leader(), mechanisms: [CKM_RSA_PKCS] }]);
    const s = await t.run;
    const data = Buffer.from('signed attributes');
    const digest = createHash('sha256').update(data).digest();
    const sig = await s.signDigest({ data, digest, hash: 'sha256', scheme: 'rsa-pkcs1' });
    expect(t.fake.calls.signs[0]!.mechanism).toBe(CKM_RSA_PKCS);
    expect(t.fake.calls.signs[0]!.input.toString('hex')).toBe('3031300d060960864801650304020105000420' + digest.toString('hex'));
    expect(cryptoVerify('sha256', data, new X509Certificate(s.certificate).publicKey, sig)).toBe(true);
    await s.close();
    const t2 = await open([leader()]);
    const s2 = await t2.run;
    await s2.signDigest({ data, digest, hash: 'sha256', scheme: 'rsa-pkcs1' });
    expect(t2.fake.calls.signs[0]!.mechanism).toBe(CKM_SHA256_RSA_PKCS);
    expect(t2.fake.calls.signs[0]!.input.equals(data)).toBe(true);
    await s2.close();
  });

  it('missing mechanism: a clear error naming it, before the PIN is asked', async () => {
    const t = await open([{ ...leader(), mechanisms: [CKM_ECDSA] }]);
    const e = await rejection(t.run);
    expect(e.code).toBe('TOKEN_MECHANISM_UNSUPPORTED');
    expect(e.msg.en).toMatch(/CKM_SHA256_RSA_PKCS or CKM_RSA_PKCS/);
    expect(t.pinAsked()).toBe(0);
    const pss = await open([{ ...leader(), mechanisms: [CKM_RSA_PKCS] }], { scheme: 'rsa-pss' });
    expect((await rejection(pss.run)).msg.en).toMatch(/CKM_SHA256_RSA_PKCS_PSS or CKM_RSA_PKCS_PSS/);
    const ec = await open([{ ...tokenFromLeaves('VanThu', [{ leaf: pki.leaves['clerk-ec'], id: '02' }]), mechanisms: [CKM_RSA_PKCS] }]);
    expect((await rejection(ec.run)).msg.en).toMatch(/does not support CKM_ECDSA/);
  });

  it('ECDSA: CKM_ECDSA over the host hash; raw r||s becomes a DER SEQUENCE', async () => {
    const t = await open([tokenFromLeaves('VanThu', [{ leaf: pki.leaves['clerk-ec'], id: '02' }])]);
    const s = await t.run;
    const digest = createHash('sha256').update('x').digest();
    const der = Buffer.from(await s.signDigest({ data: Buffer.from('x'), digest, hash: 'sha256', scheme: 'ecdsa' }));
    expect(t.fake.calls.signs[0]!.mechanism).toBe(CKM_ECDSA);
    expect(t.fake.calls.signs[0]!.input.equals(digest)).toBe(true);
    expect(der[0]).toBe(0x30);
    expect(s.keyAlgorithm).toBe('ec');
    expect(s.keyBits).toBe(256);
    await s.close();
    // high bit set and leading zeros
    const raw = Buffer.concat([Buffer.from([0x80, ...Array(31).fill(1)]), Buffer.from([0, 0, 5, ...Array(29).fill(2)])]);
    const d = Buffer.from(rawEcdsaToDer(raw));
    expect(d.subarray(0, 6).toString('hex')).toBe('3043022100' + '80'); // 35 + 32 = 0x43 bytes
    expect(d.subarray(37, 40).toString('hex')).toBe('02' + '1e' + '05');
  });

  it('several signing certificates: exit-2 error listing them in a script; on a TTY the person chooses', async () => {
    const both = () =>
      tokenFromLeaves('Both', [
        { leaf: pki.leaves['leader-rsa'], id: '01' },
        { leaf: pki.leaves['secretary-rsa'], id: '03' },
      ]);
    const t = await open([both()]);
    const e = await rejection(t.run);
    expect(e.code).toBe('TOKEN_CERT_AMBIGUOUS');
    expect(e.category).toBe('usage');
    expect((e.details!.certificates as unknown[]).length).toBe(2);
    expect(e.msg.en).toMatch(/key id 01 .*key id 03/);
    expect(t.pinAsked()).toBe(0);
    let asked: string[] = [];
    const tty = await open([both()], {
      interactive: true,
      lang: 'en',
      choose: async (q, items) => {
        asked = [q, ...items];
        return 1;
      },
    });
    const s = await tty.run;
    expect(asked[0]).toMatch(/several signing certificates/);
    expect(asked).toHaveLength(3);
    expect(Buffer.from(s.certificate).equals(readFileSync(pki.leaves['secretary-rsa'].certDer))).toBe(true);
    await s.close();
  });

  it('a token that hides its certificates until login: logs in once, then selects', async () => {
    const t = await open([{ ...leader(), hiddenCerts: true }]);
    const s = await t.run;
    expect(t.fake.calls.logins).toHaveLength(1);
    expect(t.pinAsked()).toBe(1);
    expect(s.keyAlgorithm).toBe('rsa');
    await s.close();
  });

  it('--key-label may name the private key (certificate labelled differently): matched by CKA_ID after login', async () => {
    const both = tokenFromLeaves('Both', [
      { leaf: pki.leaves['leader-rsa'], id: '01' },
      { leaf: pki.leaves['secretary-rsa'], id: '03' },
    ]);
    both.certs.forEach((c) => (c.label = 'Certificate'));
    both.keys[1]!.label = 'ky-van-ban';
    const t = await open([both], { keyLabel: 'ky-van-ban' });
    const s = await t.run;
    expect(s.description).toMatch(/key 03$/);
    expect(t.fake.calls.logins).toHaveLength(1);
    await s.close();
    const none = await open([tokenFromLeaves('One', [{ leaf: pki.leaves['leader-rsa'], id: '01' }])], { keyLabel: 'nope' });
    const e = await rejection(none.run);
    expect(e.code).toBe('TOKEN_KEY_NOT_FOUND');
    expect(e.msg.en).toMatch(/no certificate matches .*key id 01/);
  });

  it('an expired certificate beside a valid one: the valid one is taken without asking', async () => {
    const t = await open([
      tokenFromLeaves('Renewed', [
        { leaf: pki.leaves['expired-rsa'], id: '09' },
        { leaf: pki.leaves['leader-rsa'], id: '01' },
      ]),
    ]);
    const s = await t.run;
    expect(s.description).toMatch(/key 01$/);
    await s.close();
  });

  it('close(): C_Logout, C_CloseSession, C_Finalize exactly once; registered for Ctrl-C and unregistered', async () => {
    const fake = makeFakeModule([leader()]);
    const handlers = new Set<() => void | Promise<void>>();
    const s = await openPkcs11Signer(
      { module: '/fake/libfake.so', chainFile: pki.chainPem, interactive: false, pin: async () => '1234' },
      { loadBinding: fake.binding, bundledDir: '', aia: false, onInterrupt: (fn) => (handlers.add(fn), () => handlers.delete(fn)) },
    );
    expect(handlers.size).toBe(1);
    // Ctrl-C: the handler logs out
    await [...handlers][0]!();
    await s.close();
    expect(handlers.size).toBe(0);
    const tail = fake.calls.log.filter((c) => ['C_Logout', 'C_CloseSession', 'C_Finalize'].includes(c));
    expect(tail).toEqual(['C_Logout', 'C_CloseSession', 'C_Finalize']);
  });

  it('several tokens: usage error listing them; --token-serial selects', async () => {
    const a = leader();
    const b = { ...tokenFromLeaves('LanhDao', [{ leaf: pki.leaves['secretary-rsa'], id: '03' }]), serial: 'SN-2' };
    const t = await open([a, b]);
    const e = await rejection(t.run);
    expect(e.code).toBe('TOKEN_AMBIGUOUS');
    expect(e.msg.en).toMatch(/"LanhDao" \(serial SN-LanhDao\), "LanhDao" \(serial SN-2\)/);
    const t2 = await open([leader(), { ...b }], { tokenSerial: 'SN-2' });
    const s = await t2.run;
    expect(s.description).toMatch(/SN-2\/key 03/);
    await s.close();
    // --cert-sha256 / --key-id are enough when only one token holds such a certificate
    const sha = createHash('sha256').update(readFileSync(pki.leaves['secretary-rsa'].certDer)).digest('hex');
    const t3 = await open([leader(), { ...b }], { certSha256: sha });
    const s3 = await t3.run;
    expect(s3.description).toMatch(/SN-2\/key 03/);
    await s3.close();
    const t4 = await open([leader(), { ...b }], { keyId: '0x01' });
    const s4 = await t4.run;
    expect(s4.description).toMatch(/SN-LanhDao\/key 01/);
    await s4.close();
  });
});

describe('token removed in the middle of a batch (sign service + fake token)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kyso-token-removed-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops: the files done are reported, the current file is not written, no temp file, session closed', async () => {
    const samples = await makeSamplePdfs(path.join(dir));
    const inDir = path.join(dir, 'in');
    const outDir = path.join(dir, 'out');
    await mkdir(inDir);
    await mkdir(outDir);
    for (let i = 1; i <= 5; i++) await copyFile(samples.simple, path.join(inDir, `doc${i}.pdf`));
    const fake = makeFakeModule([{ ...leader(), removeAfterSigns: 2 }]);
    const result = await signDocuments(
      { inputs: [inDir], cwd: dir, outDir },
      {
        openSigner: () =>
          openPkcs11Signer({ module: '/fake/libfake.so', chainFile: pki.chainPem, interactive: false, pin: async () => '1234' }, { loadBinding: fake.binding, bundledDir: '', aia: false }),
        now: () => new Date(),
        warn: () => {},
        onInterrupt: () => () => {},
      },
    );
    const ok = result.files.filter((f) => !isFailed(f)).map((f) => path.basename(f.input));
    const failed = result.files.filter(isFailed);
    expect(ok).toEqual(['doc1.pdf', 'doc2.pdf']);
    expect(failed.map((f) => f.error.code)).toEqual(['TOKEN_REMOVED', 'BATCH_STOPPED', 'BATCH_STOPPED']);
    expect(failed[0]!.error.category).toBe('credentials');
    expect(failed[0]!.error.msg.en).toMatch(/token "LanhDao" .*was removed/);
    const written = (await readdir(outDir, { recursive: true })).map(String).sort();
    expect(written.filter((f) => f.endsWith('.pdf'))).toHaveLength(2);
    expect(written.some((f) => f.includes('kyso-tmp'))).toBe(false);
    expect(existsSync(path.join(outDir, 'doc3.pdf')) || existsSync(path.join(outDir, 'doc3.signed.pdf'))).toBe(false);
    // the two finished files carry a valid signature made through the fake token's real RSA key
    for (const f of result.files.filter((f) => !isFailed(f))) {
      const [s] = await pdfsig((f as { output: string }).output, pki.nssDir);
      expect(s!.valid && s!.trusted, s!.raw).toBe(true);
    }
    expect(fake.calls.log.filter((c) => c === 'C_Login')).toHaveLength(1);
    expect(fake.calls.log.at(-1)).toBe('C_Finalize');
  });
});
