/**
 * CAdES detached SignedData for PAdES baseline signatures (ETSI EN 319 122-1 / 319 142-1). node-forge cannot
 * do this (no ECDSA, no signingCertificateV2, wants the whole content) and @signpdf's signer adds signingTime
 * (not allowed in PAdES B-B). The structure is small and fixed, so it is assembled here from DER parts
 * (der.ts): pkijs, and even asn1js, cost more to load than the whole signing work of a small document.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Asn1 from 'asn1js';
import type { HashAlgorithm } from '../core/types.js';
import type { SignatureScheme, Signer } from './signer.js';
import { parseCertFields, sha256Hex } from './der-cert.js';
import { NULL, TAG, children, expect, explicit, integer, isContext, isUniversal, octets, oid, oidString, readRoot, seq, set, tlv, value, whole, type Tlv } from './der.js';

import { OID } from './oids.js';

export const HASH_OID: Record<HashAlgorithm, string> = { sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };
const HASH_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };
const ECDSA_OID: Record<HashAlgorithm, string> = { sha256: OID.ecdsaWithSha256, sha384: OID.ecdsaWithSha384, sha512: OID.ecdsaWithSha512 };

export interface CadesOptions {
  signer: Signer;
  /** hash of the signed ByteRange, computed with `hash` */
  contentDigest: Uint8Array;
  hash: HashAlgorithm;
  scheme: SignatureScheme;
  /**
   * For B-T: called with the SignerInfo's signature value once it exists; returns a TimeStampToken
   * (DER ContentInfo) that is added as the unsigned attribute id-aa-signatureTimeStampToken.
   */
  timestamp?: (signatureValue: Uint8Array) => Promise<Uint8Array>;
  /** a ready token (when the caller has one); ignored when `timestamp` is given */
  timestampToken?: Uint8Array;
  /** more certificates to embed (e.g. from --chain) */
  extraCerts?: Uint8Array[];
}

/** Checks that `der` is one DER value (certificates and tokens are embedded as they are). */
function checkDer(der: Uint8Array, what: string): void {
  try {
    readRoot(der);
  } catch {
    throw new Error(`${what} is not DER`);
  }
}

function hashAlgId(hash: HashAlgorithm): Uint8Array {
  // RFC 5754: parameters absent for SHA-2.
  return seq(oid(HASH_OID[hash]));
}

export function signatureAlgorithmFor(scheme: SignatureScheme, hash: HashAlgorithm): Uint8Array {
  switch (scheme) {
    case 'ecdsa':
      return seq(oid(ECDSA_OID[hash]));
    case 'rsa-pss':
      // RSASSA-PSS-params { hashAlgorithm [0], maskGenAlgorithm [1] (MGF1 with the same hash), saltLength [2] }
      return seq(oid(OID.rsassaPss), seq(explicit(0, hashAlgId(hash)), explicit(1, seq(oid(OID.mgf1), hashAlgId(hash))), explicit(2, integer(HASH_BYTES[hash]))));
    case 'rsa-pkcs1':
      return seq(oid(OID.rsaEncryption), NULL);
  }
}

/** ESS SigningCertificateV2 { certs { ESSCertIDv2 { certHash (SHA-256: default alg omitted), issuerSerial } } } */
function signingCertificateV2(leafDer: Uint8Array, issuerDer: Uint8Array, serialBytes: Uint8Array): Uint8Array {
  const certHash = createHash('sha256').update(leafDer).digest();
  // GeneralNames ::= SEQUENCE OF GeneralName; directoryName [4] EXPLICIT Name
  const issuerSerial = seq(seq(explicit(4, issuerDer)), tlv(0x02, serialBytes));
  return seq(seq(seq(octets(certHash), issuerSerial)));
}

function attribute(type: string, v: Uint8Array): Uint8Array {
  return seq(oid(type), set(v));
}

/*
 * The SignedData around the signature is assembled from already-encoded parts: a batch of 200 documents
 * would otherwise re-encode every certificate of the chain for each document, while only the digest and
 * the signature change.
 */
const CONTENT_TYPE_ATTR = attribute(OID.contentType, oid(OID.data));
const MESSAGE_DIGEST_OID = oid(OID.messageDigest);
const TST_OID = oid(OID.signatureTimeStampToken);
const DATA_CONTENT_INFO = seq(oid(OID.data));
const SIGNED_DATA_OID = oid(OID.signedData);
const VERSION_1 = integer(1);
const HASH_ALG_DER: Record<HashAlgorithm, Uint8Array> = {
  sha256: hashAlgId('sha256'),
  sha384: hashAlgId('sha384'),
  sha512: hashAlgId('sha512'),
};

