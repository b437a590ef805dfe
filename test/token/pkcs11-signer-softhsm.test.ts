/**
 * The PKCS#11 signer on a real SoftHSM2 token, called directly: RSA PKCS#1 v1.5 / PSS and ECDSA signatures
 * verified with the certificate's public key, through the token's hashed mechanisms and, with those hidden
 * from the advertised list, through CKM_RSA_PKCS over a DigestInfo and raw CKM_RSA_PKCS_PSS.
 */
import { constants, createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HashAlgorithm } from '../../src/core/types.js';
import { loadRealBinding, type Pkcs11Binding } from '../../src/crypto/pkcs11-binding.js';
import { CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA } from '../../src/crypto/pkcs11-constants.js';
import { openPkcs11Signer } from '../../src/crypto/pkcs11-signer.js';
import type { SignatureScheme } from '../../src/crypto/signer.js';
import { getPki } from '../helpers/pki.js';
import { makeSoftHsm, softhsmAvailableOrFail, type SoftHsm } from '../helpers/softhsm.js';

const available = softhsmAvailableOrFail();

/** The real binding, advertising only `keep` mechanisms (as a cheap token would). */
const onlyMechanisms =
  (keep: number[]) =>
  (p: string): Pkcs11Binding => {
    const b = loadRealBinding(p);
    return { ...b, modulePath: b.modulePath, C_GetMechanismList: (slot) => b.C_GetMechanismList(slot).filter((m) => keep.includes(m)) };
  };

describe.runIf(available)('PKCS#11 signer on SoftHSM2 (direct)', () => {
  let hsm: SoftHsm;
  const pki = getPki();
  beforeAll(async () => {
    hsm = await makeSoftHsm([
      { label: 'KysoRSA', keys: [{ leaf: pki.leaves['leader-rsa'], id: '01', keyLabel: 'leader' }] },
      { label: 'KysoEC', keys: [{ leaf: pki.leaves['deputy-ec384'], id: '02', keyLabel: 'deputy' }] },
    ]);
    process.env.SOFTHSM2_CONF = hsm.conf; // each test file runs in its own fork
  });
  afterAll(async () => {
    await hsm?.cleanup();
  });

  const cases: [string, SignatureScheme, HashAlgorithm, number[] | undefined][] = [
    ['KysoRSA', 'rsa-pkcs1', 'sha256', undefined],
    ['KysoRSA', 'rsa-pkcs1', 'sha512', [CKM_RSA_PKCS]],
    ['KysoRSA', 'rsa-pss', 'sha256', undefined],
    ['KysoRSA', 'rsa-pss', 'sha384', [CKM_RSA_PKCS_PSS]],
    ['KysoEC', 'ecdsa', 'sha384', undefined],
    ['KysoEC', 'ecdsa', 'sha256', [CKM_ECDSA]],
  ];
  it.each(cases)('%s %s %s (mechanisms %o) verifies with the certificate', async (label, scheme, hash, only) => {
    const signer = await openPkcs11Signer(
      { module: hsm.module, tokenLabel: label, chainFile: pki.chainPem, pin: async () => hsm.pin, interactive: false, scheme, hash },
      { bundledDir: '', ...(only ? { loadBinding: onlyMechanisms(only) } : {}) },
    );
    const data = Buffer.from('signed attributes ' + scheme + hash);
    const digest = createHash(hash).update(data).digest();
    const sig = await signer.signDigest({ data, digest, hash, scheme });
    const cert = new X509Certificate(signer.certificate);
    const key = scheme === 'rsa-pss' ? { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length } : cert.publicKey;
    expect(cryptoVerify(hash, data, key, sig)).toBe(true);
    expect(signer.chain.length).toBe(2);
    expect(signer.keyBits).toBe(label === 'KysoRSA' ? 2048 : 384);
    await signer.close();
    await signer.close(); // twice is safe
  });
});
