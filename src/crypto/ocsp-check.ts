/**
 * OCSP (RFC 6960): build a request for (certificate, issuer), and check a response: the single response
 * for our CertID, signed by the issuer or by a responder the issuer delegated (id-kp-OCSPSigning),
 * thisUpdate/nextUpdate. Nonces are not used: responses are cached until nextUpdate anyway.
 */
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { asn1, pki } from './asn1-lazy.js';
import { fastCertData, isPlainName } from './cert-data.js';
import { getChainCert, normSerial, type ChainCert } from './chain-cert.js';
import { NULL, TAG, asnTimeOf, octets, oid, seq, strictRoot, tlv, type Tlv } from './der.js';
import { problem, type Problem } from '../core/problem.js';
import { CLOCK_SKEW_MS, CRL_REASONS, type RevocationStatus } from './revocation-status.js';
import { verifySignature } from './verify-signature.js';
import { type AlgId, OID, algIdFromPkijs, asnTimeToDate, bytesEqual, children, digestNameForOid, errorText, hashBytes, isSupportedDigest, oidText, parseDer, rawBytes, readAlgId, toHex, u8 } from './verify-util.js';

/** OCSPRequest { tbsRequest { requestList { Request { CertID (SHA-1) } } } } in DER (RFC 6960 §4.1.1). */
export function buildOcspRequest(cert: ChainCert, issuer: ChainCert): Uint8Array {
  const certId = seq(seq(oid(OID.sha1), NULL), octets(hashBytes('sha1', cert.issuerDer)), octets(issuer.keyHash('sha1')), tlv(0x02, cert.serialBytes));
  return seq(seq(seq(seq(certId))));
}

/** A stable key for the cache: which certificate the request asks about. */
export function ocspCacheKey(cert: ChainCert, issuer: ChainCert): string {
  return `${toHex(issuer.keyHash('sha1'))}:${cert.serialHex}`;
}

/** What the checker reads of one SingleResponse. */
export interface SingleResp {
  hashAlgorithm: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serial: Uint8Array;
  /** certStatus: 0 good, 1 revoked, 2 unknown, -1 not a context tag */
  status: number;
  revokedAt?: Date;
  reason?: string;
  thisUpdate?: Date;
  nextUpdate?: Date;
}

/** What the checker reads of a BasicOCSPResponse (by hand when canonical DER, else by pkijs). */
export interface BasicOcsp {
  /** ResponseData as encoded (what the signature covers) */
  tbs: Uint8Array;
  /** byName: the Name's DER (as pkijs re-encodes it); byKey: the key hash */
  responder: { name: Uint8Array } | { key: Uint8Array } | { other: true };
  producedAt?: Date;
  responses: SingleResp[];
  signatureAlgorithm: AlgId;
  signature: Uint8Array;
  /** the certificates the response carries, DER */
  certs: Uint8Array[];
}

/** OCSPResponse or a bare BasicOCSPResponse (both appear in DSS / CMS) → BasicOCSPResponse. */
export function parseBasicOcsp(der: Uint8Array): BasicOcsp {
  return fastOcsp(der) ?? basicOcspViaPkijs(der);
}

