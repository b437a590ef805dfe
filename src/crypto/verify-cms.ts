/**
 * The cryptographic check of one PDF signature's CMS: parse, find the signer, check signed attributes,
 * the signature value and an embedded signature timestamp; collect certificates and revocation data for
 * chain validation. Never throws on bad input: a CMS that cannot be parsed gives `parsed: false`.
 */
import type * as asn1js from 'asn1js';
import { problem, type Problem } from '../core/problem.js';
import { asn1 } from './asn1-lazy.js';
import { TAG, children, strictRoot } from './der.js';
import { parseSignedData, verifyTimestampToken, type TimestampCheck } from './timestamp-verify.js';
import { asnValue, attributeRaw, attributeValues, checkSignerInfo } from './verify-signer-info.js';
import { parseCerts } from './chain-cert.js';
import { rsaDigestInfo } from './verify-signature.js';
import { OID, bytesEqual, errorText, hashBytes, isSupportedDigest, isWeakDigest, parseDer, rawBytes, trimDer } from './verify-util.js';

export type { TimestampCheck } from './timestamp-verify.js';

export interface CmsCheck {
  parsed: boolean;
  /** Why the CMS could not be checked at all (parsed false, or no SignerInfo). */
  error?: Problem;
  digestAlgorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512' | string;
  weakDigest: boolean;
  messageDigestMatches: boolean;
  signatureValid: boolean;
  /** Why signatureValid is false, when known. */
  signatureError?: string;
  /** 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa' */
  signatureAlgorithm?: string;
  /** The signature algorithm is not supported (INDETERMINATE, never "forged"). */
  signatureUnsupported?: boolean;
  /** The signed digest cannot be known (adbe.x509.rsa_sha1 whose signature does not decrypt): no HASH_FAILURE. */
  digestUnknown?: boolean;
  /** Signed attributes not in DER: a warning. */
  signedAttrsNotDer?: string;
  attributesConsistent: boolean;
  attributeProblems: Problem[];
  /** Not failures: e.g. no signed attributes, several SignerInfos, unparseable extra certificates. */
  notes: Problem[];
  signerCert?: Uint8Array;
  embeddedCerts: Uint8Array[];
  embeddedCrls: Uint8Array[];
  embeddedOcsps: Uint8Array[];
  /** signingTime signed attribute, if any: claimed by the signer, proves nothing. */
  claimedSigningTime?: Date;
  /** ESS signingCertificate(V2) present: required for PAdES (ETSI.CAdES.detached). */
  hasSigningCertificateAttr: boolean;
  timestamp?: TimestampCheck;
  /** What the CMS looks like: 'ETSI.CAdES.detached' (ESS attribute, no signingTime) or 'adbe.pkcs7.detached'. */
  subFilterHint?: string;
}

function emptyCheck(error: Problem): CmsCheck {
  return {
    parsed: false,
    error,
    digestAlgorithm: 'unknown',
    weakDigest: false,
    messageDigestMatches: false,
    signatureValid: false,
    attributesConsistent: false,
    attributeProblems: [],
    notes: [],
    embeddedCerts: [],
    embeddedCrls: [],
    embeddedOcsps: [],
    hasSigningCertificateAttr: false,
  };
}

/**
 * `contentDigestFor(alg)` returns the digest of the signed content (the PDF ByteRange) with `alg`
 * ('sha256', …), so the caller hashes the file only with the algorithm the CMS names.
 */
