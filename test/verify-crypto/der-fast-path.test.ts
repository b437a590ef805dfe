/**
 * The verifier reads canonical DER by hand and leaves everything else to pkijs, loaded only then (issue 16:
 * no pkijs/asn1js on the verify hot path). Both readings must agree, or a forged or broken file could be
 * judged differently than before. Checked here on real structures (the test PKI's certificates, CRLs, OCSP
 * responses, CAdES and openssl SignerInfos, RFC 3161 TSTInfos, the bundled Vietnamese CA certificates) and
 * on thousands of mutations of them (bytes flipped, lengths and tags changed, truncated, bytes appended or
 * inserted): wherever the hand path gives an answer it is exactly pkijs' answer, and ChainCert's facts and
 * extension getters equal those of the pkijs-based ChainCert it replaced, including which inputs throw.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { certDataViaPkijs, fastCertData } from '../../src/crypto/cert-data.js';
import { ChainCert, getChainCert, nameToString, normSerial } from '../../src/crypto/chain-cert.js';
import { fastSignerInfo, fromPkijsSignerInfo, type CmsSignerInfo } from '../../src/crypto/cms-signer-info.js';
import { crlViaPkijs, fastCrl } from '../../src/crypto/crl-check.js';
import { children, readRoot, readTlv, type Tlv } from '../../src/crypto/der.js';
import { basicOcspViaPkijs, buildOcspRequest, fastOcsp, OcspStatusError } from '../../src/crypto/ocsp-check.js';
import { eContentOctets, fastTstInfo, parseSignedData, tstInfoViaPkijs } from '../../src/crypto/timestamp-verify.js';
import { parseRevocationInfoArchival } from '../../src/crypto/verify-cms.js';
import { checkEssValue, contentTypeOf, messageDigestOf, signingTimeOf } from '../../src/crypto/verify-signer-info.js';
import { OID, asnTimeToDate, bytesEqual, digestNameForOid, errorText, hashBytes, isSupportedDigest, parseDer, rawBytes, toHex } from '../../src/crypto/verify-util.js';
import { explicit, seq } from '../../src/crypto/der.js';
import { problem, type Problem } from '../../src/core/problem.js';
import { pemToDerList } from '../../src/crypto/x509.js';
import { cadesFor, content, derOf, opensslCms, run, tmp } from './helpers.js';

const pki = getPki();
/** Mutations per sample multiply by this (KYSO_DER_FUZZ=20 for a long hunt; the default keeps the file to seconds). */
const ROUNDS = Math.max(1, Number(process.env.KYSO_DER_FUZZ ?? 1));

/**
 * Uint8Arrays as hex, Dates as ISO (or 'Invalid'), recursively: values compared by content, not by class.
 * `pk` (the pkijs object) and `der` (an extension's or algorithm's own encoding, which pkijs re-encodes
 * and only pkijs reads again) are the two readings' private business and left out.
 */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (v instanceof ArrayBuffer) return `hex:${Buffer.from(v).toString('hex')}`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, norm(x)]);
  if (v instanceof Set) return [...v].map(norm);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'pk' && k !== 'der' && x !== undefined) out[k] = norm(x);
    return out;
  }
  return v;
}

function attempt<T>(f: () => T): { ok: true; v: T } | { ok: false; err: unknown } {
  try {
    return { ok: true, v: f() };
  } catch (err) {
    return { ok: false, err };
  }
}

/** Every TLV header position of a DER tree (for tag and length mutations). */
function headers(buf: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (t: Tlv, depth: number) => {
    out.push(t.start);
    if (!t.constructed || depth > 20) return;
    try {
      for (const c of children(buf, t)) walk(c, depth + 1);
    } catch {
      /* not a tree below here */
    }
  };
  walk(readRoot(buf), 0);
  return out;
}

