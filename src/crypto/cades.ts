/**
 * CAdES detached SignedData for PAdES baseline signatures (ETSI EN 319 122-1 / 319 142-1). node-forge cannot
 * do this (no ECDSA, no signingCertificateV2, wants the whole content) and @signpdf's signer adds signingTime
 * (not allowed in PAdES B-B). Built with asn1js only: pkijs would do the same but its load time was a third
 * of `kyso sign`'s start-up (see der-cert.ts); the structure is small and fixed, so we assemble it here.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import type { HashAlgorithm } from '../core/types.js';
import type { SignatureScheme, Signer } from './signer.js';
import { parseCertFields, sha256Hex, toArrayBuffer } from './der-cert.js';

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

const seq = (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value });
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const octets = (b: Uint8Array) => new asn1js.OctetString({ valueHex: toArrayBuffer(b) });
const explicit = (n: number, inner: asn1js.BaseBlock) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: n }, value: [inner] });
/** Re-reads DER as an asn1js tree (re-encoding valid DER gives the same bytes). */
function fromDer(der: Uint8Array, what: string): asn1js.BaseBlock {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new Error(`${what} is not DER`);
  return asn.result;
}

function hashAlgId(hash: HashAlgorithm): asn1js.Sequence {
  // RFC 5754: parameters absent for SHA-2.
  return seq(oid(HASH_OID[hash]));
}

export function signatureAlgorithmFor(scheme: SignatureScheme, hash: HashAlgorithm): asn1js.Sequence {
  switch (scheme) {
    case 'ecdsa':
      return seq(oid(ECDSA_OID[hash]));
    case 'rsa-pss':
      // RSASSA-PSS-params { hashAlgorithm [0], maskGenAlgorithm [1] (MGF1 with the same hash), saltLength [2] }
      return seq(
        oid(OID.rsassaPss),
        seq(explicit(0, hashAlgId(hash)), explicit(1, seq(oid(OID.mgf1), hashAlgId(hash))), explicit(2, new asn1js.Integer({ value: HASH_BYTES[hash] }))),
      );
    case 'rsa-pkcs1':
      return seq(oid(OID.rsaEncryption), new asn1js.Null());
  }
}

/** ESS SigningCertificateV2 { certs { ESSCertIDv2 { certHash (SHA-256: default alg omitted), issuerSerial } } } */
function signingCertificateV2(leafDer: Uint8Array, issuerDer: Uint8Array, serialBytes: Uint8Array): asn1js.Sequence {
  const certHash = createHash('sha256').update(leafDer).digest();
  // GeneralNames ::= SEQUENCE OF GeneralName; directoryName [4] EXPLICIT Name
  const issuerSerial = seq(seq(explicit(4, fromDer(issuerDer, 'issuer'))), new asn1js.Integer({ valueHex: toArrayBuffer(serialBytes) }));
  return seq(seq(seq(octets(certHash), issuerSerial)));
}

function attribute(type: string, value: asn1js.BaseBlock): asn1js.Sequence {
  return seq(oid(type), new asn1js.Set({ value: [value] }));
}

const der = (b: asn1js.BaseBlock) => new Uint8Array(b.toBER(false));

/**
 * DER tag-length-value. The SignedData around the signature is assembled from already-encoded parts: a batch
 * of 200 documents would otherwise re-parse and re-encode every certificate of the chain for each document
 * (about 2 ms a document with asn1js, measured), while only the digest and the signature change.
 */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head: number[] = [tag];
  if (len < 0x80) head.push(len);
  else {
    const bytes: number[] = [];
    for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head.push(0x80 | bytes.length, ...bytes);
  }
  return Buffer.concat([Uint8Array.from(head), ...parts]);
}

