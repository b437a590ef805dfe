import path from 'node:path';
import { msg } from '../core/errors.js';
import { verifyDocument } from './verify-document.js';
import { prepareVerify, verifyFiles } from './verify-files.js';
import { noProgress } from '../core/types.js';
import type { FileReport, VerifySettings } from './verify-types.js';
import type { PdfVerdict, VerifyPdf } from './receive-documents.js';

/**
 * The verify service as the one-function view `kyso receive` needs. A received PDF is hostile input: it is
 * verified in a worker thread of the verify pool (src/services/verify-files.ts: resourceLimits, killed at
 * the per-file timeout, reported as VERIFY_TIMEOUT) rather than in this process (issue 12).
 * `inProcess` keeps the old in-thread path for tests that run from the TypeScript sources (no dist worker).
 */
export async function createPdfVerifier(settings: VerifySettings, now: () => Date, o: { inProcess?: boolean } = {}): Promise<VerifyPdf> {
  if (o.inProcess) {
    const opts = await prepareVerify(settings, now);
    // messages name the attachment, not the temporary folder it is verified in
    return async (file: string) => verdictOf(await verifyDocument(file, path.basename(file), opts));
  }
  return async (file: string) => {
    const r = await verifyFiles([{ path: file, display: path.basename(file) }], { settings, jobs: 1, isolate: true, now, progress: noProgress });
    return verdictOf(r.files[0]!);
  };
}

export function verdictOf(r: FileReport): PdfVerdict {
  if (r.indication === 'ERROR') {
    const en = r.error?.message ?? 'unreadable PDF';
    return { indication: 'ERROR', subIndication: r.error?.code, summary: msg(en, r.error?.messageVi ?? en) };
  }
  if (r.indication === 'NO_SIGNATURE') return { indication: 'NO_SIGNATURE', summary: msg('no digital signature', 'không có chữ ký số') };
  const worst = r.signatures.find((s) => s.indication === r.indication) ?? r.signatures[0];
  const sub = worst?.subIndication ?? undefined;
  const who = worst?.signer?.subject ? ` (${worst.signer.subject})` : '';
  if (r.indication === 'TOTAL_PASSED') {
    return { indication: 'TOTAL_PASSED', summary: msg(`${r.signatures.length} valid signature(s)${who}`, `${r.signatures.length} chữ ký số hợp lệ${who}`) };
  }
  // The summary names the problem by its code (services do not render text; src/cli/catalogue does).
  const why = worst?.problems[0]?.code ?? sub ?? r.indication;
  if (r.indication === 'TOTAL_FAILED') {
    return { indication: 'TOTAL_FAILED', subIndication: sub, summary: msg(`signature failed${who}: ${why}`, `chữ ký số không hợp lệ${who}: ${why}`) };
  }
  return { indication: 'INDETERMINATE', subIndication: sub, summary: msg(`signature could not be confirmed${who}: ${why}`, `chưa xác nhận được chữ ký số${who}: ${why}`) };
}