/** The pkijs reading (BER and unusual shapes): the behaviour the checker always had. Exported for the differential test. */
export function basicOcspViaPkijs(der: Uint8Array): BasicOcsp {
  const P = pki();
  const asn = parseDer(der, 'OCSP response');
  let basic: pkijs.BasicOCSPResponse;
  try {
    const resp = new P.OCSPResponse({ schema: asn });
    const st = resp.responseStatus.valueBlock.valueDec;
    if (st !== 0) throw new OcspStatusError(st);
    if (!resp.responseBytes) throw new Error('OCSP response without a body');
    if (resp.responseBytes.responseType !== OID.ocspBasic) throw new Error(`unsupported OCSP response type ${resp.responseBytes.responseType}`);
    basic = new P.BasicOCSPResponse({ schema: parseDer(resp.responseBytes.response.valueBlock.valueHexView, 'BasicOCSPResponse') });
  } catch (e) {
    if (e instanceof OcspStatusError) throw e;
    try {
      basic = new P.BasicOCSPResponse({ schema: asn });
    } catch {
      throw e;
    }
  }
  const A = asn1();
  const rid = basic.tbsResponseData.responderID as unknown;
  const certs: Uint8Array[] = [];
  for (const c of basic.certs ?? []) {
    try {
      certs.push(rawBytes(c.toSchema()));
    } catch {
      /* ignore unreadable extra certificates */
    }
  }
  return {
    tbs: basic.tbsResponseData.tbsView,
    responder:
      rid instanceof P.RelativeDistinguishedNames ? { name: u8(rid.toSchema().toBER(false)) } : rid instanceof A.OctetString ? { key: rid.valueBlock.valueHexView } : { other: true },
    producedAt: asnTimeToDate(basic.tbsResponseData.producedAt),
    responses: basic.tbsResponseData.responses.map((r) => {
      const cs = r.certStatus as asn1js.AsnType & { idBlock: { tagClass: number; tagNumber: number } };
      const status = cs.idBlock.tagClass === 3 ? cs.idBlock.tagNumber : -1;
      let revokedAt: Date | undefined;
      let reason: string | undefined;
      if (status === 1) {
        const parts = (cs as asn1js.Constructed).valueBlock.value ?? [];
        revokedAt = asnTimeToDate(parts[0]);
        const rr = parts[1] as asn1js.Constructed | undefined;
        const en = rr?.valueBlock?.value?.[0];
        if (en instanceof A.Enumerated) reason = CRL_REASONS[en.valueBlock.valueDec] ?? `reason ${en.valueBlock.valueDec}`;
      }
      return {
        hashAlgorithm: r.certID.hashAlgorithm.algorithmId,
        issuerNameHash: r.certID.issuerNameHash.valueBlock.valueHexView,
        issuerKeyHash: r.certID.issuerKeyHash.valueBlock.valueHexView,
        serial: r.certID.serialNumber.valueBlock.valueHexView,
        status,
        revokedAt,
        reason,
        thisUpdate: asnTimeToDate(r.thisUpdate),
        nextUpdate: asnTimeToDate(r.nextUpdate),
      };
    }),
    signatureAlgorithm: algIdFromPkijs(basic.signatureAlgorithm),
    signature: basic.signature.valueBlock.valueHexView,
    certs,
  };
}

const seqT = (t: Tlv | undefined): t is Tlv => t !== undefined && t.cls === 0 && t.tag === TAG.sequence && t.constructed;
const primT = (t: Tlv | undefined, tag: number): t is Tlv => t !== undefined && t.cls === 0 && t.tag === tag && !t.constructed;
const ctxT = (t: Tlv | undefined, n: number, constructed: boolean): t is Tlv => t !== undefined && t.cls === 2 && t.tag === n && t.constructed === constructed;

/** [n] EXPLICIT Extensions: one SEQUENCE of one or more { OID, BOOLEAN OPTIONAL, OCTET STRING }. */
function isExtensionsWrap(buf: Uint8Array, t: Tlv): boolean {
  const w = children(buf, t);
  if (w.length !== 1 || !seqT(w[0])) return false;
  const list = children(buf, w[0]);
  return (
    list.length > 0 &&
    list.every((e) => {
      const p = seqT(e) ? children(buf, e) : [];
      return p.length >= 2 && p.length <= 3 && primT(p[0], TAG.oid) && primT(p[p.length - 1], TAG.octetString) && (p.length === 2 || primT(p[1], TAG.boolean));
    })
  );
}

