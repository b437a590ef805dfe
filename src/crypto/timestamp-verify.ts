/**
 * Verifies an RFC 3161 TimeStampToken: its CMS signature by the TSA, the TSTInfo message imprint against
 * the data it should cover (a CMS signature value, or a PDF ByteRange for document timestamps), and the
 * TSA certificate's extended key usage. Trust in the TSA (its chain to an anchor, revocation) is decided
 * by validateCertificate(..., purpose 'timestamping'): see validateTimestampTrust below.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ChainResult, ValidateOptions } from './chain-builder.js';
import { validateCertificate } from './chain-builder.js';
import { parseCerts, type ChainCert } from './chain-cert.js';
import { checkSignerInfo } from './verify-signer-info.js';
import { OID, asnTimeToDate, bytesEqual, digestNameForOid, errorText, hashBytes, isSupportedDigest, parseDer, rawBytes, toHex, trimDer, u8 } from './verify-util.js';

export interface TimestampCheck {
  valid: boolean;
  time?: Date;
  tsaCert?: Uint8Array;
  problems: string[];
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
  signedData: pkijs.SignedData;
  certs: ChainCert[];
  certDers: Uint8Array[];
  crls: Uint8Array[];
  ocsps: Uint8Array[];
  problems: string[];
}

/** ContentInfo(SignedData) → parsed parts; throws Error when it is not a SignedData. */
export function parseSignedData(der: Uint8Array, what: string): ParsedSignedData {
  const asn = parseDer(trimDer(der), what);
  const ci = new pkijs.ContentInfo({ schema: asn });
  if (ci.contentType !== OID.signedData) throw new Error(`${what}: not a CMS SignedData (content type ${ci.contentType})`);
  const sd = new pkijs.SignedData({ schema: ci.content });
  const problems: string[] = [];
  const certDers: Uint8Array[] = [];
  for (const c of sd.certificates ?? []) {
    if (c instanceof pkijs.Certificate) certDers.push(u8(c.toSchema().toBER(false)));
  }
  // Re-encoding is fine for certificates here: pkijs keeps tbsView but toSchema() rebuilds from the
  // parsed values; prefer the original bytes when asn1js kept them.
  const rawCertDers = rawCertificates(ci.content) ?? certDers;
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  if (sd.crls) {
    for (const r of sd.crls) {
      if (r instanceof pkijs.CertificateRevocationList) crls.push(u8(r.toSchema().toBER(false)));
      else if (r instanceof pkijs.OtherRevocationInfoFormat && r.otherRevInfoFormat === OID.riOcspResponse) {
        ocsps.push(rawBytes(r.otherRevInfo as asn1js.AsnType));
      }
    }
  }
  const certs = parseCerts(rawCertDers, problems);
  return { signedData: sd, certs, certDers: certs.map((c) => c.der), crls, ocsps, problems };
}