/** Mutations of `der`: random and structure-aware (tags, lengths), reproducible from the seed. */
function mutations(der: Uint8Array, random: () => number, count: number): Uint8Array[] {
  const pick = (n: number) => Math.floor(random() * n);
  const heads = headers(der);
  const out: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const m = Buffer.from(der);
    switch (k % 8) {
      case 0:
        m[pick(m.length)] = pick(256);
        out.push(m);
        break;
      case 1: {
        const h = heads[pick(heads.length)]!;
        const choices = [0x20, 0x40, 0x80, 0x01, 0x02, 0x04, 0x10];
        m[h] = m[h]! ^ choices[pick(choices.length)]!;
        out.push(m);
        break;
      }
      case 2: {
        const h = heads[pick(heads.length)]! + 1;
        if (h < m.length) m[h] = (m[h]! + (random() < 0.5 ? 1 : 255)) & 0xff;
        out.push(m);
        break;
      }
      case 3:
        out.push(m.subarray(0, pick(m.length)));
        break;
      case 4:
        out.push(Buffer.concat([m, Buffer.from([pick(256), pick(256)]).subarray(0, 1 + pick(2))]));
        break;
      case 5: {
        const at = pick(m.length);
        out.push(Buffer.concat([m.subarray(0, at), Buffer.from([pick(256)]), m.subarray(at)]));
        break;
      }
      case 6: {
        // a primitive value's content byte (dates, strings, OIDs, integers, booleans)
        const h = heads[pick(heads.length)]!;
        const t = attempt(() => readTlv(m, h));
        if (t.ok && !t.v.constructed && t.v.end > t.v.valueStart) m[t.v.valueStart + pick(t.v.end - t.v.valueStart)] = [0x00, 0x2e, 0x5a, 0x39, 0x80, 0xff, 0x2b][pick(7)]!;
        out.push(m);
        break;
      }
      default: {
        // a length in long form where the short one fits (BER, not DER): the hand path must step aside
        const h = heads[pick(heads.length)]!;
        const t = attempt(() => readTlv(m, h));
        if (t.ok && t.v.end - t.v.valueStart < 0x80 && t.v.valueStart === h + 2) out.push(Buffer.concat([m.subarray(0, h + 1), Buffer.from([0x81]), m.subarray(h + 1)]));
        else out.push(m);
      }
    }
  }
  return out;
}

// ---- certificates: the old pkijs-based ChainCert, kept here as the reference ----

