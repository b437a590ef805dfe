/**
 * PAdES B-LT and B-LTA after a B-T signature: gather the validation data (certificates of the signer's
 * chain and of the TSA, an OCSP response or CRL for each non-root certificate, the certificates of the OCSP
 * responders that signed those answers), append it as a DSS
 * (src/pdf/dss.ts), and for B-LTA add a document time-stamp (/SubFilter /ETSI.RFC3161) over the result.
 * Revocation fetching reuses the verification side's pieces (helper D: ChainCert, OCSP request builder,
 * revocation fetcher); they use pkijs, so this module is loaded only for these levels.
 */
import { unlink } from 'node:fs/promises';
import { KysoError, credentialError, msg } from '../core/errors.js';
import type { HashAlgorithm } from '../core/types.js';
import { certificatesOf } from '../crypto/cades.js';
import { getChainCert, type ChainCert } from '../crypto/chain-cert.js';
import { buildOcspRequest, checkOcspResponse, ocspCacheKey, ocspResponderCerts } from '../crypto/ocsp-check.js';
import { checkCrl } from '../crypto/crl-check.js';
import type { RevocationStatus } from '../crypto/revocation-status.js';
import { createRevocationFetcher, type RevocationFetcher } from '../crypto/revocation-fetcher.js';
import { requestTimestamp } from '../crypto/timestamp-client.js';
import { appendDss, type DssMaterial } from '../pdf/dss.js';
import { embedSignature, preparePdfForSigning } from '../pdf/sign-pdf.js';
import { digestRangeWithFileHash } from './sign-digest.js';

