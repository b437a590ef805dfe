import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCadesSignedData, signatureTimestampOf, signatureValueOf } from '../../src/crypto/cades.js';
import { checkSigningCertificate } from '../../src/crypto/certificate-checks.js';
import { openPkcs12Signer } from '../../src/crypto/pkcs12-signer.js';
import { openPkcs12Native } from '../../src/crypto/pkcs12-native.js';
import { requestTimestamp } from '../../src/crypto/timestamp-client.js';
import { describeCertificate, orderChain, readCertificatesFile } from '../../src/crypto/x509.js';
import { isKysoError } from '../../src/core/errors.js';
import { getPki } from '../helpers/pki.js';
import { cmsPrint, exec } from './validators.js';

const pki = getPki();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-crypto-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readFileSyncPem(pem: string): Buffer {
  return readFileSync(pem);
}

async function derOf(pem: string): Promise<Buffer> {
  return new X509Certificate(await readFile(pem)).raw;
}

let cmsFiles = 0;
async function verifyDetached(cms: Uint8Array, content: Buffer): Promise<{ ok: boolean; out: string }> {
  const f = path.join(dir, `c-${cmsFiles++}`); // a counter: unique without randomness
  await writeFile(f + '.der', cms);
  await writeFile(f + '.bin', content);
  const r = await exec('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f + '.der', '-content', f + '.bin', '-CAfile', pki.root.cert, '-purpose', 'any', '-out', '/dev/null']);
  return { ok: r.code === 0, out: r.stderr };
}

async function errorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isKysoError(e)) return e;
    throw e;
  }
  throw new Error('expected a KysoError');
}

describe('PKCS#12 signer', () => {
  const cases = [
    ['leader-rsa', 'p12', 'rsa', 2048],
    ['leader-rsa', 'legacyP12', 'rsa', 2048],
    ['org-rsa', 'p12', 'rsa', 3072],
    ['clerk-ec', 'p12', 'ec', 256],
    ['clerk-ec', 'legacyP12', 'ec', 256],
    ['deputy-ec384', 'legacyP12', 'ec', 384],
  ] as const;
  for (const [leaf, kind, alg, bits] of cases) {
    it(`opens ${leaf} (${kind}) with the exact certificate bytes and an ordered chain`, async () => {
      const l = pki.leaves[leaf];
      const s = await openPkcs12Signer(l[kind], pki.password);
      expect(s.keyAlgorithm).toBe(alg);
      expect(s.keyBits).toBe(bits);
      expect(Buffer.from(s.certificate).equals(await derOf(l.cert))).toBe(true);
      expect(s.chain.map((c) => Buffer.from(c))).toEqual([await derOf(pki.inter.cert), await derOf(pki.root.cert)]);
      await s.close();
    });
  }

  it('modern files open natively (no forge), legacy ones are left to forge; a wrong password fails the MAC', async () => {
    for (const leaf of ['leader-rsa', 'org-rsa', 'clerk-ec', 'deputy-ec384'] as const) {
      const l = pki.leaves[leaf];
      const n = openPkcs12Native(await readFile(l.p12), pki.password);
      expect(typeof n === 'object' && n.keys.length).toBe(1);
      expect(typeof n === 'object' && n.certs.map((c) => Buffer.from(c)).some((c) => c.equals(Buffer.from(new X509Certificate(readFileSyncPem(l.cert)).raw)))).toBe(true);
      expect(openPkcs12Native(await readFile(l.p12), 'wrong')).toBe('bad-password');
      expect(openPkcs12Native(await readFile(l.legacyP12), pki.password)).toBeUndefined();
    }
    const nokey = openPkcs12Native(await readFile(pki.nokeyP12), pki.password);
    expect(typeof nokey === 'object' && [nokey.keys.length, nokey.certs.length]).toEqual([0, 1]);
  });

  it('wrong passphrase → P12_BAD_PASSWORD (credentials), naming the file', async () => {
    for (const f of [pki.leaves['leader-rsa'].p12, pki.leaves['clerk-ec'].legacyP12]) {
      const e = await errorOf(openPkcs12Signer(f, 'nope'));
      expect(e.code).toBe('P12_BAD_PASSWORD');
      expect(e.category).toBe('credentials');
      expect(e.msg.en).toContain(f);
      expect(e.msg.en).not.toContain('nope');
    }
  });
  it('no key → P12_NO_KEY; not a p12 → P12_MALFORMED; missing → INPUT_NOT_FOUND', async () => {
    expect((await errorOf(openPkcs12Signer(pki.nokeyP12, pki.password))).code).toBe('P12_NO_KEY');
    const e = await errorOf(openPkcs12Signer(pki.root.cert, pki.password));
    expect([e.code, e.category]).toEqual(['P12_MALFORMED', 'input']);
    const m = await errorOf(openPkcs12Signer(path.join(dir, 'missing.p12'), 'x'));
    expect([m.code, m.category]).toEqual(['INPUT_NOT_FOUND', 'input']);
  });
});

