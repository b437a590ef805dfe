import { describe, expect, it } from 'vitest';
import { validateCertificate, type ValidateOptions } from '../../src/crypto/chain-builder.js';
import { createRevocationFetcher, undiciTransport, type HttpTransport } from '../../src/crypto/revocation-fetcher.js';
import { loadTrustStore, type TrustStore } from '../../src/crypto/trust-store.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { derOf, resetServerStats, run, serverStats, tmp } from './helpers.js';

const pki = getPki();
const DAY = 86_400_000;

let store: TrustStore;
async function trust(): Promise<TrustStore> {
  store ??= await loadTrustStore({ defaultTrust: false, extra: [pki.root.cert] });
  return store;
}

async function validate(leaf: LeafName | Uint8Array, o: Partial<ValidateOptions> = {}) {
  const der = leaf instanceof Uint8Array ? leaf : await derOf(pki.leaves[leaf].certDer);
  return validateCertificate(der, {
    intermediates: [await derOf(pki.inter.certDer)],
    trustStore: await trust(),
    validationTime: new Date(),
    revocationMode: 'off',
    embeddedRevocation: { crls: [], ocsps: [] },
    purpose: 'signing',
    ...o,
  });
}

const online = (o: { cacheDir?: string; transport?: HttpTransport } = {}) =>
  createRevocationFetcher({ now: () => new Date(), timeoutMs: 3000, ...o });