/** The certificates [0] IMPLICIT SET of a SignedData as their original bytes. */
function rawCertificates(sdAsn: asn1js.AsnType): Uint8Array[] | undefined {
  try {
    const seq = sdAsn as asn1js.Sequence;
    for (const el of seq.valueBlock.value) {
      if (el.idBlock.tagClass === 3 && el.idBlock.tagNumber === 0 && el instanceof asn1js.Constructed) {
        return el.valueBlock.value.filter((c) => c instanceof asn1js.Sequence).map((c) => rawBytes(c));
      }
    }
    return [];
  } catch {
    return undefined;
  }
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
    res.problems.push(errorText(e));
    return res;
  }
  res.certs = parsed.certDers;
  res.crls = parsed.crls;
  res.ocsps = parsed.ocsps;
  res.problems.push(...parsed.problems);
  const sd = parsed.signedData;
  if (sd.encapContentInfo.eContentType !== OID.tstInfo) {
    res.problems.push(`the token does not contain a TSTInfo (content type ${sd.encapContentInfo.eContentType})`);
    return res;
  }
  const eContent = sd.encapContentInfo.eContent;
  if (!eContent) {
    res.problems.push('the token has no TSTInfo content');
    return res;
  }
  // eContent may be a constructed OCTET STRING (BER): join its pieces.
  const tstDer = octets(eContent);
  let tst: pkijs.TSTInfo;
  try {
    tst = new pkijs.TSTInfo({ schema: parseDer(tstDer, 'TSTInfo') });
  } catch (e) {
    res.problems.push(`the TSTInfo cannot be parsed: ${errorText(e)}`);
    return res;
  }
  res.time = asnTimeToDate(tst.genTime);
  res.serialNumber = toHex(tst.serialNumber.valueBlock.valueHexView);
  res.policy = tst.policy;
  const alg = digestNameForOid(tst.messageImprint.hashAlgorithm.algorithmId);
  res.imprintAlgorithm = alg;
  if (!isSupportedDigest(alg)) res.problems.push(`the timestamp imprint uses an unsupported hash ${alg}`);
  else {
    try {
      res.imprintMatches = bytesEqual(tst.messageImprint.hashedMessage.valueBlock.valueHexView, await imprintFor(alg));
      if (!res.imprintMatches) res.problems.push('the timestamp was made for other data (message imprint mismatch)');
    } catch (e) {
      res.problems.push(`the timestamped data cannot be hashed: ${errorText(e)}`);
    }
  }
  if (sd.signerInfos.length !== 1) res.problems.push(`the token has ${sd.signerInfos.length} signers, expected 1`);
  const si = sd.signerInfos[0];
  if (si) {
    const sic = await checkSignerInfo(si, parsed.certs, {
      expectedContentType: OID.tstInfo,
      contentDigestFor: async (a) => hashBytes(a, tstDer),
    });
    res.problems.push(...sic.attributeProblems);
    if (!sic.messageDigestMatches) res.problems.push('the TSTInfo digest in the token does not match');
    if (!sic.signatureValid) res.problems.push(`the TSA signature does not verify${sic.signatureError ? ` (${sic.signatureError})` : ''}`);
    res.signatureValid = sic.signatureValid && sic.messageDigestMatches;
    if (sic.signerCert) {
      res.tsaCert = sic.signerCert.der;
      res.tsaSubject = sic.signerCert.subject;
      const eku = sic.signerCert.extKeyUsage;
      if (!eku || !eku.includes(OID.kpTimeStamping)) res.problems.push('the TSA certificate lacks the timeStamping extended key usage');
      if (res.time && !sic.signerCert.validAt(res.time)) res.problems.push('the TSA certificate was not valid at the time it gives');
    }
    res.valid = res.signatureValid && res.imprintMatches && sic.attributesConsistent && res.problems.length === 0 && res.time !== undefined;
  }
  return res;
}

function octets(v: asn1js.AsnType): Uint8Array {
  if (v instanceof asn1js.OctetString) {
    if (!v.idBlock.isConstructed) return v.valueBlock.valueHexView;
    const parts = (v.valueBlock.value as asn1js.OctetString[]).map((p) => octets(p));
    return Buffer.concat(parts);
  }
  return rawBytes(v);
}

/**
 * Validates the TSA certificate chain (purpose 'timestamping') and stores it in `ts.chain`; a token is
 * trustworthy when `ts.valid && ts.chain.status === 'trusted'`. The TSA chain is checked at the token's
 * own time; revocation of the TSA certificate after that time does not matter (there is no later POE).
 */
export async function validateTimestampTrust(
  ts: TimestampCheck,
  opts: Omit<ValidateOptions, 'purpose' | 'validationTime' | 'intermediates'> & { intermediates?: Uint8Array[]; validationTime?: Date },
): Promise<ChainResult | undefined> {
  if (!ts.tsaCert) return undefined;
  const chain = await validateCertificate(ts.tsaCert, {
    ...opts,
    intermediates: [...(opts.intermediates ?? []), ...ts.certs],
    validationTime: opts.validationTime ?? ts.time ?? new Date(),
    proofOfExistence: ts.time,
    embeddedRevocation: {
      crls: [...opts.embeddedRevocation.crls, ...ts.crls],
      ocsps: [...opts.embeddedRevocation.ocsps, ...ts.ocsps],
    },
    purpose: 'timestamping',
  });
  ts.chain = chain;
  return chain;
}