describe('CAdES SignedData', () => {
  const content = Buffer.from('%PDF-1.7 pretend signed ranges — Phú Lương');
  const combos = [
    ['leader-rsa', 'rsa-pkcs1', 'sha256'],
    ['org-rsa', 'rsa-pss', 'sha384'],
    ['leader-rsa', 'rsa-pss', 'sha512'],
    ['clerk-ec', 'ecdsa', 'sha256'],
    ['deputy-ec384', 'ecdsa', 'sha384'],
    ['clerk-ec', 'ecdsa', 'sha512'],
  ] as const;
  for (const [leaf, scheme, hash] of combos) {
    it(`${leaf} ${scheme} ${hash}: openssl cms -verify accepts it; PAdES attributes; no signingTime`, async () => {
      const s = await openPkcs12Signer(pki.leaves[leaf].p12, pki.password);
      const cms = await buildCadesSignedData({ signer: s, contentDigest: createHash(hash).update(content).digest(), hash, scheme });
      const v = await verifyDetached(cms, content);
      expect(v.out).toContain('Verification successful');
      expect(v.ok).toBe(true);
      const bad = await verifyDetached(cms, Buffer.concat([content, Buffer.from('x')]));
      expect(bad.ok).toBe(false);
      const printed = await cmsPrint(Buffer.from(cms));
      expect(printed).toContain('id-smime-aa-signingCertificateV2');
      expect(printed).toContain('contentType');
      expect(printed).toContain('messageDigest');
      expect(printed).not.toContain('signingTime');
      expect(printed).toContain('eContent: <ABSENT>');
      if (scheme === 'rsa-pss') expect(printed).toContain('rsassaPss');
      if (scheme === 'rsa-pkcs1') expect(printed).toContain('rsaEncryption');
      if (scheme === 'ecdsa') expect(printed).toContain(`ecdsa-with-${hash.toUpperCase()}`);
      // leaf + inter + root, each once
      expect(printed.match(/cert_info:/g)?.length).toBe(3);
    });
  }
});

