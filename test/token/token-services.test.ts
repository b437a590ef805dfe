/**
 * The services behind `kyso token list` / `kyso token certs`, with the fake module: PIN states in the
 * listing, certificates without a login, and a login (exactly one) only for a token that hides them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KysoError } from '../../src/core/errors.js';
import { listTokenCertificates } from '../../src/services/token-certs.js';
import { listTokens } from '../../src/services/token-list.js';
import { getPki } from '../helpers/pki.js';
import { CKF_PROTECTED_AUTHENTICATION_PATH, CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED, makeFakeModule, tokenFromLeaves } from './fake-binding.js';

const pki = getPki();
const leader = (label: string, extra = {}) => tokenFromLeaves(label, [{ leaf: pki.leaves['leader-rsa'], id: '01' }], extra);

describe('token services (fake module)', () => {
  it('token list: library info, every token with its PIN state; no login', () => {
    const fake = makeFakeModule([
      leader('A'),
      leader('B', { flags: CKF_USER_PIN_COUNT_LOW }),
      leader('C', { flags: CKF_USER_PIN_FINAL_TRY }),
      leader('D', { flags: CKF_USER_PIN_LOCKED }),
      leader('E', { flags: CKF_PROTECTED_AUTHENTICATION_PATH }),
    ]);
    const r = listTokens({ module: '/fake/libvnptca_p11_v8.so' }, { loadBinding: fake.binding });
    expect(r.source).toBe('option');
    const [m] = r.modules;
    expect(m!.vendorHint).toBe('VNPT-CA');
    expect(m!.library).toEqual({ manufacturer: 'Fake', description: 'Fake PKCS#11', version: '1.0', cryptokiVersion: '2.40' });
    expect(m!.slots.map((s) => [s.token!.label, s.token!.pinState, s.token!.pinPad])).toEqual([
      ['A', 'ok', false],
      ['B', 'count-low', false],
      ['C', 'final-try', false],
      ['D', 'locked', false],
      ['E', 'ok', true],
    ]);
    expect(fake.calls.logins).toHaveLength(0);
    expect(fake.calls.log.at(-1)).toBe('C_Finalize');
  });

  it('token list with a module that is not there: usage error naming it', () => {
    expect(() => listTokens({ module: '/nowhere/lib.so' })).toThrow(/\/nowhere\/lib\.so: PKCS#11 module .*not found/);
  });

  it('token certs: public certificates without a PIN; hidden ones need one login, with the PIN asked once', async () => {
    const fake = makeFakeModule([leader('Open'), leader('Hidden', { hiddenCerts: true })]);
    let asked = 0;
    const noPin = await listTokenCertificates({ module: '/fake/lib.so' }, { loadBinding: fake.binding });
    expect(noPin.tokens.map((t) => [t.label, t.certificates.length, t.loggedIn])).toEqual([
      ['Open', 1, false],
      ['Hidden', 0, false],
    ]);
    expect(noPin.tokens[1]!.note!.en).toMatch(/shows no certificate without a login; set KYSO_PIN/);
    expect(fake.calls.logins).toHaveLength(0);
    const withPin = await listTokenCertificates({ module: '/fake/lib.so', tokenLabel: 'Hidden' }, { loadBinding: fake.binding, pin: async () => (asked++, '1234') });
    expect(withPin.tokens).toHaveLength(1);
    const [t] = withPin.tokens;
    expect(t!.loggedIn).toBe(true);
    expect(t!.certificates[0]!.hasPrivateKey).toBe(true);
    expect(t!.certificates[0]!.subject).toMatch(/^CN=.*, C=VN$/);
    expect(asked).toBe(1);
    expect(fake.calls.logins).toHaveLength(1);
    expect(fake.calls.log.filter((c) => c === 'C_Logout')).toHaveLength(1);
  });

  it('token certs on a hidden token with a locked PIN: refuses, no login', async () => {
    const fake = makeFakeModule([leader('Locked', { hiddenCerts: true, flags: CKF_USER_PIN_LOCKED })]);
    const e = await listTokenCertificates({ module: '/fake/lib.so' }, { loadBinding: fake.binding, pin: async () => '1234' }).catch((x: KysoError) => x);
    expect((e as KysoError).code).toBe('TOKEN_PIN_LOCKED');
    expect(fake.calls.logins).toHaveLength(0);
  });

  it('token certs with no token / an unknown label: credentials errors', async () => {
    const none = await listTokenCertificates({ module: '/fake/lib.so' }, { loadBinding: makeFakeModule([]).binding }).catch((x: KysoError) => x);
    expect((none as KysoError).code).toBe('TOKEN_NOT_PRESENT');
    const fake = makeFakeModule([leader('A')]);
    const unknown = await listTokenCertificates({ module: '/fake/lib.so', tokenLabel: 'Z' }, { loadBinding: fake.binding }).catch((x: KysoError) => x);
    expect((unknown as KysoError).code).toBe('TOKEN_NOT_FOUND');
    expect((unknown as KysoError).category).toBe('credentials');
  });

  it('token certs identifies the CA by the chain built offline from the token and the bundled certificates', async () => {
    const t = leader('WithCA');
    t.certs.push({ der: readFileSync(pki.inter.certDer), id: '', label: 'Issuing CA' }, { der: readFileSync(pki.root.certDer), id: '', label: 'Root CA' });
    const fake = makeFakeModule([t, leader('LeafOnly')]);
    const r = await listTokenCertificates({ module: '/fake/lib.so' }, { loadBinding: fake.binding });
    const withCa = r.tokens.find((x) => x.label === 'WithCA')!;
    const leaf = withCa.certificates.find((c) => !c.isCA)!;
    expect(leaf.chain).toEqual(['CN=Kyso Test Issuing CA, O=Kyso Test PKI, C=VN', 'CN=Kyso Test Root CA, O=Kyso Test PKI, C=VN']);
    expect(withCa.certificates.filter((c) => c.isCA)).toHaveLength(2);
    // only the leaf, and the test CA is not among the bundled Vietnamese CAs: no chain claimed
    expect(r.tokens.find((x) => x.label === 'LeafOnly')!.certificates[0]!.chain).toBeUndefined();
  });
});
