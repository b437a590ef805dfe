/**
 * A small, test-only CMS SignedData writer over node:crypto signatures, for what `openssl cms -sign`
 * (OpenSSL 3.0) cannot produce: Ed25519/Ed448 (RFC 8419), ECDSA and DSA with SHA-3, plain-format ECDSA
 * (BSI TR-03111), and signed attributes deliberately not in DER order. Detached, id-data, with contentType,
 * messageDigest and ESS signingCertificateV2 (PAdES B-B).
 */
import { createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const seq = (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value });
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const octets = (b: Uint8Array) => new asn1js.OctetString({ valueHex: ab(b) });
const der = (v: asn1js.BaseBlock) => Buffer.from(v.toBER(false));

export const DIGEST = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', node: 'sha256' },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', node: 'sha512' },
  'sha3-256': { oid: '2.16.840.1.101.3.4.2.8', node: 'sha3-256' },
  'sha3-384': { oid: '2.16.840.1.101.3.4.2.9', node: 'sha3-384' },
  shake256: { oid: '2.16.840.1.101.3.4.2.18', node: 'shake256' },
} as const;

export interface WriterOptions {
  certDer: Uint8Array;
  key: KeyObject;
  /** The signed bytes (the PDF ranges). */
  content: Uint8Array;
  digest: keyof typeof DIGEST;
  /** signatureAlgorithm OID (parameters absent). */
  sigOid: string;
  /** node:crypto hash for the signature (null for EdDSA). */
  sigHash: string | null;
  dsaEncoding?: 'der' | 'ieee-p1363';
  /** Write the signed attributes in reverse DER order (a SET OF that is not DER). */
  nonDerOrder?: boolean;
  /** Flip a bit of the signature value (a forged twin). */
  corruptSignature?: boolean;
  /** CRLs to carry in SignedData.crls. */
  crls?: Uint8Array[];
}

function digestOf(alg: keyof typeof DIGEST, data: Uint8Array): Buffer {
  return alg === 'shake256' ? createHash('shake256', { outputLength: 64 }).update(data).digest() : createHash(DIGEST[alg].node).update(data).digest();
}

function digestAlgId(alg: keyof typeof DIGEST): asn1js.Sequence {
  // RFC 8419: id-shake256-len carries the output length (512 bits).
  return alg === 'shake256' ? seq(oid(DIGEST.shake256.oid), new asn1js.Integer({ value: 512 })) : seq(oid(DIGEST[alg].oid));
}

export function writeCms(o: WriterOptions): Buffer {
  return writeCmsParts(o).cms;
}

/** The CMS and what an outside tool needs to check its signature: the signed attributes (SET) and the value. */
export function writeCmsParts(o: WriterOptions): { cms: Buffer; signedAttrs: Buffer; signature: Buffer } {
  const cert = pkijs.Certificate.fromBER(ab(o.certDer));
  const attr = (type: string, v: asn1js.BaseBlock) => der(seq(oid(type), new asn1js.Set({ value: [v] })));
  const attrs = [
    attr('1.2.840.113549.1.9.3', oid('1.2.840.113549.1.7.1')),
    attr('1.2.840.113549.1.9.4', octets(digestOf(o.digest, o.content))),
    attr('1.2.840.113549.1.9.16.2.47', seq(seq(seq(octets(createHash('sha256').update(o.certDer).digest()))))),
  ].sort(Buffer.compare);
  if (o.nonDerOrder) attrs.reverse();
  const body = Buffer.concat(attrs);
  const lenBytes = (n: number) =>
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const setDer = Buffer.concat([Buffer.from([0x31]), lenBytes(body.length), body]);
  const signature = cryptoSign(o.sigHash, setDer, o.dsaEncoding ? { key: o.key, dsaEncoding: o.dsaEncoding } : o.key);
  if (o.corruptSignature) signature[signature.length - 2] ^= 0x01;
  // [0] IMPLICIT: the same bytes with the tag 0xA0.
  const signedAttrsImplicit = Buffer.concat([Buffer.from([0xa0]), setDer.subarray(1)]);
  const sid = seq(cert.issuer.toSchema(), new asn1js.Integer({ valueHex: ab(cert.serialNumber.valueBlock.valueHexView) }));
  const siBody = Buffer.concat([
    der(new asn1js.Integer({ value: 1 })),
    der(sid),
    der(digestAlgId(o.digest)),
    signedAttrsImplicit,
    der(seq(oid(o.sigOid))),
    der(octets(new Uint8Array(signature))),
  ]);
  const si = Buffer.concat([Buffer.from([0x30]), lenBytes(siBody.length), siBody]);
  const sdBody = Buffer.concat([
    der(new asn1js.Integer({ value: 1 })),
    der(new asn1js.Set({ value: [digestAlgId(o.digest)] })),
    der(seq(oid('1.2.840.113549.1.7.1'))),
    Buffer.concat([Buffer.from([0xa0]), lenBytes(o.certDer.length), Buffer.from(o.certDer)]),
    ...(o.crls?.length ? [Buffer.concat([Buffer.from([0xa1]), lenBytes(o.crls.reduce((n, c) => n + c.length, 0)), ...o.crls.map((c) => Buffer.from(c))])] : []),
    Buffer.concat([Buffer.from([0x31]), lenBytes(si.length), si]),
  ]);
  const sd = Buffer.concat([Buffer.from([0x30]), lenBytes(sdBody.length), sdBody]);
  const wrapped = Buffer.concat([Buffer.from([0xa0]), lenBytes(sd.length), sd]);
  const ciBody = Buffer.concat([der(oid('1.2.840.113549.1.7.2')), wrapped]);
  return { cms: Buffer.concat([Buffer.from([0x30]), lenBytes(ciBody.length), ciBody]), signedAttrs: setDer, signature };
}

/**
 * A CRL with `n` revoked serials signed by `key` (sha256WithRSAEncryption), issuer = the certificate's
 * subject: hundreds of thousands of ASN.1 nodes, like the CRL of a national CA.
 */
export function bigCrl(issuerCertDer: Uint8Array, key: KeyObject, n: number): Buffer {
  const cert = pkijs.Certificate.fromBER(ab(issuerCertDer));
  const t = (d: Date) => new asn1js.UTCTime({ valueDate: d });
  const entries: Buffer[] = [];
  const when = der(t(new Date(Date.now() - 86_400_000)));
  for (let i = 1; i <= n; i++) {
    const serial = der(new asn1js.Integer({ value: 1_000_000 + i }));
    const body = Buffer.concat([serial, when]);
    entries.push(Buffer.concat([Buffer.from([0x30, body.length]), body]));
  }
  const list = Buffer.concat(entries);
  const hdr = (tag: number, len: number) => Buffer.from([tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  const sigAlg = der(seq(oid('1.2.840.113549.1.1.11'), new asn1js.Null()));
  const tbsBody = Buffer.concat([
    der(new asn1js.Integer({ value: 1 })),
    sigAlg,
    der(cert.subject.toSchema()),
    der(t(new Date(Date.now() - 3_600_000))),
    der(t(new Date(Date.now() + 7 * 86_400_000))),
    hdr(0x30, list.length),
    list,
  ]);
  const tbs = Buffer.concat([hdr(0x30, tbsBody.length), tbsBody]);
  const sig = cryptoSign('sha256', tbs, key);
  const bits = Buffer.concat([Buffer.from([0x03, 0x82, (sig.length + 1) >> 8, (sig.length + 1) & 0xff, 0x00]), sig]);
  const body = Buffer.concat([tbs, sigAlg, bits]);
  return Buffer.concat([hdr(0x30, body.length), body]);
}
