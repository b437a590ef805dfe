/**
 * Checks one CMS SignerInfo: finds the signer certificate, checks the signed attributes (contentType,
 * messageDigest, ESS signingCertificate / signingCertificateV2) and the signature value. Shared by PDF
 * signatures (content = the ByteRange) and RFC 3161 timestamp tokens (content = TSTInfo).
 * Written by hand because no installed library verifies CMS in Node with this detail (node-forge's
 * pkcs7.verify is not implemented; pkijs' SignedData.verify stops at the first problem and cannot
 * verify RSA over a bare digest).
 */
import type * as asn1js from 'asn1js';
import { problem, type Problem } from '../core/problem.js';
import { asn1, pki } from './asn1-lazy.js';
import { ChainCert, normSerial } from './chain-cert.js';
import type { CmsAttributes, CmsSignerInfo } from './cms-signer-info.js';
import { TAG, asnTimeOf, strictRoot, type Tlv } from './der.js';
import { verifyRsaPkcs1Digest, verifySignature } from './verify-signature.js';
import { OID, asnTimeToDate, children, readTlv, bytesEqual, digestNameForOid, errorText, hashBytes, isSupportedDigest, isWeakDigest, oidText, readAlgId, toHex } from './verify-util.js';

export interface SignerInfoCheck {
  digestAlgorithm: string;
  weakDigest: boolean;
  messageDigestMatches: boolean;
  signatureValid: boolean;
  signatureError?: string;
  signatureKind?: string;
  /** The algorithm (or its combination with the key) is not supported: INDETERMINATE, not forged. */
  signatureUnsupported?: boolean;
  /** The signed attributes are not in DER (SET OF order, minimal lengths): verified over the bytes as they are. */
  signedAttrsNotDer?: string;
  attributesConsistent: boolean;
  attributeProblems: Problem[];
  signerCert?: ChainCert;
  hasSignedAttributes: boolean;
  /** ESS signingCertificate or signingCertificateV2 present (required by PAdES B-B). */
  hasSigningCertificateAttr: boolean;
  claimedSigningTime?: Date;
  /** Things worth saying that are not failures. */
  notes: Problem[];
}

/** The values (their encodings) of every attribute of type `oid`. */
export function attributeValues(attrs: CmsAttributes | undefined, oid: string): Uint8Array[][] {
  if (!attrs) return [];
  return attrs.attributes.filter((a) => a.type === oid).map((a) => a.values);
}

/**
 * asn1js' reading of one encoded value, for the values that are not strict DER (BER from the pkijs path):
 * the object the verifier always inspected there. Strict DER values are read by hand.
 */
export function asnValue(raw: Uint8Array): asn1js.AsnType {
  return asn1().fromBER(raw).result;
}

const isPrimU = (t: Tlv | undefined, tag: number): t is Tlv => t !== undefined && t.cls === 0 && t.tag === tag && !t.constructed;
const isSeqU = (t: Tlv | undefined): t is Tlv => t !== undefined && t.cls === 0 && t.tag === TAG.sequence && t.constructed;

/** contentType value → dotted OID ('' when it is not an OBJECT IDENTIFIER). */
export function contentTypeOf(raw: Uint8Array): string {
  const t = strictRoot(raw);
  if (t) return isPrimU(t, TAG.oid) ? oidText(raw, t) : '';
  const v = asnValue(raw);
  return v instanceof asn1().ObjectIdentifier ? v.valueBlock.toString() : '';
}

/** messageDigest value → the digest, or undefined when it is not an OCTET STRING. */
export function messageDigestOf(raw: Uint8Array): Uint8Array | undefined {
  const t = strictRoot(raw);
  if (t) return isPrimU(t, TAG.octetString) ? raw.subarray(t.valueStart, t.end) : undefined;
  const v = asnValue(raw);
  return v instanceof asn1().OctetString ? v.valueBlock.valueHexView : undefined;
}

/** signingTime value → Date (UTCTime / GeneralizedTime), else undefined. */
export function signingTimeOf(raw: Uint8Array): Date | undefined {
  const t = strictRoot(raw);
  if (t) return t.cls === 0 && (t.tag === TAG.utcTime || t.tag === TAG.generalizedTime) ? asnTimeOf(raw, t) : undefined;
  return asnTimeToDate(asnValue(raw));
}