describe('chain building', () => {
  it('leader-rsa chains to the test root through the intermediate', async () => {
    const r = await validate('leader-rsa');
    expect(r.status).toBe('trusted');
    expect(r.subIndication).toBeUndefined();
    expect(r.path).toHaveLength(3);
    expect(Buffer.from(r.path[2]!).equals(Buffer.from(await derOf(pki.root.certDer)))).toBe(true);
    expect(r.revocation.checked).toBe(false);
  });

  it('EC leaves chain too', async () => {
    for (const l of ['clerk-ec', 'deputy-ec384', 'org-rsa'] as const) expect((await validate(l)).status).toBe('trusted');
  });

  it('without the intermediate → untrusted / NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const r = await validate('leader-rsa', { intermediates: [] });
    expect(r.status).toBe('untrusted');
    expect(r.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('a root embedded in the file is never an anchor: other PKI → untrusted', async () => {
    const r = await validate(await derOf(pki.other.leaf.certDer), { intermediates: [await derOf(pki.other.root.certDer)] });
    expect(r.status).toBe('untrusted');
    expect(r.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect(r.problems.map((p) => p.code)).toContain('CHAIN_UNTRUSTED_ROOT');
    expect(r.path).toHaveLength(2);
  });

  it('only the bundled VN roots → our test leaf is untrusted', async () => {
    const vn = await loadTrustStore({ defaultTrust: true, extra: [] });
    const r = await validate('leader-rsa', { trustStore: vn });
    expect(r.status).toBe('untrusted');
  });

  it('expired leaf → expired / OUT_OF_BOUNDS_NO_POE; valid at a time inside its validity', async () => {
    const r = await validate('expired-rsa');
    expect(r.status).toBe('expired');
    expect(r.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    const der = await derOf(pki.leaves['expired-rsa'].certDer);
    const { X509Certificate } = await import('node:crypto');
    const c = new X509Certificate(Buffer.from(der));
    // the test intermediate starts the instant this leaf ends (both at generation - 365 days): that instant is inside both
    const inside = new Date(c.validTo);
    expect((await validate('expired-rsa', { validationTime: inside })).status).toBe('trusted');
    // a timestamp proving existence while valid rescues it
    const rescued = await validate('expired-rsa', { proofOfExistence: inside });
    expect(rescued.status).toBe('trusted');
    // a proof of existence after expiry proves nothing about when it was signed (EN 319 102-1 §5.6.2.4):
    // still OUT_OF_BOUNDS_NO_POE, with the problem naming the late proof
    const late = await validate('expired-rsa', { proofOfExistence: new Date() });
    expect(late.status).toBe('expired');
    expect(late.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    expect(late.problems.map((p) => p.code)).toContain('CERT_EXPIRED_POE_TOO_LATE');
  });

  it('a signer certificate trusted directly (--trust leaf.pem) is an anchor, but its dates still count', async () => {
    const direct = await loadTrustStore({ defaultTrust: false, extra: [pki.leaves['leader-rsa'].cert, pki.leaves['expired-rsa'].cert] });
    const ok = await validate('leader-rsa', { trustStore: direct, intermediates: [] });
    expect(ok.status).toBe('trusted');
    expect(ok.path).toHaveLength(1);
    const old = await validate('expired-rsa', { trustStore: direct, intermediates: [] });
    expect(old.status).toBe('expired');
  });

  it('not-yet-valid leaf → not-yet-valid', async () => {
    const r = await validate('notyet-rsa');
    expect(r.status).toBe('not-yet-valid');
    expect(r.subIndication).toBe('NOT_YET_VALID');
  });

  it('leaf without digitalSignature/nonRepudiation → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const r = await validate('nokeyusage-rsa');
    expect(r.status).toBe('untrusted');
    expect(r.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
    expect(r.problems.map((p) => p.code).join(' ')).toMatch(/KEY_USAGE|KEY_CERT_SIGN/);
  });

  it('purpose timestamping: the TSA certificate passes, a signing certificate does not', async () => {
    expect((await validate(await derOf(pki.tsa.certDer), { purpose: 'timestamping' })).status).toBe('trusted');
    const r = await validate('leader-rsa', { purpose: 'timestamping' });
    expect(r.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
  });

  it('a missing intermediate is fetched from AIA caIssuers (online), never as an anchor', async () => {
    const f = online();
    const r = await validate('leader-rsa', { intermediates: [], fetcher: f });
    expect(r.status).toBe('trusted');
    expect(r.path).toHaveLength(3);
    // other PKI: its caIssuers points nowhere useful → still untrusted
    const o = await validate(await derOf(pki.other.leaf.certDer), { intermediates: [], fetcher: f });
    expect(o.status).toBe('untrusted');
  });

  it('certificates signed with ECDSA P-384 and with RSA-PSS chain too', async () => {
    const dir = await tmp();
    const f = (n: string) => path.join(dir, n);
    const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
    await writeFile(f('leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n');
    // EC root → EC leaf (ecdsa-with-SHA384)
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', f('ec.key'), '-subj', '/CN=EC Root', '-days', '30', '-sha384', '-out', f('ec.pem'), ...caExt]);
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('l1.key'), '-subj', '/CN=EC Leaf', '-out', f('l1.csr')]);
    await run('openssl', ['x509', '-req', '-in', f('l1.csr'), '-CA', f('ec.pem'), '-CAkey', f('ec.key'), '-set_serial', '7', '-days', '10', '-sha384', '-extfile', f('leaf.ext'), '-outform', 'DER', '-out', f('l1.der')]);
    // RSA root → leaf signed with RSASSA-PSS
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('rsa.key'), '-subj', '/CN=RSA Root', '-days', '30', '-out', f('rsa.pem'), ...caExt]);
    await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('l2.key'), '-subj', '/CN=PSS Leaf', '-out', f('l2.csr')]);
    await run('openssl', ['x509', '-req', '-in', f('l2.csr'), '-CA', f('rsa.pem'), '-CAkey', f('rsa.key'), '-set_serial', '8', '-days', '10', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-extfile', f('leaf.ext'), '-outform', 'DER', '-out', f('l2.der')]);
    const ts = await loadTrustStore({ defaultTrust: false, extra: [f('ec.pem'), f('rsa.pem')] });
    for (const leaf of ['l1.der', 'l2.der']) {
      const r = await validate(await derOf(f(leaf)), { trustStore: ts, intermediates: [] });
      expect(r.status, leaf).toBe('trusted');
      expect(r.path).toHaveLength(2);
    }
    // swapped: the PSS leaf does not chain to the EC root
    const ecOnly = await loadTrustStore({ defaultTrust: false, extra: [f('ec.pem')] });
    expect((await validate(await derOf(f('l2.der')), { trustStore: ecOnly, intermediates: [] })).status).toBe('untrusted');
  });

  it('many look-alike certificates that all sign each other do not make the search explode', async () => {
    const dir = await tmp();
    const key = path.join(dir, 'k.pem');
    await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    const loops: Uint8Array[] = [];
    for (let i = 1; i <= 14; i++) {
      const out = path.join(dir, `loop${i}.der`);
      await run('openssl', ['req', '-x509', '-key', key, '-subj', '/CN=Loop', '-set_serial', String(i), '-days', '30', '-outform', 'DER', '-out', out, '-addext', 'basicConstraints=critical,CA:TRUE']);
      loops.push(await derOf(out));
    }
    const leafFile = path.join(dir, 'leaf.der');
    const csr = path.join(dir, 'leaf.csr');
    await run('openssl', ['req', '-new', '-key', key, '-subj', '/CN=Leaf', '-out', csr]);
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', path.join(dir, 'loop1.der'), '-CAform', 'DER', '-CAkey', key, '-set_serial', '99', '-days', '10', '-outform', 'DER', '-out', leafFile]);
    const r = await validate(await derOf(leafFile), { intermediates: loops }); // a loop would hit the test timeout
    expect(r.status).toBe('untrusted');
  });

  it('a leaf presented as its own issuer / a forged intermediate does not chain', async () => {
    // the other PKI's root has the same shape but another key: offering it as "inter" must not chain
    const r = await validate('leader-rsa', { intermediates: [await derOf(pki.other.root.certDer)] });
    expect(r.status).toBe('untrusted');
  });
});

describe('revocation', () => {
  it('soft, online: a good leaf is trusted, answered by OCSP, the intermediate by the root CRL', async () => {
    const r = await validate('leader-rsa', { revocationMode: 'soft', fetcher: online() });
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('trusted');
    expect(r.revocation.checked).toBe(true);
    expect(r.revocation.source).toBe('ocsp');
    expect(r.revocation.perCertificate?.map((p) => [p.status, p.source])).toEqual([
      ['good', 'ocsp'],
      ['good', 'crl'],
    ]);
  });

  it('revoked leaf via OCSP without proof of existence → revoked / REVOKED_NO_POE', async () => {
    const r = await validate('revoked-rsa', { revocationMode: 'soft', fetcher: online() });
    expect(r.status).toBe('revoked');
    expect(r.subIndication).toBe('REVOKED_NO_POE');
    expect(r.revocation.source).toBe('ocsp');
    const expected = new Date(pki.generatedAt).getTime() - DAY;
    expect(Math.abs(r.revocation.revokedAt!.getTime() - expected)).toBeLessThan(10 * 60_000);
  });

  it('revoked leaf via the CRL on 127.0.0.1 (OCSP down)', async () => {
    const noOcsp: HttpTransport = async (req) => {
      if (req.url.includes('/ocsp')) throw new Error('connection refused (test)');
      return undiciTransport(req);
    };
    const r = await validate('revoked-rsa', { revocationMode: 'soft', fetcher: online({ transport: noOcsp }) });
    expect(r.status).toBe('revoked');
    expect(r.revocation.source).toBe('crl');
    expect(r.subIndication).toBe('REVOKED_NO_POE');
  });

  it('revoked leaf via an embedded CRL, offline', async () => {
    const r = await validate('revoked-rsa', { revocationMode: 'soft', embeddedRevocation: { crls: [await derOf(pki.crlDer)], ocsps: [] } });
    expect(r.status).toBe('revoked');
    expect(r.revocation.source).toBe('embedded');
  });

  it('revoked with a timestamp before the revocation → trusted; after → REVOKED', async () => {
    const revokedAt = new Date(pki.generatedAt).getTime() - DAY;
    const before = await validate('revoked-rsa', { revocationMode: 'soft', fetcher: online(), proofOfExistence: new Date(revokedAt - DAY), validationTime: new Date(revokedAt - DAY) });
    expect(before.status).toBe('trusted');
    expect(before.problems.map((p) => p.code)).toContain('REVOKED_AFTER_POE');
    const after = await validate('revoked-rsa', { revocationMode: 'soft', fetcher: online(), proofOfExistence: new Date() });
    expect(after.status).toBe('revoked');
    expect(after.subIndication).toBe('REVOKED');
  });

  it('responder unreachable: soft and hard → unknown / TRY_LATER; off → trusted', async () => {
    const soft = await validate('deadocsp-rsa', { revocationMode: 'soft', fetcher: online() });
    expect(soft.status).toBe('unknown');
    expect(soft.subIndication).toBe('TRY_LATER');
    expect(soft.revocation.unknown).toBe(true);
    const hard = await validate('deadocsp-rsa', { revocationMode: 'hard', fetcher: online() });
    expect(hard.status).toBe('unknown');
    expect(hard.subIndication).toBe('TRY_LATER');
    const off = await validate('deadocsp-rsa', { revocationMode: 'off', fetcher: online() });
    expect(off.status).toBe('trusted');
  });

  it('a certificate that publishes no revocation source: soft accepts it with a note, hard says TRY_LATER', async () => {
    const dir = await tmp();
    const key = path.join(dir, 'k.pem');
    const csr = path.join(dir, 'r.csr');
    const crt = path.join(dir, 'c.pem');
    const ext = path.join(dir, 'ext.cnf');
    await writeFile(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n');
    await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/C=VN/O=Kyso/CN=No Pointers', '-out', csr]);
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', pki.inter.cert, '-CAkey', pki.inter.key, '-CAcreateserial', '-days', '30', '-sha256', '-extfile', ext, '-out', crt, '-outform', 'DER']);
    const der = await derOf(crt);
    const soft = await validate(der, { revocationMode: 'soft', fetcher: online() });
    expect(soft.status).toBe('trusted');
    expect(soft.problems.map((p) => p.code)).toContain('REVOCATION_NO_SOURCE');
    const hard = await validate(der, { revocationMode: 'hard', fetcher: online() });
    expect(hard.status).toBe('unknown');
    expect(hard.subIndication).toBe('TRY_LATER');
  });

  it('offline (no fetcher) with soft: a certificate that publishes sources is unknown, never silently passed', async () => {
    const r = await validate('leader-rsa', { revocationMode: 'soft' });
    expect(r.status).toBe('unknown');
    expect(r.subIndication).toBe('TRY_LATER');
  });

  it('an OCSP answer from the wrong responder is rejected (CRL of another issuer is ignored)', async () => {
    const r = await validate('revoked-rsa', { revocationMode: 'soft', embeddedRevocation: { crls: [await derOf(pki.rootCrlDer)], ocsps: [] } });
    expect(r.status).toBe('unknown');
  });

  it('on-disk cache: a second run with a new fetcher makes no HTTP request', async () => {
    const cacheDir = await tmp('kyso-revcache-');
    // count real HTTP requests with a spy around the undici transport (the server's /_stats is shared with
    // other test files running in parallel, so it is only checked for being reachable)
    const calls: string[] = [];
    const spy: HttpTransport = async (req) => {
      calls.push(req.url);
      return undiciTransport(req);
    };
    await resetServerStats(pki);
    const f1 = online({ cacheDir, transport: spy });
    const r1 = await validate('secretary-rsa', { revocationMode: 'soft', fetcher: f1 });
    expect(r1.status).toBe('trusted');
    expect(f1.stats.network).toBe(2); // leaf OCSP + root CRL for the intermediate
    expect(calls).toHaveLength(2);
    const s1 = await serverStats(pki);
    expect(s1['/ocsp']).toBeGreaterThanOrEqual(1);
    const f2 = online({ cacheDir, transport: spy });
    const r2 = await validate('secretary-rsa', { revocationMode: 'soft', fetcher: f2 });
    expect(r2.status).toBe('trusted');
    expect(r2.revocation.source).toBe('cache');
    expect(f2.stats.network).toBe(0);
    expect(f2.stats.cacheHits).toBe(2);
    expect(calls).toHaveLength(2);
  });

  it('the cache is not used past nextUpdate', async () => {
    const cacheDir = await tmp('kyso-revcache-');
    const f1 = online({ cacheDir });
    await validate('secretary-rsa', { revocationMode: 'soft', fetcher: f1 });
    const later = createRevocationFetcher({ cacheDir, now: () => new Date(Date.now() + 40 * DAY) });
    const r = await validate('secretary-rsa', { revocationMode: 'soft', fetcher: later, currentTime: new Date() });
    expect(later.stats.network).toBe(2);
    expect(r.status).toBe('trusted');
  });

  it('entries expired for more than a day are pruned from the cache directory', async () => {
    const cacheDir = await tmp('kyso-revcache-');
    const { readdir, writeFile: wf } = await import('node:fs/promises');
    await wf(path.join(cacheDir, 'stale.der'), 'x');
    await wf(path.join(cacheDir, 'stale.json'), JSON.stringify({ url: 'http://127.0.0.1/x', expires: Date.now() - 2 * DAY }));
    await wf(path.join(cacheDir, 'recent.der'), 'x');
    await wf(path.join(cacheDir, 'recent.json'), JSON.stringify({ url: 'http://127.0.0.1/y', expires: Date.now() - DAY / 2 }));
    await validate('secretary-rsa', { revocationMode: 'soft', fetcher: online({ cacheDir }) });
    const names = (await readdir(cacheDir)).sort();
    expect(names.filter((n) => n.startsWith('stale'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('recent'))).toHaveLength(2);
    expect(names).toHaveLength(6); // recent × 2 + 2 fresh answers × (.der + .json)
  });
});
