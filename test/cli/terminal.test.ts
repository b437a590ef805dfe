/**
 * kyso at a real terminal: `script` (util-linux) gives the CLI a pseudo-terminal, and the test types into it
 * the way a clerk would, waiting for each prompt before answering.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { closeSync, constants as fsc, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { KYSO_BIN, runKyso } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { getPki } from '../helpers/pki.js';
import { onTerminal, shq, type Step } from '../helpers/terminal.js';
import { judge, pdfsig } from '../sign/validators.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

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

describe('several empty signature fields and no --field, at a terminal', () => {
  /** a PDF with two prepared, empty signature fields on page 1 (what a document template carries) */
  async function twoFields(): Promise<{ dir: string; input: string }> {
    const { dir } = await setup();
    const { preparedFieldsPdf } = await import('../../bench/real-world-pdfs.mjs');
    const input = path.join(dir, 'to-trinh.pdf');
    await writeFile(input, preparedFieldsPdf(['LanhDao', 'VanThu']));
    return { dir, input };
  }
  const env = () => ({ KYSO_P12_PASSWORD: getPki().password });

  it('lists the fields with their pages, asks again after a wrong answer, and signs the one chosen by name (English)', async () => {
    const pki = getPki();
    const { dir, input } = await twoFields();
    const r = await onTerminal(
      ['sign', input, '-o', 'out.pdf', '--p12', 'lanh-dao.p12', '--lang', 'en'],
      [
        { waitFor: 'Sign which field? (1-2 or its name, Enter to stop): ', type: 'ThuKy' },
        { waitFor: '(2/3): ', type: 'VanThu' },
      ],
      dir,
      env(),
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('to-trinh.pdf: the document has 2 empty signature fields:\r\n  1) LanhDao (page 1)\r\n  2) VanThu (page 1)');
    expect(r.screen).toContain('"ThuKy" is not one of the fields above');
    // pdfsig: VanThu carries the one valid signature, LanhDao stays empty, and no third field was added
    const sigs = await pdfsig(path.join(dir, 'out.pdf'), pki.nssDir);
    expect(sigs.map((s) => [s.field, s.valid, s.trusted])).toEqual([
      ['LanhDao', false, false],
      ['VanThu', true, true],
    ]);
  });

  it('in Vietnamese, by number: the second field is signed', async () => {
    const pki = getPki();
    const { dir, input } = await twoFields();
    const r = await onTerminal(['sign', input, '-o', 'out.pdf', '--p12', 'lanh-dao.p12', '--lang', 'vi'], [{ waitFor: 'Ký vào ô nào? (1-2 hoặc tên ô, Enter để dừng): ', type: '2' }], dir, env());
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('văn bản có 2 ô chữ ký còn trống:\r\n  1) LanhDao (trang 1)\r\n  2) VanThu (trang 1)');
    const sigs = await pdfsig(path.join(dir, 'out.pdf'), pki.nssDir);
    expect(sigs.filter((s) => s.valid && s.trusted).map((s) => s.field)).toEqual(['VanThu']);
  });

  it.each([
    ['an empty answer', [{ waitFor: 'Enter to stop): ', type: '' }]],
    ['end of input (Ctrl-D)', [{ waitFor: 'Enter to stop): ', type: '\x04', enter: false }]],
    ['three wrong answers', [
      { waitFor: 'Enter to stop): ', type: '0' },
      { waitFor: '(2/3): ', type: '3' },
      { waitFor: '(3/3): ', type: 'lanhdao' },
    ]],
  ] as [string, Step[]][])('%s: exit 2, nothing written, and the clerk is told to use --field', async (_, steps) => {
    const { dir, input } = await twoFields();
    const r = await onTerminal(['sign', input, '-o', 'out.pdf', '--p12', 'lanh-dao.p12', '--lang', 'en'], steps, dir, env());
    expect(r.code, r.screen).toBe(2);
    expect(r.screen).toContain('2 empty signature fields ("LanhDao", "VanThu"); choose one with --field');
    expect(existsSync(path.join(dir, 'out.pdf'))).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('.kyso-tmp') || f.startsWith('out'))).toEqual([]);
  });

  it('with stdin not a terminal there is no question: exit 2 at once', async () => {
    const { dir, input } = await twoFields();
    const r = await runKyso(['sign', input, '-o', path.join(dir, 'out.pdf'), '--p12', path.join(dir, 'lanh-dao.p12'), '--lang', 'en'], { env: env() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toContain('Sign which field?');
    expect(r.stderr).toContain('choose one with --field');
    expect(existsSync(path.join(dir, 'out.pdf'))).toBe(false);
  });
});

