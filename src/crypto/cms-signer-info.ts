/**
 * A CMS SignerInfo as the verifier needs it (signer identifier, algorithms, attributes, signature value),
 * read from DER. Canonical DER SignerInfos (what every signer writes) are read by hand, attribute values
 * included (kept as their DER, read by the code that uses each one); anything unusual (BER, unknown
 * shapes, odd encodings) goes through pkijs' SignerInfo schema exactly as before (loaded only then:
 * asn1-lazy.ts), so both paths accept and reject the same inputs.
 * Why by hand: pkijs' schema match (asn1js.fromBER + compareSchema + IssuerAndSerialNumber/RDN classes)
 * was ~0.65 ms per signature, about a third of the CPU of verifying a small two-signature PDF, and
 * loading pkijs and asn1js at all was ~60 ms of each `kyso verify` process (issue 16).
 */
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { asn1, pki } from './asn1-lazy.js';
import { isPlainName } from './cert-data.js';
import { normSerial } from './chain-cert.js';
import { isStrictDer } from './der.js';
import { type AlgId, algIdFromPkijs, children, oidText, parseDer, rawBytes, readAlgId, toHex, u8, type Tlv } from './verify-util.js';

export interface CmsAttribute {
  type: string;
  /** each value's encoding as it appears in the SignerInfo (DER on the hand path; BER possible from pkijs) */
  values: Uint8Array[];
}

export interface CmsAttributes {
  attributes: CmsAttribute[];
  /** The attributes' original encoding with the SET tag (0x31): what the signature covers. */
  encodedValue: ArrayBuffer;
}

/** issuerAndSerialNumber (issuer = DER of the Name as pkijs re-encodes it), subjectKeyIdentifier, or unreadable. */
export type CmsSignerId = { issuerDer: Uint8Array; serialHex: string } | { keyId: Uint8Array } | { none: true };

export interface CmsSignerInfo {
  sid: CmsSignerId;
  digestAlgorithm: AlgId;
  signedAttrs?: CmsAttributes;
  signatureAlgorithm: AlgId;
  /** The signature value (content of the OCTET STRING). */
  signature: Uint8Array;
  unsignedAttrs?: CmsAttributes;
}

/** The pkijs path (BER and every unusual shape): the behaviour the verifier always had. */
export function fromPkijsSignerInfo(si: pkijs.SignerInfo): CmsSignerInfo {
  const P = pki();
  const attrs = (a: pkijs.SignedAndUnsignedAttributes | undefined): CmsAttributes | undefined =>
    a ? { attributes: (a.attributes ?? []).map((x) => ({ type: x.type, values: (x.values as asn1js.AsnType[]).map((v) => rawBytes(v)) })), encodedValue: a.encodedValue } : undefined;
  let sid: CmsSignerId = { none: true };
  const raw = si.sid as unknown;
  if (raw instanceof P.IssuerAndSerialNumber) {
    sid = { issuerDer: u8(raw.issuer.toSchema().toBER(false)), serialHex: normSerial(toHex(raw.serialNumber.valueBlock.valueHexView)) };
  } else {
    // [0] SubjectKeyIdentifier
    const A = asn1();
    const asn = raw as asn1js.Constructed | asn1js.Primitive;
    if (asn instanceof A.Constructed && asn.valueBlock.value[0] instanceof A.OctetString) sid = { keyId: asn.valueBlock.value[0].valueBlock.valueHexView };
    else if (asn instanceof A.Primitive) sid = { keyId: asn.valueBlock.valueHexView };
  }
  return {
    sid,
    digestAlgorithm: algIdFromPkijs(si.digestAlgorithm),
    signedAttrs: attrs(si.signedAttrs),
    signatureAlgorithm: algIdFromPkijs(si.signatureAlgorithm),
    signature: (si.signature as asn1js.OctetString).valueBlock.valueHexView,
    unsignedAttrs: attrs(si.unsignedAttrs),
  };
}

/** Parses one SignerInfo TLV of `buf`; throws like pkijs does when it is not a SignerInfo. */
export function parseSignerInfo(buf: Uint8Array, t: Tlv): CmsSignerInfo {
  let fast: CmsSignerInfo | undefined;
  try {
    fast = fastSignerInfo(buf, t);
  } catch {
    fast = undefined;
  }
  return fast ?? fromPkijsSignerInfo(new (pki().SignerInfo)({ schema: parseDer(buf.slice(t.start, t.end), 'SignerInfo') }));
}

