/** OCSP and CRL answers checked one by one: who may sign them, tampering, status, freshness. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getChainCert } from '../../src/crypto/chain-cert.js';
import { checkCrl } from '../../src/crypto/crl-check.js';
import { buildOcspRequest, checkOcspResponse } from '../../src/crypto/ocsp-check.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { derOf, run, tmp } from './helpers.js';

const pki = getPki();

async function ocspAnswer(leaf: LeafName, rsigner: { cert: string; key: string }, extra: string[] = []): Promise<Uint8Array> {
  const dir = await tmp('kyso-ocsp-');
  const cert = getChainCert(await derOf(pki.leaves[leaf].certDer));
  const issuer = getChainCert(await derOf(pki.inter.certDer));
  const req = path.join(dir, 'req.der');
  const resp = path.join(dir, 'resp.der');
  await writeFile(req, buildOcspRequest(cert, issuer));
  await run('openssl', ['ocsp', '-index', pki.interIndex, '-CA', pki.inter.cert, '-rsigner', rsigner.cert, '-rkey', rsigner.key, '-reqin', req, '-respout', resp, '-ndays', '1', ...extra]);
  return new Uint8Array(await readFile(resp));
}

async function certs(leaf: LeafName) {
  return { cert: getChainCert(await derOf(pki.leaves[leaf].certDer)), issuer: getChainCert(await derOf(pki.inter.certDer)) };
}

const now = () => ({ now: new Date(), requireFresh: true });

describe('OCSP responses', () => {
  it('our request is understood by openssl ocsp; delegated responder (id-kp-OCSPSigning) → good', async () => {
    const { cert, issuer } = await certs('leader-rsa');
    const s = checkOcspResponse(await ocspAnswer('leader-rsa', pki.ocspSigner), cert, issuer, now());
    expect(s?.status).toBe('good');
    expect(s?.nextUpdate).toBeInstanceOf(Date);
  });

  it('a response that carries no certificate: the delegated responder is found among the offered ones (DSS /Certs)', async () => {
    const { cert, issuer } = await certs('leader-rsa');
    const bare = await ocspAnswer('leader-rsa', pki.ocspSigner, ['-resp_no_certs']);
    expect(checkOcspResponse(bare, cert, issuer, now())?.status).toBe('unknown');
    const responder = getChainCert(await derOf(pki.ocspSigner.certDer));
    expect(checkOcspResponse(bare, cert, issuer, { ...now(), extraCerts: [responder] })?.status).toBe('good');
    // an offered certificate is held to the same rules: the issuer's own leaf is no responder
    const other = getChainCert(await derOf(pki.leaves['org-rsa'].certDer));
    expect(checkOcspResponse(bare, cert, issuer, { ...now(), extraCerts: [other] })?.status).toBe('unknown');
  });

  it('signed by the issuing CA itself → accepted; revoked status with its date', async () => {
    const { cert, issuer } = await certs('revoked-rsa');
    const s = checkOcspResponse(await ocspAnswer('revoked-rsa', pki.inter), cert, issuer, now());
    expect(s?.status).toBe('revoked');
    expect(s?.revokedAt).toBeInstanceOf(Date);
  });

  it('signed by a certificate the issuer never authorised → not accepted', async () => {
    const { cert, issuer } = await certs('leader-rsa');
    for (const rogue of [pki.leaves['org-rsa'], pki.other.leaf, pki.tsa]) {
      const s = checkOcspResponse(await ocspAnswer('leader-rsa', rogue), cert, issuer, now());
      expect(s?.status, rogue.name).toBe('unknown');
      expect(s?.problems.map((p) => p.code).join(' ')).toMatch(/OCSP_SIGNER_UNKNOWN|OCSP_RESPONDER_NO_EKU/);
    }
  });

  it('a tampered response does not verify; an answer about another certificate is ignored', async () => {
    const { cert, issuer } = await certs('leader-rsa');
    const good = await ocspAnswer('leader-rsa', pki.ocspSigner);
    const bad = Buffer.from(good);
    // flip a byte inside the signature value near the end
    bad[bad.length - 300] ^= 0x01;
    const s = checkOcspResponse(new Uint8Array(bad), cert, issuer, now());
    expect(s?.status).not.toBe('good');
    const other = await certs('org-rsa');
    expect(checkOcspResponse(good, other.cert, other.issuer, now())).toBeUndefined();
  });

  it('out of date answers are refused online but accepted as archived evidence', async () => {
    const { cert, issuer } = await certs('leader-rsa');
    const good = await ocspAnswer('leader-rsa', pki.ocspSigner);
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect(checkOcspResponse(good, cert, issuer, { now: later, requireFresh: true })?.status).toBe('unknown');
    expect(checkOcspResponse(good, cert, issuer, { now: later, requireFresh: false })?.status).toBe('good');
  });

  it('garbage never throws', async () => {
    const { cert, issuer } = await certs('leader-rsa');
    for (const g of [new Uint8Array(0), new Uint8Array(50), Uint8Array.from([0x30, 0x03, 0x0a, 0x01, 0x01])]) {
      expect(checkOcspResponse(g, cert, issuer, now())?.status).toBe('unknown');
    }
  });
});

describe('CRLs', () => {
  it('the intermediate CRL: revoked-rsa revoked, leader-rsa good', async () => {
    const crl = await derOf(pki.crlDer);
    const r = await certs('revoked-rsa');
    const s = checkCrl(crl, r.cert, r.issuer, now());
    expect(s?.status).toBe('revoked');
    expect(Math.abs(s!.revokedAt!.getTime() - (new Date(pki.generatedAt).getTime() - 86_400_000))).toBeLessThan(10 * 60_000);
    const l = await certs('leader-rsa');
    expect(checkCrl(crl, l.cert, l.issuer, now())?.status).toBe('good');
  });

  it('a CRL of another issuer is not used; a tampered CRL does not verify', async () => {
    const l = await certs('leader-rsa');
    expect(checkCrl(await derOf(pki.rootCrlDer), l.cert, l.issuer, now())).toBeUndefined();
    const crl = Buffer.from(await derOf(pki.crlDer));
    crl[crl.length - 20] ^= 0x01;
    const s = checkCrl(new Uint8Array(crl), l.cert, l.issuer, now());
    expect(s?.status).toBe('unknown');
    expect(s?.problems.map((p) => p.code)).toContain('CRL_SIGNATURE_INVALID');
  });

  it('past nextUpdate the CRL is refused online', async () => {
    const l = await certs('leader-rsa');
    const later = new Date(Date.now() + 60 * 86_400_000);
    expect(checkCrl(await derOf(pki.crlDer), l.cert, l.issuer, { now: later, requireFresh: true })?.status).toBe('unknown');
  });
});