function legacyCertFacts(der: Uint8Array) {
  const c = new pkijs.Certificate({ schema: parseDer(der, 'certificate') });
  const ext = (oid: string) => c.extensions?.find((e) => e.extnID === oid);
  const guard = <T>(f: () => T): T | 'THROWS' => {
    try {
      return f();
    } catch {
      return 'THROWS';
    }
  };
  const accessUrls = (method: string) => {
    const v = ext(OID.authorityInfoAccess)?.parsedValue as pkijs.InfoAccess | undefined;
    if (!v) return [];
    return v.accessDescriptions.filter((d) => d.accessMethod === method && d.accessLocation.type === 6).map((d) => String(d.accessLocation.value));
  };
  const nameOr = (n: pkijs.RelativeDistinguishedNames, d: Uint8Array) => guard(() => nameToString(n)) === 'THROWS' ? `DER:${toHex(d)}` : nameToString(n);
  const subjectDer = new Uint8Array(c.subject.toSchema().toBER(false));
  const issuerDer = new Uint8Array(c.issuer.toSchema().toBER(false));
  return {
    subjectDer,
    issuerDer,
    serialHex: normSerial(toHex(c.serialNumber.valueBlock.valueHexView)),
    version: c.version,
    notBefore: c.notBefore.value,
    notAfter: c.notAfter.value,
    spkiDer: new Uint8Array(c.subjectPublicKeyInfo.toSchema().toBER(false)),
    tbs: c.tbsView,
    signatureAlgorithm: c.signatureAlgorithm.algorithmId,
    signatureValue: c.signatureValue.valueBlock.valueHexView,
    subjectPublicKey: c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
    subject: nameOr(c.subject, subjectDer),
    issuer: nameOr(c.issuer, issuerDer),
    basicConstraints: guard(() => {
      const e = ext(OID.basicConstraints);
      if (!e) return undefined;
      const bc = e.parsedValue as pkijs.BasicConstraints | undefined;
      if (!bc) return { ca: false };
      const pl = bc.pathLenConstraint;
      return { ca: Boolean(bc.cA), pathLen: typeof pl === 'number' ? pl : pl instanceof asn1js.Integer ? pl.valueBlock.valueDec : undefined };
    }),
    keyUsage: guard(() => {
      const e = ext(OID.keyUsage);
      if (!e) return undefined;
      const bs = e.parsedValue as asn1js.BitString | undefined;
      const b0 = (bs ? bs.valueBlock.valueHexView : new Uint8Array())[0] ?? 0;
      return [0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02].map((bit) => (b0 & bit) !== 0);
    }),
    extKeyUsage: guard(() => {
      const e = ext(OID.extKeyUsage);
      if (!e) return undefined;
      const eku = e.parsedValue as pkijs.ExtKeyUsage | undefined;
      return eku ? [...eku.keyPurposes] : [];
    }),
    extKeyUsageCritical: Boolean(ext(OID.extKeyUsage)?.critical),
    subjectKeyId: guard(() => {
      const v = ext(OID.subjectKeyIdentifier)?.parsedValue as asn1js.OctetString | undefined;
      return v ? toHex(v.valueBlock.valueHexView) : undefined;
    }),
    authorityKeyId: guard(() => {
      const v = ext(OID.authorityKeyIdentifier)?.parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
      return v?.keyIdentifier ? toHex(v.keyIdentifier.valueBlock.valueHexView) : undefined;
    }),
    ocspUrls: guard(() => accessUrls(OID.adOcsp)),
    caIssuersUrls: guard(() => accessUrls(OID.adCaIssuers)),
    crlUrls: guard(() => {
      const v = ext(OID.crlDistributionPoints)?.parsedValue as pkijs.CRLDistributionPoints | undefined;
      if (!v) return [];
      const out: string[] = [];
      for (const dp of v.distributionPoints) {
        const names = dp.distributionPoint;
        if (!Array.isArray(names)) continue;
        for (const n of names) if (n.type === 6) out.push(String(n.value));
      }
      return out;
    }),
    ocspNoCheck: Boolean(ext(OID.ocspNoCheck)),
  };
}

function newCertFacts(der: Uint8Array) {
  const c = new ChainCert(der);
  const guard = <T>(f: () => T): T | 'THROWS' => {
    try {
      return f();
    } catch {
      return 'THROWS';
    }
  };
  const ku = guard(() => c.keyUsage);
  return {
    subjectDer: c.subjectDer,
    issuerDer: c.issuerDer,
    serialHex: c.serialHex,
    version: c.version,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    spkiDer: c.spkiDer,
    tbs: c.tbs,
    signatureAlgorithm: c.signatureAlgorithm.algorithmId,
    signatureValue: c.signatureValue,
    subjectPublicKey: c.subjectPublicKey,
    subject: c.subject,
    issuer: c.issuer,
    basicConstraints: guard(() => c.basicConstraints),
    keyUsage: ku && ku !== 'THROWS' ? [ku.digitalSignature, ku.nonRepudiation, ku.keyEncipherment, ku.dataEncipherment, ku.keyAgreement, ku.keyCertSign, ku.cRLSign] : ku,
    extKeyUsage: guard(() => c.extKeyUsage),
    extKeyUsageCritical: c.extKeyUsageCritical,
    subjectKeyId: guard(() => c.subjectKeyId),
    authorityKeyId: guard(() => c.authorityKeyId),
    ocspUrls: guard(() => c.ocspUrls),
    caIssuersUrls: guard(() => c.caIssuersUrls),
    crlUrls: guard(() => c.crlUrls),
    ocspNoCheck: c.ocspNoCheck,
  };
}

