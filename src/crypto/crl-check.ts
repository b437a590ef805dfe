/**
 * CRL (RFC 5280 §6.3, the simple case): issued by the certificate's issuer (same name, signature by the
 * issuer's key), current, and the serial looked up. Delta and indirect CRLs are not supported (reported).
 */
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { asn1, pki } from './asn1-lazy.js';
import { isPlainName } from './cert-data.js';
import type { ChainCert } from './chain-cert.js';
import { normSerial } from './chain-cert.js';
import { TAG, asnTimeOf, strictRoot, type Tlv } from './der.js';
import { problem, type Problem } from '../core/problem.js';
import { CLOCK_SKEW_MS, CRL_REASONS, type RevocationStatus } from './revocation-status.js';
import { verifySignature } from './verify-signature.js';
import { type AlgId, OID, algIdFromPkijs, asnTimeToDate, bytesEqual, children, errorText, oidText, parseDer, readAlgId, sha256Hex, toHex, u8 } from './verify-util.js';

/** What the checker reads of a CRL, read once per CRL (by hand when canonical DER, else by pkijs). */
export interface ParsedCrl {
  issuerDer: Uint8Array;
  /** serial hex → entry */
  revoked: Map<string, { at?: Date; reason?: string }>;
  sigOkBy: Set<string>;
  tbs: Uint8Array;
  signatureAlgorithm: AlgId;
  signatureValue: Uint8Array;
  thisUpdate?: Date;
  nextUpdate?: Date;
  /** a deltaCRLIndicator extension is present */
  delta: boolean;
}

const CACHE = new Map<string, ParsedCrl>();

function parseCrl(der: Uint8Array): ParsedCrl {
  const key = sha256Hex(der);
  let p = CACHE.get(key);
  if (p) return p;
  p = fastCrl(der) ?? crlViaPkijs(der);
  if (CACHE.size > 200) CACHE.clear();
  CACHE.set(key, p);
  return p;
}

function reasonName(code: number): string {
  return CRL_REASONS[code] ?? `reason ${code}`;
}

/** The pkijs reading (BER and unusual shapes): the behaviour the checker always had. Exported for the differential test. */
export function crlViaPkijs(der: Uint8Array): ParsedCrl {
  const A = asn1();
  const crl: pkijs.CertificateRevocationList = new (pki().CertificateRevocationList)({ schema: parseDer(der, 'CRL') });
  const revoked = new Map<string, { at?: Date; reason?: string }>();
  for (const rc of crl.revokedCertificates ?? []) {
    let reason: string | undefined;
    const ext = rc.crlEntryExtensions?.extensions.find((e) => e.extnID === OID.crlReason);
    if (ext) {
      try {
        const en = A.fromBER(ext.extnValue.valueBlock.valueHexView).result;
        if (en instanceof A.Enumerated) reason = reasonName(en.valueBlock.valueDec);
      } catch {
        /* reason is informative only */
      }
    }
    revoked.set(normSerial(toHex(rc.userCertificate.valueBlock.valueHexView)), { at: asnTimeToDate(rc.revocationDate), reason });
  }
  return {
    issuerDer: u8(crl.issuer.toSchema().toBER(false)),
    revoked,
    sigOkBy: new Set(),
    tbs: crl.tbsView,
    signatureAlgorithm: algIdFromPkijs(crl.signature),
    signatureValue: crl.signatureValue.valueBlock.valueHexView,
    thisUpdate: asnTimeToDate(crl.thisUpdate),
    nextUpdate: asnTimeToDate(crl.nextUpdate),
    delta: Boolean(crl.crlExtensions?.extensions.some((e) => e.extnID === '2.5.29.27')),
  };
}

const seqT = (t: Tlv | undefined): t is Tlv => t !== undefined && t.cls === 0 && t.tag === TAG.sequence && t.constructed;
const primT = (t: Tlv | undefined, tag: number): t is Tlv => t !== undefined && t.cls === 0 && t.tag === tag && !t.constructed;
const timeT = (t: Tlv | undefined): t is Tlv => primT(t, TAG.utcTime) || primT(t, TAG.generalizedTime);

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, each { OID, BOOLEAN OPTIONAL, OCTET STRING }; undefined: not that shape. */
function extensionList(buf: Uint8Array, t: Tlv): { id: string; value: Tlv }[] | undefined {
  if (!seqT(t)) return undefined;
  const out: { id: string; value: Tlv }[] = [];
  for (const e of children(buf, t)) {
    const p = seqT(e) ? children(buf, e) : [];
    const v = p[p.length - 1];
    if (p.length < 2 || p.length > 3 || !primT(p[0], TAG.oid) || !primT(v, TAG.octetString) || (p.length === 3 && !primT(p[1], TAG.boolean))) return undefined;
    out.push({ id: oidText(buf, p[0]), value: v });
  }
  return out.length ? out : undefined;
}