describe('RFC 3161 client against the local TSA', () => {
  it('gets a token over the imprint, with our nonce; falls back past a dead URL; embeds as B-T', async () => {
    const s = await openPkcs12Signer(pki.leaves['leader-rsa'].p12, pki.password);
    const content = Buffer.from('B-T content');
    const cms = await buildCadesSignedData({
      signer: s,
      contentDigest: createHash('sha256').update(content).digest(),
      hash: 'sha256',
      scheme: 'rsa-pkcs1',
      timestamp: (sig) => requestTimestamp([pki.urls.dead, pki.urls.tsa], createHash('sha256').update(sig).digest(), 'sha256', { timeoutMs: 5000 }),
    });
    expect((await verifyDetached(cms, content)).ok).toBe(true);
    const token = signatureTimestampOf(cms);
    expect(token).toBeDefined();
    // the token verifies as a timestamp over the signature value
    const f = path.join(dir, 'tok');
    await writeFile(f + '.tst', token!);
    await writeFile(f + '.sig', signatureValueOf(cms));
    const chain = path.join(dir, 'tsa-ca.pem');
    await writeFile(chain, (await readFile(pki.inter.cert, 'utf8')) + (await readFile(pki.root.cert, 'utf8')));
    const r = await exec('openssl', ['ts', '-verify', '-token_in', '-in', f + '.tst', '-data', f + '.sig', '-CAfile', chain, '-untrusted', pki.tsa.cert]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
  });
  it('all TSAs dead → TSA_UNAVAILABLE; not a URL → usage', async () => {
    const e = await errorOf(requestTimestamp([pki.urls.dead], Buffer.alloc(32), 'sha256', { timeoutMs: 2000 }));
    expect(e.code).toBe('TSA_UNAVAILABLE');
    const u = await errorOf(requestTimestamp(['ftp://x'], Buffer.alloc(32), 'sha256'));
    expect([u.code, u.category]).toEqual(['TSA_URL_INVALID', 'usage']);
  });
});

describe('certificate checks and X.509 helpers', () => {
  const now = new Date();
  it('expired / not yet valid / no signing key usage are refused; expiring warns', async () => {
    const e1 = (() => {
      try {
        checkSigningCertificate(new Uint8Array(0), { now, source: 'x' });
      } catch (e) {
        return e;
      }
    })();
    expect(isKysoError(e1)).toBe(true);
    for (const [leaf, code] of [
      ['expired-rsa', 'CERT_EXPIRED'],
      ['notyet-rsa', 'CERT_NOT_YET_VALID'],
      ['nokeyusage-rsa', 'CERT_KEY_USAGE'],
    ] as const) {
      const der = await derOf(pki.leaves[leaf].cert);
      let err: unknown;
      try {
        checkSigningCertificate(der, { now, source: 'a.p12' });
      } catch (e) {
        err = e;
      }
      expect(isKysoError(err) && err.code).toBe(code);
      expect(isKysoError(err) && err.category).toBe('credentials');
    }
    const w = checkSigningCertificate(await derOf(pki.leaves['expiring-rsa'].cert), { now, source: 'a.p12' });
    expect(w.warnings.map((x) => x.code)).toEqual(['CERT_EXPIRES_SOON']);
    const ok = checkSigningCertificate(await derOf(pki.leaves['leader-rsa'].cert), { now, source: 'a.p12' });
    expect(ok.warnings).toEqual([]);
  });
  it('describeCertificate matches openssl; Vietnamese names survive', async () => {
    const der = await derOf(pki.leaves['leader-rsa'].cert);
    const d = describeCertificate(der);
    const x = new X509Certificate(der);
    expect(d.commonName).toBe('Nguyễn Thúy Hằng');
    expect(d.subject).toMatch(/^CN=Nguyễn Thúy Hằng, .*C=VN$/);
    expect(d.serial).toBe(x.serialNumber.toLowerCase().replace(/^(00)+/, ''));
    expect(d.sha256).toBe(x.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(d.notAfter.getTime()).toBe(new Date(x.validTo).getTime());
    expect(d.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(d.keyAlgorithm).toBe('rsa');
    expect(d.keyBits).toBe(2048);
  });
  it('readCertificatesFile reads PEM bundles and DER; orderChain orders leaf → root', async () => {
    const certs = await readCertificatesFile(pki.chainPem);
    expect(certs.length).toBe(2);
    const der = await readCertificatesFile(pki.root.certDer);
    expect(der.length).toBe(1);
    const leaf = await derOf(pki.leaves['clerk-ec'].cert);
    const ordered = orderChain(leaf, [...der, ...certs, leaf]);
    expect(ordered.map((c) => describeCertificate(c).commonName)).toEqual([
      describeCertificate(await derOf(pki.inter.cert)).commonName,
      describeCertificate(await derOf(pki.root.cert)).commonName,
    ]);
  });
});