describe('a signing batch at a terminal', () => {
  /** 12 PDFs in a/, a FIFO, 20 in b/: kyso's open() of the FIFO blocks, a deterministic point mid-batch. */
  async function batch(): Promise<{ dir: string; fifo: string }> {
    const { dir, input } = await setup();
    for (const [part, n] of [['a', 12], ['b', 20]] as const) {
      await mkdir(path.join(dir, part));
      for (let i = 1; i <= n; i++) await copyFile(input, path.join(dir, part, `${part}${String(i).padStart(2, '0')}.pdf`));
    }
    const fifo = path.join(dir, 'pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    return { dir, fifo };
  }

  it('Ctrl-C mid-batch: the progress line is cleared, the table of what was done and a summary are shown, exit 130', async () => {
    const pki = getPki();
    const { dir, fifo } = await batch();
    const cmd = [process.execPath, KYSO_BIN, 'sign', 'a', 'pipe.pdf', 'b', '--out-dir', 'out', '--p12', 'lanh-dao.p12', '--lang', 'vi'].map(shq).join(' ');
    await mkdir(path.join(dir, 'out'));
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: dir, env: cleanEnv({ TERM: 'dumb', KYSO_P12_PASSWORD: pki.password }), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let fd: number | undefined;
    for (;;) {
      try {
        fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    child.stdin.write('\x03'); // Ctrl-C typed at the terminal: SIGINT to the foreground process group
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    closeSync(fd);
    expect(code, screen).toBe(130);
    expect(screen).toContain('Đang ký ['); // the progress label, in Vietnamese
    expect(screen).toContain('\r\x1b[K'); // the progress line was cleared before the report
    expect(screen).toMatch(/TỆP\s+ĐẦU RA\s+NGƯỜI KÝ\s+MỨC/);
    for (let i = 1; i <= 12; i++) expect(screen).toContain(`a/a${String(i).padStart(2, '0')}.pdf`);
    expect(screen).toMatch(/kyso: đã dừng theo yêu cầu \(SIGINT\)\r?\nĐã ký \d+\/33 tệp \((\d+ lỗi, )?\d+ chưa ký\) trong [\d,]+ giây/);
  });

  it('a finished batch: a closing summary with counts and time, and a time-left estimate on the progress line', async () => {
    const pki = getPki();
    const { dir } = await batch();
    await rm(path.join(dir, 'pipe.pdf'));
    await copyFile(path.join(dir, 'lanh-dao.p12'), path.join(dir, 'b', 'b99.pdf')); // not a PDF: one failure
    const cmd = [process.execPath, KYSO_BIN, 'sign', 'a', 'b', '--p12', 'lanh-dao.p12', '--lang', 'en'].map(shq).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: dir, env: cleanEnv({ TERM: 'dumb', KYSO_P12_PASSWORD: pki.password }), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, screen).toBe(5);
    expect(screen).toMatch(/signing \[[#.]+\] \d+\/33  about \d+ s left/);
    // the failed file is in the table too
    expect(screen).toMatch(/b\/b99\.pdf\s+b\/b99\.signed\.pdf\s+FAILED\s+\S+/);
    expect(screen).toMatch(/Signed 32 of 33 file\(s\) \(1 failed\) in \d+\.\d s/);
  });
});
