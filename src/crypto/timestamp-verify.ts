/**
 * Verifies an RFC 3161 TimeStampToken: its CMS signature by the TSA, the TSTInfo message imprint against
 * the data it should cover (a CMS signature value, or a PDF ByteRange for document timestamps), and the
 * TSA certificate's extended key usage. Trust in the TSA (its chain to an anchor, revocation) is decided
 * by validateCertificate(..., purpose 'timestamping'): see validateTimestampTrust below.
 */
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { problem, type Problem } from '../core/problem.js';
import { asn1, pki } from './asn1-lazy.js';
import type { ChainResult, ValidateOptions } from './chain-builder.js';
import { validateCertificate } from './chain-builder.js';
import { isPlainName } from './cert-data.js';
import { parseCerts, type ChainCert } from './chain-cert.js';
import { TAG, asnTimeOf, decodeOid, strictRoot } from './der.js';
import { asnValue, checkSignerInfo } from './verify-signer-info.js';
import { fromPkijsSignerInfo, parseSignerInfo, type CmsSignerInfo } from './cms-signer-info.js';
import { OID, asnTimeToDate, bytesEqual, digestNameForOid, errorText, hashBytes, isSupportedDigest, oidText, parseDer, rawBytes, readAlgId, readTlv, children, toHex, trimDer, type Tlv } from './verify-util.js';

export interface TimestampCheck {
  valid: boolean;
  time?: Date;
  tsaCert?: Uint8Array;
  problems: Problem[];
  /** Set by validateTimestampTrust (or by the caller) once the TSA chain is validated. */
  chain?: ChainResult;
  /** Hash algorithm of the message imprint. */
  imprintAlgorithm?: string;
  imprintMatches: boolean;
  /** The TSA's signature over the TSTInfo verifies. */
  signatureValid: boolean;
  serialNumber?: string;
  policy?: string;
  tsaSubject?: string;
  /** Certificates, CRLs and OCSP responses carried in the token (for the TSA chain). */
  certs: Uint8Array[];
  crls: Uint8Array[];
  ocsps: Uint8Array[];
}

export interface ParsedSignedData {
  signerInfos: CmsSignerInfo[];
  eContentType: string;
  /** the encoding of the eContent value (an OCTET STRING, BER pieces possible from the asn1js path) */
  eContent?: Uint8Array;
  certs: ChainCert[];
  certDers: Uint8Array[];
  crls: Uint8Array[];
  ocsps: Uint8Array[];
  problems: Problem[];
}

function fail(what: string, why: string): never {
  throw new Error(`${what}: ${why}`);
}

/**
 * ContentInfo(SignedData) → parsed parts; throws Error when it is not a SignedData.
 * Walks the structure by hand instead of pkijs' SignedData schema: the schema match re-parses every
 * embedded certificate and cost ~20 ms per signature; certificates are parsed once per process
 * (getChainCert caches by SHA-256) and only the SignerInfos go through pkijs.
 */
export function parseSignedData(der: Uint8Array, what: string): ParsedSignedData {
  try {
    return parseSignedDataFast(trimDer(der), what);
  } catch (e) {
    if (!(e instanceof IndefiniteLength)) throw e;
  }
  return parseSignedDataAsn1(der, what);
}

class IndefiniteLength extends Error {}