async function sampleCerts(): Promise<{ name: string; der: Uint8Array }[]> {
  const out: { name: string; der: Uint8Array }[] = [];
  const add = async (name: string, file: string) => out.push({ name, der: await derOf(file) });
  await add('root', pki.root.certDer);
  await add('inter', pki.inter.certDer);
  await add('tsa', pki.tsa.certDer);
  await add('ocsp', pki.ocspSigner.certDer);
  await add('other-root', pki.other.root.certDer);
  for (const [name, leaf] of Object.entries(pki.leaves)) await add(name, leaf.certDer);
  const vn = path.join(ROOT, 'assets', 'trust', 'vn');
  for (const f of (await readdir(vn)).filter((x) => x.endsWith('.pem'))) {
    for (const der of pemToDerList(await readFile(path.join(vn, f), 'utf8'))) out.push({ name: f, der });
  }
  return out;
}

function compareCert(der: Uint8Array, label: string): 'both-ok' | 'both-fail' {
  const old = attempt(() => legacyCertFacts(der));
  const now = attempt(() => newCertFacts(der));
  expect(now.ok, `${label}: accepted by one reading only (pkijs ${old.ok ? 'accepts' : 'rejects'})`).toBe(old.ok);
  if (old.ok && now.ok) expect(norm(now.v), label).toEqual(norm(old.v));
  return old.ok ? 'both-ok' : 'both-fail';
}

