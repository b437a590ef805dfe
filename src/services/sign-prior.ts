/**
 * What a PDF about to be signed already carries: for each earlier signature (not document timestamps), who
 * signed it and whether its bytes are still intact (ByteRange well formed and the CMS message digest equal
 * to the digest of the ranges). Used by `kyso sign` to skip its own outputs found again in a folder, and to
 * warn before adding a signature on top of a broken one. Reuses the verifier's pieces (reader, signature
 * scan, ByteRange check, CMS check); trust and revocation are not looked at here.
 */
import { createHash } from 'node:crypto';
import { showPath, type FsPath } from '../core/fs-path.js';
import { openFileSource, type ByteSource } from '../pdf/byte-source.js';
import { checkByteRange, digestByteRanges, trimDer } from '../pdf/byte-range-check.js';
import { PdfReader } from '../pdf/reader.js';
import { scanSignatures } from '../pdf/signature-scan.js';

export interface PriorSignature {
  field: string;
  /** DER of the signer's certificate, when the CMS names one */
  signerCert?: Uint8Array;
  /** false: the signed bytes changed or the signature value does not match them */
  intact: boolean;
}


/** Earlier signatures of `file`; an unreadable or encrypted file gives [] (signing reports its own error). */
export async function priorSignatures(file: FsPath, opened?: OpenedPdf): Promise<PriorSignature[]> {
  let src: ByteSource | undefined = opened?.src;
  try {
    src ??= await openFileSource(file);
    const reader = opened?.reader ?? (await PdfReader.open(src, { file: showPath(file) }));
    if (reader.encrypted) return [];
    const found = (await scanSignatures(reader)).filter((f) => f.kind === 'signature' && f.presentInFinal);
    if (found.length === 0) return [];
    const revisionEnds = reader.revisions.map((r) => r.endOffset);
    const out: PriorSignature[] = [];
    for (const f of found) {
      const br = await checkByteRange(src, f.sig, revisionEnds);
      if (!br.ok || !br.byteRange || !br.contents) {
        out.push({ field: f.fieldName, intact: false });
        continue;
      }
      const range = br.byteRange;
      // the CMS checker (pkijs) is loaded only for files that carry signatures: signing stays light
      const { checkCms } = await import('../crypto/verify-cms.js');
      const cms = await checkCms(trimDer(br.contents), (alg) => digestByteRanges(src!, range, createHash(alg)));
      out.push({ field: f.fieldName, signerCert: cms.signerCert, intact: cms.parsed && cms.messageDigestMatches && cms.signatureValid });
    }
    return out;
  } catch {
    return [];
  } finally {
    if (!opened) await src?.close().catch(() => undefined);
  }
}

/** A PDF opened once and read by both the prior-signature check and the signing step (issue 16: one parse). */
export interface OpenedPdf {
  src: ByteSource;
  reader: PdfReader;
}

/** Opens `file` for both steps; undefined when it cannot be read (the signing step then reports why). */
export async function openPdfOnce(file: FsPath): Promise<OpenedPdf | undefined> {
  let src: ByteSource | undefined;
  try {
    src = await openFileSource(file);
    return { src, reader: await PdfReader.open(src, { file: showPath(file) }) };
  } catch {
    await src?.close().catch(() => undefined);
    return undefined;
  }
}

export function sameCertificate(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}