/** The canonical OCSPResponse / BasicOCSPResponse, read by hand; undefined: let pkijs read it. */
export function fastOcsp(der: Uint8Array): BasicOcsp | undefined {
  const root = strictRoot(der);
  if (!seqT(root)) return undefined;
  const k = children(der, root);
  if (!primT(k[0], 10)) return fastBasic(der, root);
  // OCSPResponse { responseStatus ENUMERATED, responseBytes [0] EXPLICIT { responseType, response } OPTIONAL }
  if (k.length > 2 || k[0].end - k[0].valueStart !== 1 || der[k[0].valueStart]! >= 0x80) return undefined;
  let body: Uint8Array | undefined;
  let type: string | undefined;
  if (k[1]) {
    if (!ctxT(k[1], 0, true)) return undefined;
    const rb = children(der, k[1]);
    const rbk = rb.length === 1 && seqT(rb[0]) ? children(der, rb[0]) : [];
    if (rbk.length !== 2 || !primT(rbk[0], TAG.oid) || !primT(rbk[1], TAG.octetString)) return undefined;
    type = oidText(der, rbk[0]);
    body = der.subarray(rbk[1].valueStart, rbk[1].end);
  }
  const status = der[k[0].valueStart]!;
  if (status !== 0) throw new OcspStatusError(status);
  if (!body || type !== OID.ocspBasic) return undefined;
  const inner = strictRoot(body);
  return seqT(inner) ? fastBasic(body, inner) : undefined;
}

function fastBasic(buf: Uint8Array, root: Tlv): BasicOcsp | undefined {
  const k = children(buf, root);
  const signatureAlgorithm = readAlgId(buf, k[1]);
  if (k.length < 3 || k.length > 4 || !seqT(k[0]) || !signatureAlgorithm || !primT(k[2], TAG.bitString)) return undefined;
  const certs: Uint8Array[] = [];
  if (k[3]) {
    if (!ctxT(k[3], 0, true)) return undefined;
    const w = children(buf, k[3]);
    if (w.length !== 1 || !seqT(w[0])) return undefined;
    for (const c of children(buf, w[0])) {
      const cder = buf.slice(c.start, c.end);
      if (!fastCertData(cder)) return undefined;
      certs.push(cder);
    }
  }
  const rd = children(buf, k[0]);
  let i = 0;
  if (ctxT(rd[0], 0, true)) {
    const v = children(buf, rd[0]);
    if (v.length !== 1 || !primT(v[0], TAG.integer)) return undefined;
    i++;
  }
  const ridT = rd[i++];
  let responder: BasicOcsp['responder'];
  const ridKids = ridT && ridT.cls === 2 && ridT.constructed ? children(buf, ridT) : [];
  if (ridT && ridT.tag === 1 && ridKids.length === 1 && isPlainName(buf, ridKids[0])) responder = { name: buf.slice(ridKids[0].start, ridKids[0].end) };
  else if (ridT && ridT.tag === 2 && ridKids.length === 1 && primT(ridKids[0], TAG.octetString)) responder = { key: buf.slice(ridKids[0].valueStart, ridKids[0].end) };
  else return undefined;
  const producedT = rd[i++];
  if (!primT(producedT, TAG.generalizedTime)) return undefined;
  const listT = rd[i++];
  if (!seqT(listT)) return undefined;
  const responses: SingleResp[] = [];
  for (const sr of children(buf, listT)) {
    const r = seqT(sr) ? fastSingle(buf, sr) : undefined;
    if (!r) return undefined;
    responses.push(r);
  }
  if (responses.length === 0) return undefined;
  if (rd[i] && ctxT(rd[i], 1, true)) {
    if (!isExtensionsWrap(buf, rd[i]!)) return undefined;
    i++;
  }
  if (i !== rd.length) return undefined;
  return {
    tbs: buf.slice(k[0].start, k[0].end),
    responder,
    producedAt: asnTimeOf(buf, producedT),
    responses,
    signatureAlgorithm,
    signature: buf.slice(k[2].valueStart + 1, k[2].end),
    certs,
  };
}

