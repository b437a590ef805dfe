import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDirectory, organFor, organsFromCsv, parseCsv, saveDirectory, upsertOrgan } from '../../src/exchange/org-directory.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-org-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('organisation directory', () => {
  it('reads a province CSV: BOM, ";" separator, quotes, Vietnamese headers, CRLF', () => {
    const csv = '\uFEFFMã định danh;Tên cơ quan;Địa chỉ;Email;Điện thoại\r\n000.00.11.H55;"Sở Nội vụ; tỉnh X";"Số 1 ""A"" phố B";snv@x.gov.vn;0201\r\n000.00.12.H55;UBND huyện Y;;;\r\n';
    expect(parseCsv(csv)).toHaveLength(3);
    expect(organsFromCsv(csv, 'x.csv')).toEqual([
      { organId: '000.00.11.H55', organName: 'Sở Nội vụ; tỉnh X', organAdd: 'Số 1 "A" phố B', email: 'snv@x.gov.vn', telephone: '0201' },
      { organId: '000.00.12.H55', organName: 'UBND huyện Y' },
    ]);
    expect(() => organsFromCsv('name,email\nA,b\n', 'y.csv')).toThrow(/organId/);
  });

  it('stores in the data folder, updates keep other fields, an unknown organ gets only its id', async () => {
    const d = await loadDirectory(dir);
    expect(d.organisations).toEqual([]);
    expect(upsertOrgan(d, { organId: '000.00.11.H55', organName: 'Sở Nội vụ', email: 'a@x' })).toBe('added');
    expect(upsertOrgan(d, { organId: '000.00.11.H55', telephone: '0201', email: '' })).toBe('updated');
    await saveDirectory(d);
    const again = await loadDirectory(dir);
    expect(again.file).toBe(path.join(dir, 'organisations.json'));
    expect(organFor(again, '000.00.11.H55')).toEqual({ organId: '000.00.11.H55', organName: 'Sở Nội vụ', email: 'a@x', telephone: '0201' });
    expect(organFor(again, 'vxp.saas.03')).toEqual({ organId: 'vxp.saas.03' });
  });
});
