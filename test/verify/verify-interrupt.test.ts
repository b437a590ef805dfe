/**
 * `kyso verify` as CI runs it: SIGTERM mid-run still leaves a valid JUnit file (and JSON envelope), exit 143;
 * `--json` with another `--format` is refused; a missing `--trust` file is named. A FIFO among the inputs is
 * a deterministic mid point: verify's open() of it blocks until the test opens the write end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { KYSO_BIN, runKyso } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { exec } from '../sign/validators.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-verify-int-'));
  await mkdir(path.join(dir, 'samples'));
  const samples = await makeSamplePdfs(path.join(dir, 'samples'));
  for (const part of ['a', 'b']) {
    await mkdir(path.join(dir, part));
    for (let i = 1; i <= 30; i++) await copyFile(samples.simple, path.join(dir, part, `${part}${String(i).padStart(2, '0')}.pdf`));
  }
  execFileSync('mkfifo', [path.join(dir, 'pipe.pdf')]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function verifyUntilFifo(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const fifo = path.join(dir, 'pipe.pdf');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KYSO_BIN, 'verify', 'a', 'pipe.pdf', 'b', ...args], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    let fd: number | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      resolve({ code, stdout, stderr });
    });
    const poll = () => {
      try {
        fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
        child.kill(signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO') return reject(e);
        if (child.exitCode !== null) return reject(new Error(`verify ended before reaching the FIFO: ${stderr}`));
        setTimeout(poll, 20);
      }
    };
    poll();
  });
}

describe('kyso verify: interrupted and conflicting', () => {
  it('SIGTERM mid-run with --format junit: exit 143 and a valid JUnit file listing all 61 inputs', async () => {
    const r = await verifyUntilFifo(['--format', 'junit', '--revocation', 'off'], 'SIGTERM');
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('kyso: interrupted (SIGTERM)');
    const file = path.join(dir, 'report.xml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, r.stdout);
    // python's XML parser judges well-formedness (no xmllint on the image)
    const parsed = await exec('python3', ['-c', 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(r.tag, r.get("tests"), len(r.findall(".//testcase")))', file]);
    expect(parsed.code, parsed.stderr).toBe(0);
    expect(parsed.stdout.trim()).toBe('testsuites 61 61');
    // files verified before the FIFO are reported as verified (unsigned: a failure, not an error); workers send
    // their reports in batches, so the last few before the FIFO may still be in flight and are listed as not
    // verified; the FIFO and what follows were never verified
    expect(r.stdout.match(/NOT_VERIFIED_INTERRUPTED/g)?.length ?? 0).toBeGreaterThan(0);
    let verified = 0;
    for (let i = 1; i <= 30; i++) {
      const m = new RegExp(`name="a/a${String(i).padStart(2, '0')}\\.pdf"[^>]*>\\s*<(failure|error) type="([A-Z_]+)"`).exec(r.stdout);
      expect(m?.[2], `a${i}`).toMatch(/^(NO_SIGNATURE|NOT_VERIFIED_INTERRUPTED)$/);
      if (m?.[2] === 'NO_SIGNATURE') verified++;
    }
    expect(verified).toBeGreaterThan(0);
  }, 120_000);

  it('SIGINT mid-run with --json: exit 130 and the JSON envelope', async () => {
    const r = await verifyUntilFifo(['--json', '--revocation', 'off'], 'SIGINT');
    expect(r.code, r.stderr).toBe(130);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.error.code).toBe('INTERRUPTED');
    expect(j.result.files).toHaveLength(61);
    const first = j.result.files.slice(0, 30) as { indication: string; error: { code: string } | null }[];
    expect(first.every((f) => f.indication === 'NO_SIGNATURE' || f.error?.code === 'NOT_VERIFIED_INTERRUPTED')).toBe(true);
    expect(first.some((f) => f.indication === 'NO_SIGNATURE')).toBe(true);
  }, 120_000);

  it('--format junit with --json is refused (exit 2); --format json with --json is fine', async () => {
    const r = await runKyso(['verify', path.join(dir, 'a', 'a01.pdf'), '--format', 'junit', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('FLAGS_CONFLICT');
    expect(r.stderr).toBe('kyso: --json and --format junit ask for two different reports; give only one\n');
    const ok = await runKyso(['verify', path.join(dir, 'a', 'a01.pdf'), '--format', 'json', '--json', '--allow-unsigned', '--revocation', 'off']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a missing --trust file is an input error naming the file, not a raw code', async () => {
    const r = await runKyso(['verify', 'a/a01.pdf', '--trust', 'khong-co.pem'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`kyso: ${path.join(dir, 'khong-co.pem')}: trust file or folder not found\n`);
  });
});
