/**
 * Sample Vietnamese administrative documents for `kyso demo` (a công văn laid out after NĐ 30/2020 Phụ lục I:
 * organ name, Quốc hiệu – Tiêu ngữ, số/ký hiệu, place and date, trích yếu, body, signer block). Written with
 * pdf-lib and embedded Liberation Serif subsets (assets/fonts: metrically compatible with Times New Roman, every
 * Vietnamese glyph), written as Type0/CID fonts with ToUnicode maps as Word writes them. Like a draft before
 * issuance, the number and the date are left blank ("Số:      /UBND-VP", "ngày      tháng      năm 2026"):
 * `kyso sign --role issue` fills them. pdf-lib only ever writes NEW files here; signed files are never re-saved by it.
 */
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { readFile, writeFile } from 'node:fs/promises';
import { FONTS_DIR } from '../pdf/appearance/fonts.js';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from '../pdf/pdf-lib.js';

export function fontPath(bold = false): string {
  return path.join(FONTS_DIR, `LiberationSerif-${bold ? 'Bold' : 'Regular'}.ttf`);
}

export interface SampleDocument {
  organ: string;
  parentOrgan: string;
  notation: string;
  place: string;
  date: Date;
  subject: string;
  recipients: string[];
  paragraphs: string[];
  signerCompetence: string;
  signerPosition: string;
  signerName: string;
}

export const SAMPLE_CONG_VAN: SampleDocument = {
  parentOrgan: 'UBND TỈNH THÁI NGUYÊN',
  organ: 'UBND HUYỆN PHÚ LƯƠNG',
  notation: '/UBND-VP',
  place: 'Phú Lương',
  date: new Date('2026-11-27T08:00:00+07:00'),
  subject: 'V/v triển khai ký số và gửi, nhận văn bản điện tử qua Trục liên thông',
  recipients: ['Sở Nội vụ tỉnh Thái Nguyên', 'Các phòng, ban chuyên môn thuộc UBND huyện'],
  paragraphs: [
    'Thực hiện Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ về công tác văn thư, Ủy ban nhân dân huyện Phú Lương đề nghị các cơ quan, đơn vị thực hiện ký số đối với toàn bộ văn bản đi và gửi, nhận văn bản điện tử qua Trục liên thông văn bản của tỉnh.',
    'Văn thư cơ quan có trách nhiệm kiểm tra tính xác thực và toàn vẹn của văn bản điện tử đến, thông báo ngay trong ngày cho cơ quan gửi về việc đã nhận văn bản.',
    'Đây là văn bản mẫu do lệnh "kyso demo" tạo ra, không có giá trị pháp lý.',
  ],
  signerCompetence: 'TM. ỦY BAN NHÂN DÂN',
  signerPosition: 'CHỦ TỊCH',
  signerName: 'Nguyễn Thúy Hằng',
};

function centre(page: PDFPage, font: PDFFont, text: string, size: number, cx: number, y: number): void {
  const w = font.widthOfTextAtSize(text, size);
  page.drawText(text, { x: cx - w / 2, y, size, font, color: rgb(0, 0, 0) });
}

function wrap(font: PDFFont, text: string, size: number, width: number): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (font.widthOfTextAtSize(next, size) > width && line) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

const mm = (v: number) => (v * 72) / 25.4;

/** Writes a one-page A4 công văn. */
export async function writeSampleDocument(file: string, doc: SampleDocument = SAMPLE_CONG_VAN): Promise<void> {
  const pdf = await PDFDocument.create();
  pdf.registerFontkit(fontkit);
  const regular = await pdf.embedFont(await readFile(fontPath(false)), { subset: true });
  const bold = await pdf.embedFont(await readFile(fontPath(true)), { subset: true });
  const italic = await pdf.embedFont(await readFile(path.join(FONTS_DIR, 'LiberationSerif-Italic.ttf')), { subset: true });
  pdf.setTitle(doc.subject);
  pdf.setAuthor(doc.organ);
  pdf.setCreator('kyso demo');
  pdf.setProducer('kyso');
  pdf.setCreationDate(doc.date);
  pdf.setModificationDate(doc.date);
  const page = pdf.addPage([mm(210), mm(297)]);
  const left = mm(30);
  const right = mm(210 - 15);
  const leftCol = left + mm(28);
  const rightCol = mm(143);
  let y = mm(297 - 20) - 12;

  centre(page, regular, doc.parentOrgan, 10.5, leftCol, y);
  centre(page, bold, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 10.5, rightCol, y);
  y -= 15;
  centre(page, bold, doc.organ, 10.5, leftCol, y);
  centre(page, bold, 'Độc lập - Tự do - Hạnh phúc', 11.5, rightCol, y);
  y -= 24;
  centre(page, regular, `Số:          ${doc.notation}`, 13, leftCol, y);
  centre(page, italic, `${doc.place}, ngày        tháng        năm ${doc.date.getUTCFullYear()}`, 13, rightCol, y);
  y -= 18;
  for (const l of wrap(regular, doc.subject, 12, mm(70))) {
    centre(page, regular, l, 12, leftCol, y);
    y -= 14;
  }
  y -= 16;
  page.drawText('Kính gửi:', { x: mm(45), y, size: 13, font: regular });
  for (const r of doc.recipients) {
    page.drawText(`- ${r};`, { x: mm(68), y, size: 13, font: regular });
    y -= 18;
  }
  y -= 8;
  for (const p of doc.paragraphs) {
    const lines = wrap(regular, p, 13, right - left - mm(10));
    lines.forEach((l, i) => {
      page.drawText(l, { x: left + (i === 0 ? mm(10) : 0), y, size: 13, font: regular });
      y -= 19;
    });
    y -= 4;
  }
  y -= 20;
  const sigX = mm(150);
  centre(page, bold, doc.signerCompetence, 13, sigX, y);
  y -= 16;
  centre(page, bold, doc.signerPosition, 13, sigX, y);
  y -= 90;
  centre(page, bold, doc.signerName, 14, sigX, y);
  page.drawText('Nơi nhận:', { x: left, y: y + 90, size: 12, font: bold });
  let ny = y + 76;
  // kept narrow (≤ 62 mm) so that the seal, over the left third of the leader's signature, stays clear of it
  for (const r of [...doc.recipients, 'Lưu: VT.']) {
    wrap(regular, `- ${r};`.replace('.;', '.'), 11, mm(62)).forEach((l, i) => {
      page.drawText(l, { x: left + (i ? mm(2) : 0), y: ny, size: 11, font: regular });
      ny -= 13;
    });
  }
  await writeFile(file, await pdf.save({ useObjectStreams: false }));
}