describe('hand DER reading agrees with pkijs', () => {
  it('certificates: the test PKI and the bundled VN CAs are read by hand, with the facts pkijs gives', async () => {
    for (const { name, der } of await sampleCerts()) {
      expect(fastCertData(der), `${name} takes the hand path`).toBeDefined();
      expect(norm(fastCertData(der)), name).toEqual(norm(certDataViaPkijs(der)));
      compareCert(der, name);
    }
  });

  it('certificates: on mutations the hand path steps aside or agrees; ChainCert accepts, rejects and answers as the pkijs ChainCert did', async () => {
    const { random } = seededRandom();
    let fast = 0;
    const outcomes = { 'both-ok': 0, 'both-fail': 0 };
    for (const { name, der } of await sampleCerts()) {
      for (const [i, m] of mutations(der, random, 40 * ROUNDS).entries()) {
        const f = attempt(() => fastCertData(m));
        expect(f.ok, `${name} #${i}: the hand path never throws`).toBe(true);
        if (f.ok && f.v) {
          fast++;
          const p = attempt(() => certDataViaPkijs(m));
          expect(p.ok, `${name} #${i}: read by hand but pkijs rejects it`).toBe(true);
          if (p.ok) expect(norm(f.v), `${name} #${i}`).toEqual(norm(p.v));
        }
        outcomes[compareCert(m, `${name} #${i}`)]++;
      }
    }
    // the mutations reach both sides: some are still canonical (hand path), many are not
    expect(fast).toBeGreaterThan(50);
    expect(outcomes['both-fail']).toBeGreaterThan(50);
  }, 60_000 * ROUNDS);

  it('certificates: unusual but valid encodings (BER lengths, trailing bytes) take the pkijs path with the same result', async () => {
    const der = await derOf(pki.leaves['leader-rsa'].certDer);
    const trailing = Buffer.concat([der, Buffer.from([0])]);
    expect(fastCertData(trailing)).toBeUndefined();
    expect(compareCert(trailing, 'trailing byte')).toBe('both-ok');
    // the outer SEQUENCE's length in a non-minimal long form (0x83 00 len len)
    const len = der.length - 4;
    const ber = Buffer.concat([Buffer.from([0x30, 0x83, 0x00, len >> 8, len & 0xff]), der.subarray(4)]);
    expect(fastCertData(ber)).toBeUndefined();
    expect(compareCert(ber, 'non-minimal length')).toBe('both-ok');
    expect(compareCert(der.subarray(0, der.length - 1), 'truncated')).toBe('both-fail');
  });

  it('CRLs, OCSP responses, TSTInfos and SignerInfos: the hand path gives pkijs’ reading, on the originals and on mutations', async () => {
    const { random } = seededRandom();
    const dir = await tmp('kyso-der-');
    // OCSP answers from openssl: delegated responder, the CA itself (revoked), without certificates
    const ocsp = async (leaf: LeafName, signer: { cert: string; key: string }, extra: string[] = []) => {
      const cert = getChainCert(await derOf(pki.leaves[leaf].certDer));
      const issuer = getChainCert(await derOf(pki.inter.certDer));
      const req = path.join(dir, 'req.der');
      const resp = path.join(dir, `resp-${leaf}-${extra.length}.der`);
      await writeFile(req, buildOcspRequest(cert, issuer));
      await run('openssl', ['ocsp', '-index', pki.interIndex, '-CA', pki.inter.cert, '-rsigner', signer.cert, '-rkey', signer.key, '-reqin', req, '-respout', resp, '-ndays', '1', ...extra]);
      return new Uint8Array(await readFile(resp));
    };
    const ocsps = [await ocsp('leader-rsa', pki.ocspSigner), await ocsp('revoked-rsa', pki.inter), await ocsp('leader-rsa', pki.ocspSigner, ['-resp_no_certs', '-resp_key_id'])];
    const crls = [await derOf(pki.crlDer), await derOf(pki.rootCrlDer)];
    const data = content(2048);
    const cmss = [
      await cadesFor(pki, pki.leaves['leader-rsa'], data, { tsa: true }),
      await cadesFor(pki, pki.leaves['clerk-ec'], data),
      await opensslCms(pki.leaves['org-rsa'], pki.chainPem, data),
    ];
    const token = parseSignedData(cmss[0]!, 'cms').signerInfos[0]!.unsignedAttrs!.attributes.find((a) => a.type === OID.signatureTimeStampToken)!.values[0]!;
    const tst = eContentOctets(parseSignedData(token, 'token').eContent!);
    const signerInfos = [...cmss, token].flatMap((c) => signerInfoTlvs(c));

    const check = <T>(label: string, der: Uint8Array, fastFn: (d: Uint8Array) => T | undefined, slowFn: (d: Uint8Array) => T, mustBeFast: boolean) => {
      const f = attempt(() => fastFn(der));
      if (!f.ok) {
        // only an OCSP responder's status may stop the hand path, and pkijs must stop the same way
        expect(f.err, label).toBeInstanceOf(OcspStatusError);
        const s = attempt(() => slowFn(der));
        expect(!s.ok && s.err instanceof OcspStatusError && s.err.status === (f.err as OcspStatusError).status, label).toBe(true);
        return 0;
      }
      if (mustBeFast) expect(f.v, `${label} takes the hand path`).toBeDefined();
      if (f.v === undefined) return 0;
      const s = attempt(() => slowFn(der));
      expect(s.ok, `${label}: read by hand but pkijs rejects it`).toBe(true);
      if (s.ok) expect(norm(f.v), label).toEqual(norm(s.v));
      return 1;
    };
    const kinds: [string, Uint8Array[], (d: Uint8Array) => unknown, (d: Uint8Array) => unknown][] = [
      ['CRL', crls, fastCrl, crlViaPkijs],
      ['OCSP', ocsps, fastOcsp, basicOcspViaPkijs],
      ['TSTInfo', [tst], fastTstInfo, tstInfoViaPkijs],
      ['SignerInfo', signerInfos, fastSignerInfoOf, pkijsSignerInfoOf],
    ];
    for (const [kind, samples, fastFn, slowFn] of kinds) {
      let viaHand = 0;
      for (const [n, der] of samples.entries()) {
        check(`${kind} ${n}`, der, fastFn, slowFn, true);
        for (const [i, m] of mutations(der, random, 80 * ROUNDS).entries()) viaHand += check(`${kind} ${n} #${i}`, m, fastFn, slowFn, false);
      }
      expect(viaHand, `${kind}: mutations that stay canonical reach the hand path`).toBeGreaterThan(5);
    }
  }, 60_000 * ROUNDS);

  it('signed attribute values (contentType, messageDigest, signingTime, ESS, Adobe revocation archive) read as the asn1js-based code read them', async () => {
    const { random } = seededRandom();
    const data = content(1024);
    const cmss = [await cadesFor(pki, pki.leaves['leader-rsa'], data), await opensslCms(pki.leaves['org-rsa'], pki.chainPem, data, ['-cades']), await opensslCms(pki.leaves['clerk-ec'], pki.chainPem, data)];
    const values: Record<string, Uint8Array[]> = {};
    for (const cms of cmss) {
      for (const si of signerInfoTlvs(cms)) {
        for (const a of fastSignerInfoOf(si)!.signedAttrs!.attributes) (values[a.type] ??= []).push(...a.values);
      }
    }
    values.archive = [seq(explicit(0, seq(await derOf(pki.crlDer))), explicit(1, seq(await derOf(pki.rootCrlDer))))];
    for (const oid of [OID.contentType, OID.messageDigest, OID.signingTime, OID.signingCertificateV2, 'archive']) expect(values[oid]?.length, oid).toBeGreaterThan(0);
    const signer = getChainCert(await derOf(pki.leaves['leader-rsa'].certDer));
    const other = getChainCert(await derOf(pki.leaves['org-rsa'].certDer));
    const ess = (raw: Uint8Array, isV2: boolean, f: typeof checkEssValue) =>
      [signer, other, undefined].map((c) => {
        const problems: Problem[] = [];
        f(raw, isV2, c, problems);
        return problems;
      });
    const readers: [string, (raw: Uint8Array) => unknown, (raw: Uint8Array) => unknown][] = [
      [OID.contentType, contentTypeOf, (raw) => { const v = asn1js.fromBER(raw).result; return v instanceof asn1js.ObjectIdentifier ? v.valueBlock.toString() : ''; }],
      [OID.messageDigest, messageDigestOf, (raw) => { const v = asn1js.fromBER(raw).result; return v instanceof asn1js.OctetString ? v.valueBlock.valueHexView : undefined; }],
      [OID.signingTime, signingTimeOf, (raw) => asnTimeToDate(asn1js.fromBER(raw).result)],
      [OID.signingCertificateV2, (raw) => ess(raw, true, checkEssValue), (raw) => ess(raw, true, legacyEss)],
      [OID.signingCertificate, (raw) => ess(raw, false, checkEssValue), (raw) => ess(raw, false, legacyEss)],
      ['archive', parseRevocationInfoArchival, (raw) => legacyArchive(asn1js.fromBER(raw).result)],
    ];
    for (const [oid, now, old] of readers) {
      const samples = oid === OID.signingCertificate ? values[OID.signingCertificateV2]! : values[oid]!;
      for (const raw of samples) {
        for (const [i, m] of [raw, ...mutations(raw, random, 60 * ROUNDS)].entries()) {
          const a = attempt(() => now(m));
          const b = attempt(() => old(m));
          expect(a.ok, `${oid} #${i}: throws in one reading only`).toBe(b.ok);
          if (a.ok && b.ok) expect(norm(a.v), `${oid} #${i}`).toEqual(norm(b.v));
        }
      }
    }
  }, 60_000 * ROUNDS);

  it('the OCSP request built by hand is byte for byte the one pkijs built', async () => {
    const cert = getChainCert(await derOf(pki.leaves['leader-rsa'].certDer));
    const issuer = getChainCert(await derOf(pki.inter.certDer));
    const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    const certId = new pkijs.CertID({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha1, algorithmParams: new asn1js.Null() }),
      issuerNameHash: new asn1js.OctetString({ valueHex: ab(new Uint8Array(await import('node:crypto').then((c) => c.createHash('sha1').update(cert.issuerDer).digest()))) }),
      issuerKeyHash: new asn1js.OctetString({ valueHex: ab(issuer.keyHash('sha1')) }),
      serialNumber: new asn1js.Integer({ valueHex: ab(cert.serialBytes) }),
    });
    const req = new pkijs.OCSPRequest();
    req.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
    expect(toHex(buildOcspRequest(cert, issuer))).toBe(toHex(new Uint8Array(req.toSchema(true).toBER(false))));
  });
});

