/**
 * Where each signing step's appearance goes and what it shows (NĐ 30/2020 Phụ lục I; see
 * docs/appearance.md): approve, issue, appendix, copy, income, or a plain image/rect.
 */
import { msg, usageError } from '../../core/errors.js';
import type { Warning } from '../../core/types.js';
import { PDFArray, PDFDict, PDFName, PDFNumber } from '../pdf-lib.js';
import type { PdfReader } from '../reader.js';
import type { PageText, TextLine, TextMatch } from '../anchor.js';
import { checkGlyphs, FontSet, type FontStyle } from './fonts.js';
import { imageSize, MM, type LoadedImage } from './images.js';
import type { Box, Layout, Piece } from './build.js';
import { dayText, docNumberText, fill, isoVietnam, monthText, type DocDate } from './text.js';

export type Role = 'approve' | 'issue' | 'appendix' | 'copy' | 'income';
export const ROLES: readonly Role[] = ['approve', 'issue', 'appendix', 'copy', 'income'];

export interface AppearanceRequest {
  file: string;
  role?: Role;
  /** 1-based page, or 'last' */
  page?: number | 'last';
  /** x, y, w, h in points, origin bottom-left */
  rect?: [number, number, number, number];
  anchor?: string;
  anchorOffset?: [number, number];
  invisible?: boolean;
  /** approve: the signature image; issue: the seal; none: any image */
  image?: LoadedImage;
  imageWidthMm?: number;
  docNumber?: string;
  docDate: DocDate;
  signingTime: Date;
  organisation?: string;
  copyForm?: string;
  /** lines of the info text of appendix / copy / income ("{number}", "{time}", "{form}", "{organisation}", "{date}") */
  templates?: Partial<Record<'appendix' | 'copy' | 'income', string[]>>;
}

export const DEFAULT_TEMPLATES = {
  appendix: ['{number}', '{time}'],
  copy: ['{form} {organisation}', '{time}'],
  income: ['ĐẾN', 'Số: {number}', 'Ngày: {date}'],
};

export const layoutErrors = {
  rectOffPage: (file: string, page: number, rect: number[], w: number, h: number) =>
    usageError(
      'RECT_OFF_PAGE',
      msg(
        `${file}: --rect ${rect.join(',')} is not inside page ${page + 1} (${Math.round(w)} × ${Math.round(h)} pt)`,
        `${file}: --rect ${rect.join(',')} không nằm trong trang ${page + 1} (${Math.round(w)} × ${Math.round(h)} pt)`,
      ),
    ),
  needsNumber: (role: Role) =>
    usageError('DOC_NUMBER_MISSING', msg(`--role ${role} needs --doc-number`, `--role ${role} cần --doc-number`)),
  needsImage: (role: Role | undefined) =>
    usageError('APPEARANCE_IMAGE_MISSING', msg(`${role ? `--role ${role}` : '--rect/--anchor'} needs an image (--image)`, `${role ? `--role ${role}` : '--rect/--anchor'} cần ảnh (--image)`)),
};

/** What layout needs to know about the document (pdfjs text only when an anchor is used). */
export interface LayoutDoc {
  reader: PdfReader;
  pageCount: number;
  pageSize(pageIndex: number): Promise<{ x0: number; y0: number; w: number; h: number }>;
  text(pageIndex: number): Promise<PageText>;
  warn(w: Warning): void;
}

const BLACK: [number, number, number] = [0, 0, 0];

