/**
 * OCSP (RFC 6960): build a request for (certificate, issuer), and check a response: the single response
 * for our CertID, signed by the issuer or by a responder the issuer delegated (id-kp-OCSPSigning),
 * thisUpdate/nextUpdate. Nonces are not used: responses are cached until nextUpdate anyway.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { getChainCert, normSerial, type ChainCert } from './chain-cert.js';
import { problem, type Problem } from '../core/problem.js';
import { CLOCK_SKEW_MS, CRL_REASONS, type RevocationStatus } from './revocation-status.js';
import { verifySignature } from './verify-signature.js';
import { OID, ab, asnTimeToDate, bytesEqual, digestNameForOid, errorText, hashBytes, isSupportedDigest, parseDer, rawBytes, toHex, u8 } from './verify-util.js';

export function buildOcspRequest(cert: ChainCert, issuer: ChainCert): Uint8Array {
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha1, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: ab(hashBytes('sha1', cert.issuerDer)) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: ab(issuer.keyHash('sha1')) }),
    serialNumber: new asn1js.Integer({ valueHex: ab(cert.pkijs.serialNumber.valueBlock.valueHexView) }),
  });
  const req = new pkijs.OCSPRequest();
  req.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
  return u8(req.toSchema(true).toBER(false));
}

/** A stable key for the cache: which certificate the request asks about. */
export function ocspCacheKey(cert: ChainCert, issuer: ChainCert): string {
  return `${toHex(issuer.keyHash('sha1'))}:${cert.serialHex}`;
}

/** OCSPResponse or a bare BasicOCSPResponse (both appear in DSS / CMS) → BasicOCSPResponse. */
export function parseBasicOcsp(der: Uint8Array): pkijs.BasicOCSPResponse {
  const asn = parseDer(der, 'OCSP response');
  try {
    const resp = new pkijs.OCSPResponse({ schema: asn });
    const st = resp.responseStatus.valueBlock.valueDec;
    if (st !== 0) throw new OcspStatusError(st);
    if (!resp.responseBytes) throw new Error('OCSP response without a body');
    if (resp.responseBytes.responseType !== OID.ocspBasic) throw new Error(`unsupported OCSP response type ${resp.responseBytes.responseType}`);
    return new pkijs.BasicOCSPResponse({ schema: parseDer(resp.responseBytes.response.valueBlock.valueHexView, 'BasicOCSPResponse') });
  } catch (e) {
    if (e instanceof OcspStatusError) throw e;
    try {
      return new pkijs.BasicOCSPResponse({ schema: asn });
    } catch {
      throw e;
    }
  }
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
    const times = b.tbsResponseData.responses.map((r) => asnTimeToDate(r.nextUpdate)).filter((d): d is Date => !!d);
    return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined;
  } catch {
    return undefined;
  }
}

function matchesCertId(id: pkijs.CertID, cert: ChainCert, issuer: ChainCert): boolean {
  const alg = digestNameForOid(id.hashAlgorithm.algorithmId);
  if (!isSupportedDigest(alg)) return false;
  return (
    normSerial(toHex(id.serialNumber.valueBlock.valueHexView)) === cert.serialHex &&
    bytesEqual(id.issuerNameHash.valueBlock.valueHexView, hashBytes(alg, cert.issuerDer)) &&
    bytesEqual(id.issuerKeyHash.valueBlock.valueHexView, issuer.keyHash(alg))
  );
}

function responderMatches(rid: unknown, c: ChainCert): boolean {
  if (rid instanceof pkijs.RelativeDistinguishedNames) return bytesEqual(u8(rid.toSchema().toBER(false)), c.subjectDer);
  if (rid instanceof asn1js.OctetString) return bytesEqual(rid.valueBlock.valueHexView, c.keyHash('sha1'));
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
    const rid = basic.tbsResponseData.responderID;
    const out: ChainCert[] = [];
    for (const c of basic.certs ?? []) {
      try {
        const cc = getChainCert(rawBytes(c.toSchema()));
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
  let basic: pkijs.BasicOCSPResponse;
  try {
    basic = parseBasicOcsp(der);
  } catch (e) {
    return { status: 'unknown', problems: [e instanceof OcspStatusError ? problem('OCSP_STATUS', { status: OCSP_STATUS[e.status] ?? `status ${e.status}` }) : problem('OCSP_UNPARSEABLE', { detail: errorText(e) })] };
  }
  const single = basic.tbsResponseData.responses.find((r) => matchesCertId(r.certID, cert, issuer));
  if (!single) return undefined;
  const problems: Problem[] = [];
  // Who signed it: the issuer itself, or a delegated responder certified by the issuer.
  const rid = basic.tbsResponseData.responderID;
  const producedRaw = asnTimeToDate(basic.tbsResponseData.producedAt);
  const producedAt = producedRaw ?? opts.now;
  const candidates: ChainCert[] = [issuer];
  for (const c of basic.certs ?? []) {
    try {
      candidates.push(getChainCert(rawBytes(c.toSchema())));
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
    data: basic.tbsResponseData.tbsView,
    signature: basic.signature.valueBlock.valueHexView,
  });
  if (!sig.ok) return { status: 'unknown', problems: [problem('OCSP_SIGNATURE_INVALID', { detail: sig.error })] };
  const thisUpdate = asnTimeToDate(single.thisUpdate);
  const nextUpdate = asnTimeToDate(single.nextUpdate);
  // Issued: producedAt (when the responder signed), never earlier than thisUpdate.
  const issuedAt = producedRaw && thisUpdate && producedRaw.getTime() < thisUpdate.getTime() ? thisUpdate : (producedRaw ?? thisUpdate);
  if (!thisUpdate) return { status: 'unknown', problems: [problem('OCSP_NO_THIS_UPDATE')] };
  if (opts.requireFresh) {
    if (thisUpdate.getTime() > opts.now.getTime() + CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('OCSP_FUTURE')] };
    if (nextUpdate && nextUpdate.getTime() < opts.now.getTime() - CLOCK_SKEW_MS) return { status: 'unknown', thisUpdate, nextUpdate, problems: [problem('OCSP_EXPIRED')] };
  }
  const cs = single.certStatus as asn1js.AsnType & { idBlock: { tagClass: number; tagNumber: number } };
  const tag = cs.idBlock.tagClass === 3 ? cs.idBlock.tagNumber : -1;
  if (tag === 0) return { status: 'good', thisUpdate, nextUpdate, issuedAt, problems };
  if (tag === 1) {
    const parts = (cs as asn1js.Constructed).valueBlock.value ?? [];
    const revokedAt = asnTimeToDate(parts[0]);
    let reason: string | undefined;
    const r = parts[1] as asn1js.Constructed | undefined;
    const en = r?.valueBlock?.value?.[0];
    if (en instanceof asn1js.Enumerated) reason = CRL_REASONS[en.valueBlock.valueDec] ?? `reason ${en.valueBlock.valueDec}`;
    return { status: 'revoked', revokedAt, reason, thisUpdate, nextUpdate, issuedAt, problems };
  }
  return { status: 'unknown', thisUpdate, nextUpdate, issuedAt, problems: [...problems, problem('OCSP_CERT_UNKNOWN')] };
}