export async function checkCms(
  cmsDer: Uint8Array,
  contentDigestFor: (alg: string) => Promise<Uint8Array>,
  o: { sha1Content?: boolean } = {},
): Promise<CmsCheck> {
  let parsed;
  try {
    if (cmsDer.length === 0 || cmsDer.every((b) => b === 0)) return emptyCheck(problem('CMS_EMPTY'));
    parsed = parseSignedData(cmsDer, 'signature');
  } catch (e) {
    return emptyCheck(problem('CMS_UNPARSEABLE', { detail: errorText(e) }));
  }
  const sd = parsed;
  const res = emptyCheck(problem('CMS_EMPTY'));
  delete res.error;
  res.parsed = true;
  res.embeddedCerts = parsed.certDers;
  res.embeddedCrls = [...parsed.crls];
  res.embeddedOcsps = [...parsed.ocsps];
  res.notes.push(...parsed.problems);
  if (sd.signerInfos.length === 0) {
    res.error = problem('CMS_NO_SIGNER');
    return res;
  }
  if (sd.signerInfos.length > 1) res.notes.push(problem('CMS_SEVERAL_SIGNERS', { count: sd.signerInfos.length }));
  // adbe.pkcs7.sha1: the CMS encapsulates the SHA-1 digest of the ranges and signs that digest (as content).
  let signedContent: Uint8Array | undefined;
  let sha1Ok = true;
  if (o.sha1Content) {
    signedContent = sd.eContent ? signedOctets(sd.eContent) : undefined;
    sha1Ok = signedContent !== undefined && bytesEqual(signedContent, await contentDigestFor('sha1'));
    if (!sha1Ok) res.attributeProblems.push(problem('CMS_SHA1_CONTENT_MISMATCH'));
  } else if (sd.eContent) res.attributeProblems.push(problem('CMS_NOT_DETACHED'));
  if (sd.eContentType !== OID.data) res.attributeProblems.push(problem('CMS_CONTENT_TYPE', { found: sd.eContentType, expected: 'id-data' }));
  const si = sd.signerInfos[0]!;
  let sic;
  try {
    const digestFor = signedContent ? async (alg: string) => hashBytes(alg, signedContent) : contentDigestFor;
    sic = await checkSignerInfo(si, parsed.certs, { expectedContentType: OID.data, contentDigestFor: digestFor });
  } catch (e) {
    res.error = problem('CMS_SIGNER_UNCHECKABLE', { detail: errorText(e) });
    return res;
  }
  res.digestAlgorithm = sic.digestAlgorithm;
  res.weakDigest = isWeakDigest(sic.digestAlgorithm);
  res.messageDigestMatches = sic.messageDigestMatches && sha1Ok;
  if (o.sha1Content) {
    // The SHA-1 mismatch is an integrity failure (HASH_FAILURE), not an attribute problem.
    res.attributeProblems = res.attributeProblems.filter((p) => p.code !== 'CMS_SHA1_CONTENT_MISMATCH');
  }
  res.signatureValid = sic.signatureValid;
  res.signatureError = sic.signatureError;
  res.signatureAlgorithm = sic.signatureKind;
  res.signatureUnsupported = sic.signatureUnsupported;
  res.signedAttrsNotDer = sic.signedAttrsNotDer;
  res.attributeProblems.push(...sic.attributeProblems);
  res.attributesConsistent = res.attributeProblems.length === 0;
  res.notes.push(...sic.notes);
  res.signerCert = sic.signerCert?.der;
  res.claimedSigningTime = sic.claimedSigningTime;
  res.hasSigningCertificateAttr = sic.hasSigningCertificateAttr;
  res.subFilterHint = sic.hasSigningCertificateAttr && !sic.claimedSigningTime ? 'ETSI.CAdES.detached' : 'adbe.pkcs7.detached';

  // Adobe's revocation archive (signed attribute, used by adbe.pkcs7.detached LTV signatures).
  try {
    for (const raw of attributeValues(si.signedAttrs, OID.adbeRevocationInfoArchival).flat()) {
      const { crls, ocsps } = parseRevocationInfoArchival(raw);
      res.embeddedCrls.push(...crls);
      res.embeddedOcsps.push(...ocsps);
    }
  } catch (e) {
    res.notes.push(problem('REVOCATION_ARCHIVE_UNREADABLE', { detail: errorText(e) }));
  }

  // Signature timestamp (B-T): imprint = hash of the SignerInfo signature value.
  const tokens = attributeRaw(si.unsignedAttrs, OID.signatureTimeStampToken);
  if (tokens.length > 1) res.notes.push(problem('SEVERAL_SIGNATURE_TIMESTAMPS', { count: tokens.length }));
  if (tokens[0]) {
    const sigValue = si.signature;
    res.timestamp = await verifyTimestampToken(tokens[0], async (alg) => hashBytes(alg, sigValue));
  }
  return res;
}

