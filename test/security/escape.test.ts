import { describe, expect, it } from 'vitest';
import { escapeControl, escapeName } from '../../src/cli/escape.js';
import { runKyso } from '../helpers/cli.js';

describe('control characters in names are escaped in text output', () => {
  it('escapes C0, DEL and C1 but keeps text, tabs and newlines of our own layout', () => {
    expect(escapeControl('a\u001b]0;pwned\u0007b\u009bc\td\n')).toBe('a\\x1b]0;pwned\\x07b\\x9bc\td\n');
    expect(escapeName('x\ty\nz')).toBe('x\\x09y\\x0az');
    expect(escapeControl('Nguyễn Văn An')).toBe('Nguyễn Văn An');
  });
  it('through the CLI: a file name with an escape sequence is printed escaped (verify and sign)', async () => {
    const name = '/tmp/\u001b[2J\u001b]0;owned\u0007.pdf';
    for (const args of [['verify', name, '--lang', 'en'], ['sign', name, '--p12', '/nonexistent.p12', '--lang', 'en']]) {
      const r = await runKyso(args, { env: { KYSO_P12_PASSWORD: 'x' } });
      const all = r.stdout + r.stderr;
      expect(all, args[0]).toContain('\\x1b[2J');
      expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });
});
