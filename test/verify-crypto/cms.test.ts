import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureValueOf } from '../../src/crypto/cades.js';
import { requestTimestamp } from '../../src/crypto/timestamp-client.js';
import { loadTrustStore } from '../../src/crypto/trust-store.js';
import { validateTimestampTrust, verifyTimestampToken } from '../../src/crypto/timestamp-verify.js';
import { checkCms, checkDocumentTimestamp } from '../../src/crypto/verify-cms.js';
import { getPki } from '../helpers/pki.js';
import { cadesFor, content, derOf, digestFor, opensslCms } from './helpers.js';

const pki = getPki();

describe('checkCms on CAdES signatures made by our signer', () => {
  const cases = [
    { leaf: 'leader-rsa', scheme: 'rsa-pkcs1', hash: 'sha256' },
    { leaf: 'org-rsa', scheme: 'rsa-pss', hash: 'sha384' },
    { leaf: 'clerk-ec', scheme: 'ecdsa', hash: 'sha256' },
    { leaf: 'deputy-ec384', scheme: 'ecdsa', hash: 'sha512' },
  ] as const;
  for (const c of cases) {
    it(`${c.leaf} ${c.scheme} ${c.hash} verifies`, async () => {
      const data = content();
      const cms = await cadesFor(pki, pki.leaves[c.leaf], data, { scheme: c.scheme, hash: c.hash });
      const r = await checkCms(cms, digestFor(data));
      expect(r.parsed).toBe(true);
      expect(r.digestAlgorithm).toBe(c.hash);
      expect(r.weakDigest).toBe(false);
      expect(r.messageDigestMatches).toBe(true);
      expect(r.signatureValid).toBe(true);
      expect(r.signatureAlgorithm).toBe(c.scheme);
      expect(r.attributeProblems).toEqual([]);
      expect(r.attributesConsistent).toBe(true);
      expect(r.hasSigningCertificateAttr).toBe(true);
      expect(r.subFilterHint).toBe('ETSI.CAdES.detached');
      expect(Buffer.from(r.signerCert!).equals(Buffer.from(await derOf(pki.leaves[c.leaf].certDer)))).toBe(true);
      expect(r.embeddedCerts.length).toBeGreaterThanOrEqual(2);
      expect(r.claimedSigningTime).toBeUndefined();
      expect(r.timestamp).toBeUndefined();
    });
  }

  it('other content → messageDigestMatches false, signature still valid over the attributes', async () => {
    const data = content();
    const cms = await cadesFor(pki, pki.leaves['leader-rsa'], data);
    const other = Uint8Array.from(data);
    other[100] ^= 1;
    const r = await checkCms(cms, digestFor(other));
    expect(r.messageDigestMatches).toBe(false);
    expect(r.signatureValid).toBe(true);
  });

  it('a flipped byte in the signature value → signatureValid false', async () => {
    const data = content();
    for (const leaf of ['leader-rsa', 'clerk-ec'] as const) {
      const cms = await cadesFor(pki, pki.leaves[leaf], data);
      const sig = signatureValueOf(cms);
      const at = Buffer.from(cms).indexOf(Buffer.from(sig));
      expect(at).toBeGreaterThan(0);
      const bad = Uint8Array.from(cms);
      bad[at + 10] ^= 0x01;
      const r = await checkCms(bad, digestFor(data));
      expect(r.parsed).toBe(true);
      expect(r.messageDigestMatches).toBe(true);
      expect(r.signatureValid).toBe(false);
    }
  });

  it('a signed attribute changed (messageDigest replaced) → signature invalid', async () => {
    const data = content();
    const cms = await cadesFor(pki, pki.leaves['leader-rsa'], data);
    const md = createHash('sha256').update(data).digest();
    const other = content();
    const mdOther = createHash('sha256').update(other).digest();
    const buf = Buffer.from(cms);
    const at = buf.indexOf(md);
    mdOther.copy(buf, at);
    const r = await checkCms(new Uint8Array(buf), digestFor(other));
    expect(r.messageDigestMatches).toBe(true);
    expect(r.signatureValid).toBe(false);
  });

  it('never throws on garbage: empty, zeros, random bytes, truncated', async () => {
    const data = content();
    const cms = await cadesFor(pki, pki.leaves['leader-rsa'], data);
    for (const bad of [new Uint8Array(0), new Uint8Array(8192), content(300), cms.subarray(0, cms.length - 200), Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])]) {
      const r = await checkCms(bad, digestFor(data));
      expect(r.parsed).toBe(false);
      expect(r.signatureValid).toBe(false);
      expect(r.error).toBeTruthy();
    }
  });

  it('deeply nested or absurd ASN.1 is rejected without a crash', async () => {
    const data = content();
    const depth = 100_000;
    const nested = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) {
      nested[i * 2] = 0x30;
      nested[i * 2 + 1] = 0x80; // indefinite length SEQUENCE inside SEQUENCE …
    }
    const r = await checkCms(nested, digestFor(data));
    expect(r.parsed).toBe(false);
    const huge = Uint8Array.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06, 0x09]);
    expect((await checkCms(huge, digestFor(data))).parsed).toBe(false);
  });

  it('zero padding after the CMS (as in /Contents) is ignored', async () => {
    const data = content();
    const cms = await cadesFor(pki, pki.leaves['clerk-ec'], data);
    const padded = new Uint8Array(cms.length + 5000);
    padded.set(cms);
    const r = await checkCms(padded, digestFor(data));
    expect(r.signatureValid && r.messageDigestMatches).toBe(true);
  });
});

