/** Vietnam time (UTC+7) for JSON and text output (issue 14). */
import { describe, expect, it } from 'vitest';
import { toVietnamIso, vietnamDisplay, vietnamIso } from '../../src/core/vn-time.js';

describe('Vietnam time', () => {
  it('UTC ISO strings become the same instant with +07:00 (milliseconds kept when there are any)', () => {
    expect(toVietnamIso('2026-12-06T20:22:28.817Z')).toBe('2026-12-07T03:22:28.817+07:00');
    expect(toVietnamIso('2026-12-06T20:22:28.000Z')).toBe('2026-12-07T03:22:28+07:00');
    expect(toVietnamIso('2026-12-06T20:22Z')).toBe('2026-12-07T03:22:00+07:00');
    expect(new Date(toVietnamIso('2026-12-06T20:22:28.817Z')).getTime()).toBe(Date.parse('2026-12-06T20:22:28.817Z'));
    expect(vietnamIso(new Date('2026-01-31T17:00:00Z'))).toBe('2026-02-01T00:00:00+07:00');
  });
  it('a time without a zone, as the exchange platform writes it, is Vietnam time already', () => {
    expect(toVietnamIso('2026/12/07 03:22:28')).toBe('2026-12-07T03:22:28+07:00');
    expect(toVietnamIso('2026-12-07T03:22:28')).toBe('2026-12-07T03:22:28+07:00');
    expect(vietnamDisplay('2026/12/07 03:22:28')).toBe('2026-12-07 03:22:28 +07:00');
  });
  it('other strings are left alone', () => {
    for (const s of ['2026-12-07', 'hello', '2026-12-07T03:22:28+07:00', '123/UBND-VP', '000.00.21.H55,2026/12/07,123/UBND-VP']) expect(toVietnamIso(s)).toBe(s);
  });
  it('text shows Vietnam time with its offset, whatever the machine zone', () => {
    expect(vietnamDisplay('2026-12-06T20:22:28.817Z')).toBe('2026-12-07 03:22:28 +07:00');
    expect(vietnamDisplay(new Date('2026-12-06T20:22:28Z'))).toBe('2026-12-07 03:22:28 +07:00');
    expect(vietnamDisplay('not a time')).toBe('not a time');
  });
});
