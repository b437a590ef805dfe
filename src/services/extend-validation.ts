/**
 * Validation data for `kyso extend`: the signatures and document timestamps of a PDF (their CMS as
 * written), and, for every one of them, the certificates of every chain involved (signer, signature
 * timestamp's TSA, document timestamp's TSA, completed up to the root from the file, the trust store and
 * AIA caIssuers) with one fresh revocation answer per non-root certificate, grouped into DSS /VRI entries.
 */
import { createHash } from 'node:crypto';
import type * as asn1js from 'asn1js';
import { isKysoError } from '../core/errors.js';
import { asn1, pki } from '../crypto/asn1-lazy.js';
import { certificatesOf, signatureTimestampOf } from '../crypto/cades.js';
import { getChainCert, type ChainCert } from '../crypto/chain-cert.js';
import { ocspResponderCerts } from '../crypto/ocsp-check.js';
import { completeChain } from '../crypto/chain-completion.js';
import type { RevocationFetcher } from '../crypto/revocation-fetcher.js';
import type { TrustStore } from '../crypto/trust-store.js';
import { openInputFile } from '../pdf/append-update.js';
import { checkByteRange, trimDer } from '../pdf/byte-range-check.js';
import type { DssMaterial } from '../pdf/dss.js';
import { PDFArray, PDFDict, PDFName, PDFRawStream } from '../pdf/pdf-lib.js';
import { PdfReader } from '../pdf/reader.js';
import { scanSignatures } from '../pdf/signature-scan.js';
import { chainNotAfter } from './extend-levels.js';
import { revocationFor } from './sign-ltv.js';

export interface SignatureMaterial {
  kind: 'signature' | 'doc-timestamp';
  field: string;
  /** Revision the signature was written in. */
  revision: number | undefined;
  /** DSS /VRI key: uppercase hex SHA-1 of the /Contents string as stored (padding included, as pyHanko and iText do). */
  vriKey: string;
  cms: Uint8Array;
  /** The signature's own timestamp token (signatures only). */
  signatureTimestamp?: Uint8Array;
  /** Earliest end of validity along the TSA's chain (document timestamps only). */
  tsaNotAfter?: Date;
}

export interface FileMaterial {
  signatures: SignatureMaterial[];
  dssCerts: Uint8Array[];
  /** First revision whose catalog has /DSS (as the verifier counts it), if any. */
  dssRevision?: number;
}

/** The certificate that signed a CMS (its first SignerInfo's sid), among the embedded ones. */
export function signerCertificateOf(cms: Uint8Array): ChainCert | undefined {
  try {
    const P = pki(); // loaded on demand (asn1-lazy.ts)
    const ci = new P.ContentInfo({ schema: asn1().fromBER(new Uint8Array(cms).buffer).result });
    const sd = new P.SignedData({ schema: ci.content });
    const sid = sd.signerInfos[0]?.sid;
    const certs = certificatesOf(cms).map(getChainCert);
    if (sid instanceof P.IssuerAndSerialNumber) {
      const serial = Buffer.from(sid.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+/, '');
      const issuer = new Uint8Array(sid.issuer.toSchema().toBER(false));
      return certs.find((c) => c.serialHex.replace(/^(00)+/, '') === serial && Buffer.from(c.issuerDer).equals(Buffer.from(issuer)));
    }
    // subjectKeyIdentifier
    const ski = Buffer.from((sid as asn1js.OctetString).valueBlock?.valueHexView ?? new Uint8Array()).toString('hex');
    return certs.find((c) => c.subjectKeyId === ski);
  } catch {
    return undefined;
  }
}

