import { escapeControl, escapeName } from './escape.js';
import { timeLabel, valueLabel } from './labels.js';
import type { Lang } from '../core/types.js';
import type { FileReport, SignatureReport, VerifyRunResult } from '../services/verify-types.js';
import type { OutStream } from './context.js';
import { loadedCatalogue } from './catalogue/load.js';

/**
 * Human report of `kyso verify`: one block per file, one line per signature, and what to do next in plain
 * words (English or Vietnamese). Colour only on a TTY without NO_COLOR.
 */

const T = {
  en: {
    sigs: (n: number) => `${n} signature${n === 1 ? '' : 's'}`,
    claimed: 'claimed',
    ts: 'timestamp',
    invalidTs: 'invalid timestamp',
    integrity: 'integrity',
    trust: 'trust',
    changes: 'changes after',
    coverage: 'coverage',
    level: 'level',
    docTs: 'document timestamp',
    unknownSigner: 'unknown signer',
    summary: (s: VerifyRunResult['summary']) =>
      `${s.files} file${s.files === 1 ? '' : 's'}: ${s.passed} passed, ${s.failed} failed, ${s.indeterminate} indeterminate, ${s.unsigned} unsigned, ${s.errors} unreadable`,
    certified: (p: number) => `certified P=${p}`,
  },
  vi: {
    sigs: (n: number) => `${n} chữ ký`,
    claimed: 'tự khai',
    ts: 'dấu thời gian',
    invalidTs: 'dấu thời gian không hợp lệ',
    integrity: 'toàn vẹn',
    trust: 'tin cậy',
    changes: 'thay đổi sau ký',
    coverage: 'phạm vi',
    level: 'mức',
    docTs: 'dấu thời gian văn bản',
    unknownSigner: 'không rõ người ký',
    summary: (s: VerifyRunResult['summary']) =>
      `${s.files} tệp: ${s.passed} hợp lệ, ${s.failed} không hợp lệ, ${s.indeterminate} chưa xác định, ${s.unsigned} chưa ký, ${s.errors} không đọc được`,
    certified: (p: number) => `chứng thực P=${p}`,
  },
};

const INDICATION_VI: Record<string, string> = {
  TOTAL_PASSED: 'HỢP LỆ',
  TOTAL_FAILED: 'KHÔNG HỢP LỆ',
  INDETERMINATE: 'CHƯA XÁC ĐỊNH',
  NO_SIGNATURE: 'CHƯA KÝ',
  ERROR: 'LỖI',
};

/** Whether the text report of `r` says a problem or a warning (and so needs the catalogue, catalogue/load.ts). */
export function needsCatalogue(r: VerifyRunResult): boolean {
  return r.files.some((f) => f.signatures.some((s) => s.problems.length > 0 || s.warnings.length > 0));
}

/** What the clerk should do next, per outcome (sub-indication when it matters). */
export function advice(f: FileReport, lang: Lang): string {
  const worst = f.signatures.find((s) => s.indication === f.indication);
  const sub = worst?.subIndication ?? '';
  const en = (): string => {
    switch (f.indication) {
      case 'TOTAL_PASSED':
        if (f.signatures.some((s) => s.modifiedAfter === 'annotations'))
          return 'The signatures are valid, but annotations were drawn on the page after signing that no signature covers: the page looks different from what was signed. Compare with the signed version (kyso verify --signed-version DIR) before accepting.';
        return 'All signatures are valid and nothing disallowed changed after signing: the document can be accepted.';
      case 'NO_SIGNATURE':
        return 'The file has no signature: do not treat it as a signed document; ask the sender for the signed version.';
      case 'ERROR':
        return 'The file could not be checked: ask the sender to send it again.';
      case 'TOTAL_FAILED':
        if (sub === 'REVOKED') return 'Do not accept: the signer\'s certificate was revoked before the document was signed.';
        if (sub === 'FORMAT_FAILURE' && worst?.modifiedAfter === 'disallowed')
          return 'Do not accept: the document was changed after it was signed in a way the signature does not allow. Ask the sender for the original file.';
        return 'Do not accept: the signature is broken or forged (the document was altered). Ask the sender for the original file.';
      default:
        if (sub === 'NO_CERTIFICATE_CHAIN_FOUND')
          return 'The signer\'s certificate does not lead to a trusted root: if you trust its issuer, add it with --trust; otherwise ask the sender.';
        if (sub === 'TRY_LATER') return 'The revocation status could not be checked (network or responder down): run the check again later.';
        if (sub === 'OUT_OF_BOUNDS_NO_POE')
          return 'The signer\'s certificate is expired (or not yet valid) and no trusted timestamp proves the document was signed while it was valid (a later one does not): ask the sender for a signature timestamped in time (B-T or higher).';
        if (sub === 'REVOKED_NO_POE') return 'The signer\'s certificate is revoked and no timestamp proves the document was signed before that: do not accept without confirming with the sender.';
        return 'The signature could not be confirmed: check the details above and ask the sender if in doubt.';
    }
  };
  const vi = (): string => {
    switch (f.indication) {
      case 'TOTAL_PASSED':
        if (f.signatures.some((s) => s.modifiedAfter === 'annotations'))
          return 'Các chữ ký hợp lệ, nhưng sau khi ký có chú thích được vẽ lên trang mà không chữ ký nào bao trùm: trang hiển thị khác với bản đã ký. Hãy so với bản đã ký (kyso verify --signed-version THƯ_MỤC) trước khi tiếp nhận.';
        return 'Mọi chữ ký đều hợp lệ và không có thay đổi trái phép sau khi ký: có thể tiếp nhận văn bản.';
      case 'NO_SIGNATURE':
        return 'Tệp không có chữ ký số: không coi là văn bản đã ký; đề nghị bên gửi gửi bản đã ký.';
      case 'ERROR':
        return 'Không kiểm tra được tệp: đề nghị bên gửi gửi lại.';
      case 'TOTAL_FAILED':
        if (sub === 'REVOKED') return 'Không tiếp nhận: chứng thư số của người ký đã bị thu hồi trước thời điểm ký.';
        if (sub === 'FORMAT_FAILURE' && worst?.modifiedAfter === 'disallowed')
          return 'Không tiếp nhận: văn bản đã bị sửa đổi sau khi ký theo cách chữ ký không cho phép. Đề nghị bên gửi gửi lại bản gốc.';
        return 'Không tiếp nhận: chữ ký bị hỏng hoặc giả mạo (văn bản đã bị sửa). Đề nghị bên gửi gửi lại bản gốc.';
      default:
        if (sub === 'NO_CERTIFICATE_CHAIN_FOUND')
          return 'Chứng thư số của người ký không dẫn tới chứng thư gốc tin cậy: nếu tin cậy tổ chức cấp, hãy thêm bằng --trust; nếu không, hãy hỏi lại bên gửi.';
        if (sub === 'TRY_LATER') return 'Không kiểm tra được tình trạng thu hồi (mạng hoặc máy chủ OCSP/CRL lỗi): hãy kiểm tra lại sau.';
        if (sub === 'OUT_OF_BOUNDS_NO_POE')
          return 'Chứng thư số của người ký đã hết hạn (hoặc chưa có hiệu lực) và không có dấu thời gian tin cậy chứng minh văn bản được ký khi chứng thư còn hiệu lực (dấu thời gian sau đó không đủ): đề nghị bên gửi ký lại có dấu thời gian kịp thời (B-T trở lên).';
        if (sub === 'REVOKED_NO_POE') return 'Chứng thư số đã bị thu hồi và không có dấu thời gian chứng minh văn bản được ký trước đó: không tiếp nhận khi chưa xác minh với bên gửi.';
        return 'Chưa xác nhận được chữ ký: xem chi tiết ở trên và hỏi lại bên gửi nếu còn nghi ngờ.';
    }
  };
  return lang === 'vi' ? vi() : en();
}