/** The SignerInfo TLVs of a ContentInfo(SignedData), each as its own buffer. */
function signerInfoTlvs(cms: Uint8Array): Uint8Array[] {
  const [, wrap] = children(cms, readRoot(cms));
  const parts = children(cms, children(cms, wrap!)[0]!);
  const set = parts[parts.length - 1]!;
  return children(cms, set).map((s) => cms.slice(s.start, s.end));
}

/** As parseSignerInfo calls it: anything the hand reader cannot split goes to pkijs. */
function fastSignerInfoOf(der: Uint8Array): CmsSignerInfo | undefined {
  const r = attempt(() => fastSignerInfo(der, readRoot(der)));
  return r.ok ? r.v : undefined;
}

function pkijsSignerInfoOf(der: Uint8Array): CmsSignerInfo {
  return fromPkijsSignerInfo(new pkijs.SignerInfo({ schema: parseDer(der, 'SignerInfo') }));
}

/** The asn1js-based ESS check the verifier had before (verify-signer-info.ts), as the reference. */
function legacyEss(raw: Uint8Array, isV2: boolean, cert: ChainCert | undefined, problems: Problem[]): void {
  try {
    const seqv = asn1js.fromBER(raw).result as asn1js.Sequence;
    const certIds = (seqv.valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const first = certIds[0] as asn1js.Sequence | undefined;
    if (!first) {
      problems.push(problem('ESS_EMPTY'));
      return;
    }
    const parts = first.valueBlock.value;
    let idx = 0;
    let hashAlg = isV2 ? 'sha256' : 'sha1';
    if (isV2 && parts[0] instanceof asn1js.Sequence) {
      hashAlg = digestNameForOid(new pkijs.AlgorithmIdentifier({ schema: parts[0] }).algorithmId);
      idx = 1;
    }
    const certHash = (parts[idx] as asn1js.OctetString).valueBlock.valueHexView;
    if (!cert) return;
    if (!isSupportedDigest(hashAlg)) {
      problems.push(problem('ESS_HASH_UNSUPPORTED', { alg: hashAlg }));
      return;
    }
    if (!bytesEqual(certHash, hashBytes(hashAlg, cert.der))) {
      problems.push(problem('ESS_CERT_MISMATCH'));
      return;
    }
    const issuerSerial = parts[idx + 1] as asn1js.Sequence | undefined;
    if (issuerSerial instanceof asn1js.Sequence) {
      const serialAsn = issuerSerial.valueBlock.value[1];
      if (serialAsn instanceof asn1js.Integer && normSerial(toHex(serialAsn.valueBlock.valueHexView)) !== cert.serialHex) problems.push(problem('ESS_SERIAL_MISMATCH'));
    }
  } catch (e) {
    problems.push(problem('ESS_MALFORMED', { detail: errorText(e) }));
  }
}

/** The asn1js-based reading of Adobe's RevocationInfoArchival the verifier had before (verify-cms.ts). */
function legacyArchive(v: asn1js.AsnType): { crls: Uint8Array[]; ocsps: Uint8Array[] } {
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  if (!(v instanceof asn1js.Sequence)) return { crls, ocsps };
  for (const tagged of v.valueBlock.value) {
    if (tagged.idBlock.tagClass !== 3 || !(tagged instanceof asn1js.Constructed)) continue;
    const inner = tagged.valueBlock.value[0];
    if (!(inner instanceof asn1js.Sequence)) continue;
    for (const item of inner.valueBlock.value) {
      if (tagged.idBlock.tagNumber === 0) crls.push(rawBytes(item));
      else if (tagged.idBlock.tagNumber === 1) ocsps.push(rawBytes(item));
    }
  }
  return { crls, ocsps };
}