describe('checkCms on foreign CMS (openssl cms -sign)', () => {
  it('with signingTime and no ESS attribute: valid, claimed time reported, looks like adbe.pkcs7.detached', async () => {
    const data = content();
    const cms = await opensslCms(pki.leaves['leader-rsa'], pki.chainPem, data);
    const r = await checkCms(cms, digestFor(data));
    expect(r.signatureValid).toBe(true);
    expect(r.messageDigestMatches).toBe(true);
    expect(r.attributesConsistent).toBe(true);
    expect(r.hasSigningCertificateAttr).toBe(false);
    expect(r.claimedSigningTime).toBeInstanceOf(Date);
    expect(Math.abs(r.claimedSigningTime!.getTime() - Date.now())).toBeLessThan(120_000);
    expect(r.subFilterHint).toBe('adbe.pkcs7.detached');
  });

  it('-cades adds signingCertificateV2, which matches', async () => {
    const data = content();
    const cms = await opensslCms(pki.leaves['clerk-ec'], pki.chainPem, data, ['-cades']);
    const r = await checkCms(cms, digestFor(data));
    expect(r.signatureValid && r.messageDigestMatches && r.attributesConsistent).toBe(true);
    expect(r.hasSigningCertificateAttr).toBe(true);
  });

  it('-noattr (no signed attributes, RSA over the content digest) verifies; wrong content does not', async () => {
    const data = content();
    const cms = await opensslCms(pki.leaves['leader-rsa'], pki.chainPem, data, ['-noattr']);
    const r = await checkCms(cms, digestFor(data));
    expect(r.signatureValid).toBe(true);
    expect(r.messageDigestMatches).toBe(true);
    expect(r.notes.map((p) => p.code)).toContain('NO_SIGNED_ATTRIBUTES');
    const other = content();
    const r2 = await checkCms(cms, digestFor(other));
    expect(r2.signatureValid).toBe(false);
    expect(r2.messageDigestMatches).toBe(false);
  });

  it('a SHA-1 signature is reported as weak', async () => {
    const data = content();
    const dir = pki.leaves['leader-rsa'];
    const cms = await opensslCms(dir, pki.chainPem, data, ['-md', 'sha1']);
    const r = await checkCms(cms, digestFor(data));
    expect(r.digestAlgorithm).toBe('sha1');
    expect(r.weakDigest).toBe(true);
    expect(r.signatureValid).toBe(true);
  });
});

