/**
 * Visible-signature options of `kyso sign`: checks the flags against each other, picks the image (flag, else
 * the configuration's seal or the signer's signature image), loads it once for the batch, and gives each file
 * the hook src/pdf/sign-pdf.ts calls. Nothing here is loaded for invisible signatures.
 */
import { createHash } from 'node:crypto';
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AppearanceConfig } from '../core/config-appearance.js';
import { inputError, msg, usageError } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import type { AppearanceEnv, AppearanceParts } from '../pdf/sign-pdf.js';

import type { Role } from '../pdf/appearance/layout.js';

export type { Role };
// the same list as src/pdf/appearance/layout.ts, here so that flag checks do not load the appearance modules
export const ROLES: readonly Role[] = ['approve', 'issue', 'appendix', 'copy', 'income'];

export interface AppearanceOptions {
  role?: Role;
  /** "n" (1-based) or "last" */
  page?: string;
  /** "x,y,w,h" in points */
  rect?: string;
  anchor?: string;
  /** "dx,dy" in points */
  anchorOffset?: string;
  image?: string;
  docNumber?: string;
  /** YYYY-MM-DD, default today in Vietnam */
  docDate?: string;
  invisible?: boolean;
  copyForm?: string;
}

/** True when any appearance flag is set (otherwise signing stays exactly as without this module). */
export function wantsAppearance(o: AppearanceOptions | undefined): boolean {
  return Boolean(o && (o.role || o.rect || o.anchor || o.image || o.page || o.docNumber || o.docDate || o.anchorOffset || o.copyForm));
}

const nums = (flag: string, v: string, n: number): number[] => {
  const parts = v.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.length !== n || out.some((x) => !Number.isFinite(x) || parts.some((p) => p === '')))
    throw usageError('APPEARANCE_FLAG_INVALID', msg(`${flag} ${v}: expected ${n} numbers separated by commas`, `${flag} ${v}: cần ${n} số cách nhau bởi dấu phẩy`));
  return out;
};

/** Flag checks that need no file (usage errors, exit 2), before the signer is opened. */
export function validateAppearanceFlags(o: AppearanceOptions): void {
  if (o.role && !ROLES.includes(o.role))
    throw usageError('ROLE_INVALID', msg(`--role ${o.role}: expected ${ROLES.join(', ')}`, `--role ${o.role}: giá trị hợp lệ là ${ROLES.join(', ')}`));
  if (o.rect && o.anchor) throw usageError('APPEARANCE_FLAG_CONFLICT', msg('--rect and --anchor exclude each other', '--rect và --anchor không dùng cùng nhau'));
  if (o.anchorOffset && !o.anchor) throw usageError('APPEARANCE_FLAG_CONFLICT', msg('--anchor-offset goes with --anchor', '--anchor-offset chỉ dùng cùng --anchor'));
  if (o.rect) {
    const r = nums('--rect', o.rect, 4);
    if (!(r[2]! > 0 && r[3]! > 0)) throw usageError('APPEARANCE_FLAG_INVALID', msg(`--rect ${o.rect}: width and height must be positive`, `--rect ${o.rect}: chiều rộng và chiều cao phải dương`));
  }
  if (o.anchorOffset) nums('--anchor-offset', o.anchorOffset, 2);
  if (o.page && !(o.page === 'last' || /^[1-9]\d*$/.test(o.page)))
    throw usageError('APPEARANCE_FLAG_INVALID', msg(`--page ${o.page}: expected a page number or "last"`, `--page ${o.page}: cần số trang hoặc "last"`));
  if (o.docDate && !/^\d{4}-\d{2}-\d{2}$/.test(o.docDate))
    throw usageError('APPEARANCE_FLAG_INVALID', msg(`--doc-date ${o.docDate}: expected YYYY-MM-DD`, `--doc-date ${o.docDate}: cần dạng YYYY-MM-DD`));
  if (!o.role && !o.invisible && (o.rect || o.anchor) && !o.image)
    throw usageError('APPEARANCE_IMAGE_MISSING', msg('--rect/--anchor without --role needs --image', '--rect/--anchor khi không có --role cần --image'));
}

const missingImage = (key: string, role: Role) =>
  usageError(
    'APPEARANCE_CONFIG_MISSING',
    msg(`--role ${role} needs an image: set "${key}" in the configuration (or give --image)`, `--role ${role} cần ảnh: hãy khai báo "${key}" trong tệp cấu hình (hoặc dùng --image)`),
    { details: { key } },
  );

export type VisibleHook = (env: AppearanceEnv) => Promise<AppearanceParts>;

/**
 * Resolves what is common to the whole batch (image, config) and returns the per-file hook maker.
 * `certDer` is the signer's certificate (its SHA-256 picks the signature image in the configuration).
 */
export async function prepareAppearance(
  o: AppearanceOptions,
  config: AppearanceConfig,
  certDer: Uint8Array,
  cwd: string,
): Promise<(file: string, signingTime: Date, warn: (w: Warning) => void) => VisibleHook> {
  validateAppearanceFlags(o);
  const { loadImage } = await import('../pdf/appearance/images.js');
  const { parseDocDate, vietnamToday } = await import('../pdf/appearance/text.js');
  const { visibleSignature } = await import('../pdf/appearance/index.js');
  const role = o.role;
  let imagePath = o.image ? path.resolve(cwd, o.image) : undefined;
  let widthMm: number | undefined;
  const certSha = createHash('sha256').update(certDer).digest('hex');
  if (!o.invisible) {
    if (role === 'issue') {
      widthMm = config.seal?.diameterMm;
      imagePath ??= config.seal?.image;
      if (!imagePath) throw missingImage('appearance.seal.image', role);
    } else if (role === 'approve') {
      const s = config.signatures[certSha];
      widthMm = s?.widthMm;
      imagePath ??= s?.image;
      if (!imagePath) throw missingImage(`appearance.signatures.${certSha}.image`, role);
    }
  }
  let image: Awaited<ReturnType<typeof loadImage>> | undefined;
  if (imagePath && !o.invisible) {
    let bytes: Uint8Array;
    try {
      bytes = await fsp.readFile(imagePath);
    } catch (e) {
      throw inputError('APPEARANCE_IMAGE_UNREADABLE', msg(`${imagePath}: cannot read the image`, `${imagePath}: không đọc được ảnh`), { cause: e });
    }
    image = await loadImage(imagePath, bytes);
  }
  let docDate = undefined as ReturnType<typeof parseDocDate>;
  if (o.docDate) {
    docDate = parseDocDate(o.docDate);
    if (!docDate) throw usageError('APPEARANCE_FLAG_INVALID', msg(`--doc-date ${o.docDate}: not a calendar date`, `--doc-date ${o.docDate}: không phải ngày hợp lệ`));
  }
  const rect = o.rect ? (nums('--rect', o.rect, 4) as [number, number, number, number]) : undefined;
  const anchorOffset = o.anchorOffset ? (nums('--anchor-offset', o.anchorOffset, 2) as [number, number]) : undefined;
  const page = o.page === undefined ? undefined : o.page === 'last' ? ('last' as const) : Number(o.page);
  return (file, signingTime, warn) =>
    visibleSignature(
      {
        file,
        role,
        page,
        rect,
        anchor: o.anchor,
        anchorOffset,
        invisible: o.invisible,
        image,
        imageWidthMm: widthMm,
        docNumber: o.docNumber,
        docDate: docDate ?? vietnamToday(signingTime),
        signingTime,
        organisation: config.organisation,
        copyForm: o.copyForm ?? config.copyForm,
        templates: config.templates,
      },
      warn,
    );
}
