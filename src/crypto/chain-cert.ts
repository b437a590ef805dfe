/**
 * A parsed certificate for chain building and revocation: the facts the validator needs, read once.
 * node:crypto's X509Certificate gives the public key and signature checks; pkijs gives the extensions
 * (key usage bits, basic constraints, AIA, CRLDP) that node:crypto does not expose.
 */
import { problem, type Problem } from '../core/problem.js';
import { X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { nameToString } from './x509.js';
import { OID, bytesEqual, hashBytes, parseDer, sha256Hex, toHex, u8 } from './verify-util.js';
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
  readonly pkijs: pkijs.Certificate;
  readonly sha256: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  private _key?: KeyObject;
  private _subject?: string;
  private _issuer?: string;

  constructor(der: Uint8Array) {
    this.der = der;
    const asn = parseDer(der, 'certificate');
    this.pkijs = new pkijs.Certificate({ schema: asn });
    this.sha256 = sha256Hex(der);
    this.subjectDer = u8(this.pkijs.subject.toSchema().toBER(false));
    this.issuerDer = u8(this.pkijs.issuer.toSchema().toBER(false));
    this.serialHex = normSerial(toHex(this.pkijs.serialNumber.valueBlock.valueHexView));
    this.notBefore = this.pkijs.notBefore.value;
    this.notAfter = this.pkijs.notAfter.value;
    this.spkiDer = u8(this.pkijs.subjectPublicKeyInfo.toSchema().toBER(false));
  }

  get publicKey(): KeyObject {
    if (!this._key) this._key = new NodeX509(Buffer.from(this.der)).publicKey;
    return this._key;
  }

  /** RFC 4514-like one-line subject, e.g. "CN=Nguyễn Văn A, O=UBND, C=VN". */
  get subject(): string {
    if (this._subject === undefined) this._subject = safeName(() => nameToString(this.pkijs.subject), this.subjectDer);
    return this._subject;
  }

  get issuer(): string {
    if (this._issuer === undefined) this._issuer = safeName(() => nameToString(this.pkijs.issuer), this.issuerDer);
    return this._issuer;
  }

  get selfIssued(): boolean {
    return bytesEqual(this.subjectDer, this.issuerDer);
  }

  extension(oid: string): pkijs.Extension | undefined {
    return this.pkijs.extensions?.find((e) => e.extnID === oid);
  }

  get basicConstraints(): { ca: boolean; pathLen?: number } | undefined {
    const e = this.extension(OID.basicConstraints);
    if (!e) return undefined;
    const bc = e.parsedValue as pkijs.BasicConstraints | undefined;
    if (!bc) return { ca: false };
    const pl = bc.pathLenConstraint;
    return { ca: Boolean(bc.cA), pathLen: typeof pl === 'number' ? pl : pl instanceof asn1js.Integer ? pl.valueBlock.valueDec : undefined };
  }

  get keyUsage(): KeyUsageFlags | undefined {
    const e = this.extension(OID.keyUsage);
    if (!e) return undefined;
    const bs = e.parsedValue as asn1js.BitString | undefined;
    const bytes = bs ? bs.valueBlock.valueHexView : new Uint8Array();
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
    const eku = e.parsedValue as pkijs.ExtKeyUsage | undefined;
    return eku ? [...eku.keyPurposes] : [];
  }

  get extKeyUsageCritical(): boolean {
    return Boolean(this.extension(OID.extKeyUsage)?.critical);
  }

  get subjectKeyId(): string | undefined {
    const v = this.extension(OID.subjectKeyIdentifier)?.parsedValue as asn1js.OctetString | undefined;
    return v ? toHex(v.valueBlock.valueHexView) : undefined;
  }

  get authorityKeyId(): string | undefined {
    const v = this.extension(OID.authorityKeyIdentifier)?.parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
    return v?.keyIdentifier ? toHex(v.keyIdentifier.valueBlock.valueHexView) : undefined;
  }

  private accessUrls(method: string): string[] {
    const v = this.extension(OID.authorityInfoAccess)?.parsedValue as pkijs.InfoAccess | undefined;
    if (!v) return [];
    return v.accessDescriptions
      .filter((d) => d.accessMethod === method && d.accessLocation.type === 6)
      .map((d) => String(d.accessLocation.value));
  }

  get ocspUrls(): string[] {
    return this.accessUrls(OID.adOcsp);
  }

  get caIssuersUrls(): string[] {
    return this.accessUrls(OID.adCaIssuers);
  }

  get crlUrls(): string[] {
    const v = this.extension(OID.crlDistributionPoints)?.parsedValue as pkijs.CRLDistributionPoints | undefined;
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
      algorithm: this.pkijs.signatureAlgorithm,
      publicKey: issuer.publicKey,
      data: this.pkijs.tbsView,
      signature: this.pkijs.signatureValue.valueBlock.valueHexView,
    }).ok;
  }

  /** SHA-1 of the subject public key BIT STRING value (OCSP byKey / issuerKeyHash). */
  keyHash(alg = 'sha1'): Uint8Array {
    return hashBytes(alg, this.pkijs.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  }

  validAt(t: Date): boolean {
    return t.getTime() >= this.notBefore.getTime() && t.getTime() <= this.notAfter.getTime();
  }
}

/** Lowercase hex without leading zero bytes (serial numbers compare by value). */
export function normSerial(hex: string): string {
  const h = hex.toLowerCase().replace(/^(00)+(?=..)/, '');
  return h || '00';
}

function safeName(f: () => string, der: Uint8Array): string {
  try {
    return f();
  } catch {
    return `DER:${toHex(der)}`;
  }
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