describe('timestamps from the local TSA', () => {
  it('B-T signature: the signature timestamp verifies, gives the time, and its TSA chains to the root', async () => {
    const data = content();
    const t0 = Date.now();
    const cms = await cadesFor(pki, pki.leaves['leader-rsa'], data, { tsa: true });
    const r = await checkCms(cms, digestFor(data));
    expect(r.signatureValid).toBe(true);
    expect(r.timestamp).toBeDefined();
    const ts = r.timestamp!;
    expect(ts.problems).toEqual([]);
    expect(ts.valid).toBe(true);
    expect(ts.imprintMatches).toBe(true);
    expect(ts.time!.getTime()).toBeGreaterThan(t0 - 5_000);
    expect(ts.time!.getTime()).toBeLessThan(Date.now() + 5_000);
    expect(Buffer.from(ts.tsaCert!).equals(Buffer.from(await derOf(pki.tsa.certDer)))).toBe(true);
    const store = await loadTrustStore({ defaultTrust: false, extra: [pki.root.cert] });
    const chain = await validateTimestampTrust(ts, { trustStore: store, revocationMode: 'off', embeddedRevocation: { crls: [], ocsps: [] }, intermediates: r.embeddedCerts });
    expect(chain?.status).toBe('trusted');
    expect(ts.chain).toBe(chain);
    // the same token judged against a store without our root: its time proves nothing
    const vnOnly = await loadTrustStore({ defaultTrust: true, extra: [] });
    const untrusted = await validateTimestampTrust(ts, { trustStore: vnOnly, revocationMode: 'off', embeddedRevocation: { crls: [], ocsps: [] } });
    expect(untrusted?.status).toBe('untrusted');
  });

  it('a token made for another signature does not match (imprint mismatch)', async () => {
    const data = content();
    const token = await requestTimestamp(pki.urls.tsa, new Uint8Array(createHash('sha256').update('something else').digest()), 'sha256');
    const ts = await verifyTimestampToken(token, digestFor(data));
    expect(ts.signatureValid).toBe(true);
    expect(ts.imprintMatches).toBe(false);
    expect(ts.valid).toBe(false);
    expect(ts.problems.map((p) => p.code)).toContain('TS_IMPRINT_MISMATCH');
  });

  it('a tampered token (TSTInfo byte changed) is invalid', async () => {
    const data = content();
    const imprint = new Uint8Array(createHash('sha256').update(data).digest());
    const token = await requestTimestamp(pki.urls.tsa, imprint, 'sha256');
    const bad = Buffer.from(token);
    const at = bad.indexOf(Buffer.from(imprint));
    bad[at + 31] ^= 0xff; // inside the imprint of the TSTInfo
    const ts = await verifyTimestampToken(new Uint8Array(bad), async () => { const x = Uint8Array.from(imprint); x[31] ^= 0xff; return x; });
    expect(ts.imprintMatches).toBe(true);
    expect(ts.signatureValid).toBe(false);
    expect(ts.valid).toBe(false);
  });

  it('document timestamp (ETSI.RFC3161): imprint over the content', async () => {
    const data = content();
    const token = await requestTimestamp(pki.urls.tsa, new Uint8Array(createHash('sha256').update(data).digest()), 'sha256');
    const r = await checkDocumentTimestamp(token, digestFor(data));
    expect(r.parsed).toBe(true);
    expect(r.messageDigestMatches).toBe(true);
    expect(r.signatureValid).toBe(true);
    expect(r.attributesConsistent).toBe(true);
    expect(r.time).toBeInstanceOf(Date);
    expect(r.subFilterHint).toBe('ETSI.RFC3161');
    const other = content();
    const r2 = await checkDocumentTimestamp(token, digestFor(other));
    expect(r2.messageDigestMatches).toBe(false);
    const r3 = await checkDocumentTimestamp(new Uint8Array(100), digestFor(data));
    expect(r3.parsed).toBe(false);
  });
});