export async function layoutAppearance(req: AppearanceRequest, doc: LayoutDoc): Promise<Layout> {
  const role = req.role;
  const pageOf = (dflt: 'first' | 'last'): number => {
    const p = req.page ?? dflt;
    const i = p === 'last' ? doc.pageCount - 1 : p === 'first' ? 0 : p - 1;
    if (!Number.isInteger(i) || i < 0 || i >= doc.pageCount)
      throw usageError('PAGE_OUT_OF_RANGE', msg(`${req.file}: page ${i + 1} does not exist (the document has ${doc.pageCount})`, `${req.file}: không có trang ${i + 1} (văn bản có ${doc.pageCount} trang)`));
    return i;
  };
  const fonts = new FontSet(); // for measuring only
  const annots: Box[] = [];

  if (role === 'appendix' || role === 'copy' || role === 'income') {
    if ((role === 'appendix' || role === 'income') && !req.docNumber) throw layoutErrors.needsNumber(role);
    const pi = pageOf('first');
    const d = req.docDate;
    const values = {
      number: req.docNumber ? docNumberText(req.docNumber) : '',
      time: isoVietnam(req.signingTime),
      form: req.copyForm ?? 'SAO Y',
      organisation: req.organisation ?? '',
      date: `${dayText(d)}/${String(d.m).padStart(2, '0')}/${d.y}`,
    };
    const lines = (req.templates?.[role] ?? DEFAULT_TEMPLATES[role]).map((t) => fill(t, values).replace(/\s+/g, ' ').trim()).filter(Boolean);
    const size = 10;
    const lead = 12;
    const pad = role === 'income' ? 4 : 1;
    let w = 0;
    for (const [i, l] of lines.entries()) w = Math.max(w, await fonts.width(checkGlyphs(l, style(role, i)), style(role, i), size));
    w += 2 * pad;
    const h = lines.length * lead + 2 * pad;
    const ps = await doc.pageSize(pi);
    let rect: [number, number, number, number];
    if (req.rect || req.anchor) rect = await place(req, doc, pi, w, h);
    else if (role === 'income') rect = [ps.x0 + 20 * MM, ps.y0 + ps.h - 4 * MM - h, ps.x0 + 20 * MM + w, ps.y0 + ps.h - 4 * MM];
    // top right, inside the top margin (above the Quốc hiệu – Tiêu ngữ, which starts at 20 mm)
    else rect = [ps.x0 + ps.w - 15 * MM - w, ps.y0 + ps.h - 4 * MM - h, ps.x0 + ps.w - 15 * MM, ps.y0 + ps.h - 4 * MM];
    const pieces: Piece[] = lines.map((l, i) => ({ kind: 'text', text: l, style: style(role, i), size, x: pad, y: h - pad - (i + 1) * lead + 3, color: BLACK }));
    if (role === 'income') pieces.push({ kind: 'frame', x: 0.5, y: 0.5, w: rect[2] - rect[0] - 1, h: rect[3] - rect[1] - 1, width: 1 });
    return { widget: req.invisible ? undefined : { pageIndex: pi, rect, pieces }, annots };
  }

  if (role === 'issue') {
    if (!req.docNumber) throw layoutErrors.needsNumber(role);
    annots.push(...(await issueTexts(req, doc, fonts)));
    if (req.invisible) return { annots };
    if (!req.image) throw layoutErrors.needsImage(role);
    const seal = req.image;
    const { w, h } = imageSize(seal, { widthMm: req.imageWidthMm });
    const pi = pageOf('last');
    let rect: [number, number, number, number];
    if (req.rect || req.anchor) rect = await place(req, doc, pi, w, h);
    else {
      const approval = await lastApprovalWidget(doc.reader, pi);
      let target: [number, number, number, number];
      if (approval) target = approval;
      else {
        doc.warn({
          code: 'SEAL_WITHOUT_APPROVAL',
          en: `${req.file}: no visible approval signature on page ${pi + 1}: the seal is placed by the signer's title block`,
          vi: `${req.file}: không có chữ ký phê duyệt hiển thị trên trang ${pi + 1}: dấu được đặt theo khối chức vụ người ký`,
        });
        target = await approveTarget(req, doc, pi, 35 * MM, 18 * MM);
      }
      // the seal covers about the left third of the leader's signature image (NĐ 30/2020 Phụ lục I, 8.a)
      const sw = target[2] - target[0];
      const cy = (target[1] + target[3]) / 2;
      const right = target[0] + sw / 3;
      rect = [right - w, cy - h / 2, right, cy + h / 2];
      rect = clampToPage(rect, await doc.pageSize(pi));
    }
    return { widget: { pageIndex: pi, rect, pieces: [{ kind: 'image', image: seal, x: 0, y: 0, w: rect[2] - rect[0], h: rect[3] - rect[1] }] }, annots };
  }

  // approve, or a plain visible signature (--image with --rect/--anchor)
  if (req.invisible || (!role && !req.rect && !req.anchor)) return { annots };
  if (!req.image) throw layoutErrors.needsImage(role);
  const pi = pageOf(role === 'approve' ? 'last' : 'first');
  const { w, h } = imageSize(req.image, { widthMm: req.imageWidthMm });
  const rect = req.rect || req.anchor ? await place(req, doc, pi, w, h) : await approveTarget(req, doc, pi, w, h);
  return { widget: { pageIndex: pi, rect, pieces: [{ kind: 'image', image: req.image, x: 0, y: 0, w: rect[2] - rect[0], h: rect[3] - rect[1] }] }, annots };
}

function style(role: Role, line: number): FontStyle {
  return role === 'income' && line === 0 ? 'Bold' : 'Regular';
}