/** DER path: split with readTlv, parse only the SignerInfos (and eContent) with asn1js/pkijs. */
function parseSignedDataFast(buf: Uint8Array, what: string): ParsedSignedData {
  const tlv = (off: number, limit?: number) => {
    try {
      return readTlv(buf, off, limit);
    } catch (e) {
      if (/indefinite/.test(errorText(e))) throw new IndefiniteLength();
      return fail(what, `not valid DER (${errorText(e)})`);
    }
  };
  const kids = (t: Tlv) => {
    try {
      return children(buf, t);
    } catch (e) {
      if (/indefinite/.test(errorText(e))) throw new IndefiniteLength();
      return fail(what, `not valid DER (${errorText(e)})`);
    }
  };
  const ci = tlv(0);
  if (ci.cls !== 0 || ci.tag !== 16) fail(what, 'not a CMS ContentInfo');
  const [ctOid, wrapped] = kids(ci);
  if (!ctOid || ctOid.cls !== 0 || ctOid.tag !== 6) fail(what, 'not a CMS ContentInfo');
  const ct = oidOf(buf, ctOid);
  if (ct !== OID.signedData) fail(what, `not a CMS SignedData (content type ${ct})`);
  if (!wrapped || wrapped.cls !== 2 || wrapped.tag !== 0) fail(what, 'the SignedData is missing');
  const [sd] = kids(wrapped);
  if (!sd || sd.cls !== 0 || sd.tag !== 16) fail(what, 'the SignedData is missing');
  const parts = kids(sd);
  let i = 0;
  if (parts[i]?.tag !== 2 || parts[i++]!.cls !== 0) fail(what, 'SignedData without a version');
  if (parts[i]?.tag !== 17 || parts[i++]!.cls !== 0) fail(what, 'SignedData without digestAlgorithms');
  const eci = parts[i++];
  if (!eci || eci.tag !== 16) fail(what, 'SignedData without encapContentInfo');
  const eciKids = kids(eci);
  if (!eciKids[0] || eciKids[0].tag !== 6) fail(what, 'SignedData without encapContentInfo');
  const eContentType = oidOf(buf, eciKids[0]);
  let eContent: Uint8Array | undefined;
  if (eciKids[1] && eciKids[1].cls === 2) {
    const inner = kids(eciKids[1])[0];
    if (inner) {
      eContent = buf.slice(inner.start, inner.end);
      if (!strictRoot(eContent)) parseDer(eContent, 'eContent'); // throws as before when asn1js cannot read it
    }
  }
  const problems: Problem[] = [];
  const rawCerts: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  let signerInfos: Tlv | undefined;
  for (; i < parts.length; i++) {
    const el = parts[i]!;
    if (el.cls === 2 && el.tag === 0 && el.constructed) {
      for (const c of kids(el)) if (c.cls === 0 && c.tag === 16) rawCerts.push(buf.slice(c.start, c.end));
    } else if (el.cls === 2 && el.tag === 1 && el.constructed) {
      for (const r of kids(el)) {
        if (r.cls === 0 && r.tag === 16) crls.push(buf.slice(r.start, r.end));
        else if (r.cls === 2 && r.tag === 1 && r.constructed) {
          const [fmt, info] = kids(r);
          if (fmt && fmt.tag === 6 && info && oidOf(buf, fmt) === OID.riOcspResponse) ocsps.push(buf.slice(info.start, info.end));
        }
      }
    } else if (el.cls === 0 && el.tag === 17) signerInfos = el;
  }
  if (!signerInfos) fail(what, 'SignedData without signerInfos');
  const infos: CmsSignerInfo[] = [];
  for (const s of kids(signerInfos)) {
    try {
      infos.push(parseSignerInfo(buf, s));
    } catch (e) {
      fail(what, `a SignerInfo cannot be parsed (${errorText(e)})`);
    }
  }
  const certs = parseCerts(rawCerts, problems);
  return { signerInfos: infos, eContentType, eContent, certs, certDers: certs.map((c) => c.der), crls, ocsps, problems };
}

function oidOf(buf: Uint8Array, t: Tlv): string {
  if (t.cls === 0 && t.tag === 6 && !t.constructed) {
    const fast = decodeOid(buf, t);
    if (fast) return fast;
  }
  return (parseDer(buf.subarray(t.start, t.end), 'OID') as asn1js.ObjectIdentifier).valueBlock.toString();
}

/** BER path (indefinite lengths, as some old signers write): asn1js all the way (loaded only then). */
function parseSignedDataAsn1(der: Uint8Array, what: string): ParsedSignedData {
  const asn1js = asn1();
  const pkijs = pki();
  return parseSignedDataAsn1Body(asn1js, pkijs, der, what);
}