/** CertificateList (RFC 5280 §5.1) in its canonical shape, read by hand; undefined: let pkijs read it. */
export function fastCrl(der: Uint8Array): ParsedCrl | undefined {
  const root = strictRoot(der);
  if (!seqT(root)) return undefined;
  const top = children(der, root);
  if (top.length !== 3 || !seqT(top[0]) || !readAlgId(der, top[1]) || !primT(top[2], TAG.bitString)) return undefined;
  const f = children(der, top[0]);
  let i = 0;
  if (primT(f[i], TAG.integer)) i++;
  // The checker has always verified with the TBSCertList's signature field (pkijs' `crl.signature`).
  const signatureAlgorithm = readAlgId(der, f[i++]);
  if (!signatureAlgorithm) return undefined;
  const issuer = f[i++];
  if (!isPlainName(der, issuer)) return undefined;
  const thisT = f[i++];
  if (!timeT(thisT)) return undefined;
  const thisUpdate = asnTimeOf(der, thisT);
  let nextUpdate: Date | undefined;
  if (timeT(f[i])) nextUpdate = asnTimeOf(der, f[i++]!);
  const revoked = new Map<string, { at?: Date; reason?: string }>();
  if (seqT(f[i])) {
    const entries = children(der, f[i++]!);
    if (entries.length === 0) return undefined;
    for (const en of entries) {
      const p = seqT(en) ? children(der, en) : [];
      if (p.length < 2 || p.length > 3 || !primT(p[0], TAG.integer) || !timeT(p[1])) return undefined;
      let reason: string | undefined;
      if (p.length === 3) {
        const exts = extensionList(der, p[2]!);
        if (!exts) return undefined;
        const r = exts.find((e) => e.id === OID.crlReason);
        if (r) reason = reasonOf(der.subarray(r.value.valueStart, r.value.end));
      }
      revoked.set(normSerial(toHex(der.subarray(p[0].valueStart, p[0].end))), { at: asnTimeOf(der, p[1]), reason });
    }
  }
  let delta = false;
  if (f[i] && f[i]!.cls === 2 && f[i]!.tag === 0 && f[i]!.constructed) {
    const w = children(der, f[i++]!);
    const exts = w.length === 1 ? extensionList(der, w[0]!) : undefined;
    if (!exts) return undefined;
    delta = exts.some((e) => e.id === '2.5.29.27');
  }
  if (i !== f.length) return undefined;
  return {
    issuerDer: der.slice(issuer.start, issuer.end),
    revoked,
    sigOkBy: new Set(),
    tbs: der.slice(top[0].start, top[0].end),
    signatureAlgorithm,
    signatureValue: der.slice(top[2].valueStart + 1, top[2].end),
    thisUpdate,
    nextUpdate,
    delta,
  };
}

/** CRLReason ENUMERATED of an entry extension value (as asn1js reads it when it is not one small DER value). */
function reasonOf(value: Uint8Array): string | undefined {
  const t = strictRoot(value);
  if (t) {
    if (!primT(t, 10)) return undefined;
    if (t.end - t.valueStart === 1 && value[t.valueStart]! < 0x80) return reasonName(value[t.valueStart]!);
  }
  try {
    const A = asn1();
    const en = A.fromBER(value).result as asn1js.AsnType;
    return en instanceof A.Enumerated ? reasonName(en.valueBlock.valueDec) : undefined;
  } catch {
    return undefined; // reason is informative only
  }
}

export function crlNextUpdate(der: Uint8Array): Date | undefined {
  try {
    return parseCrl(der).nextUpdate;
  } catch {
    return undefined;
  }
}

/** True when this CRL claims to be issued by the certificate's issuer (cheap pre-filter for DSS lists). */
export function crlIsFor(der: Uint8Array, cert: ChainCert): boolean {
  try {
    return bytesEqual(parseCrl(der).issuerDer, cert.issuerDer);
  } catch {
    return false;
  }
}

export function checkCrl(der: Uint8Array, cert: ChainCert, issuer: ChainCert, opts: { now: Date; requireFresh: boolean }): RevocationStatus | undefined {
  let p: ParsedCrl;
  try {
    p = parseCrl(der);
  } catch (e) {
    return { status: 'unknown', problems: [problem('CRL_UNPARSEABLE', { detail: errorText(e) })] };
  }
  if (!bytesEqual(p.issuerDer, cert.issuerDer)) return undefined;
  const problems: Problem[] = [];
  if (!p.sigOkBy.has(issuer.sha256)) {
    const sig = verifySignature({
      algorithm: p.signatureAlgorithm,
      publicKey: issuer.publicKey,
      data: p.tbs,
      signature: p.signatureValue,
    });
    if (!sig.ok) return { status: 'unknown', problems: [problem('CRL_SIGNATURE_INVALID', { detail: sig.error })] };
    p.sigOkBy.add(issuer.sha256);
  }
  const ku = issuer.keyUsage;
  if (ku && !ku.cRLSign) problems.push(problem('CRL_NO_CRL_SIGN'));
  if (p.delta) return { status: 'unknown', problems: [problem('CRL_DELTA_UNSUPPORTED')] };
  const thisUpdate = p.thisUpdate;
  const nextUpdate = p.nextUpdate;
  if (opts.requireFresh) {
    if (thisUpdate && thisUpdate.getTime() > opts.now.getTime() + CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('CRL_FUTURE')] };
    if (nextUpdate && nextUpdate.getTime() < opts.now.getTime() - CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('CRL_EXPIRED')] };
  }
  const entry = p.revoked.get(cert.serialHex);
  if (entry) {
    if (entry.reason === 'removeFromCRL') return { status: 'good', thisUpdate, nextUpdate, issuedAt: thisUpdate, problems };
    return { status: 'revoked', revokedAt: entry.at, reason: entry.reason, thisUpdate, nextUpdate, issuedAt: thisUpdate, problems };
  }
  return { status: 'good', thisUpdate, nextUpdate, issuedAt: thisUpdate, problems };
}
