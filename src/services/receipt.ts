/**
 * `kyso verify file.pdf --receipt receipt.pdf`: a one-page PDF "phiếu kiểm tra chữ ký số" a clerk can print
 * or attach: the document's name and SHA-256, each signature's signer, organisation, time, verdict, level and
 * until when it stays verifiable, the validation time and the trust anchors the signatures' chains actually
 * reached (subject and SHA-256 fingerprint; not every anchor configured). A new document, so pdf-lib builds it
 * (with fontkit subsetting Liberation Serif from assets/fonts, which covers Vietnamese); written atomically
 * (src/io/atomic-write.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KysoError, isKysoError, msg, usageError } from '../core/errors.js';
import { writeBytesAtomic } from '../io/atomic-write.js';
import type { Lang } from '../core/types.js';
import type { VerifyInput } from './verify-files.js';
import type { FileIndication, SignatureReport, VerifyRunResult, VerifySettings } from './verify-types.js';
import { assetPath } from '../core/package-root.js';

export const FONTS_DIR = assetPath('fonts');

const VERDICT_VI: Record<FileIndication, string> = {
  TOTAL_PASSED: 'HỢP LỆ',
  TOTAL_FAILED: 'KHÔNG HỢP LỆ',
  INDETERMINATE: 'CHƯA XÁC ĐỊNH',
  NO_SIGNATURE: 'CHƯA KÝ',
  ERROR: 'KHÔNG ĐỌC ĐƯỢC',
};

const ADVICE_VI: Record<FileIndication, string> = {
  TOTAL_PASSED: 'Mọi chữ ký đều hợp lệ và văn bản không bị sửa đổi trái phép sau khi ký: có thể tiếp nhận.',
  TOTAL_FAILED: 'Không tiếp nhận: có chữ ký không hợp lệ hoặc văn bản đã bị sửa sau khi ký. Đề nghị bên gửi gửi lại bản gốc.',
  INDETERMINATE: 'Chưa xác nhận được chữ ký (chứng thư không dẫn tới gốc tin cậy, đã hết hạn hoặc chưa kiểm tra được thu hồi): hỏi lại bên gửi trước khi tiếp nhận.',
  NO_SIGNATURE: 'Tệp không có chữ ký số: không coi là văn bản đã ký.',
  ERROR: 'Không kiểm tra được tệp: đề nghị bên gửi gửi lại.',
};

function dnPart(dn: string | undefined, key: string): string | undefined {
  if (!dn) return undefined;
  const m = new RegExp(`(?:^|,\\s*)${key}=((?:\\\\,|[^,])*)`).exec(dn);
  return m ? m[1]!.replace(/\\,/g, ',').trim() : undefined;
}

function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

export interface ReceiptOptions {
  lang: Lang;
  now: Date;
  settings: VerifySettings;
  /** kyso version for the footer */
  version?: string;
}

/** A trust anchor a signature's chain reached. */
export interface UsedAnchor {
  subject: string;
  sha256: string;
}

/** The anchors the file's signatures and timestamps actually reached, each once, in order of first use. */
export function anchorsUsed(r: VerifyRunResult): UsedAnchor[] {
  const out: UsedAnchor[] = [];
  for (const s of r.files[0]?.signatures ?? []) for (const a of s.anchors ?? []) if (!out.some((b) => b.sha256 === a.sha256)) out.push(a);
  return out;
}

