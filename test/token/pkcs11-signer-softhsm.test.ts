import { createHash, createVerify, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs11Signer } from '../../src/crypto/pkcs11-signer.js';
import { getPki } from '../helpers/pki.js';
import { makeSoftHsm, softhsmAvailableOrFail, type SoftHsm } from '../helpers/softhsm.js';

const available = softhsmAvailableOrFail();

describe.runIf(available)('PKCS#11 signer on SoftHSM2 (direct)', () => {
  let hsm: SoftHsm;
  const pki = getPki();
  beforeAll(async () => {
    hsm = await makeSoftHsm([
      { label: 'KysoRSA', keys: [{ leaf: pki.leaves['leader-rsa'], id: '01', keyLabel: 'leader' }] },
      { label: 'KysoEC', keys: [{ leaf: pki.leaves['clerk-ec'], id: '02', keyLabel: 'clerk' }] },
    ]);
    process.env.SOFTHSM2_CONF = hsm.conf;
  });
  afterAll(async () => {
    await hsm?.cleanup();
  });

  it('signs with RSA (PKCS#1 v1.5 and PSS) and EC, verifiable with the certificate', async () => {
    for (const [label, scheme] of [['KysoRSA', 'rsa-pkcs1'], ['KysoRSA', 'rsa-pss'], ['KysoEC', 'ecdsa']] as const) {
      const signer = await openPkcs11Signer(
        { module: hsm.module, tokenLabel: label, chainFile: pki.chainPem, pin: async () => hsm.pin, interactive: false, scheme },
        { bundledDir: '' },
      );
      const data = Buffer.from('signed attributes');
      const digest = createHash('sha256').update(data).digest();
      const sig = await signer.signDigest({ data, digest, hash: 'sha256', scheme });
      const cert = new X509Certificate(signer.certificate);
      const ok = cryptoVerify('sha256', data, scheme === 'rsa-pss' ? { key: cert.publicKey, padding: 6, saltLength: 32 } : cert.publicKey, sig);
      expect(ok, `${label} ${scheme}`).toBe(true);
      expect(signer.chain.length).toBe(2);
      await signer.close();
      await signer.close();
    }
  });
});