/** --rect, or --anchor (+ --anchor-offset: lower-left corner relative to the anchor's start on its baseline). */
async function place(req: AppearanceRequest, doc: LayoutDoc, pi: number, w: number, h: number): Promise<[number, number, number, number]> {
  const ps = await doc.pageSize(pi);
  if (req.rect) {
    const [x, y, rw, rh] = req.rect;
    const r: [number, number, number, number] = [x, y, x + rw, y + rh];
    const eps = 0.01;
    if (!(rw > 0 && rh > 0) || x < ps.x0 - eps || y < ps.y0 - eps || x + rw > ps.x0 + ps.w + eps || y + rh > ps.y0 + ps.h + eps)
      throw layoutErrors.rectOffPage(req.file, pi, req.rect, ps.w, ps.h);
    return r;
  }
  const m = await anchorMatch(req, doc, pi, req.anchor!);
  if (req.anchorOffset) {
    const [dx, dy] = req.anchorOffset;
    return clampToPage([m.x0 + dx, m.y + dy, m.x0 + dx + w, m.y + dy + h], ps);
  }
  // centred under the anchor text
  const cx = (m.x0 + m.x1) / 2;
  const top = m.y - m.size * 0.35;
  return clampToPage([cx - w / 2, top - h, cx + w / 2, top], ps);
}

async function anchorMatch(req: AppearanceRequest, doc: LayoutDoc, pi: number, anchor: string): Promise<TextMatch> {
  const { anchorErrors, findText } = await import('../anchor.js');
  const t = await doc.text(pi);
  if (t.lines.length === 0) throw anchorErrors.noText(req.file, anchor, pi);
  const m = findText(t.lines, anchor, 'last');
  if (!m) throw anchorErrors.notFound(req.file, anchor, pi);
  return m;
}

function clampToPage(r: [number, number, number, number], ps: { x0: number; y0: number; w: number; h: number }): [number, number, number, number] {
  const w = r[2] - r[0];
  const h = r[3] - r[1];
  const x = Math.min(Math.max(r[0], ps.x0), ps.x0 + ps.w - w);
  const y = Math.min(Math.max(r[1], ps.y0), ps.y0 + ps.h - h);
  return [x, y, x + w, y + h];
}

const isTitle = (l: TextLine) => {
  const letters = l.text.replace(/[^\p{L}]/gu, '');
  return letters.length >= 3 && letters === letters.toLocaleUpperCase('vi') && !/^(CỘNG HÒA|ĐỘC LẬP)/.test(l.text.trim());
};

/**
 * The approve image's place: centred between the signer's title line (the lowest upper-case line in the right
 * half of the page: "CHỦ TỊCH", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH") and the name line under it.
 */
async function approveTarget(req: AppearanceRequest, doc: LayoutDoc, pi: number, w: number, h: number): Promise<[number, number, number, number]> {
  const t = await doc.text(pi);
  const ps = await doc.pageSize(pi);
  const { anchorErrors } = await import('../anchor.js');
  if (t.lines.length === 0) throw anchorErrors.noText(req.file, 'title block', pi);
  const centre = (l: TextLine) => {
    const i0 = l.text.search(/\S/);
    const i1 = l.text.length - 1 - [...l.text].reverse().join('').search(/\S/);
    return { x0: l.x0[i0]!, x1: l.x1[i1]!, cx: (l.x0[i0]! + l.x1[i1]!) / 2 };
  };
  const candidates = t.lines.filter((l) => isTitle(l) && centre(l).cx > ps.x0 + ps.w / 2);
  const title = candidates.sort((a, b) => a.y - b.y)[0];
  if (!title) throw anchorErrors.notFound(req.file, "signer's title (e.g. CHỦ TỊCH)", pi);
  const tc = centre(title);
  const below = t.lines.filter((l) => l.y < title.y - 1 && l.text.trim() && Math.abs(centre(l).cx - tc.cx) < 60).sort((a, b) => b.y - a.y)[0];
  const top = title.y - title.size * 0.3;
  const bottom = below ? below.y + below.size * 0.8 : top - 28 * MM;
  let iw = w;
  let ih = h;
  const gap = top - bottom;
  if (ih > gap * 0.95) {
    const k = (gap * 0.95) / ih;
    iw *= k;
    ih *= k;
  }
  const cy = (top + bottom) / 2;
  return clampToPage([tc.cx - iw / 2, cy - ih / 2, tc.cx + iw / 2, cy + ih / 2], ps);
}

