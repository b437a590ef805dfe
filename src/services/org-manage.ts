import { readFile } from 'node:fs/promises';
import { inputError, msg, usageError } from '../core/errors.js';
import type { Organ } from '../exchange/edxml-types.js';
import { loadDirectory, organsFromCsv, saveDirectory, upsertOrgan } from '../exchange/org-directory.js';
import type { ExchangeSession } from './outbox-session.js';

/** `kyso org list|add|import|sync`: the organisation directory in the data folder. */
export async function listOrgs(s: ExchangeSession): Promise<{ file: string; organisations: Organ[] }> {
  const d = await loadDirectory(s.dataDir);
  return { file: d.file, organisations: [...d.organisations].sort((a, b) => a.organId.localeCompare(b.organId)) };
}

export interface OrgChange {
  file: string;
  added: number;
  updated: number;
  total: number;
}

export async function addOrg(s: ExchangeSession, o: Organ): Promise<OrgChange & { result: 'added' | 'updated' }> {
  if (!o.organId?.trim()) throw usageError('ORG_ID_MISSING', msg('kyso org add <organId> needs the organ id', 'kyso org add <mã-định-danh> cần mã định danh cơ quan'));
  const d = await loadDirectory(s.dataDir);
  const result = upsertOrgan(d, { ...o, organId: o.organId.trim() });
  await saveDirectory(d);
  return { file: d.file, added: result === 'added' ? 1 : 0, updated: result === 'updated' ? 1 : 0, total: d.organisations.length, result };
}

export async function importOrgs(s: ExchangeSession, csvFile: string): Promise<OrgChange> {
  let text: string;
  try {
    text = await readFile(csvFile, 'utf8');
  } catch (e) {
    throw inputError('ORG_CSV_READ', msg(`${csvFile}: cannot read the file`, `${csvFile}: không đọc được tệp`), { cause: e });
  }
  const list = organsFromCsv(text, csvFile);
  const d = await loadDirectory(s.dataDir);
  let added = 0;
  let updated = 0;
  for (const o of list) (upsertOrgan(d, o) === 'added' ? added++ : updated++);
  await saveDirectory(d);
  return { file: d.file, added, updated, total: d.organisations.length };
}

/** Fills the directory from the exchange's agency list (vdxp getAgenciesList); stored details are kept. */
export async function syncOrgs(s: ExchangeSession): Promise<OrgChange> {
  const agencies = await (await s.transport()).listAgencies();
  const d = await loadDirectory(s.dataDir);
  let added = 0;
  let updated = 0;
  for (const a of agencies) {
    if (!a.code) continue;
    const o: Organ = { organId: a.code, organName: a.name || undefined, email: a.mail || undefined };
    (upsertOrgan(d, o) === 'added' ? added++ : updated++);
  }
  await saveDirectory(d);
  return { file: d.file, added, updated, total: d.organisations.length };
}