function fastSingle(buf: Uint8Array, sr: Tlv): SingleResp | undefined {
  const p = children(buf, sr);
  const [idT, csT, thisT] = p;
  if (!seqT(idT) || !csT || !primT(thisT, TAG.generalizedTime)) return undefined;
  const id = children(buf, idT);
  const alg = readAlgId(buf, id[0]);
  if (id.length !== 4 || !alg || !primT(id[1], TAG.octetString) || !primT(id[2], TAG.octetString) || !primT(id[3], TAG.integer)) return undefined;
  let status: number;
  let revokedAt: Date | undefined;
  let reason: string | undefined;
  if (ctxT(csT, 0, false) && csT.end === csT.valueStart) status = 0;
  else if (ctxT(csT, 2, false) && csT.end === csT.valueStart) status = 2;
  else if (ctxT(csT, 1, true)) {
    // RevokedInfo { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
    const ri = children(buf, csT);
    if (!primT(ri[0], TAG.generalizedTime) || ri.length > 2) return undefined;
    status = 1;
    revokedAt = asnTimeOf(buf, ri[0]);
    if (ri[1]) {
      const w = ctxT(ri[1], 0, true) ? children(buf, ri[1]) : [];
      const en = w[0];
      if (w.length !== 1 || !primT(en, 10) || en.end - en.valueStart !== 1 || buf[en.valueStart]! >= 0x80) return undefined;
      const code = buf[en.valueStart]!;
      reason = CRL_REASONS[code] ?? `reason ${code}`;
    }
  } else return undefined;
  let j = 3;
  let nextUpdate: Date | undefined;
  if (p[j] && ctxT(p[j], 0, true)) {
    const w = children(buf, p[j]!);
    if (w.length !== 1 || !primT(w[0], TAG.generalizedTime)) return undefined;
    nextUpdate = asnTimeOf(buf, w[0]);
    j++;
  }
  if (p[j] && ctxT(p[j], 1, true)) {
    if (!isExtensionsWrap(buf, p[j]!)) return undefined;
    j++;
  }
  if (j !== p.length) return undefined;
  return {
    hashAlgorithm: alg.algorithmId,
    issuerNameHash: buf.slice(id[1].valueStart, id[1].end),
    issuerKeyHash: buf.slice(id[2].valueStart, id[2].end),
    serial: buf.slice(id[3].valueStart, id[3].end),
    status,
    revokedAt,
    reason,
    thisUpdate: asnTimeOf(buf, thisT),
    nextUpdate,
  };
}

const OCSP_STATUS: Record<number, string> = { 1: 'malformedRequest', 2: 'internalError', 3: 'tryLater', 5: 'sigRequired', 6: 'unauthorized' };
export class OcspStatusError extends Error {
  constructor(readonly status: number) {
    super(`the OCSP responder answered ${OCSP_STATUS[status] ?? `status ${status}`}`);
  }
}

/** Smallest nextUpdate of the response (for the cache), or undefined. */
export function ocspNextUpdate(der: Uint8Array): Date | undefined {
  try {
    const b = parseBasicOcsp(der);
    const times = b.responses.map((r) => r.nextUpdate).filter((d): d is Date => !!d);
    return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined;
  } catch {
    return undefined;
  }
}

function matchesCertId(id: SingleResp, cert: ChainCert, issuer: ChainCert): boolean {
  const alg = digestNameForOid(id.hashAlgorithm);
  if (!isSupportedDigest(alg)) return false;
  return normSerial(toHex(id.serial)) === cert.serialHex && bytesEqual(id.issuerNameHash, hashBytes(alg, cert.issuerDer)) && bytesEqual(id.issuerKeyHash, issuer.keyHash(alg));
}

function responderMatches(rid: BasicOcsp['responder'], c: ChainCert): boolean {
  if ('name' in rid) return bytesEqual(rid.name, c.subjectDer);
  if ('key' in rid) return bytesEqual(rid.key, c.keyHash('sha1'));
  return false;
}

/**
 * The certificates an OCSP response carries that match its responderID (a delegated responder: the
 * certificate that signed it). Empty when the issuing CA answered itself or the response carries no
 * certificate. For `kyso extend`, which puts the responder's chain in the DSS.
 */
