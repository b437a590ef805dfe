import { describe, expect, it } from 'vitest';
import { parseMetaJson, parseRecipients, resolveMeta } from '../../src/services/send-meta.js';
import { safeName } from '../../src/services/receive-documents.js';

describe('send metadata', () => {
  const base = { code: '123/UBND-VP', subject: 'V/v thử', signerName: 'Nguyễn Văn An', signerPosition: 'Chủ tịch' };
  it('resolves flags/JSON into edXML fields with defaults', () => {
    const m = resolveMeta({ ...base, priority: '1', dueDate: '2026/12/01' }, { place: 'Hà Nội', today: '2026-11-28' });
    expect(m).toMatchObject({
      code: { number: '123', notation: 'UBND-VP' },
      promulgation: { place: 'Hà Nội', date: '2026-11-28' },
      documentType: { type: 1, typeName: 'Công văn' },
      priority: 1,
      dueDate: '2026-12-01',
      signer: { fullName: 'Nguyễn Văn An', position: 'Chủ tịch' },
    });
    expect(resolveMeta({ ...base, type: '18' }, { place: 'X', today: '2026-01-01' }).documentType.type).toBe(18);
  });
  it('names the missing or bad field and the JSON file', () => {
    expect(() => resolveMeta({ ...base, code: undefined }, { place: 'X', today: '2026-01-01' }, 'meta.json')).toThrow(/--code \(meta\.json\)/);
    expect(() => resolveMeta({ ...base, code: '123' }, { place: 'X', today: '2026-01-01' })).toThrow(/number\/notation/);
    expect(() => resolveMeta(base, { today: '2026-01-01' })).toThrow(/--promulgation-place/);
    expect(() => resolveMeta({ ...base, dueDate: '1/12/2026' }, { place: 'X', today: '2026-01-01' })).toThrow(/--due-date/);
    expect(() => parseMetaJson('m.json', '{"code":"1/X","sujbect":"typo"}')).toThrow(/m\.json: unknown field\(s\) sujbect/);
    expect(() => parseMetaJson('m.json', '[1]')).toThrow(/m\.json/);
  });
  it('validates and de-duplicates recipients', () => {
    expect(parseRecipients(['000.00.00.h41, 000.00.00.H41', '000.00.11.H55'])).toEqual(['000.00.00.H41', '000.00.11.H55']);
    expect(() => parseRecipients(['bad id!'])).toThrow(/--to "bad id!"/);
    expect(() => parseRecipients([''])).toThrow(/--to/);
  });
  it('keeps Vietnamese file names but no path tricks', () => {
    expect(safeName('Công văn số 12.pdf')).toBe('Công văn số 12.pdf');
    expect(safeName('../../etc/passwd')).toBe('__.._etc_passwd');
    expect(safeName('..')).toBe('_');
    expect(safeName('a/b\\c:d')).toBe('a_b_c_d');
  });
});
