/**
 * The facts of an X.509 certificate that verification reads (chain-cert.ts, x509.ts), from its DER.
 * Canonical DER certificates (every CA issues them) are read by hand with der.ts; anything else (BER,
 * trailing bytes, unusual shapes or values) is read by pkijs, loaded only then (asn1-lazy.ts), so both
 * paths accept, reject and read the same inputs: the hand path says yes only to what pkijs reads the same
 * way (isStrictDer: the tree re-encodes to the same bytes, which is what pkijs' toBER() of a name or key
 * gives), and otherwise steps aside.
 * Why by hand: pkijs and asn1js were ~60 ms of module compile and ~10 ms of parsing per `kyso verify`
 * process, against a 150 ms budget for the whole run (issue 16).
 */
import type * as pkijs from 'pkijs';
import { pki } from './asn1-lazy.js';
import { TAG, asnTimeOf, children, isStrictDer, strictRoot, type Tlv } from './der.js';
import { type AlgId, algIdFromPkijs, oidText, parseDer, readAlgId, u8 } from './verify-util.js';

export interface CertExtension {
  id: string;
  critical: boolean;
  /** content of extnValue (the extension's own DER, or whatever the certificate put there) */
  value: Uint8Array;
  /** DER of the Extension SEQUENCE, for pkijs when the value has an unusual shape */
  der: Uint8Array;
  /** the pkijs Extension when the certificate was read by pkijs */
  pk?: pkijs.Extension;
}

export interface CertData {
  /** TBSCertificate as encoded (what the signature covers) */
  tbs: Uint8Array;
  /** 0 = v1 … 2 = v3 */
  version: number;
  /** content octets of the serialNumber INTEGER */
  serialBytes: Uint8Array;
  /** DER of the issuer / subject Name and of the SubjectPublicKeyInfo, as pkijs re-encodes them */
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  spkiDer: Uint8Array;
  /** subjectPublicKey BIT STRING without its unused-bits octet */
  subjectPublicKey: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: CertExtension[];
  signatureAlgorithm: AlgId;
  /** signatureValue BIT STRING without its unused-bits octet */
  signatureValue: Uint8Array;
}

/** Reads a certificate; throws (as pkijs does) when it is not one. */
export function readCertData(der: Uint8Array): CertData {
  return fastCertData(der) ?? certDataViaPkijs(der);
}


const isSeq = (t: Tlv | undefined): t is Tlv => t !== undefined && t.cls === 0 && t.tag === TAG.sequence && t.constructed;
const isUni = (t: Tlv | undefined, tag: number): t is Tlv => t !== undefined && t.cls === 0 && t.tag === tag && !t.constructed;
const isCtx = (t: Tlv | undefined, n: number): t is Tlv => t !== undefined && t.cls === 2 && t.tag === n;

/** Name ::= SEQUENCE OF SET OF SEQUENCE { OID, ANY }, none of them empty (strict DER already checked). */
export function isPlainName(buf: Uint8Array, t: Tlv | undefined): t is Tlv {
  if (!isSeq(t)) return false;
  const rdns = children(buf, t);
  if (rdns.length === 0) return false;
  for (const rdn of rdns) {
    if (rdn.cls !== 0 || rdn.tag !== TAG.set || !rdn.constructed) return false;
    const atvs = children(buf, rdn);
    if (atvs.length === 0) return false;
    for (const atv of atvs) {
      if (!isSeq(atv)) return false;
      const parts = children(buf, atv);
      if (parts.length !== 2 || !isUni(parts[0], TAG.oid)) return false;
    }
  }
  return true;
}