/** Reads the signatures (and existing DSS certificates) of a PDF. */
export async function readFileMaterial(file: string): Promise<FileMaterial> {
  const src = await openInputFile(file);
  try {
    const reader = await PdfReader.open(src, { file });
    const found = await scanSignatures(reader);
    const ends = reader.revisions.map((r) => r.endOffset);
    const signatures: SignatureMaterial[] = [];
    for (const f of found) {
      const br = await checkByteRange(src, f.sig, ends);
      if (!br.ok || !br.contents) continue;
      const cms = trimDer(br.contents);
      const m: SignatureMaterial = {
        kind: f.kind,
        field: f.fieldName,
        revision: br.revisionIndex,
        vriKey: createHash('sha1').update(br.contents).digest('hex').toUpperCase(),
        cms,
      };
      try {
        if (f.kind === 'signature') m.signatureTimestamp = signatureTimestampOf(cms);
      } catch {
        /* an unreadable CMS contributes no timestamp */
      }
      signatures.push(m);
    }
    const dssCerts: Uint8Array[] = [];
    try {
      const dss = await reader.resolve((await reader.catalog()).get(PDFName.of('DSS')));
      const arr = dss instanceof PDFDict ? await reader.resolve(dss.get(PDFName.of('Certs'))) : undefined;
      if (arr instanceof PDFArray) {
        for (const item of arr.asArray().slice(0, 500)) {
          const s = await reader.resolve(item);
          if (s instanceof PDFRawStream) dssCerts.push(await reader.decodeStream(s, 4 * 1024 * 1024));
        }
      }
    } catch {
      /* an unreadable DSS only means fewer helper certificates */
    }
    let dssRevision: number | undefined;
    try {
      for (let i = 0; i < reader.revisions.length && dssRevision === undefined; i++) if ((await reader.atRevision(i).catalog()).get(PDFName.of('DSS'))) dssRevision = i;
    } catch {
      /* unreadable earlier revision: no DSS revision known */
    }
    // A document timestamp stays good until the first certificate of its TSA's chain expires.
    for (const m of signatures) {
      if (m.kind !== 'doc-timestamp') continue;
      const tsa = signerCertificateOf(m.cms);
      if (tsa) m.tsaNotAfter = chainNotAfter(tsa.der, [...safeCerts(m.cms), ...dssCerts]);
    }
    return { signatures, dssCerts, dssRevision };
  } finally {
    await src.close();
  }
}

function safeCerts(der: Uint8Array | undefined): Uint8Array[] {
  if (!der) return [];
  try {
    return certificatesOf(der);
  } catch {
    return [];
  }
}

/**
 * Builds the DSS material for all `signatures`: for each, every certificate of its chains (signer, signature
 * timestamp's TSA; a document timestamp's TSA) with one revocation answer per certificate that needs one, and
 * for every OCSP answer the chain of the responder that signed it (a delegated responder's certificate and
 * its issuers, with their own revocation answers unless the responder certificate carries id-pkix-ocsp-nocheck)
 * so each answer can be checked offline later.
 * Errors: CERT_REVOKED (credentials) when a certificate of a chain is revoked now, LTV_REVOCATION_UNAVAILABLE
 * (exit 6) when no answer can be had for one; with `tolerateUnavailable` (a file the caller accepted as
 * INDETERMINATE) a missing answer is a warning and the rest is still gathered.
 */