function parseSignedDataAsn1Body(asn1js: typeof import('asn1js'), pkijs: typeof import('pkijs'), der: Uint8Array, what: string): ParsedSignedData {
  const ci = parseDer(trimDer(der), what);
  if (!(ci instanceof asn1js.Sequence) || ci.valueBlock.value.length < 2) fail(what, 'not a CMS ContentInfo');
  const [ctOid, wrapped] = ci.valueBlock.value;
  if (!(ctOid instanceof asn1js.ObjectIdentifier)) fail(what, 'not a CMS ContentInfo');
  const ct = ctOid.valueBlock.toString();
  if (ct !== OID.signedData) fail(what, `not a CMS SignedData (content type ${ct})`);
  const sd = wrapped instanceof asn1js.Constructed && wrapped.idBlock.tagClass === 3 && wrapped.idBlock.tagNumber === 0 ? wrapped.valueBlock.value[0] : undefined;
  if (!(sd instanceof asn1js.Sequence)) fail(what, 'the SignedData is missing');
  const parts = sd.valueBlock.value;
  let i = 0;
  if (!(parts[i++] instanceof asn1js.Integer)) fail(what, 'SignedData without a version');
  if (!(parts[i++] instanceof asn1js.Set)) fail(what, 'SignedData without digestAlgorithms');
  const eci = parts[i++];
  if (!(eci instanceof asn1js.Sequence) || !(eci.valueBlock.value[0] instanceof asn1js.ObjectIdentifier)) fail(what, 'SignedData without encapContentInfo');
  const eContentType = (eci.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString();
  const ecWrap = eci.valueBlock.value[1];
  const eContentAsn = ecWrap instanceof asn1js.Constructed && ecWrap.idBlock.tagClass === 3 ? ecWrap.valueBlock.value[0] : undefined;
  const eContent = eContentAsn ? rawBytes(eContentAsn) : undefined;
  const problems: Problem[] = [];
  const rawCerts: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  let signerInfosAsn: asn1js.AsnType | undefined;
  for (; i < parts.length; i++) {
    const el = parts[i]!;
    if (el.idBlock.tagClass === 3 && el.idBlock.tagNumber === 0 && el instanceof asn1js.Constructed) {
      for (const c of el.valueBlock.value) if (c instanceof asn1js.Sequence) rawCerts.push(rawBytes(c)); // other choices (attribute certs) ignored
    } else if (el.idBlock.tagClass === 3 && el.idBlock.tagNumber === 1 && el instanceof asn1js.Constructed) {
      for (const r of el.valueBlock.value) {
        if (r instanceof asn1js.Sequence) crls.push(rawBytes(r));
        else if (r.idBlock.tagClass === 3 && r.idBlock.tagNumber === 1 && r instanceof asn1js.Constructed) {
          const [fmt, info] = r.valueBlock.value;
          if (fmt instanceof asn1js.ObjectIdentifier && fmt.valueBlock.toString() === OID.riOcspResponse && info) ocsps.push(rawBytes(info));
        }
      }
    } else if (el instanceof asn1js.Set) {
      signerInfosAsn = el;
    }
  }
  if (!(signerInfosAsn instanceof asn1js.Set)) fail(what, 'SignedData without signerInfos');
  const signerInfos: CmsSignerInfo[] = [];
  for (const s of signerInfosAsn.valueBlock.value) {
    try {
      signerInfos.push(fromPkijsSignerInfo(new pkijs.SignerInfo({ schema: s })));
    } catch (e) {
      fail(what, `a SignerInfo cannot be parsed (${errorText(e)})`);
    }
  }
  const certs = parseCerts(rawCerts, problems);
  return { signerInfos, eContentType, eContent, certs, certDers: certs.map((c) => c.der), crls, ocsps, problems };
}

/**
 * Verifies a TimeStampToken. `imprintFor(alg)` returns the digest the imprint must equal (for a signature
 * timestamp: hash of the signature value; for a document timestamp: hash of the ByteRange).
 */
export async function verifyTimestampToken(tokenDer: Uint8Array, imprintFor: (alg: string) => Promise<Uint8Array>): Promise<TimestampCheck> {
  const res: TimestampCheck = { valid: false, problems: [], imprintMatches: false, signatureValid: false, certs: [], crls: [], ocsps: [] };
  let parsed: ParsedSignedData;
  try {
    parsed = parseSignedData(tokenDer, 'timestamp token');
  } catch (e) {
    res.problems.push(problem('TS_UNPARSEABLE', { detail: errorText(e) }));
    return res;
  }
  res.certs = parsed.certDers;
  res.crls = parsed.crls;
  res.ocsps = parsed.ocsps;
  res.problems.push(...parsed.problems);
  const sd = parsed;
  if (sd.eContentType !== OID.tstInfo) {
    res.problems.push(problem('TS_NOT_TSTINFO', { found: sd.eContentType }));
    return res;
  }
  const eContent = sd.eContent;
  if (!eContent) {
    res.problems.push(problem('TS_NOT_TSTINFO', { found: 'none' }));
    return res;
  }
  // eContent may be a constructed OCTET STRING (BER): join its pieces.
  const tstDer = eContentOctets(eContent);
  let tst: TstFacts;
  try {
    tst = readTstInfo(tstDer);
  } catch (e) {
    res.problems.push(problem('TS_TSTINFO_UNPARSEABLE', { detail: errorText(e) }));
    return res;
  }
  res.time = tst.genTime;
  res.serialNumber = toHex(tst.serialNumber);
  res.policy = tst.policy;
  const alg = digestNameForOid(tst.hashAlgorithm);
  res.imprintAlgorithm = alg;
  if (!isSupportedDigest(alg)) res.problems.push(problem('TS_IMPRINT_UNSUPPORTED', { alg }));
  else {
    try {
      res.imprintMatches = bytesEqual(tst.hashedMessage, await imprintFor(alg));
      if (!res.imprintMatches) res.problems.push(problem('TS_IMPRINT_MISMATCH'));
    } catch (e) {
      res.problems.push(problem('TS_IMPRINT_UNHASHABLE', { detail: errorText(e) }));
    }
  }
  if (sd.signerInfos.length !== 1) res.problems.push(problem('TS_SIGNER_COUNT', { count: sd.signerInfos.length }));
  const si = sd.signerInfos[0];
  if (si) {
    const sic = await checkSignerInfo(si, parsed.certs, {
      expectedContentType: OID.tstInfo,
      contentDigestFor: async (a) => hashBytes(a, tstDer),
    });
    res.problems.push(...sic.attributeProblems);
    if (!sic.messageDigestMatches) res.problems.push(problem('TS_TSTINFO_DIGEST_MISMATCH'));
    if (!sic.signatureValid) res.problems.push(problem('TS_SIGNATURE_INVALID', { detail: sic.signatureError ?? '' }));
    res.signatureValid = sic.signatureValid && sic.messageDigestMatches;
    if (sic.signerCert) {
      res.tsaCert = sic.signerCert.der;
      res.tsaSubject = sic.signerCert.subject;
      const eku = sic.signerCert.extKeyUsage;
      if (!eku || !eku.includes(OID.kpTimeStamping)) res.problems.push(problem('TSA_NO_EKU'));
      if (res.time && !sic.signerCert.validAt(res.time)) res.problems.push(problem('TS_TSA_NOT_VALID_AT_TIME', { time: res.time.toISOString() }));
    }
    res.valid = res.signatureValid && res.imprintMatches && sic.attributesConsistent && res.problems.length === 0 && res.time !== undefined;
  }
  return res;
}

/** The content of the eContent OCTET STRING (its pieces joined when BER), or the value's encoding when it is something else. */
export function eContentOctets(raw: Uint8Array): Uint8Array {
  const t = strictRoot(raw);
  if (t) return t.cls === 0 && t.tag === TAG.octetString && !t.constructed ? raw.subarray(t.valueStart, t.end) : raw;
  return octets(asnValue(raw));
}

function octets(v: asn1js.AsnType): Uint8Array {
  if (v instanceof asn1().OctetString) {
    if (!v.idBlock.isConstructed) return v.valueBlock.valueHexView;
    const parts = (v.valueBlock.value as asn1js.OctetString[]).map((p) => octets(p));
    return Buffer.concat(parts);
  }
  return rawBytes(v);
}

/** What the verifier reads of a TSTInfo. */
export interface TstFacts {
  genTime: Date | undefined;
  serialNumber: Uint8Array;
  policy: string;
  hashAlgorithm: string;
  hashedMessage: Uint8Array;
}

/** A TSTInfo: by hand when canonical DER, else pkijs (throws as pkijs does). */
function readTstInfo(der: Uint8Array): TstFacts {
  return fastTstInfo(der) ?? tstInfoViaPkijs(der);
}

/** The pkijs reading (BER and unusual shapes). Exported for the differential test. */
export function tstInfoViaPkijs(der: Uint8Array): TstFacts {
  const tst: pkijs.TSTInfo = new (pki().TSTInfo)({ schema: parseDer(der, 'TSTInfo') });
  return {
    genTime: asnTimeToDate(tst.genTime),
    serialNumber: tst.serialNumber.valueBlock.valueHexView,
    policy: tst.policy,
    hashAlgorithm: tst.messageImprint.hashAlgorithm.algorithmId,
    hashedMessage: tst.messageImprint.hashedMessage.valueBlock.valueHexView,
  };
}

const ctxT = (t: Tlv | undefined, n: number): t is Tlv => t !== undefined && t.cls === 2 && t.tag === n;
const uniT = (t: Tlv | undefined, tag: number, constructed = false): t is Tlv => t !== undefined && t.cls === 0 && t.tag === tag && t.constructed === constructed;

/** TSTInfo (RFC 3161 §2.4.2) in its canonical shape; undefined: let pkijs read it. */
export function fastTstInfo(der: Uint8Array): TstFacts | undefined {
  const root = strictRoot(der);
  if (!uniT(root, TAG.sequence, true)) return undefined;
  const k = children(der, root);
  const [version, policy, imprint, serial, genTime] = k;
  if (!uniT(version, TAG.integer) || !uniT(policy, TAG.oid) || !uniT(imprint, TAG.sequence, true) || !uniT(serial, TAG.integer) || !uniT(genTime, TAG.generalizedTime)) return undefined;
  const mi = children(der, imprint);
  const hashAlg = readAlgId(der, mi[0]);
  if (mi.length !== 2 || !hashAlg || !uniT(mi[1], TAG.octetString)) return undefined;
  let i = 5;
  if (uniT(k[i], TAG.sequence, true)) {
    // accuracy { seconds INTEGER OPTIONAL, millis [0] OPTIONAL, micros [1] OPTIONAL }
    const acc = children(der, k[i]!);
    let j = 0;
    if (uniT(acc[j], TAG.integer)) j++;
    if (ctxT(acc[j], 0) && !acc[j]!.constructed) j++;
    if (ctxT(acc[j], 1) && !acc[j]!.constructed) j++;
    if (j !== acc.length) return undefined;
    i++;
  }
  if (uniT(k[i], TAG.boolean)) i++;
  if (uniT(k[i], TAG.integer)) i++;
  if (ctxT(k[i], 0)) {
    // tsa [0] GeneralName: a directoryName (what TSAs write) or a simple name
    const g = k[i]!.constructed ? children(der, k[i]!) : [];
    const n = g[0];
    const dirName = ctxT(n, 4) && n.constructed && children(der, n).length === 1 && isPlainName(der, children(der, n)[0]);
    const simple = n !== undefined && n.cls === 2 && !n.constructed && [1, 2, 6, 7].includes(n.tag);
    if (g.length !== 1 || !(dirName || simple)) return undefined;
    i++;
  }
  if (ctxT(k[i], 1)) {
    const exts = k[i]!.constructed ? children(der, k[i]!) : [];
    if (exts.length === 0) return undefined;
    for (const e of exts) {
      const p = uniT(e, TAG.sequence, true) ? children(der, e) : [];
      if (p.length < 2 || p.length > 3 || !uniT(p[0], TAG.oid) || !uniT(p[p.length - 1], TAG.octetString) || (p.length === 3 && !uniT(p[1], TAG.boolean))) return undefined;
    }
    i++;
  }
  if (i !== k.length) return undefined;
  return {
    genTime: asnTimeOf(der, genTime),
    serialNumber: der.slice(serial.valueStart, serial.end),
    policy: oidText(der, policy),
    hashAlgorithm: hashAlg.algorithmId,
    hashedMessage: der.slice(mi[1]!.valueStart, mi[1]!.end),
  };
}

/**
 * Validates the TSA certificate chain (purpose 'timestamping') and stores it in `ts.chain`; a token is
 * trustworthy when `ts.valid && ts.chain.status === 'trusted'`.
 *
 * EN 319 102-1 §5.6: a timestamp never proves its own time. The TSA chain is checked at the current time
 * (`validationTime`, default now); only a proof of existence of the token itself, from a later trusted
 * timestamp (`proofOfExistence`), lets an expired TSA certificate or one revoked after that proof pass.
 * Without it, an expired or revoked TSA key could back-date tokens at will.
 */
export async function validateTimestampTrust(
  ts: TimestampCheck,
  opts: Omit<ValidateOptions, 'purpose' | 'validationTime' | 'intermediates'> & { intermediates?: Uint8Array[]; validationTime?: Date },
): Promise<ChainResult | undefined> {
  if (!ts.tsaCert) return undefined;
  const chain = await validateCertificate(ts.tsaCert, {
    ...opts,
    intermediates: [...(opts.intermediates ?? []), ...ts.certs],
    validationTime: opts.validationTime ?? new Date(),
    proofOfExistence: opts.proofOfExistence,
    embeddedRevocation: {
      crls: [...opts.embeddedRevocation.crls, ...ts.crls],
      ocsps: [...opts.embeddedRevocation.ocsps, ...ts.ocsps],
    },
    purpose: 'timestamping',
  });
  ts.chain = chain;
  return chain;
}