// Per-run caches keyed by the exact bytes: certificates of one issuer and algorithm identifiers repeat in
// every signature of an archive. Bounded so that a hostile corpus cannot grow them without limit.
const CACHE_MAX = 512;
const algCache = new Map<string, AlgId>();

function cached<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    if (map.size >= CACHE_MAX) map.clear();
    map.set(key, v);
  }
  return v;
}

const isSeq = (x: Tlv): boolean => x.cls === 0 && x.tag === 16 && x.constructed;
const isPrim = (x: Tlv | undefined, tag: number): x is Tlv => x !== undefined && x.cls === 0 && x.tag === tag && !x.constructed;

/** undefined = not the canonical shape: let pkijs decide. Exported for the differential test. */
export function fastSignerInfo(buf: Uint8Array, t: Tlv): CmsSignerInfo | undefined {
  if (!isSeq(t) || !isStrictDer(buf, t)) return undefined;
  const k = children(buf, t);
  let i = 0;
  if (!isPrim(k[i++], 2)) return undefined; // version
  const sidT: Tlv | undefined = k[i++];
  let sid: CmsSignerId;
  if (sidT !== undefined && isSeq(sidT)) {
    const [issuer, serial, ...rest] = children(buf, sidT);
    if (!issuer || !isPlainName(buf, issuer) || !isPrim(serial, 2) || rest.length > 0 || serial.end === serial.valueStart) return undefined;
    // Strict DER: the Name's bytes are what pkijs' re-encoding of it gives.
    sid = { issuerDer: buf.slice(issuer.start, issuer.end), serialHex: normSerial(toHex(buf.subarray(serial.valueStart, serial.end))) };
  } else if (sidT !== undefined && sidT.cls === 2 && sidT.tag === 0 && !sidT.constructed) {
    sid = { keyId: buf.slice(sidT.valueStart, sidT.end) };
  } else return undefined;
  const digestAlgorithm = algorithm(buf, k[i++]);
  if (!digestAlgorithm) return undefined;
  let signedAttrs: CmsAttributes | undefined;
  if (k[i] && k[i]!.cls === 2 && k[i]!.tag === 0) {
    signedAttrs = attributes(buf, k[i++]!);
    if (!signedAttrs) return undefined;
  }
  const signatureAlgorithm = algorithm(buf, k[i++]);
  if (!signatureAlgorithm) return undefined;
  const sig = k[i++];
  if (!isPrim(sig, 4)) return undefined;
  let unsignedAttrs: CmsAttributes | undefined;
  if (k[i] && k[i]!.cls === 2 && k[i]!.tag === 1) {
    unsignedAttrs = attributes(buf, k[i++]!);
    if (!unsignedAttrs) return undefined;
  }
  if (i !== k.length) return undefined;
  return { sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature: buf.slice(sig.valueStart, sig.end), unsignedAttrs };
}

function algorithm(buf: Uint8Array, t: Tlv | undefined): AlgId | undefined {
  if (!t || !isSeq(t)) return undefined;
  const key = Buffer.from(buf.subarray(t.start, t.end)).toString('latin1');
  // Shared between signatures: read only (describeSignatureAlgorithm and friends never modify it).
  const hit = algCache.get(key);
  if (hit) return hit;
  const a = readAlgId(buf, t);
  if (a) cached(algCache, key, () => a);
  return a;
}

/** [0]/[1] IMPLICIT SET OF Attribute, Attribute = SEQUENCE { OID, SET OF ANY }. */
function attributes(buf: Uint8Array, t: Tlv): CmsAttributes | undefined {
  if (!t.constructed) return undefined;
  const out: CmsAttribute[] = [];
  for (const a of children(buf, t)) {
    if (!isSeq(a)) return undefined;
    const [oid, set, ...rest] = children(buf, a);
    if (!isPrim(oid, 6) || !set || set.cls !== 0 || set.tag !== 17 || !set.constructed || rest.length > 0) return undefined;
    const type = oidText(buf, oid);
    out.push({ type, values: children(buf, set).map((v) => buf.slice(v.start, v.end)) });
  }
  if (out.length === 0) return undefined;
  const encoded = new Uint8Array(buf.subarray(t.start, t.end)); // a copy (Buffer#slice would share memory)
  encoded[0] = 0x31;
  return { attributes: out, encodedValue: encoded.buffer };
}
