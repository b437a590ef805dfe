/**
 * A parsed certificate for chain building and revocation: the facts the validator needs, read once.
 * node:crypto's X509Certificate gives the public key; cert-data.ts reads the rest from the DER by hand
 * (pkijs only for BER and unusual shapes, loaded then), and the extension getters below read canonical
 * values by hand and hand anything else to pkijs' own extension classes, so they answer exactly as the
 * pkijs-based getters always did.
 */
import { problem, type Problem } from '../core/problem.js';
import { X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { type CertData, type CertExtension, extValueRoot, isPlainName, kidsOf, pkijsExtension, readCertData } from './cert-data.js';
import { TAG, asnStringOf, strictRoot, type Tlv } from './der.js';
import { NAME_ATTRS } from './der-cert.js';
import { asn1, pki } from './asn1-lazy.js';
import { type AlgId, OID, bytesEqual, hashBytes, oidText, parseDer, sha256Hex, toHex } from './verify-util.js';
import { verifySignature } from './verify-signature.js';

export interface KeyUsageFlags {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

export class ChainCert {
  readonly der: Uint8Array;
  readonly sha256: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly serialHex: string;
  /** content octets of the serialNumber INTEGER, as encoded */
  readonly serialBytes: Uint8Array;
  /** 0 = v1 … 2 = v3 */
  readonly version: number;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  readonly extensions: readonly CertExtension[];
  /** TBSCertificate, signature algorithm and value (isSignedBy) */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgId;
  readonly signatureValue: Uint8Array;
  /** subjectPublicKey BIT STRING without its unused-bits octet */
  readonly subjectPublicKey: Uint8Array;
  private _key?: KeyObject;
  private _subject?: string;
  private _issuer?: string;

  constructor(der: Uint8Array) {
    const d: CertData = readCertData(der);
    this.der = der;
    this.sha256 = sha256Hex(der);
    this.subjectDer = d.subjectDer;
    this.issuerDer = d.issuerDer;
    this.serialBytes = d.serialBytes;
    this.serialHex = normSerial(toHex(d.serialBytes));
    this.version = d.version;
    this.notBefore = d.notBefore;
    this.notAfter = d.notAfter;
    this.spkiDer = d.spkiDer;
    this.extensions = d.extensions;
    this.tbs = d.tbs;
    this.signatureAlgorithm = d.signatureAlgorithm;
    this.signatureValue = d.signatureValue;
    this.subjectPublicKey = d.subjectPublicKey;
  }

  get publicKey(): KeyObject {
    if (!this._key) this._key = new NodeX509(Buffer.from(this.der)).publicKey;
    return this._key;
  }

  /** RFC 4514-like one-line subject, e.g. "CN=Nguyễn Văn A, O=UBND, C=VN". */
  get subject(): string {
    if (this._subject === undefined) this._subject = safeName(this.subjectDer);
    return this._subject;
  }

  get issuer(): string {
    if (this._issuer === undefined) this._issuer = safeName(this.issuerDer);
    return this._issuer;
  }

  get selfIssued(): boolean {
    return bytesEqual(this.subjectDer, this.issuerDer);
  }

  extension(oid: string): CertExtension | undefined {
    return this.extensions.find((e) => e.id === oid);
  }

  get basicConstraints(): { ca: boolean; pathLen?: number } | undefined {
    const e = this.extension(OID.basicConstraints);
    if (!e) return undefined;
    const t = extValueRoot(e);
    if (t && t.cls === 0 && t.tag === TAG.sequence && t.constructed) {
      const k = kidsOf(e.value, t);
      let i = 0;
      let ca = false;
      if (k[i] && isPrim(k[i], TAG.boolean)) ca = e.value[k[i++]!.valueStart] !== 0;
      let pathLen: number | undefined;
      const pl = k[i];
      if (pl && isPrim(pl, TAG.integer) && pl.end - pl.valueStart === 1 && e.value[pl.valueStart]! < 0x80) {
        pathLen = e.value[pl.valueStart]!;
        i++;
      }
      if (i === k.length) return { ca, pathLen };
    }
    const bc = pkijsExtension(e).parsedValue as pkijs.BasicConstraints | undefined;
    if (!bc) return { ca: false };
    const pl = bc.pathLenConstraint;
    return { ca: Boolean(bc.cA), pathLen: typeof pl === 'number' ? pl : pl instanceof asn1().Integer ? pl.valueBlock.valueDec : undefined };
  }

  get keyUsage(): KeyUsageFlags | undefined {
    const e = this.extension(OID.keyUsage);
    if (!e) return undefined;
    const t = extValueRoot(e);
    let bytes: Uint8Array;
    if (t && isPrim(t, TAG.bitString)) bytes = e.value.subarray(t.valueStart + 1, t.end);
    else {
      const bs = pkijsExtension(e).parsedValue as asn1js.BitString | undefined;
      bytes = bs ? bs.valueBlock.valueHexView : new Uint8Array();
    }
    const b0 = bytes[0] ?? 0;
    return {
      digitalSignature: (b0 & 0x80) !== 0,
      nonRepudiation: (b0 & 0x40) !== 0,
      keyEncipherment: (b0 & 0x20) !== 0,
      dataEncipherment: (b0 & 0x10) !== 0,
      keyAgreement: (b0 & 0x08) !== 0,
      keyCertSign: (b0 & 0x04) !== 0,
      cRLSign: (b0 & 0x02) !== 0,
    };
  }

  /** Extended key usage OIDs, or undefined when the extension is absent (= any). */
  get extKeyUsage(): string[] | undefined {
    const e = this.extension(OID.extKeyUsage);
    if (!e) return undefined;
    const t = extValueRoot(e);
    if (t && t.cls === 0 && t.tag === TAG.sequence && t.constructed) {
      const k = kidsOf(e.value, t);
      if (k.length > 0 && k.every((x) => isPrim(x, TAG.oid))) return k.map((x) => oidText(e.value, x));
    }
    const eku = pkijsExtension(e).parsedValue as pkijs.ExtKeyUsage | undefined;
    return eku ? [...eku.keyPurposes] : [];
  }

  get extKeyUsageCritical(): boolean {
    return Boolean(this.extension(OID.extKeyUsage)?.critical);
  }

  get subjectKeyId(): string | undefined {
    const e = this.extension(OID.subjectKeyIdentifier);
    if (!e) return undefined;
    const t = extValueRoot(e);
    if (t && isPrim(t, TAG.octetString)) return toHex(e.value.subarray(t.valueStart, t.end));
    const v = pkijsExtension(e).parsedValue as asn1js.OctetString | undefined;
    return v ? toHex(v.valueBlock.valueHexView) : undefined;
  }

  get authorityKeyId(): string | undefined {
    const e = this.extension(OID.authorityKeyIdentifier);
    if (!e) return undefined;
    const t = extValueRoot(e);
    if (t && t.cls === 0 && t.tag === TAG.sequence && t.constructed) {
      // keyIdentifier [0] alone (what CAs write); issuer and serial ([1], [2]) go through pkijs.
      const k = kidsOf(e.value, t);
      if (k.length === 0) return undefined;
      if (k.length === 1 && k[0]!.cls === 2 && k[0]!.tag === 0 && !k[0]!.constructed) return toHex(e.value.subarray(k[0]!.valueStart, k[0]!.end));
    }
    const v = pkijsExtension(e).parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
    return v?.keyIdentifier ? toHex(v.keyIdentifier.valueBlock.valueHexView) : undefined;
  }

  /**
   * The URLs an extension whose value is a SEQUENCE of simple items lists, read from the DER: `urlsOf` gives an
   * item's URLs, or undefined for an item it does not read plainly, in which case (as for a value that is not a
   * SEQUENCE) the whole extension is left to pkijs (undefined).
   */
  private plainUrls(e: CertExtension, urlsOf: (item: Tlv) => string[] | undefined): string[] | undefined {
    const t = extValueRoot(e);
    if (!t || t.cls !== 0 || t.tag !== TAG.sequence || !t.constructed) return undefined;
    const out: string[] = [];
    for (const item of kidsOf(e.value, t)) {
      const urls = urlsOf(item);
      if (!urls) return undefined;
      out.push(...urls);
    }
    return out;
  }

  private accessUrls(method: string): string[] {
    const e = this.extension(OID.authorityInfoAccess);
    if (!e) return [];
    const plain = this.plainUrls(e, (ad) => {
      const parts = ad.cls === 0 && ad.tag === TAG.sequence && ad.constructed ? kidsOf(e.value, ad) : [];
      const loc = parts[1];
      if (parts.length !== 2 || !isPrim(parts[0], TAG.oid) || !loc || !simpleGeneralName(loc)) return undefined;
      return oidText(e.value, parts[0]) === method && loc.tag === 6 ? [Buffer.from(e.value.subarray(loc.valueStart, loc.end)).toString('latin1')] : [];
    });
    if (plain) return plain;
    const v = pkijsExtension(e).parsedValue as pkijs.InfoAccess | undefined;
    if (!v) return [];
    return v.accessDescriptions.filter((d) => d.accessMethod === method && d.accessLocation.type === 6).map((d) => String(d.accessLocation.value));
  }

  get ocspUrls(): string[] {
    return this.accessUrls(OID.adOcsp);
  }

  get caIssuersUrls(): string[] {
    return this.accessUrls(OID.adCaIssuers);
  }

  get crlUrls(): string[] {
    const e = this.extension(OID.crlDistributionPoints);
    if (!e) return [];
    // DistributionPoint { [0] { [0] fullName } } with simple general names; anything else: pkijs.
    const plain = this.plainUrls(e, (dp) => {
      const dpk = dp.cls === 0 && dp.tag === TAG.sequence && dp.constructed ? kidsOf(e.value, dp) : [];
      const dpn = dpk[0];
      const full = dpn && dpn.cls === 2 && dpn.tag === 0 && dpn.constructed ? kidsOf(e.value, dpn) : [];
      const names = full.length === 1 && full[0]!.cls === 2 && full[0]!.tag === 0 && full[0]!.constructed ? kidsOf(e.value, full[0]!) : [];
      if (dpk.length !== 1 || names.length === 0 || !names.every(simpleGeneralName)) return undefined;
      return names.filter((n) => n.tag === 6).map((n) => Buffer.from(e.value.subarray(n.valueStart, n.end)).toString('latin1'));
    });
    if (plain) return plain;
    const v = pkijsExtension(e).parsedValue as pkijs.CRLDistributionPoints | undefined;
    if (!v) return [];
    const out: string[] = [];
    for (const dp of v.distributionPoints) {
      const names = dp.distributionPoint;
      if (!Array.isArray(names)) continue;
      for (const n of names) if (n.type === 6) out.push(String(n.value));
    }
    return out;
  }

  get ocspNoCheck(): boolean {
    return Boolean(this.extension(OID.ocspNoCheck));
  }

  /** True when `issuer`'s key verifies this certificate's signature. */
  isSignedBy(issuer: ChainCert): boolean {
    return verifySignature({
      algorithm: this.signatureAlgorithm,
      publicKey: issuer.publicKey,
      data: this.tbs,
      signature: this.signatureValue,
    }).ok;
  }

  /** SHA-1 of the subject public key BIT STRING value (OCSP byKey / issuerKeyHash). */
  keyHash(alg = 'sha1'): Uint8Array {
    return hashBytes(alg, this.subjectPublicKey);
  }

  validAt(t: Date): boolean {
    return t.getTime() >= this.notBefore.getTime() && t.getTime() <= this.notAfter.getTime();
  }
}

function isPrim(t: Tlv | undefined, tag: number): t is Tlv {
  return t !== undefined && t.cls === 0 && t.tag === tag && !t.constructed;
}

/** rfc822Name [1], dNSName [2], URI [6], iPAddress [7]: IMPLICIT primitives pkijs reads without fail. */
function simpleGeneralName(t: Tlv): boolean {
  return t.cls === 2 && !t.constructed && (t.tag === 1 || t.tag === 2 || t.tag === 6 || t.tag === 7);
}

/** Lowercase hex without leading zero bytes (serial numbers compare by value). */
export function normSerial(hex: string): string {
  const h = hex.toLowerCase().replace(/^(00)+(?=..)/, '');
  return h || '00';
}

/**
 * "CN=…, O=…, C=VN" (RFC 4514 order: the last RDN first) of a Name's DER, with each value as asn1js reads
 * it; names with other value types go through pkijs (nameToString), and an unreadable one is "DER:<hex>".
 */
function safeName(der: Uint8Array): string {
  try {
    const fast = fastNameString(der);
    if (fast !== undefined) return fast;
    return nameToString(new (pki().RelativeDistinguishedNames)({ schema: parseDer(der, 'Name') }));
  } catch {
    return `DER:${toHex(der)}`;
  }
}

function fastNameString(der: Uint8Array): string | undefined {
  const t = strictRoot(der);
  if (!isPlainName(der, t)) return undefined;
  const parts: string[] = [];
  for (const rdn of kidsOf(der, t)) {
    for (const atv of kidsOf(der, rdn)) {
      const [type, v] = kidsOf(der, atv) as [Tlv, Tlv];
      const text = asnStringOf(der, v);
      if (text === undefined) return undefined;
      const oid = oidText(der, type);
      parts.push(`${NAME_ATTRS[oid] ?? oid}=${escapeRdnValue(text)}`);
    }
  }
  return parts.reverse().join(', ');
}

function escapeRdnValue(v: string): string {
  return v.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

function attrValueToString(v: unknown): string {
  const block = (v as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } }).valueBlock;
  if (block && typeof block.value === 'string') return block.value;
  const der = (v as asn1js.BaseBlock).toBER?.(false);
  return der ? '#' + Buffer.from(der).toString('hex') : '';
}

/** "CN=…, O=…, C=VN" of a pkijs Name (RFC 4514: the last RDN of the sequence first). */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${NAME_ATTRS[tv.type] ?? tv.type}=${escapeRdnValue(attrValueToString(tv.value))}`)
    .reverse()
    .join(', ');
}

/** Parses each DER, dropping duplicates and what does not parse (a problem list collects the latter). */
export function parseCerts(ders: Uint8Array[], problems?: Problem[]): ChainCert[] {
  const seen = new Set<string>();
  const out: ChainCert[] = [];
  for (const d of ders) {
    try {
      const c = getChainCert(d);
      if (seen.has(c.sha256)) continue;
      seen.add(c.sha256);
      out.push(c);
    } catch (e) {
      problems?.push(problem('CERT_UNPARSEABLE', { detail: (e as Error).message }));
    }
  }
  return out;
}

// Parsing is the expensive part when a batch verifies many files signed by the same people.
const CACHE = new Map<string, ChainCert>();
export function getChainCert(der: Uint8Array): ChainCert {
  const key = sha256Hex(der);
  let c = CACHE.get(key);
  if (!c) {
    c = new ChainCert(der);
    if (CACHE.size > 2000) CACHE.clear();
    CACHE.set(key, c);
  }
  return c;
}
