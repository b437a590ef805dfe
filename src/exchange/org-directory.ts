import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, msg } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { Organ } from './edxml-types.js';

/*
 * The organisation directory: what kyso knows about other organisations (name, address, e-mail…), so
 * `--to 000.00.11.H55` fills the whole edXML `To` block. Stored as `<dataDir>/organisations.json`
 * (written atomically, fsynced), never in a project config: it is data, shared by every profile.
 */

export interface OrgDirectory {
  file: string;
  organisations: Organ[];
}

export const directoryFile = (dataDir: string) => path.join(dataDir, 'organisations.json');

export async function loadDirectory(dataDir: string): Promise<OrgDirectory> {
  const file = directoryFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, organisations: [] };
    throw inputError('ORG_DIRECTORY_READ', msg(`${file}: cannot read the organisation directory`, `${file}: không đọc được danh bạ cơ quan`), { cause: e });
  }
  try {
    const doc = JSON.parse(text) as { organisations?: Organ[] };
    const list = Array.isArray(doc.organisations) ? doc.organisations : [];
    return { file, organisations: list.filter((o) => o && typeof o.organId === 'string') };
  } catch (e) {
    throw inputError('ORG_DIRECTORY_INVALID', msg(`${file}: the organisation directory is not valid JSON`, `${file}: danh bạ cơ quan không phải JSON hợp lệ`), { cause: e });
  }
}

export async function saveDirectory(dir: OrgDirectory): Promise<void> {
  await mkdir(path.dirname(dir.file), { recursive: true, mode: 0o700 });
  const sorted = [...dir.organisations].sort((a, b) => a.organId.localeCompare(b.organId));
  const text = JSON.stringify({ version: 1, organisations: sorted }, null, 2) + '\n';
  await writeFileAtomic(dir.file, (write) => write(Buffer.from(text, 'utf8')));
}

/** Adds or updates one organisation; given fields win over the stored ones. Returns 'added' | 'updated'. */
export function upsertOrgan(dir: OrgDirectory, o: Organ): 'added' | 'updated' {
  const i = dir.organisations.findIndex((x) => x.organId === o.organId);
  const clean = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as unknown as Organ;
  if (i < 0) {
    dir.organisations.push(clean);
    return 'added';
  }
  dir.organisations[i] = { ...dir.organisations[i]!, ...clean };
  return 'updated';
}

export function findOrgan(dir: OrgDirectory, organId: string): Organ | undefined {
  return dir.organisations.find((x) => x.organId === organId);
}

/** Header names accepted in an imported CSV (lower case, spaces/underscores removed). */
const COLUMNS: Record<string, keyof Organ> = {
  organid: 'organId', code: 'organId', ma: 'organId', madinhdanh: 'organId', mã: 'organId', mãđịnhdanh: 'organId',
  organname: 'organName', name: 'organName', ten: 'organName', tên: 'organName', têncơquan: 'organName', tencoquan: 'organName',
  organizationincharge: 'organizationInCharge', incharge: 'organizationInCharge', coquanchuquan: 'organizationInCharge', cơquanchủquản: 'organizationInCharge',
  organadd: 'organAdd', address: 'organAdd', diachi: 'organAdd', địachỉ: 'organAdd',
  email: 'email', mail: 'email',
  telephone: 'telephone', phone: 'telephone', dienthoai: 'telephone', điệnthoại: 'telephone',
  fax: 'fax',
  website: 'website', web: 'website',
};

/**
 * RFC 4180 CSV (quotes, doubled quotes, CRLF or LF, a UTF-8 BOM; `,` or `;` as separator, the one in
 * the header line). Hand-written: no CSV parser is among the project's dependencies and this is small.
 */
export function parseCsv(text: string): string[][] {
  const t = text.replace(/^\uFEFF/, '');
  const firstLine = t.slice(0, t.search(/\r?\n|$/));
  const sep = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quoted) {
      if (c === '"' && t[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && t[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((x) => x.trim() !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((x) => x.trim() !== '')) rows.push(row);
  return rows;
}

/** Organisations from a CSV whose header names the columns (organId/code/mã, organName/name/tên, …). */
export function organsFromCsv(text: string, file: string): Organ[] {
  const rows = parseCsv(text);
  const head = (rows[0] ?? []).map((h) => COLUMNS[h.trim().toLowerCase().normalize('NFC').replace(/[\s_-]+/g, '')]);
  if (!head.includes('organId')) {
    throw inputError('ORG_CSV_HEADER', msg(`${file}: the first line must name the columns, with one "organId" (or "code"/"mã định danh")`, `${file}: dòng đầu phải là tên cột, trong đó có "organId" (hoặc "code"/"mã định danh")`));
  }
  const out: Organ[] = [];
  rows.slice(1).forEach((r, i) => {
    const o: Partial<Organ> = {};
    head.forEach((k, j) => {
      if (k && r[j] !== undefined && r[j]!.trim() !== '') o[k] = r[j]!.trim();
    });
    if (!o.organId) throw inputError('ORG_CSV_ROW', msg(`${file}: line ${i + 2} has no organ id`, `${file}: dòng ${i + 2} thiếu mã định danh`));
    out.push(o as Organ);
  });
  return out;
}

/** The full To block for a recipient: the directory's entry, or only the id (every other element empty). */
export function organFor(dir: OrgDirectory, organId: string): Organ {
  return { ...(findOrgan(dir, organId) ?? {}), organId };
}