interface SignerParts {
  /** the ESS signingCertificateV2 attribute */
  essAttr: Uint8Array;
  /** IssuerAndSerialNumber */
  sid: Uint8Array;
  /** [0] IMPLICIT certificates: leaf + chain, deduplicated */
  certificates: Uint8Array;
}

/** Per-signer parts, computed once per batch (a Signer's certificate and chain do not change). */
const partsCache = new WeakMap<Signer, SignerParts>();

function signerParts(signer: Signer, extraCerts: Uint8Array[] | undefined): SignerParts {
  const cached = extraCerts?.length ? undefined : partsCache.get(signer);
  if (cached) return cached;
  const leaf = parseCertFields(signer.certificate, signer.description);
  const seen = new Set<string>();
  const certs: Uint8Array[] = [];
  for (const c of [signer.certificate, ...signer.chain, ...(extraCerts ?? [])]) {
    const h = sha256Hex(c);
    if (seen.has(h)) continue;
    seen.add(h);
    checkDer(c, 'certificate'); // reject garbage before it is embedded
    certs.push(c);
  }
  const parts: SignerParts = {
    essAttr: attribute(OID.signingCertificateV2, signingCertificateV2(signer.certificate, leaf.issuerDer, leaf.serialBytes)),
    sid: tlv(0x30, leaf.issuerDer, tlv(0x02, leaf.serialBytes)),
    certificates: tlv(0xa0, ...certs),
  };
  if (!extraCerts?.length) partsCache.set(signer, parts);
  return parts;
}

export async function buildCadesSignedData(opts: CadesOptions): Promise<Uint8Array> {
  const { signer, hash, scheme } = opts;
  const parts = signerParts(signer, opts.extraCerts);

  // DER SET OF: elements sorted by their encodings (X.690 11.6).
  const attrs = [CONTENT_TYPE_ATTR, tlv(0x30, MESSAGE_DIGEST_OID, tlv(0x31, tlv(0x04, opts.contentDigest))), parts.essAttr].sort((a, b) =>
    Buffer.compare(a, b),
  );
  // The signature covers the attributes encoded with an explicit SET OF tag (RFC 5652 §5.4); in the
  // SignerInfo they are [0] IMPLICIT. Same content octets, only the first byte differs.
  const toSign = tlv(0x31, ...attrs);
  const digest = createHash(hash).update(toSign).digest();
  const signature = await signer.signDigest({ data: toSign, digest: new Uint8Array(digest), hash, scheme });

  const signerInfo: Uint8Array[] = [VERSION_1, parts.sid, HASH_ALG_DER[hash], tlv(0xa0, ...attrs), signatureAlgorithmFor(scheme, hash), tlv(0x04, signature)];
  const token = opts.timestamp ? await opts.timestamp(signature) : opts.timestampToken;
  if (token) {
    checkDer(token, 'time-stamp token');
    signerInfo.push(tlv(0xa1, tlv(0x30, TST_OID, tlv(0x31, token))));
  }
  const signedData = tlv(0x30, VERSION_1, tlv(0x31, HASH_ALG_DER[hash]), DATA_CONTENT_INFO, parts.certificates, tlv(0x31, tlv(0x30, ...signerInfo)));
  return tlv(0x30, SIGNED_DATA_OID, tlv(0xa0, signedData));
}

/** The SignedData inside a DER ContentInfo, and its parts (undefined when it is not DER). */
function signedDataParts(cmsDer: Uint8Array): Tlv[] | undefined {
  try {
    const ci = children(cmsDer, readRoot(cmsDer));
    if (!isUniversal(ci[0], TAG.oid) || oidString(cmsDer, ci[0]) !== OID.signedData || !isContext(ci[1], 0)) return undefined;
    return children(cmsDer, expect(children(cmsDer, ci[1])[0], TAG.sequence, 'CMS'));
  } catch {
    return undefined;
  }
}

/**
 * Signatures made by other tools may be BER (openssl cms writes indefinite lengths): those are read with
 * asn1js, loaded only then (kyso's own signatures are DER, so the signing path never loads it).
 */