function cnOf(dn: string): string {
  const m = /(?:^|,\s*)CN=((?:\\,|[^,])*)/.exec(dn);
  return m ? m[1]!.replace(/\\,/g, ',') : dn;
}

function color(on: boolean, code: number, s: string): string {
  return on ? `\x1b[${code}m${s}\x1b[0m` : s;
}

function indicationLabel(ind: string, lang: Lang): string {
  return lang === 'vi' ? `${INDICATION_VI[ind] ?? ind} (${ind})` : ind;
}

function sigLine(s: SignatureReport, lang: Lang, useColor: boolean): string {
  const t = T[lang];
  const who = s.signer ? cnOf(s.signer.subject) : t.unknownSigner;
  const parts: string[] = [];
  const v = (x: string) => valueLabel(x, lang);
  parts.push(`${t.integrity} ${v(s.integrity)}`, `${t.trust} ${v(s.trust)}`, `${t.changes} ${v(s.modifiedAfter)}`, `${t.coverage} ${v(s.coverage)}`, `${t.level} ${s.level === 'none' ? v('none') : s.level}`);
  if (s.certification) parts.push(t.certified(s.certification));
  // times in Vietnam time (UTC+7), offset shown
  if (s.timestamp) parts.push(s.timestamp.valid ? `${t.ts} ${timeLabel(s.timestamp.time)}` : t.invalidTs);
  else if (s.signingTime) parts.push(`${timeLabel(s.signingTime)} (${t.claimed})`);
  if (s.validUntil) parts.push(`${lang === 'vi' ? 'kiểm tra được đến' : 'verifiable until'} ${timeLabel(s.validUntil).slice(0, 10)}`);
  const ind = s.subIndication ? `${s.indication}/${s.subIndication}` : s.indication;
  const c = s.indication === 'TOTAL_PASSED' ? 32 : s.indication === 'TOTAL_FAILED' ? 31 : 33;
  const kind = s.type === 'timestamp' ? ` [${t.docTs}]` : '';
  // field names and signer names come from the document: escaped (no terminal control from a PDF)
  return `  ${escapeName(s.field)}${kind}  ${color(useColor, c, ind)}  ${escapeName(who)}  ·  ${escapeName(parts.join(' · '))}`;
}

export function renderVerifyText(out: OutStream, r: VerifyRunResult, lang: Lang, useColor: boolean): void {
  for (const f of r.files) {
    const c = f.indication === 'TOTAL_PASSED' ? 32 : f.indication === 'TOTAL_FAILED' || f.indication === 'ERROR' ? 31 : 33;
    const head = `${escapeName(f.file)}: ${color(useColor, c, indicationLabel(f.indication, lang))}`;
    out.write(f.signatures.length ? `${head} (${T[lang].sigs(f.signatures.length)})\n` : `${head}\n`);
    if (f.error) out.write(`  ${escapeControl(lang === 'vi' ? (f.error.messageVi ?? f.error.message) : f.error.message)}\n`);
    for (const s of f.signatures) {
      out.write(sigLine(s, lang, useColor) + '\n');
      for (const p of s.problems.slice(0, 3)) out.write(`      - ${escapeControl(loadedCatalogue().renderProblem(p, lang))}
`);
      for (const w of s.warnings.slice(0, 3)) out.write(`      ! ${escapeControl(loadedCatalogue().renderProblem(w, lang))}
`);
    }
    out.write(`  → ${advice(f, lang)}\n\n`);
  }
  out.write(T[lang].summary(r.summary) + '\n');
}