function kids(buf: Uint8Array, t: Tlv): Tlv[] {
  return children(buf, t);
}

/** The first ESSCertID(v2) of a canonical SigningCertificate(V2) value; undefined: read it with asn1js. */
function essFast(raw: Uint8Array, isV2: boolean): { empty: true } | { hashAlg: string; certHash: Uint8Array; serial?: Uint8Array } | undefined {
  const t = strictRoot(raw);
  if (!isSeqU(t)) return undefined;
  const k = kids(raw, t);
  if (!isSeqU(k[0])) return undefined;
  const ids = kids(raw, k[0]);
  if (ids.length === 0) return { empty: true };
  if (!isSeqU(ids[0])) return undefined;
  const parts = kids(raw, ids[0]);
  let idx = 0;
  let hashAlg = isV2 ? 'sha256' : 'sha1';
  if (isV2 && isSeqU(parts[0])) {
    const a = readAlgId(raw, parts[0]);
    if (!a) return undefined;
    hashAlg = digestNameForOid(a.algorithmId);
    idx = 1;
  }
  const h = parts[idx];
  if (!isPrimU(h, TAG.octetString)) return undefined;
  const is = parts[idx + 1];
  const serialT = isSeqU(is) ? kids(raw, is)[1] : undefined;
  return { hashAlg, certHash: raw.subarray(h.valueStart, h.end), serial: isPrimU(serialT, TAG.integer) ? raw.subarray(serialT.valueStart, serialT.end) : undefined };
}

export function findSignerCert(si: CmsSignerInfo, certs: ChainCert[]): ChainCert | undefined {
  return findSignerCerts(si, certs)[0];
}

/** Every certificate matching the SignerInfo's sid (an attacker may add look-alikes: try each). */
export function findSignerCerts(si: CmsSignerInfo, certs: ChainCert[]): ChainCert[] {
  const sid = si.sid;
  if ('issuerDer' in sid) return certs.filter((c) => c.serialHex === sid.serialHex && bytesEqual(c.issuerDer, sid.issuerDer));
  // [0] SubjectKeyIdentifier
  if (!('keyId' in sid)) return [];
  const hex = toHex(sid.keyId);
  return certs.filter((c) => c.subjectKeyId === hex || toHex(c.keyHash('sha1')) === hex);
}