export interface LtvOptions {
  now: () => Date;
  timeoutMs?: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Certificates of the signature's CMS and of its time-stamp token, plus one revocation answer for each
 * certificate that is not a self-issued root (OCSP first, then CRL). Throws LTV_REVOCATION_UNAVAILABLE
 * (exit 6: try again) when none can be had for some certificate.
 */
export async function collectValidationData(cmsDer: Uint8Array, timestampToken: Uint8Array | undefined, opts: LtvOptions): Promise<DssMaterial> {
  const ders = [...certificatesOf(cmsDer), ...(timestampToken ? certificatesOf(timestampToken) : [])];
  const seen = new Set<string>();
  const certs: ChainCert[] = [];
  for (const d of ders) {
    const c = getChainCert(d);
    if (seen.has(c.sha256)) continue;
    seen.add(c.sha256);
    certs.push(c);
  }
  const fetcher = createRevocationFetcher({ now: opts.now, timeoutMs: opts.timeoutMs ?? 10_000 });
  const ocsps: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const crlUrlsDone = new Set<string>();
  // Certificates are appended while the loop runs: an OCSP answer's delegated responder joins the list (so the
  // answer can be checked offline later), and gets its own answer unless it carries id-pkix-ocsp-nocheck.
  for (let i = 0; i < certs.length && i < 64; i++) {
    const cert = certs[i]!;
    if (cert.selfIssued || cert.ocspNoCheck) continue;
    const issuer = certs.find((x) => sameBytes(x.subjectDer, cert.issuerDer) && x.sha256 !== cert.sha256);
    const got = await revocationFor(cert, issuer, fetcher, opts.now, crlUrlsDone);
    if (got.ocsp) {
      ocsps.push(got.ocsp);
      for (const r of ocspResponderCerts(got.ocsp)) {
        if (seen.has(r.sha256)) continue;
        seen.add(r.sha256);
        certs.push(r);
      }
    }
    if (got.crl) crls.push(got.crl);
  }
  return { certs: certs.map((c) => c.der), ocsps, crls };
}

/**
 * One fresh revocation answer for `cert` (OCSP first, then CRL; a CRL URL in `crlUrlsDone` counts as had).
 * A revoked certificate throws CERT_REVOKED (it would be worthless); none obtainable throws
 * LTV_REVOCATION_UNAVAILABLE (exit 6: try again). Shared by signing at B-LT and `kyso extend`.
 */
export async function revocationFor(
  cert: ChainCert,
  issuer: ChainCert | undefined,
  fetcher: RevocationFetcher,
  now: () => Date,
  crlUrlsDone: Set<string>,
): Promise<{ ocsp?: Uint8Array; crl?: Uint8Array; crlUrl?: string }> {
  const judge = (st: RevocationStatus | undefined, where: string): boolean => {
    if (st?.status === 'revoked') {
      const when = st.revokedAt ? st.revokedAt.toISOString() : '?';
      throw credentialError(
        'CERT_REVOKED',
        msg(`${cert.subject}: the certificate was revoked on ${when} (${where}); it cannot sign`, `${cert.subject}: chứng thư số đã bị thu hồi ngày ${when} (${where}); không thể dùng để ký`),
      );
    }
    return st?.status === 'good';
  };
  const problems: string[] = [];
  if (issuer) {
    for (const url of cert.ocspUrls) {
      try {
        const r = await fetcher.ocsp(url, buildOcspRequest(cert, issuer), ocspCacheKey(cert, issuer));
        const st = checkOcspResponse(r.der, cert, issuer, { now: now(), requireFresh: true });
        if (!judge(st, url)) {
          problems.push(`${url}: ${st?.status ?? 'not about this certificate'} ${st?.problems.map((p) => p.code).join(', ') ?? ''}`.trim());
          continue;
        }
        return { ocsp: r.der };
      } catch (e) {
        if (e instanceof KysoError && e.code === 'CERT_REVOKED') throw e;
        problems.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  for (const url of cert.crlUrls) {
    if (crlUrlsDone.has(url)) return { crlUrl: url };
    try {
      const der = (await fetcher.crl(url)).der;
      const st = issuer ? checkCrl(der, cert, issuer, { now: now(), requireFresh: true }) : undefined;
      if (!judge(st, url)) {
        problems.push(`${url}: ${st?.status ?? 'not usable'} ${st?.problems.map((p) => p.code).join(', ') ?? ''}`.trim());
        continue;
      }
      crlUrlsDone.add(url);
      return { crl: der, crlUrl: url };
    } catch (e) {
      if (e instanceof KysoError && e.code === 'CERT_REVOKED') throw e;
      problems.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const detail = problems.join('; ') || 'no OCSP or CRL address in the certificate';
  throw new KysoError(
    'LTV_REVOCATION_UNAVAILABLE',
    'exchange-retry',
    msg(`${cert.subject}: no revocation information could be obtained for B-LT (${detail})`, `${cert.subject}: không lấy được thông tin thu hồi cho mức B-LT (${detail})`),
    { hint: msg('Try again later, or sign at --level B-T.', 'Hãy thử lại sau, hoặc ký ở mức --level B-T.') },
  );
}

/** Appends the DSS to `signedTmp`, writing `outTmp`. */
export async function addDss(signedTmp: string, outTmp: string, material: DssMaterial): Promise<void> {
  await appendDss(signedTmp, outTmp, material);
}

/**
 * Adds a document time-stamp to `input`, writing `outTmp`; returns the output's SHA-256. The token is
 * requested over the ByteRange digest; a token larger than reserved is retried once with more room.
 */
export async function addDocumentTimestamp(
  input: string,
  outTmp: string,
  opts: { tsa: string[]; hash: HashAlgorithm; now: () => Date; timeoutMs?: number },
): Promise<string> {
  let contentsBytes = 16_384;
  for (let attempt = 0; ; attempt++) {
    const prepared = await preparePdfForSigning(input, outTmp, { signingTime: opts.now(), subFilter: 'ETSI.RFC3161', contentsBytes });
    const ranges = await digestRangeWithFileHash(prepared.path, prepared.byteRange, opts.hash);
    const token = await requestTimestamp(opts.tsa, ranges.digest, opts.hash, { timeoutMs: opts.timeoutMs });
    if (token.length > prepared.contentsBytes && attempt === 0) {
      contentsBytes = token.length + 4096;
      await unlink(outTmp).catch(() => undefined);
      continue;
    }
    await embedSignature(prepared, token);
    return ranges.finishFileSha256();
  }
}
