/**
 * The clerk-facing parts of a signing batch's report that are not the table: notes about files left alone,
 * the closing summary (counts and time), and the line said when a signal stops the batch.
 */
import type { Lang } from '../core/types.js';
import type { SignFileOutcome } from '../services/sign-document.js';
import type { SkipReason } from '../services/sign-inputs.js';
import type { OutStream } from './context.js';

export interface BatchCounts {
  signed: number;
  failed: number;
  skipped: number;
  /** planned but not reached (the batch was stopped by a signal) */
  notDone: number;
  total: number;
}

export function countOutcomes(files: SignFileOutcome[], total = files.length): BatchCounts {
  let signed = 0;
  let failed = 0;
  let skipped = 0;
  for (const f of files) {
    if ('skipped' in f) skipped++;
    else if ('error' in f) failed++;
    else signed++;
  }
  return { signed, failed, skipped, notDone: Math.max(0, total - files.length), total };
}

const NOTE: Record<SkipReason, { en: (n: number) => string; vi: (n: number) => string }> = {
  'signed-name': {
    en: (n) => `${n} file(s) named *.signed.pdf (kyso's own outputs) found in the folder or pattern were left alone; name a file on the command line to sign it anyway`,
    vi: (n) => `bỏ qua ${n} tệp có tên *.signed.pdf (tệp kyso đã ký) tìm thấy trong thư mục hoặc mẫu; muốn ký thì ghi rõ tên tệp trên dòng lệnh`,
  },
  'already-signed': {
    en: (n) => `${n} file(s) found in the folder or pattern already carry a signature by this certificate and were left alone; name a file on the command line to sign it again`,
    vi: (n) => `bỏ qua ${n} tệp tìm thấy trong thư mục hoặc mẫu đã có chữ ký của chính chứng thư này; muốn ký lại thì ghi rõ tên tệp trên dòng lệnh`,
  },
  'output-exists': {
    en: (n) => `${n} file(s) skipped: their output exists already (--skip-existing)`,
    vi: (n) => `bỏ qua ${n} tệp: tệp đầu ra đã có sẵn (--skip-existing)`,
  },
};

/** One note per reason on stderr, with the first few names. */
export function writeSkipNotes(err: OutStream, files: SignFileOutcome[], lang: Lang): void {
  const by = new Map<SkipReason, string[]>();
  for (const f of files) if ('skipped' in f) by.set(f.skipped, [...(by.get(f.skipped) ?? []), f.input]);
  for (const [reason, names] of by) {
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', …' : '');
    err.write(`kyso: ${lang === 'vi' ? 'lưu ý' : 'note'}: ${NOTE[reason][lang](names.length)}: ${shown}\n`);
  }
}

function seconds(ms: number, lang: Lang): string {
  const s = (ms / 1000).toFixed(1);
  return lang === 'vi' ? `${s.replace('.', ',')} giây` : `${s} s`;
}

/** "Signed 98 of 100 files (2 failed, 3 skipped) in 12.3 s" */
export function summaryLine(c: BatchCounts, elapsedMs: number, lang: Lang): string {
  const parts: string[] = [];
  if (lang === 'vi') {
    if (c.failed) parts.push(`${c.failed} lỗi`);
    if (c.skipped) parts.push(`${c.skipped} bỏ qua`);
    if (c.notDone) parts.push(`${c.notDone} chưa ký`);
    return `Đã ký ${c.signed}/${c.total} tệp${parts.length ? ` (${parts.join(', ')})` : ''} trong ${seconds(elapsedMs, lang)}`;
  }
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.notDone) parts.push(`${c.notDone} not signed`);
  return `Signed ${c.signed} of ${c.total} file(s)${parts.length ? ` (${parts.join(', ')})` : ''} in ${seconds(elapsedMs, lang)}`;
}

/** The same in both languages, for an error object of the JSON report. */
export function interruptedMsg(signal: string): { en: string; vi: string } {
  return { en: `interrupted (${signal})`, vi: `đã dừng theo yêu cầu (${signal})` };
}

export function interruptedLine(signal: string, lang: Lang): string {
  return lang === 'vi' ? `đã dừng theo yêu cầu (${signal})` : `interrupted (${signal})`;
}