/** Checks one SigningCertificate(V2) value against the signer certificate; pushes problems. */
export function checkEssValue(raw: Uint8Array, isV2: boolean, cert: ChainCert | undefined, problems: Problem[]): void {
  const fast = essFast(raw, isV2);
  if (fast && 'empty' in fast) {
    problems.push(problem('ESS_EMPTY'));
    return;
  }
  if (fast) {
    if (!cert) return;
    if (!isSupportedDigest(fast.hashAlg)) problems.push(problem('ESS_HASH_UNSUPPORTED', { alg: fast.hashAlg }));
    else if (!bytesEqual(fast.certHash, hashBytes(fast.hashAlg, cert.der))) problems.push(problem('ESS_CERT_MISMATCH'));
    else if (fast.serial && normSerial(toHex(fast.serial)) !== cert.serialHex) problems.push(problem('ESS_SERIAL_MISMATCH'));
    return;
  }
  // BER or an unusual shape: asn1js and pkijs, exactly as the verifier always read it.
  try {
    const A = asn1();
    const seq = asnValue(raw) as asn1js.Sequence;
    const certIds = (seq.valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const first = certIds[0] as asn1js.Sequence | undefined;
    if (!first) {
      problems.push(problem('ESS_EMPTY'));
      return;
    }
    const parts = first.valueBlock.value;
    let idx = 0;
    let hashAlg = isV2 ? 'sha256' : 'sha1';
    if (isV2 && parts[0] instanceof A.Sequence) {
      hashAlg = digestNameForOid(new (pki().AlgorithmIdentifier)({ schema: parts[0] }).algorithmId);
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
    if (issuerSerial instanceof A.Sequence) {
      const serialAsn = issuerSerial.valueBlock.value[1];
      if (serialAsn instanceof A.Integer && normSerial(toHex(serialAsn.valueBlock.valueHexView)) !== cert.serialHex) {
        problems.push(problem('ESS_SERIAL_MISMATCH'));
      }
    }
  } catch (e) {
    problems.push(problem('ESS_MALFORMED', { detail: errorText(e) }));
  }
}

/** Checks ESS signingCertificate(V2) against the signer certificate; pushes problems. Returns true when present. */
function checkEssAttribute(si: CmsSignerInfo, cert: ChainCert | undefined, problems: Problem[]): boolean {
  const v2 = attributeValues(si.signedAttrs, OID.signingCertificateV2);
  const v1 = attributeValues(si.signedAttrs, OID.signingCertificate);
  if (v2.length + v1.length === 0) return false;
  if (v2.length > 1 || v1.length > 1) problems.push(problem('ESS_REPEATED'));
  const check = (raw: Uint8Array, isV2: boolean) => checkEssValue(raw, isV2, cert, problems);
  for (const vals of v2) if (vals[0]) check(vals[0], true);
  for (const vals of v1) if (vals[0]) check(vals[0], false);
  return true;
}

export async function checkSignerInfo(
  si: CmsSignerInfo,
  certs: ChainCert[],
  opts: {
    /** eContentType of the SignedData: id-data for PDF signatures, id-ct-TSTInfo for timestamps. */
    expectedContentType: string;
    contentDigestFor: (alg: string) => Promise<Uint8Array>;
  },
): Promise<SignerInfoCheck> {
  const digestAlgorithm = digestNameForOid(si.digestAlgorithm.algorithmId);
  const problems: Problem[] = [];
  const res: SignerInfoCheck = {
    digestAlgorithm,
    weakDigest: isWeakDigest(digestAlgorithm),
    messageDigestMatches: false,
    signatureValid: false,
    attributesConsistent: false,
    attributeProblems: problems,
    hasSignedAttributes: Boolean(si.signedAttrs),
    hasSigningCertificateAttr: false,
    notes: [],
  };
  const candidates = findSignerCerts(si, certs);
  res.signerCert = candidates[0];
  if (si.signedAttrs && candidates.length > 1) {
    // Several certificates match the signer identifier: the signer is the one whose key verifies.
    const data = new Uint8Array(si.signedAttrs.encodedValue);
    const sig = si.signature;
    res.signerCert =
      candidates.find((c) => verifySignature({ algorithm: si.signatureAlgorithm, digestHint: digestAlgorithm, publicKey: c.publicKey, data, signature: sig }).ok) ?? candidates[0];
    res.notes.push(problem('SIGNER_ID_AMBIGUOUS', { count: candidates.length }));
  }
  if (!res.signerCert) problems.push(problem('SIGNER_CERT_MISSING'));
  if (!isSupportedDigest(digestAlgorithm)) {
    problems.push(problem('DIGEST_UNSUPPORTED', { alg: digestAlgorithm }));
    return res;
  }
  let contentDigest: Uint8Array;
  try {
    contentDigest = await opts.contentDigestFor(digestAlgorithm);
  } catch (e) {
    problems.push(problem('CONTENT_UNHASHABLE', { detail: errorText(e) }));
    return res;
  }
  const signature = si.signature;

  if (si.signedAttrs) {
    const ct = attributeValues(si.signedAttrs, OID.contentType);
    if (ct.length !== 1 || ct[0]!.length !== 1) problems.push(problem('ATTR_CONTENT_TYPE_MISSING'));
    else {
      const oid = contentTypeOf(ct[0]![0]!);
      if (oid !== opts.expectedContentType) problems.push(problem('ATTR_CONTENT_TYPE_WRONG', { found: oid || '?', expected: opts.expectedContentType }));
    }
    const md = attributeValues(si.signedAttrs, OID.messageDigest);
    const mdValue = md.length === 1 && md[0]!.length === 1 ? messageDigestOf(md[0]![0]!) : undefined;
    if (!mdValue) {
      problems.push(problem('ATTR_MESSAGE_DIGEST_MISSING'));
    } else {
      res.messageDigestMatches = bytesEqual(mdValue, contentDigest);
    }
    const nd = derProblem(new Uint8Array(si.signedAttrs.encodedValue));
    if (nd) {
      res.signedAttrsNotDer = nd;
      res.notes.push(problem('SIGNED_ATTRS_NOT_DER', { detail: nd }));
    }
    const st = attributeValues(si.signedAttrs, OID.signingTime);
    if (st[0]?.[0]) res.claimedSigningTime = signingTimeOf(st[0][0]);
    res.hasSigningCertificateAttr = checkEssAttribute(si, res.signerCert, problems);
    if (res.signerCert) {
      const data = new Uint8Array(si.signedAttrs.encodedValue); // original bytes, tag already set to SET (0x31)
      const sc = verifySignature({ algorithm: si.signatureAlgorithm, digestHint: digestAlgorithm, publicKey: res.signerCert.publicKey, data, signature });
      res.signatureValid = sc.ok;
      res.signatureError = sc.error;
      res.signatureKind = sc.kind;
      res.signatureUnsupported = !sc.ok && sc.kind === undefined;
      if (sc.ok && sc.hash && sc.hash !== digestAlgorithm && si.signatureAlgorithm.algorithmId !== '1.2.840.113549.1.1.10') {
        // e.g. sha256WithRSAEncryption with digestAlgorithm sha1: allowed by CMS but worth saying
        res.notes.push(problem('SIG_HASH_DIFFERS', { sigHash: sc.hash, digest: digestAlgorithm }));
      }
    }
  } else {
    // No signed attributes (old adbe.pkcs7.detached): the signature is over the content digest itself.
    if (res.signerCert) {
      const key = res.signerCert.publicKey;
      const kt = key.asymmetricKeyType;
      if (kt === 'rsa' && ['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13', '1.2.840.113549.1.1.5'].includes(si.signatureAlgorithm.algorithmId)) {
        const sc = verifyRsaPkcs1Digest(key, digestAlgorithm, contentDigest, signature);
        res.signatureValid = sc.ok;
        res.signatureError = sc.error;
        res.signatureKind = sc.kind;
      } else {
        res.signatureError = 'a signature without signed attributes is only supported for RSA PKCS#1 v1.5';
        res.signatureUnsupported = true;
      }
      // Without attributes the digest is inside the signature: a valid signature proves the digest.
      res.messageDigestMatches = res.signatureValid;
    }
    res.notes.push(problem('NO_SIGNED_ATTRIBUTES'));
  }
  res.attributesConsistent = problems.length === 0;
  return res;
}

/** Reads the DER of every element of an attribute's values (helper for unsigned attributes). */
export function attributeRaw(attrs: CmsAttributes | undefined, oid: string): Uint8Array[] {
  return attributeValues(attrs, oid).flat();
}

/**
 * Why the SET OF signed attributes is not DER, or undefined: DER sorts the elements of a SET OF by their
 * encodings and uses minimal definite lengths (X.690 §10-11). Signers that re-order attributes exist; the
 * signature covers the bytes as sent, so this is a warning, never a failure.
 */
export function derProblem(set: Uint8Array): string | undefined {
  let kids;
  try {
    const top = readTlv(set, 0);
    if (!minimalLength(set, top)) return 'non-minimal length';
    kids = children(set, top);
  } catch (e) {
    return errorText(e).includes('indefinite') ? 'indefinite length' : 'not DER';
  }
  for (let i = 0; i < kids.length; i++) {
    if (!minimalLength(set, kids[i]!)) return 'non-minimal length';
    if (i > 0 && Buffer.compare(set.subarray(kids[i - 1]!.start, kids[i - 1]!.end), set.subarray(kids[i]!.start, kids[i]!.end)) > 0) return 'attributes not in DER SET OF order';
  }
  return undefined;
}

function minimalLength(buf: Uint8Array, t: { start: number; valueStart: number; end: number }): boolean {
  const len = t.end - t.valueStart;
  const lenBytes = t.valueStart - t.start - 1; // tag numbers < 31 only (what CMS attributes use)
  if (len < 0x80) return lenBytes === 1;
  let n = 0;
  for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return lenBytes === 1 + n && buf[t.start + 1] === (0x80 | n);
}
