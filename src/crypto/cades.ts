/**
 * CAdES detached SignedData for PAdES baseline signatures (ETSI EN 319 122-1 / 319 142-1), built with
 * pkijs/asn1js. node-forge cannot do this (no ECDSA, no signingCertificateV2, wants the whole content) and
 * @signpdf's signer adds signingTime (not allowed in PAdES B-B), so the structure is assembled here.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { HashAlgorithm } from '../core/types.js';
import type { SignatureScheme, Signer } from './signer.js';
import { OID, parseCertificate, sha256Hex, toArrayBuffer } from './x509.js';

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

function hashAlgId(hash: HashAlgorithm): pkijs.AlgorithmIdentifier {
  // RFC 5754: parameters absent for SHA-2.
  return new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[hash] });
}

export function signatureAlgorithmFor(scheme: SignatureScheme, hash: HashAlgorithm): pkijs.AlgorithmIdentifier {
  switch (scheme) {
    case 'ecdsa':
      return new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_OID[hash] });
    case 'rsa-pss': {
      const params = new pkijs.RSASSAPSSParams({
        hashAlgorithm: hashAlgId(hash),
        maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: hashAlgId(hash).toSchema() }),
        saltLength: HASH_BYTES[hash],
      });
      return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: params.toSchema() });
    }
    case 'rsa-pkcs1':
      return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() });
  }
}

/** ESS SigningCertificateV2 { certs { ESSCertIDv2 { certHash (SHA-256: default alg omitted), issuerSerial } } } */
function signingCertificateV2(leafDer: Uint8Array, leaf: pkijs.Certificate): asn1js.Sequence {
  const certHash = createHash('sha256').update(leafDer).digest();
  const issuerSerial = new asn1js.Sequence({
    value: [
      // GeneralNames ::= SEQUENCE OF GeneralName; directoryName [4] EXPLICIT Name
      new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [leaf.issuer.toSchema()] })] }),
      new asn1js.Integer({ valueHex: toArrayBuffer(leaf.serialNumber.valueBlock.valueHexView) }),
    ],
  });
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toArrayBuffer(certHash) }), issuerSerial] });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
}

/** DER SET OF: elements sorted by their encodings (X.690 11.6). */
function sortedAttributes(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  return attrs
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map((x) => x.a);
}

/** The DER the signature covers: the signed attributes with an explicit SET OF tag (RFC 5652 §5.4). */
function signedAttributesDer(signedAttrs: pkijs.SignedAndUnsignedAttributes): Uint8Array {
  const der = new Uint8Array(signedAttrs.toSchema().toBER(false));
  der[0] = 0x31;
  return der;
}

function timestampAttribute(token: Uint8Array): pkijs.Attribute {
  const asn = asn1js.fromBER(toArrayBuffer(token));
  if (asn.offset === -1) throw new Error('timestamp token is not DER');
  return new pkijs.Attribute({ type: OID.signatureTimeStampToken, values: [asn.result] });
}

export async function buildCadesSignedData(opts: CadesOptions): Promise<Uint8Array> {
  const { signer, hash, scheme } = opts;
  const leaf = parseCertificate(signer.certificate, signer.description);

  const attrs = sortedAttributes([
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(opts.contentDigest) })] }),
    new pkijs.Attribute({ type: OID.signingCertificateV2, values: [signingCertificateV2(signer.certificate, leaf)] }),
  ]);
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs });
  const toSign = signedAttributesDer(signedAttrs);
  const digest = createHash(hash).update(toSign).digest();
  const signature = await signer.signDigest({ data: toSign, digest: new Uint8Array(digest), hash, scheme });

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
    digestAlgorithm: hashAlgId(hash),
    signedAttrs,
    signatureAlgorithm: signatureAlgorithmFor(scheme, hash),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
  });

  const token = opts.timestamp ? await opts.timestamp(signature) : opts.timestampToken;
  if (token) signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 1, attributes: [timestampAttribute(token)] });

  const seen = new Set<string>();
  const certificates: pkijs.Certificate[] = [];
  for (const der of [signer.certificate, ...signer.chain, ...(opts.extraCerts ?? [])]) {
    const h = sha256Hex(der);
    if (seen.has(h)) continue;
    seen.add(h);
    certificates.push(parseCertificate(der));
  }

  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [hashAlgId(hash)],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates,
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

function parseSignedData(cmsDer: Uint8Array): pkijs.SignedData {
  const asn = asn1js.fromBER(toArrayBuffer(cmsDer));
  if (asn.offset === -1) throw new Error('CMS is not DER');
  const ci = new pkijs.ContentInfo({ schema: asn.result });
  if (ci.contentType !== OID.signedData) throw new Error('CMS is not SignedData');
  return new pkijs.SignedData({ schema: ci.content });
}

/** The first SignerInfo's signature value (what a signature timestamp covers). */
export function signatureValueOf(cmsDer: Uint8Array): Uint8Array {
  const sd = parseSignedData(cmsDer);
  const si = sd.signerInfos[0];
  if (!si) throw new Error('CMS has no SignerInfo');
  return new Uint8Array(si.signature.valueBlock.valueHexView);
}

/** The first SignerInfo's id-aa-signatureTimeStampToken, if any (DER ContentInfo). */
export function signatureTimestampOf(cmsDer: Uint8Array): Uint8Array | undefined {
  const sd = parseSignedData(cmsDer);
  const attr = sd.signerInfos[0]?.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
  const v = attr?.values[0] as asn1js.BaseBlock | undefined;
  return v ? new Uint8Array(v.toBER(false)) : undefined;
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