/** RevocationInfoArchival ::= SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRL, ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse, … }. */
export function parseRevocationInfoArchival(raw: Uint8Array): { crls: Uint8Array[]; ocsps: Uint8Array[] } {
  const t = strictRoot(raw);
  if (!t) return parseRevocationInfoArchivalAsn(asnValue(raw));
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  if (t.cls !== 0 || t.tag !== TAG.sequence || !t.constructed) return { crls, ocsps };
  for (const tagged of children(raw, t)) {
    if (tagged.cls !== 2 || !tagged.constructed) continue;
    const inner = children(raw, tagged)[0];
    if (!inner || inner.cls !== 0 || inner.tag !== TAG.sequence || !inner.constructed) continue;
    for (const item of children(raw, inner)) {
      if (tagged.tag === 0) crls.push(raw.slice(item.start, item.end));
      else if (tagged.tag === 1) ocsps.push(raw.slice(item.start, item.end));
    }
  }
  return { crls, ocsps };
}

/** The same, over asn1js' reading (BER). */
function parseRevocationInfoArchivalAsn(v: asn1js.AsnType): { crls: Uint8Array[]; ocsps: Uint8Array[] } {
  const asn1js = asn1();
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

/** Problems of a timestamp token that are integrity failures (HASH_FAILURE / SIG_CRYPTO_FAILURE), by code. */
const INTEGRITY_CODES = new Set(['TS_IMPRINT_MISMATCH', 'TS_IMPRINT_UNHASHABLE', 'TS_SIGNATURE_INVALID', 'TS_TSTINFO_DIGEST_MISMATCH']);

function octetsOf(v: asn1js.OctetString): Uint8Array {
  if (!v.idBlock.isConstructed) return v.valueBlock.valueHexView;
  return Buffer.concat((v.valueBlock.value as asn1js.OctetString[]).map((p) => octetsOf(p)));
}

/** eContent of an adbe.pkcs7.sha1 signature: the OCTET STRING's content (pieces joined), or undefined when it is not one. */
function signedOctets(raw: Uint8Array): Uint8Array | undefined {
  const t = strictRoot(raw);
  if (t) return t.cls === 0 && t.tag === TAG.octetString && !t.constructed ? raw.subarray(t.valueStart, t.end) : undefined;
  const v = asnValue(raw);
  return v instanceof asn1().OctetString ? octetsOf(v) : undefined;
}

/**
 * A /SubFilter /ETSI.RFC3161 document timestamp: the CMS is a TimeStampToken whose imprint covers the
 * ByteRange. messageDigestMatches = the imprint matches; signatureValid = the TSA signature verifies.
 */
export async function checkDocumentTimestamp(
  tstDer: Uint8Array,
  contentDigestFor: (alg: string) => Promise<Uint8Array>,
): Promise<CmsCheck & { time?: Date }> {
  if (tstDer.length === 0 || tstDer.every((b) => b === 0)) return emptyCheck(problem('CMS_EMPTY'));
  let parsed;
  try {
    parsed = parseSignedData(tstDer, 'document timestamp');
  } catch (e) {
    return emptyCheck(problem('CMS_UNPARSEABLE', { detail: errorText(e) }));
  }
  const ts = await verifyTimestampToken(tstDer, contentDigestFor);
  const res: CmsCheck & { time?: Date } = {
    parsed: true,
    digestAlgorithm: ts.imprintAlgorithm ?? 'unknown',
    weakDigest: isWeakDigest(ts.imprintAlgorithm ?? ''),
    messageDigestMatches: ts.imprintMatches,
    signatureValid: ts.signatureValid,
    attributesConsistent: ts.problems.filter((p) => !INTEGRITY_CODES.has(p.code)).length === 0,
    attributeProblems: ts.problems.filter((p) => !INTEGRITY_CODES.has(p.code)),
    notes: [],
    signerCert: ts.tsaCert,
    embeddedCerts: parsed.certDers,
    embeddedCrls: ts.crls,
    embeddedOcsps: ts.ocsps,
    hasSigningCertificateAttr: true,
    timestamp: ts,
    time: ts.time,
    subFilterHint: 'ETSI.RFC3161',
  };
  if (parsed.eContentType !== OID.tstInfo) res.error = problem('TS_NOT_TSTINFO', { found: parsed.eContentType });
  return res;
}

/**
 * /SubFilter /adbe.x509.rsa_sha1 (legacy, ISO 32000-1 §12.8.3.2): /Contents is a DER OCTET STRING holding
 * an RSA PKCS#1 v1.5 signature over the digest of the ranges (DigestInfo, SHA-1 by the name, other hashes
 * seen in the wild), and the certificates are in the /Cert entry, the signer's first.
 */
export async function checkX509RsaSha1(
  contents: Uint8Array,
  certs: Uint8Array[],
  contentDigestFor: (alg: string) => Promise<Uint8Array>,
): Promise<CmsCheck> {
  if (contents.length === 0 || contents.every((b) => b === 0)) return emptyCheck(problem('CMS_EMPTY'));
  const res = emptyCheck(problem('CMS_EMPTY'));
  delete res.error;
  let sig: Uint8Array;
  try {
    const v = parseDer(trimDer(contents), 'adbe.x509.rsa_sha1 signature');
    if (!(v instanceof asn1().OctetString)) throw new Error('not an OCTET STRING');
    sig = octetsOf(v);
  } catch (e) {
    return emptyCheck(problem('CMS_UNPARSEABLE', { detail: errorText(e) }));
  }
  res.parsed = true;
  const parsedCerts = parseCerts(certs, res.notes);
  res.embeddedCerts = parsedCerts.map((c) => c.der);
  const signer = parsedCerts[0];
  res.notes.push(problem('NO_SIGNED_ATTRIBUTES'));
  if (!signer) {
    res.attributeProblems.push(problem('X509_RSA_SHA1_NO_CERT'));
    return res;
  }
  res.signerCert = signer.der;
  res.hasSigningCertificateAttr = true; // nothing to bind: the PKCS#1 signature is all there is
  res.attributesConsistent = true;
  res.subFilterHint = 'adbe.x509.rsa_sha1';
  if (signer.publicKey.asymmetricKeyType !== 'rsa') {
    res.signatureUnsupported = true;
    res.digestUnknown = true;
    res.signatureError = `adbe.x509.rsa_sha1 with a ${signer.publicKey.asymmetricKeyType} key`;
    return res;
  }
  const info = rsaDigestInfo(signer.publicKey, sig);
  res.signatureAlgorithm = 'rsa-pkcs1';
  if (!info) {
    res.signatureError = 'signature does not verify';
    res.digestUnknown = true;
    res.digestAlgorithm = 'sha1';
    res.weakDigest = true;
    return res;
  }
  res.digestAlgorithm = info.alg;
  res.weakDigest = isWeakDigest(info.alg);
  if (!isSupportedDigest(info.alg)) {
    res.signatureUnsupported = true;
    res.digestUnknown = true;
    res.signatureError = `unsupported digest ${info.alg}`;
    return res;
  }
  res.signatureValid = true;
  res.messageDigestMatches = bytesEqual(info.digest, await contentDigestFor(info.alg));
  return res;
}