export async function collectFileValidationData(
  fm: FileMaterial,
  deps: { trustStore: TrustStore; fetcher: RevocationFetcher; now: () => Date; timeoutMs?: number; tolerateUnavailable?: boolean },
): Promise<{ material: DssMaterial; warnings: string[] }> {
  const warnings: string[] = [];
  const pool: Uint8Array[] = [...fm.dssCerts, ...deps.trustStore.anchors.map((a) => a.der), ...deps.trustStore.extraIntermediates];
  for (const s of fm.signatures) pool.push(...safeCerts(s.cms), ...safeCerts(s.signatureTimestamp));
  const chainMemo = new Map<string, Uint8Array[]>();
  const revMemo = new Map<string, { ocsp?: Uint8Array; crl?: Uint8Array }>();
  const crlByUrl = new Map<string, Uint8Array>();
  const crlUrlsDone = new Set<string>();
  const all: DssMaterial = { certs: [], ocsps: [], crls: [], vri: [] };
  const seen = { certs: new Set<string>(), ocsps: new Set<string>(), crls: new Set<string>() };
  const add = (k: 'certs' | 'ocsps' | 'crls', der: Uint8Array) => {
    const h = createHash('sha256').update(der).digest('hex');
    if (seen[k].has(h)) return;
    seen[k].add(h);
    all[k].push(der);
  };
  /** The certificate and its issuers up to the root (completed from the pool, the trust store and AIA). */
  const chainOf = async (c: ChainCert, extra: Uint8Array[] = []): Promise<ChainCert[]> => {
    let chain = chainMemo.get(c.sha256);
    if (!chain) {
      try {
        chain = (await completeChain({ leaf: c.der, tokenCerts: [...pool, ...extra], timeoutMs: deps.timeoutMs ?? 5000 })).chain;
      } catch (e) {
        warnings.push(isKysoError(e) ? e.msg.en : String(e));
        chain = [];
      }
      chainMemo.set(c.sha256, chain);
    }
    return [c, ...chain.map((d) => getChainCert(d))];
  };
  const MAX_CERTS_PER_ENTRY = 64;

  for (const s of fm.signatures) {
    const leaves = [...safeCerts(s.cms), ...safeCerts(s.signatureTimestamp)];
    if (safeCerts(s.cms).length === 0) warnings.push(`${s.field}: no certificate could be read from the signature; its chain is not in the DSS`);
    /** Every certificate this entry needs, in the order they are handled (chains first, responders after). */
    const certs = new Map<string, ChainCert>();
    const queue: ChainCert[] = [];
    const enqueue = async (c: ChainCert, extra?: Uint8Array[]) => {
      for (const x of await chainOf(c, extra)) {
        if (certs.has(x.sha256) || certs.size >= MAX_CERTS_PER_ENTRY) continue;
        certs.set(x.sha256, x);
        queue.push(x);
      }
    };
    for (const der of leaves) {
      try {
        await enqueue(getChainCert(der));
      } catch {
        /* not a certificate we can read */
      }
    }
    const entry = { key: s.vriKey, certs: [] as Uint8Array[], ocsps: [] as Uint8Array[], crls: [] as Uint8Array[], time: deps.now() };
    for (let i = 0; i < queue.length; i++) {
      const cert = queue[i]!;
      add('certs', cert.der);
      // A root needs no answer; nor does a certificate the verifier does not ask one for (OCSP no-check).
      if (cert.selfIssued || cert.ocspNoCheck) continue;
      let got = revMemo.get(cert.sha256);
      if (!got) {
        const issuer = [...certs.values()].find((x) => Buffer.from(x.subjectDer).equals(Buffer.from(cert.issuerDer)) && x.sha256 !== cert.sha256);
        try {
          const r = await revocationFor(cert, issuer, deps.fetcher, deps.now, crlUrlsDone);
          if (r.crl && r.crlUrl) crlByUrl.set(r.crlUrl, r.crl);
          got = r.ocsp ? { ocsp: r.ocsp } : { crl: r.crl ?? (r.crlUrl ? crlByUrl.get(r.crlUrl) : undefined) };
        } catch (e) {
          if (!(deps.tolerateUnavailable && isKysoError(e) && e.code === 'LTV_REVOCATION_UNAVAILABLE')) throw e;
          warnings.push(e.msg.en);
          got = {};
        }
        revMemo.set(cert.sha256, got);
      }
      if (got.ocsp) {
        add('ocsps', got.ocsp);
        entry.ocsps.push(got.ocsp);
        // Whoever signed the answer: its certificate and issuers must be in the DSS too.
        for (const r of ocspResponderCerts(got.ocsp)) await enqueue(r, [r.der]);
      }
      if (got.crl) {
        add('crls', got.crl);
        entry.crls.push(got.crl);
      }
    }
    entry.certs = [...certs.values()].map((c) => c.der);
    all.vri!.push(entry);
  }
  return { material: all, warnings };
}