/** The rectangle of the last signed, visible signature widget on the page (the leader's approval). */
async function lastApprovalWidget(reader: PdfReader, pi: number): Promise<[number, number, number, number] | undefined> {
  let found: [number, number, number, number] | undefined;
  for (const f of await reader.signatureFields()) {
    if (!f.sig || f.pageIndex !== pi) continue;
    const w = f.widgetRefs[0] ? await reader.getObject(f.widgetRefs[0]) : undefined;
    if (!(w instanceof PDFDict)) continue;
    const r = await reader.resolve(w.get(PDFName.of('Rect')));
    if (!(r instanceof PDFArray) || r.size() !== 4) continue;
    const n = [0, 1, 2, 3].map((i) => {
      const v = r.get(i);
      return v instanceof PDFNumber ? v.asNumber() : 0;
    });
    const rect: [number, number, number, number] = [Math.min(n[0]!, n[2]!), Math.min(n[1]!, n[3]!), Math.max(n[0]!, n[2]!), Math.max(n[1]!, n[3]!)];
    if (rect[2] - rect[0] > 1 && rect[3] - rect[1] > 1) found = rect;
  }
  return found;
}

/** The number after "Số:" and the day, month (and a blank year) of the "ngày … tháng … năm …" line, page 1. */
async function issueTexts(req: AppearanceRequest, doc: LayoutDoc, fonts: FontSet): Promise<Box[]> {
  const { anchorErrors, findText, gapAfter } = await import('../anchor.js');
  const pi = 0;
  const t = await doc.text(pi);
  if (t.lines.length === 0) throw anchorErrors.noText(req.file, 'Số:', pi);
  const boxes: Box[] = [];
  const textBox = async (pieces: { text: string; x: number }[], y: number, size: number, st: FontStyle, contents: string): Promise<Box> => {
    let x0 = Infinity;
    let x1 = -Infinity;
    const ws: number[] = [];
    for (const p of pieces) {
      const w = await fonts.width(checkGlyphs(p.text, st), st, size);
      ws.push(w);
      x0 = Math.min(x0, p.x);
      x1 = Math.max(x1, p.x + w);
    }
    const b0 = y - size * 0.3;
    const b1 = y + size * 0.95;
    x0 -= 1;
    x1 += 1;
    return {
      pageIndex: pi,
      rect: [x0, b0, x1, b1],
      contents,
      pieces: pieces.map((p) => ({ kind: 'text', text: p.text, style: st, size, x: p.x - x0, y: y - b0, color: BLACK })),
    };
  };

  // number
  const so = findText(t.lines, 'Số:', 'first');
  if (!so) throw anchorErrors.notFound(req.file, 'Số:', pi);
  const number = docNumberText(req.docNumber!);
  const gap = gapAfter(so.line, so.end);
  const size = so.size;
  const afterGap = so.line.text.slice(gap.next);
  let numText = number;
  let x: number;
  const space = await fonts.width(' ', 'Regular', size);
  if (afterGap.startsWith('/') && number.includes('/')) {
    // the draft holds the notation ("Số:      /UBND-VP"): write the number just before it
    numText = number.slice(0, number.indexOf('/'));
    x = gap.x1 - (await fonts.width(checkGlyphs(numText, 'Regular'), 'Regular', size)) - size * 0.02;
  } else x = so.x1 + space;
  boxes.push(await textBox([{ text: numText, x }], so.y, size, 'Regular', `Số: ${number}`));

  // date: fill the blanks after "ngày", "tháng" and (when blank) "năm"
  const dateLine = t.lines.find((l) => /ngày\s.*tháng\s.*năm/u.test(l.text));
  if (!dateLine) throw anchorErrors.notFound(req.file, 'ngày … tháng … năm', pi);
  const d = req.docDate;
  const pieces: { text: string; x: number }[] = [];
  const ds = dateLine.size;
  for (const [word, value] of [
    ['ngày', dayText(d)],
    ['tháng', monthText(d)],
    ['năm', String(d.y)],
  ] as const) {
    const m = findText([dateLine], word, 'first');
    if (!m) continue;
    const g = gapAfter(dateLine, m.end);
    const vw = await fonts.width(checkGlyphs(value, 'Italic'), 'Italic', ds);
    if (g.x1 - g.x0 < vw * 0.8) {
      if (word === 'năm') continue; // the year is usually printed already
      doc.warn({
        code: 'DATE_ALREADY_FILLED',
        en: `${req.file}: the date line "${dateLine.text.trim()}" has no blank after "${word}": the date is not drawn`,
        vi: `${req.file}: dòng ngày tháng "${dateLine.text.trim()}" không có chỗ trống sau "${word}": không ghi ngày tháng`,
      });
      pieces.length = 0;
      break;
    }
    pieces.push({ text: value, x: (g.x0 + g.x1) / 2 - vw / 2 });
  }
  if (pieces.length) boxes.push(await textBox(pieces, dateLine.y, ds, 'Italic', `ngày ${dayText(d)} tháng ${monthText(d)} năm ${d.y}`));
  return boxes;
}
