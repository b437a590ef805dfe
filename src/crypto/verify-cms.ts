/**
 * The cryptographic check of one PDF signature's CMS: parse, find the signer, check signed attributes,
 * the signature value and an embedded signature timestamp; collect certificates and revocation data for
 * chain validation. Never throws on bad input: a CMS that cannot be parsed gives `parsed: false`.
 */
import * as asn1js from 'asn1js';
import { parseSignedData, verifyTimestampToken, type TimestampCheck } from './timestamp-verify.js';
import { attributeRaw, attributeValues, checkSignerInfo } from './verify-signer-info.js';
import { OID, errorText, hashBytes, isWeakDigest, rawBytes } from './verify-util.js';

export type { TimestampCheck } from './timestamp-verify.js';

export interface CmsCheck {
  parsed: boolean;
  error?: string;
  digestAlgorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512' | string;
  weakDigest: boolean;
  messageDigestMatches: boolean;
  signatureValid: boolean;
  /** Why signatureValid is false, when known. */
  signatureError?: string;
  /** 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa' */
  signatureAlgorithm?: string;
  attributesConsistent: boolean;
  attributeProblems: string[];
  /** Not failures: e.g. no signed attributes, several SignerInfos, unparseable extra certificates. */
  notes: string[];
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

function emptyCheck(error: string): CmsCheck {
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
export async function checkCms(cmsDer: Uint8Array, contentDigestFor: (alg: string) => Promise<Uint8Array>): Promise<CmsCheck> {
  let parsed;
  try {
    if (cmsDer.length === 0) return emptyCheck('the signature value (/Contents) is empty');
    if (cmsDer.every((b) => b === 0)) return emptyCheck('the signature value (/Contents) is only zeros');
    parsed = parseSignedData(cmsDer, 'signature');
  } catch (e) {
    return emptyCheck(`the signature is not a CMS SignedData: ${errorText(e)}`);
  }
  const sd = parsed;
  const res = emptyCheck('');
  delete res.error;
  res.parsed = true;
  res.embeddedCerts = parsed.certDers;
  res.embeddedCrls = [...parsed.crls];
  res.embeddedOcsps = [...parsed.ocsps];
  res.notes.push(...parsed.problems);
  if (sd.signerInfos.length === 0) {
    res.error = 'the CMS has no SignerInfo';
    return res;
  }
  if (sd.signerInfos.length > 1) res.notes.push(`the CMS has ${sd.signerInfos.length} SignerInfos; only the first is checked`);
  if (sd.eContent) res.attributeProblems.push('the CMS is not detached (it carries its own content)');
  if (sd.eContentType !== OID.data) {
    res.attributeProblems.push(`the CMS content type is ${sd.eContentType}, expected id-data`);
  }
  const si = sd.signerInfos[0]!;
  let sic;
  try {
    sic = await checkSignerInfo(si, parsed.certs, { expectedContentType: OID.data, contentDigestFor });
  } catch (e) {
    res.error = `the SignerInfo cannot be checked: ${errorText(e)}`;
    return res;
  }
  res.digestAlgorithm = sic.digestAlgorithm;
  res.weakDigest = isWeakDigest(sic.digestAlgorithm);
  res.messageDigestMatches = sic.messageDigestMatches;
  res.signatureValid = sic.signatureValid;
  res.signatureError = sic.signatureError;
  res.signatureAlgorithm = sic.signatureKind;
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
    res.notes.push(`the adbe-revocationInfoArchival attribute cannot be read: ${errorText(e)}`);
  }

  // Signature timestamp (B-T): imprint = hash of the SignerInfo signature value.
  const tokens = attributeRaw(si.unsignedAttrs, OID.signatureTimeStampToken);
  if (tokens.length > 1) res.notes.push(`${tokens.length} signature timestamps; the first is used`);
  if (tokens[0]) {
    const sigValue = si.signature;
    res.timestamp = await verifyTimestampToken(tokens[0], async (alg) => hashBytes(alg, sigValue));
  }
  return res;
}

function parseRevocationInfoArchival(v: asn1js.AsnType): { crls: Uint8Array[]; ocsps: Uint8Array[] } {
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

/**
 * A /SubFilter /ETSI.RFC3161 document timestamp: the CMS is a TimeStampToken whose imprint covers the
 * ByteRange. messageDigestMatches = the imprint matches; signatureValid = the TSA signature verifies.
 */
export async function checkDocumentTimestamp(
  tstDer: Uint8Array,
  contentDigestFor: (alg: string) => Promise<Uint8Array>,
): Promise<CmsCheck & { time?: Date }> {
  if (tstDer.length === 0 || tstDer.every((b) => b === 0)) return emptyCheck('the document timestamp value (/Contents) is empty');
  let parsed;
  try {
    parsed = parseSignedData(tstDer, 'document timestamp');
  } catch (e) {
    return emptyCheck(`the document timestamp is not a CMS SignedData: ${errorText(e)}`);
  }
  const ts = await verifyTimestampToken(tstDer, contentDigestFor);
  const res: CmsCheck & { time?: Date } = {
    parsed: true,
    digestAlgorithm: ts.imprintAlgorithm ?? 'unknown',
    weakDigest: isWeakDigest(ts.imprintAlgorithm ?? ''),
    messageDigestMatches: ts.imprintMatches,
    signatureValid: ts.signatureValid,
    attributesConsistent: ts.problems.filter((p) => !/imprint|TSA signature|TSTInfo digest/.test(p)).length === 0,
    attributeProblems: ts.problems.filter((p) => !/imprint|TSA signature|TSTInfo digest/.test(p)),
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
  if (parsed.eContentType !== OID.tstInfo) res.error = 'the document timestamp does not contain a TSTInfo';
  return res;
}