export function ocspResponderCerts(der: Uint8Array): ChainCert[] {
  try {
    const basic = parseBasicOcsp(der);
    const rid = basic.responder;
    const out: ChainCert[] = [];
    for (const c of basic.certs) {
      try {
        const cc = getChainCert(c);
        if (responderMatches(rid, cc)) out.push(cc);
      } catch {
        /* not a certificate we can read */
      }
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * Checks an OCSP response for `cert`. `requireFresh`: the response must be current at `now` (online
 * answers); embedded (archived) answers are accepted as evidence of their own time.
 * Returns undefined when the response is not about this certificate (another one in a DSS).
 */
export function checkOcspResponse(
  der: Uint8Array,
  cert: ChainCert,
  issuer: ChainCert,
  opts: {
    now: Date;
    requireFresh: boolean;
    /**
     * Other certificates the document offers (CMS certificates, DSS /Certs): a delegated responder's
     * certificate may sit there rather than in the response (RFC 6960 lets a response carry none, and
     * `kyso extend` / PAdES B-LT put the responder's chain in the DSS). The same checks apply to them.
     */
    extraCerts?: readonly ChainCert[];
  },
): RevocationStatus | undefined {
  let basic: BasicOcsp;
  try {
    basic = parseBasicOcsp(der);
  } catch (e) {
    return { status: 'unknown', problems: [e instanceof OcspStatusError ? problem('OCSP_STATUS', { status: OCSP_STATUS[e.status] ?? `status ${e.status}` }) : problem('OCSP_UNPARSEABLE', { detail: errorText(e) })] };
  }
  const single = basic.responses.find((r) => matchesCertId(r, cert, issuer));
  if (!single) return undefined;
  const problems: Problem[] = [];
  // Who signed it: the issuer itself, or a delegated responder certified by the issuer.
  const rid = basic.responder;
  const producedRaw = basic.producedAt;
  const producedAt = producedRaw ?? opts.now;
  const candidates: ChainCert[] = [issuer];
  for (const c of basic.certs) {
    try {
      candidates.push(getChainCert(c));
    } catch {
      /* ignore unparseable extra certificates */
    }
  }
  for (const c of opts.extraCerts ?? []) if (!candidates.some((k) => k.sha256 === c.sha256)) candidates.push(c);
  let signer: ChainCert | undefined;
  for (const c of candidates) {
    if (!responderMatches(rid, c)) continue;
    if (c.sha256 !== issuer.sha256 && !(bytesEqual(c.spkiDer, issuer.spkiDer) && bytesEqual(c.subjectDer, issuer.subjectDer))) {
      if (!bytesEqual(c.issuerDer, issuer.subjectDer) || !c.isSignedBy(issuer)) continue;
      if (!c.extKeyUsage?.includes(OID.kpOcspSigning)) {
        problems.push(problem('OCSP_RESPONDER_NO_EKU'));
        continue;
      }
      if (!c.validAt(producedAt)) {
        problems.push(problem('OCSP_RESPONDER_NOT_VALID'));
        continue;
      }
    }
    signer = c;
    break;
  }
  if (!signer) return { status: 'unknown', problems: [...problems, problem('OCSP_SIGNER_UNKNOWN')] };
  const sig = verifySignature({
    algorithm: basic.signatureAlgorithm,
    publicKey: signer.publicKey,
    data: basic.tbs,
    signature: basic.signature,
  });
  if (!sig.ok) return { status: 'unknown', problems: [problem('OCSP_SIGNATURE_INVALID', { detail: sig.error })] };
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate;
  // Issued: producedAt (when the responder signed), never earlier than thisUpdate.
  const issuedAt = producedRaw && thisUpdate && producedRaw.getTime() < thisUpdate.getTime() ? thisUpdate : (producedRaw ?? thisUpdate);
  if (!thisUpdate) return { status: 'unknown', problems: [problem('OCSP_NO_THIS_UPDATE')] };
  if (opts.requireFresh) {
    if (thisUpdate.getTime() > opts.now.getTime() + CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('OCSP_FUTURE')] };
    if (nextUpdate && nextUpdate.getTime() < opts.now.getTime() - CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('OCSP_EXPIRED')] };
  }
  if (single.status === 0) return { status: 'good', thisUpdate, nextUpdate, issuedAt, problems };
  if (single.status === 1) return { status: 'revoked', revokedAt: single.revokedAt, reason: single.reason, thisUpdate, nextUpdate, issuedAt, problems };
  return { status: 'unknown', thisUpdate, nextUpdate, issuedAt, problems: [...problems, problem('OCSP_CERT_UNKNOWN')] };
}