/** undefined: not the canonical shape (pkijs decides). */
export function fastCertData(der: Uint8Array): CertData | undefined {
  const root = strictRoot(der);
  if (!isSeq(root)) return undefined;
  const top = children(der, root);
  if (top.length !== 3 || !isSeq(top[0]) || !isUni(top[2], TAG.bitString)) return undefined;
  const signatureAlgorithm = readAlgId(der, top[1]);
  if (!signatureAlgorithm) return undefined;
  const tbsT = top[0];
  const f = children(der, tbsT);
  let i = 0;
  let version = 0;
  if (isCtx(f[0], 0)) {
    if (!f[0].constructed) return undefined;
    const v = children(der, f[0]);
    if (v.length !== 1 || !isUni(v[0], TAG.integer) || v[0].end - v[0].valueStart !== 1 || der[v[0].valueStart]! >= 0x80) return undefined;
    version = der[v[0].valueStart]!;
    i = 1;
  }
  const serial = f[i++];
  if (!isUni(serial, TAG.integer)) return undefined;
  if (!readAlgId(der, f[i++])) return undefined;
  const issuer = f[i++];
  if (!isPlainName(der, issuer)) return undefined;
  const validity = f[i++];
  if (!isSeq(validity)) return undefined;
  const times = children(der, validity);
  const notBefore = times[0] ? asnTimeOf(der, times[0]) : undefined;
  const notAfter = times[1] ? asnTimeOf(der, times[1]) : undefined;
  if (times.length !== 2 || !notBefore || !notAfter) return undefined;
  const subject = f[i++];
  if (!isPlainName(der, subject)) return undefined;
  const spki = f[i++];
  if (!isSeq(spki)) return undefined;
  const spkiKids = children(der, spki);
  if (spkiKids.length !== 2 || !readAlgId(der, spkiKids[0]) || !isUni(spkiKids[1], TAG.bitString)) return undefined;
  if (isCtx(f[i], 1)) {
    if (f[i]!.constructed) return undefined;
    i++;
  }
  if (isCtx(f[i], 2)) {
    if (f[i]!.constructed) return undefined;
    i++;
  }
  const extensions: CertExtension[] = [];
  if (isCtx(f[i], 3)) {
    if (!f[i]!.constructed) return undefined;
    const wrap = children(der, f[i]!);
    if (wrap.length !== 1 || !isSeq(wrap[0])) return undefined;
    const list = children(der, wrap[0]);
    if (list.length === 0) return undefined;
    for (const e of list) {
      if (!isSeq(e)) return undefined;
      const parts = children(der, e);
      if (parts.length < 2 || parts.length > 3 || !isUni(parts[0], TAG.oid)) return undefined;
      let critical = false;
      if (parts.length === 3) {
        if (!isUni(parts[1], TAG.boolean)) return undefined;
        critical = der[parts[1].valueStart] !== 0;
      }
      const v = parts[parts.length - 1];
      if (!isUni(v, TAG.octetString)) return undefined;
      extensions.push({ id: oidText(der, parts[0]), critical, value: der.slice(v.valueStart, v.end), der: der.slice(e.start, e.end) });
    }
    i++;
  }
  if (i !== f.length) return undefined;
  return {
    tbs: der.slice(tbsT.start, tbsT.end),
    version,
    serialBytes: der.slice(serial.valueStart, serial.end),
    issuerDer: der.slice(issuer.start, issuer.end),
    subjectDer: der.slice(subject.start, subject.end),
    spkiDer: der.slice(spki.start, spki.end),
    subjectPublicKey: der.slice(spkiKids[1]!.valueStart + 1, spkiKids[1]!.end),
    notBefore,
    notAfter,
    extensions,
    signatureAlgorithm,
    signatureValue: der.slice(top[2].valueStart + 1, top[2].end),
  };
}

/** The pkijs reading (BER and unusual shapes): the behaviour the verifier always had. */
export function certDataViaPkijs(der: Uint8Array): CertData {
  const P = pki();
  const c = new P.Certificate({ schema: parseDer(der, 'certificate') });
  return {
    tbs: c.tbsView,
    version: c.version,
    serialBytes: c.serialNumber.valueBlock.valueHexView,
    issuerDer: u8(c.issuer.toSchema().toBER(false)),
    subjectDer: u8(c.subject.toSchema().toBER(false)),
    spkiDer: u8(c.subjectPublicKeyInfo.toSchema().toBER(false)),
    subjectPublicKey: c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
    notBefore: c.notBefore.value,
    notAfter: c.notAfter.value,
    extensions: (c.extensions ?? []).map((e) => ({ id: e.extnID, critical: e.critical, value: e.extnValue.valueBlock.valueHexView, der: u8(e.toSchema().toBER(false)), pk: e })),
    signatureAlgorithm: algIdFromPkijs(c.signatureAlgorithm),
    signatureValue: c.signatureValue.valueBlock.valueHexView,
  };
}

/** The pkijs Extension of `e` (its parsedValue decides unusual extension values exactly as before). */
export function pkijsExtension(e: CertExtension): pkijs.Extension {
  if (!e.pk) e.pk = new (pki().Extension)({ schema: parseDer(e.der, 'extension') });
  return e.pk;
}

/** The extension value as one strict DER TLV, or undefined. */
export function extValueRoot(e: CertExtension): Tlv | undefined {
  return strictRoot(e.value);
}

export { isStrictDer, children as kidsOf };