const CONTENT_TYPE_ATTR = der(attribute(OID.contentType, oid(OID.data)));
const MESSAGE_DIGEST_OID = der(oid(OID.messageDigest));
const TST_OID = der(oid(OID.signatureTimeStampToken));
const DATA_CONTENT_INFO = der(seq(oid(OID.data)));
const SIGNED_DATA_OID = der(oid(OID.signedData));
const VERSION_1 = der(new asn1js.Integer({ value: 1 }));
const HASH_ALG_DER: Record<HashAlgorithm, Uint8Array> = {
  sha256: der(hashAlgId('sha256')),
  sha384: der(hashAlgId('sha384')),
  sha512: der(hashAlgId('sha512')),
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
    fromDer(c, 'certificate'); // reject garbage before it is embedded
    certs.push(c);
  }
  const parts: SignerParts = {
    essAttr: der(attribute(OID.signingCertificateV2, signingCertificateV2(signer.certificate, leaf.issuerDer, leaf.serialBytes))),
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

  const signerInfo: Uint8Array[] = [VERSION_1, parts.sid, HASH_ALG_DER[hash], tlv(0xa0, ...attrs), der(signatureAlgorithmFor(scheme, hash)), tlv(0x04, signature)];
  const token = opts.timestamp ? await opts.timestamp(signature) : opts.timestampToken;
  if (token) {
    fromDer(token, 'time-stamp token');
    signerInfo.push(tlv(0xa1, tlv(0x30, TST_OID, tlv(0x31, token))));
  }
  const signedData = tlv(0x30, VERSION_1, tlv(0x31, HASH_ALG_DER[hash]), DATA_CONTENT_INFO, parts.certificates, tlv(0x31, tlv(0x30, ...signerInfo)));
  return tlv(0x30, SIGNED_DATA_OID, tlv(0xa0, signedData));
}

/** The first SignerInfo of a DER ContentInfo(SignedData), as an asn1js tree. */
function firstSignerInfo(cmsDer: Uint8Array): asn1js.BaseBlock[] {
  const ci = fromDer(cmsDer, 'CMS') as asn1js.Sequence;
  const [type, content] = ci.valueBlock.value;
  if (!(type instanceof asn1js.ObjectIdentifier) || type.valueBlock.toString() !== OID.signedData) throw new Error('CMS is not SignedData');
  const sd = (content as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
  const infos = sd.valueBlock.value[sd.valueBlock.value.length - 1] as asn1js.Set;
  const si = infos.valueBlock.value[0] as asn1js.Sequence | undefined;
  if (!si) throw new Error('CMS has no SignerInfo');
  return si.valueBlock.value;
}

/** The first SignerInfo's signature value (what a signature timestamp covers). */
export function signatureValueOf(cmsDer: Uint8Array): Uint8Array {
  const parts = firstSignerInfo(cmsDer);
  const sig = parts.find((p, i) => i >= 4 && p instanceof asn1js.OctetString) as asn1js.OctetString | undefined;
  if (!sig) throw new Error('SignerInfo has no signature');
  return new Uint8Array(sig.valueBlock.valueHexView);
}

/** The first SignerInfo's id-aa-signatureTimeStampToken, if any (DER ContentInfo). */
export function signatureTimestampOf(cmsDer: Uint8Array): Uint8Array | undefined {
  const parts = firstSignerInfo(cmsDer);
  const unsigned = parts.find((p) => p.idBlock.tagClass === 3 && p.idBlock.tagNumber === 1) as asn1js.Constructed | undefined;
  for (const attr of unsigned?.valueBlock.value ?? []) {
    const [type, values] = (attr as asn1js.Sequence).valueBlock.value;
    if ((type as asn1js.ObjectIdentifier).valueBlock.toString() === OID.signatureTimeStampToken) {
      const v = (values as asn1js.Set).valueBlock.value[0];
      return v ? new Uint8Array(v.toBER(false)) : undefined;
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

/** The certificates embedded in a DER ContentInfo(SignedData) (a signature or a time-stamp token). */
export function certificatesOf(cmsDer: Uint8Array): Uint8Array[] {
  const ci = fromDer(cmsDer, 'CMS') as asn1js.Sequence;
  const sd = (ci.valueBlock.value[1] as asn1js.Constructed | undefined)?.valueBlock.value[0] as asn1js.Sequence | undefined;
  const certSet = sd?.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  return (certSet?.valueBlock.value ?? []).filter((b) => b instanceof asn1js.Sequence).map((b) => new Uint8Array(b.toBER(false)));
}