/** Builds the receipt's PDF bytes (exported for tests). */
export async function buildReceipt(r: VerifyRunResult, input: VerifyInput, sha256: string, anchors: UsedAnchor[], o: ReceiptOptions): Promise<Uint8Array> {
  const { PDFDocument, rgb } = await import('../pdf/pdf-lib.js');
  const fontkit = (await import('@pdf-lib/fontkit')).default;
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const regular = await doc.embedFont(await readFile(path.join(FONTS_DIR, 'LiberationSerif-Regular.ttf')), { subset: true });
  const bold = await doc.embedFont(await readFile(path.join(FONTS_DIR, 'LiberationSerif-Bold.ttf')), { subset: true });
  doc.setTitle('Phiếu kiểm tra chữ ký số');
  doc.setProducer('kyso');
  doc.setCreationDate(o.now);
  doc.setModificationDate(o.now);
  const page = doc.addPage([595.28, 841.89]);
  const M = 56;
  const W = page.getWidth() - 2 * M;
  let y = page.getHeight() - M;
  const f = r.files[0]!;
  const colour = (ind: string) => (ind === 'TOTAL_PASSED' ? rgb(0.1, 0.5, 0.22) : ind === 'TOTAL_FAILED' ? rgb(0.8, 0.13, 0.18) : rgb(0.6, 0.4, 0));
  let truncated = false;
  const line = (text: string, opts: { size?: number; font?: typeof regular; indent?: number; color?: ReturnType<typeof rgb>; gap?: number } = {}) => {
    const size = opts.size ?? 10.5;
    const font = opts.font ?? regular;
    const x = M + (opts.indent ?? 0);
    const width = W - (opts.indent ?? 0);
    // Word wrap; a long token (a hash, a path) is cut where it no longer fits.
    const words = text.split(/(\s+)/);
    let cur = '';
    const lines: string[] = [];
    for (const w of words) {
      if (font.widthOfTextAtSize(cur + w, size) <= width) {
        cur += w;
        continue;
      }
      if (cur.trim()) lines.push(cur.trimEnd());
      cur = w.trimStart();
      while (font.widthOfTextAtSize(cur, size) > width) {
        let k = cur.length;
        while (k > 1 && font.widthOfTextAtSize(cur.slice(0, k), size) > width) k--;
        lines.push(cur.slice(0, k));
        cur = cur.slice(k);
      }
    }
    if (cur.trim()) lines.push(cur.trimEnd());
    for (const l of lines) {
      if (y - size < M + 30) {
        truncated = true;
        return;
      }
      page.drawText(l, { x, y: y - size, size, font, color: opts.color ?? rgb(0, 0, 0) });
      y -= size * 1.32;
    }
    y -= opts.gap ?? 0;
  };
  const field = (label: string, value: string, indent = 0) => {
    const size = 10.5;
    const lw = bold.widthOfTextAtSize(`${label}: `, size);
    if (y - size < M + 30) {
      truncated = true;
      return;
    }
    page.drawText(`${label}: `, { x: M + indent, y: y - size, size, font: bold });
    // value wraps under the label's end
    const saveY = y;
    line(value, { indent: indent + lw, size });
    if (y === saveY) y -= size * 1.32;
  };

  line('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 10, font: bold });
  line('Độc lập - Tự do - Hạnh phúc', { size: 10, font: bold, gap: 10 });
  line('PHIẾU KIỂM TRA CHỮ KÝ SỐ', { size: 17, font: bold });
  line('Digital signature verification receipt', { size: 9.5, color: rgb(0.35, 0.35, 0.35), gap: 10 });
  field('Tài liệu', path.basename(input.display));
  field('Mã băm SHA-256', sha256);
  field('Thời điểm kiểm tra', when(o.settings.at ?? o.now.toISOString()));
  field('Chế độ kiểm tra thu hồi', o.settings.revocation === 'hard' ? 'bắt buộc (hard)' : o.settings.revocation === 'off' ? 'không kiểm tra (off)' : 'nếu có thể (soft)');
  y -= 4;
  if (y - 14 > M) {
    page.drawText('Kết luận: ', { x: M, y: y - 13, size: 13, font: bold });
    page.drawText(`${VERDICT_VI[f.indication]} (${f.indication})`, { x: M + bold.widthOfTextAtSize('Kết luận: ', 13), y: y - 13, size: 13, font: bold, color: colour(f.indication) });
    y -= 19;
  }
  line(ADVICE_VI[f.indication], { gap: 6 });
  if (f.error) line(f.error.messageVi ?? f.error.message, { gap: 6 });

  f.signatures.forEach((s: SignatureReport, i) => {
    if (truncated) return;
    page.drawLine({ start: { x: M, y: y - 2 }, end: { x: M + W, y: y - 2 }, thickness: 0.5, color: rgb(0.7, 0.7, 0.7) });
    y -= 8;
    line(`${s.type === 'timestamp' ? 'Dấu thời gian văn bản' : 'Chữ ký'} ${i + 1} (trường “${s.field}”)`, { font: bold, size: 11.5 });
    const subject = s.signer?.subject;
    const cn = dnPart(subject, 'CN') ?? subject ?? 'không rõ';
    field(s.type === 'timestamp' ? 'Đơn vị cấp dấu thời gian' : 'Người ký', cn, 10);
    field('Tổ chức', dnPart(subject, 'O') ?? '—', 10);
    field('Thời điểm ký', s.timestamp?.valid ? `${when(s.timestamp.time)} (theo dấu thời gian)` : s.signingTime ? `${when(s.signingTime)} (tự khai, chưa được chứng minh)` : '—', 10);
    if (y - 11 > M + 30) {
      page.drawText('Kết quả: ', { x: M + 10, y: y - 10.5, size: 10.5, font: bold });
      page.drawText(`${VERDICT_VI[s.indication]}${s.subIndication ? ` (${s.subIndication})` : ''}`, {
        x: M + 10 + bold.widthOfTextAtSize('Kết quả: ', 10.5),
        y: y - 10.5,
        size: 10.5,
        font: bold,
        color: colour(s.indication),
      });
      y -= 10.5 * 1.32;
    } else truncated = true;
    if (s.type === 'signature') field('Mức PAdES', s.level, 10);
    field('Tổ chức cấp chứng thư', dnPart(s.signer?.issuer, 'CN') ?? s.signer?.issuer ?? '—', 10);
    if (s.validUntil) field('Kiểm tra được (không cần dữ liệu mới) đến', when(s.validUntil), 10);
    y -= 4;
  });
  if (!truncated) {
    page.drawLine({ start: { x: M, y: y - 2 }, end: { x: M + W, y: y - 2 }, thickness: 0.5, color: rgb(0.7, 0.7, 0.7) });
    y -= 8;
    line('Chứng thư gốc tin cậy đã dùng', { font: bold });
    if (anchors.length === 0) line('không có: không chuỗi chứng thư nào dẫn tới chứng thư gốc tin cậy', { indent: 10, size: 9.5 });
    for (const a of anchors) {
      line(`• ${dnPart(a.subject, 'CN') ?? a.subject}`, { indent: 10, size: 9.5 });
      if (dnPart(a.subject, 'CN')) line(a.subject, { indent: 20, size: 8.5, color: rgb(0.35, 0.35, 0.35) });
      line(`SHA-256: ${a.sha256}`, { indent: 20, size: 8.5 });
    }
  }
  if (truncated) {
    page.drawText(`… còn nội dung không đủ chỗ trên một trang; xem báo cáo đầy đủ: kyso verify --format html`, { x: M, y: M + 16, size: 9, font: regular, color: rgb(0.6, 0, 0) });
  }
  page.drawText(`Lập bởi kyso${o.version ? ` ${o.version}` : ''} theo ETSI EN 319 102-1 / EN 319 142-1 · ${when(o.now.toISOString())}`, {
    x: M,
    y: M,
    size: 8.5,
    font: regular,
    color: rgb(0.4, 0.4, 0.4),
  });
  return doc.save({ useObjectStreams: false });
}

/** Writes the receipt of a one-file verification run to `out` (temp + fsync + rename; never an input). */
export async function writeReceipt(out: string, r: VerifyRunResult, inputs: VerifyInput[], o: ReceiptOptions): Promise<void> {
  if (inputs.length !== 1 || r.files.length !== 1)
    throw usageError('USAGE', msg('--receipt needs exactly one PDF file to verify', '--receipt chỉ dùng khi kiểm tra đúng một tệp PDF'));
  const input = inputs[0]!;
  if (path.resolve(out) === path.resolve(input.path))
    throw usageError('USAGE', msg(`--receipt ${out}: that is the file being verified`, `--receipt ${out}: đó là chính tệp đang được kiểm tra`));
  const sha256 = input.missing ? '—' : await sha256File(input.path);
  const bytes = await buildReceipt(r, input, sha256, anchorsUsed(r), o);
  try {
    await writeBytesAtomic(out, bytes, { inputs: [input.path], mode: 0o644 });
  } catch (e) {
    if (isKysoError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new KysoError('OUTPUT_WRITE_FAILED', 'input', msg(`${out}: cannot write the receipt (${code ?? 'error'})`, `${out}: không ghi được phiếu kiểm tra (${code ?? 'lỗi'})`), { cause: e });
  }
}