function berSignedData(cmsDer: Uint8Array): Asn1.BaseBlock[] {
  const asn1js = createRequire(import.meta.url)('asn1js') as typeof Asn1;
  const asn = asn1js.fromBER(new Uint8Array(cmsDer).buffer);
  const ci = asn.offset === -1 ? undefined : (asn.result as Asn1.Sequence);
  const [type, content] = ci?.valueBlock?.value ?? [];
  if (!(type instanceof asn1js.ObjectIdentifier) || type.valueBlock.toString() !== OID.signedData) throw new Error('CMS is not SignedData');
  const sd = (content as Asn1.Constructed | undefined)?.valueBlock?.value?.[0] as Asn1.Sequence | undefined;
  if (!sd) throw new Error('CMS is not SignedData');
  return sd.valueBlock.value;
}
const berBytes = (b: Asn1.BaseBlock) => new Uint8Array(b.toBER(false));
const isCtx = (b: Asn1.BaseBlock, n: number) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === n;
function berFirstSignerInfo(cmsDer: Uint8Array): Asn1.BaseBlock[] {
  const sd = berSignedData(cmsDer);
  const si = (sd[sd.length - 1] as Asn1.Constructed).valueBlock.value[0] as Asn1.Sequence | undefined;
  if (!si) throw new Error('CMS has no SignerInfo');
  return si.valueBlock.value;
}

/** The first SignerInfo's parts. */
function firstSignerInfo(cmsDer: Uint8Array, sd: Tlv[]): Tlv[] {
  const si = children(cmsDer, sd[sd.length - 1]!)[0];
  if (!si) throw new Error('CMS has no SignerInfo');
  return children(cmsDer, si);
}

/** The first SignerInfo's signature value (what a signature timestamp covers). */
export function signatureValueOf(cmsDer: Uint8Array): Uint8Array {
  const sd = signedDataParts(cmsDer);
  if (!sd) {
    const sig = berFirstSignerInfo(cmsDer).find((p, i) => i >= 4 && p.idBlock.tagClass === 1 && p.idBlock.tagNumber === 4) as Asn1.OctetString | undefined;
    if (!sig) throw new Error('SignerInfo has no signature');
    return new Uint8Array(sig.getValue());
  }
  const sig = firstSignerInfo(cmsDer, sd).find((p, i) => i >= 4 && isUniversal(p, TAG.octetString));
  if (!sig) throw new Error('SignerInfo has no signature');
  return new Uint8Array(value(cmsDer, sig));
}

/** The first SignerInfo's id-aa-signatureTimeStampToken, if any (DER ContentInfo). */
export function signatureTimestampOf(cmsDer: Uint8Array): Uint8Array | undefined {
  const sd = signedDataParts(cmsDer);
  if (!sd) {
    const unsigned = berFirstSignerInfo(cmsDer).find((p) => isCtx(p, 1)) as Asn1.Constructed | undefined;
    for (const attr of unsigned?.valueBlock.value ?? []) {
      const [type, values] = (attr as Asn1.Sequence).valueBlock.value;
      if ((type as Asn1.ObjectIdentifier).valueBlock.toString() === OID.signatureTimeStampToken) {
        const v = (values as Asn1.Set).valueBlock.value[0];
        return v ? berBytes(v) : undefined;
      }
    }
    return undefined;
  }
  const unsigned = firstSignerInfo(cmsDer, sd).find((p) => isContext(p, 1));
  for (const attr of unsigned ? children(cmsDer, unsigned) : []) {
    const [type, values] = children(cmsDer, attr);
    if (type && values && oidString(cmsDer, type) === OID.signatureTimeStampToken) {
      const v = children(cmsDer, values)[0];
      return v ? new Uint8Array(whole(cmsDer, v)) : undefined;
    }
  }
  return undefined;
}

/**
 * Rough upper bound of the DER size of the CMS, for sizing /Contents: certificates + signature + attributes
 * + room for a timestamp token (whose TSA chain we cannot know beforehand).
 */
export function estimateCmsSize(signer: Signer, opts: { timestamp: boolean; extraCerts?: Uint8Array[] }): number {
  const certs = [signer.certificate, ...signer.chain, ...(opts.extraCerts ?? [])].reduce((n, c) => n + c.length, 0);
  const sig = signer.keyAlgorithm === 'rsa' ? Math.ceil(signer.keyBits / 8) : Math.ceil((2 * signer.keyBits) / 8) + 16;
  return certs + sig + 2048 + (opts.timestamp ? 12_288 : 0);
}

/** The certificates embedded in a ContentInfo(SignedData) (a signature or a time-stamp token; DER or BER). */
export function certificatesOf(cmsDer: Uint8Array): Uint8Array[] {
  const sd = signedDataParts(cmsDer);
  if (!sd) {
    const certSet = berSignedData(cmsDer).find((b) => isCtx(b, 0)) as Asn1.Constructed | undefined;
    return (certSet?.valueBlock.value ?? []).filter((b) => b.idBlock.tagClass === 1 && b.idBlock.tagNumber === 16).map(berBytes);
  }
  const certSet = sd.find((p) => isContext(p, 0));
  return (certSet ? children(cmsDer, certSet) : []).filter((c) => isUniversal(c, TAG.sequence)).map((c) => new Uint8Array(whole(cmsDer, c)));
}
