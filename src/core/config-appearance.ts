/**
 * The "appearance" section of the kyso configuration: how visible signatures look for an organisation, so a
 * clerk types `kyso sign cv.pdf --role issue --doc-number 15/QĐ-UBND` and nothing more. Documented in
 * docs/config.md. Paths are relative to the file that names them; sections of several files merge key by key
 * (the project file over the user file).
 *
 *   "appearance": {
 *     "organisation": "UBND huyện Phú Lương",
 *     "seal": { "image": "dau-do.png", "diameterMm": 36 },
 *     "signatures": { "<SHA-256 of the signer's certificate, hex>": { "image": "chu-ky.png", "widthMm": 40 } },
 *     "copyForm": "SAO Y",
 *     "templates": { "appendix": ["{number}", "{time}"], "copy": ["{form} {organisation}", "{time}"], "income": ["ĐẾN", "Số: {number}", "Ngày: {date}"] }
 *   }
 */
import path from 'node:path';
import { msg, usageError } from './errors.js';

export interface SignatureImageConfig {
  image?: string;
  widthMm?: number;
}

export interface AppearanceConfig {
  organisation?: string;
  seal?: { image?: string; diameterMm?: number };
  /** keyed by the lowercase hex SHA-256 of the signer's certificate */
  signatures: Record<string, SignatureImageConfig>;
  copyForm?: string;
  templates?: Partial<Record<'appendix' | 'copy' | 'income', string[]>>;
}

const bad = (file: string, key: string, what: string, vi: string) =>
  usageError('CONFIG_INVALID', msg(`${file}: "appearance.${key}" ${what}`, `${file}: "appearance.${key}" ${vi}`), { details: { key: `appearance.${key}` } });

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(file: string, key: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw bad(file, key, 'must be a non-empty string', 'phải là chuỗi khác rỗng');
  return v;
}
function num(file: string, key: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v > 0) || v > 1000) throw bad(file, key, 'must be a positive number of millimetres', 'phải là số milimét dương');
  return v;
}

/** Validates and merges the sections (lowest precedence first), resolving image paths against their file. */
export function appearanceConfig(sections: { file: string; value: unknown }[] | undefined): AppearanceConfig {
  const out: AppearanceConfig = { signatures: {} };
  for (const { file, value } of sections ?? []) {
    if (!isObj(value)) throw bad(file, '', 'must be an object', 'phải là một đối tượng');
    const dir = path.dirname(file);
    const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
    const org = str(file, 'organisation', value.organisation);
    if (org) out.organisation = org;
    const cf = str(file, 'copyForm', value.copyForm);
    if (cf) out.copyForm = cf;
    if (value.seal !== undefined) {
      if (!isObj(value.seal)) throw bad(file, 'seal', 'must be an object { image, diameterMm }', 'phải là đối tượng { image, diameterMm }');
      const image = abs(str(file, 'seal.image', value.seal.image));
      const diameterMm = num(file, 'seal.diameterMm', value.seal.diameterMm);
      out.seal = { ...out.seal, ...(image ? { image } : {}), ...(diameterMm ? { diameterMm } : {}) };
    }
    if (value.signatures !== undefined) {
      if (!isObj(value.signatures)) throw bad(file, 'signatures', 'must be an object keyed by certificate SHA-256', 'phải là đối tượng theo SHA-256 của chứng thư');
      for (const [k, v] of Object.entries(value.signatures)) {
        const key = k.toLowerCase().replace(/[:\s]/g, '');
        if (!/^[0-9a-f]{64}$/.test(key)) throw bad(file, `signatures.${k}`, 'is not a certificate SHA-256 (64 hex digits)', 'không phải SHA-256 của chứng thư (64 chữ số hex)');
        if (!isObj(v)) throw bad(file, `signatures.${k}`, 'must be an object { image, widthMm }', 'phải là đối tượng { image, widthMm }');
        const image = abs(str(file, `signatures.${k}.image`, v.image));
        const widthMm = num(file, `signatures.${k}.widthMm`, v.widthMm);
        out.signatures[key] = { ...out.signatures[key], ...(image ? { image } : {}), ...(widthMm ? { widthMm } : {}) };
      }
    }
    if (value.templates !== undefined) {
      if (!isObj(value.templates)) throw bad(file, 'templates', 'must be an object', 'phải là một đối tượng');
      for (const [k, v] of Object.entries(value.templates)) {
        if (k !== 'appendix' && k !== 'copy' && k !== 'income') throw bad(file, `templates.${k}`, 'is unknown (appendix, copy, income)', 'không được hỗ trợ (appendix, copy, income)');
        if (!Array.isArray(v) || !v.every((l) => typeof l === 'string')) throw bad(file, `templates.${k}`, 'must be a list of lines', 'phải là danh sách các dòng');
        out.templates = { ...out.templates, [k]: v as string[] };
      }
    }
  }
  return out;
}
