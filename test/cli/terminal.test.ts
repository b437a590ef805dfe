/**
 * kyso at a real terminal: `script` (util-linux) gives the CLI a pseudo-terminal, and the test types into it
 * the way a clerk would, waiting for each prompt before answering.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { KYSO_BIN } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { getPki } from '../helpers/pki.js';
import { judge } from '../sign/validators.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Step {
  /** text to wait for on the terminal */
  waitFor: string;
  /** then typed, followed by Enter */
  type: string;
}

/** Runs `node bin/kyso.js args…` on a pseudo-terminal, answering each prompt in turn. */
export function onTerminal(args: string[], steps: Step[], cwd: string): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, KYSO_BIN, ...args].map(shq).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd, env: cleanEnv({ TERM: 'dumb' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let next = 0;
    let seen = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      const step = steps[next];
      const at = step ? screen.indexOf(step.waitFor, seen) : -1;
      if (step && at >= 0) {
        seen = at + step.waitFor.length;
        next++;
        child.stdin.write(step.type + '\r');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (screen += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

async function setup(): Promise<{ dir: string; input: string }> {
  const pki = getPki();
  const dir = await mkdtemp(path.join(tmpdir(), 'kyso-tty-'));
  dirs.push(dir);
  const samples = await makeSamplePdfs(dir);
  await copyFile(pki.leaves['leader-rsa'].p12, path.join(dir, 'lanh-dao.p12'));
  return { dir, input: samples.simple };
}

describe('kyso sign at a terminal', () => {
  it('a mistyped passphrase is asked again, and the right one signs', async () => {
    const pki = getPki();
    const { dir, input } = await setup();
    const r = await onTerminal(
      ['sign', input, '-o', 'out.pdf', '--p12', 'lanh-dao.p12', '--lang', 'en'],
      [
        { waitFor: 'Passphrase for', type: 'not-the-passphrase' },
        { waitFor: '(2/3)', type: pki.password },
      ],
      dir,
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('wrong passphrase, try again (2/3)');
    expect(r.screen).not.toContain(pki.password);
    expect(await judge(path.join(dir, 'out.pdf'), { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
  });

  it('three wrong passphrases: exit 4 and no output', async () => {
    const { dir, input } = await setup();
    const r = await onTerminal(
      ['sign', input, '-o', 'out.pdf', '--p12', 'lanh-dao.p12', '--lang', 'en'],
      [
        { waitFor: 'Passphrase for', type: 'wrong-1' },
        { waitFor: '(2/3)', type: 'wrong-2' },
        { waitFor: '(3/3)', type: 'wrong-3' },
      ],
      dir,
    );
    expect(r.code, r.screen).toBe(4);
    expect(r.screen).toContain('wrong passphrase');
    expect(existsSync(path.join(dir, 'out.pdf'))).toBe(false);
  });
});
