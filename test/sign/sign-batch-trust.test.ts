/**
 * Batches a clerk can trust, through the real CLI: kyso's own outputs and own signatures found in a folder
 * are left alone (files named explicitly are always signed), --skip-existing resumes a batch, a signal
 * mid-batch still writes the report (JSON listing what was done) and exits 130/143, messages name the
 * right file.
 *
 * A named pipe (FIFO) among the inputs gives a deterministic point in the middle of a batch: kyso's open()
 * of it blocks until the test opens the write end, so when that open succeeds every file before the FIFO
 * is done and the signal handler is installed. No timing is assumed.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';
import { KYSO_BIN } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign, listFiles, tempFilesIn } from './helpers.js';
import { pdfsig, qpdfCheck } from './validators.js';

const pki = getPki();
let dir: string;
let samples: Record<SampleName, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-batch-trust-'));
  await mkdir(path.join(dir, 'samples'));
  samples = await makeSamplePdfs(path.join(dir, 'samples'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface JFile {
  input: string;
  output?: string;
  skipped?: string;
  sha256?: string;
  error?: { code: string; message: string };
}

async function folderOf(name: string, n: number, prefix = 'd'): Promise<string> {
  const d = path.join(dir, name);
  await mkdir(d, { recursive: true });
  for (let i = 1; i <= n; i++) await copyFile(samples.simple, path.join(d, `${prefix}${String(i).padStart(3, '0')}.pdf`));
  return d;
}

/** Opens the FIFO's write end as soon as kyso opened it for reading (O_NONBLOCK: ENXIO until then). */
async function waitForReader(fifo: string, child: { exitCode: number | null }): Promise<number> {
  for (;;) {
    try {
      return openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
      if (child.exitCode !== null) throw new Error('kyso ended before reaching the FIFO');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** `kyso args…` stopped by `signal` once it reached `fifo`. */
function runUntilFifo(args: string[], fifo: string, signal: NodeJS.Signals, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [KYSO_BIN, ...args], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let fd: number | undefined;
    child.on('close', (code) => {
      clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      resolve({ code, stdout, stderr });
    });
    waitForReader(fifo, child).then((f) => {
      fd = f;
      child.kill(signal);
    }, reject);
  });
}

describe('batches a clerk can trust', () => {
  it('SIGINT mid-batch: exit 130, valid JSON listing the files done; --skip-existing then resumes to the full set', async () => {
    await folderOf('int-a', 40, 'a');
    await folderOf('int-b', 60, 'b');
    const fifo = path.join(dir, 'int-pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    const out = path.join(dir, 'int-out');
    await mkdir(out);
    const p12 = pki.leaves['leader-rsa'].p12;
    const r = await runUntilFifo(['sign', 'int-a', 'int-pipe.pdf', 'int-b', '--out-dir', 'int-out', '--p12', p12, '--json'], fifo, 'SIGINT', { KYSO_P12_PASSWORD: pki.password });
    expect(r.code, r.stderr).toBe(130);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.error.code).toBe('INTERRUPTED');
    expect(j.result.interrupted.signal).toBe('SIGINT');
    const files = j.result.files as JFile[];
    expect(files).toHaveLength(101);
    const signed = files.filter((f) => !f.error && !f.skipped);
    const notSigned = files.filter((f) => f.error?.code === 'NOT_SIGNED_INTERRUPTED');
    // everything before the FIFO was done when the signal came, and the 60 after it cannot all have been
    expect(signed.length).toBeGreaterThanOrEqual(40);
    expect(notSigned.length).toBeGreaterThan(0);
    expect(signed.slice(0, 40).map((f) => path.basename(f.input))).toEqual(Array.from({ length: 40 }, (_, i) => `a${String(i + 1).padStart(3, '0')}.pdf`));
    expect(r.stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(r.stderr).toMatch(/Signed \d+ of 101 file\(s\)/);
    // every file listed as done is on disk; nothing half-written is left
    const onDisk = await listFiles(out);
    for (const f of signed) expect(onDisk).toContain(path.relative('int-out', f.output!));
    expect(onDisk.length - signed.length).toBeLessThanOrEqual(1); // a file published as the signal came
    expect(await tempFilesIn(out)).toEqual([]);

    // resume: everything already there is skipped, the rest is signed
    await rm(fifo);
    const r2 = await kysoSign(['int-a', 'int-b', '--out-dir', 'int-out', '--p12', p12, '--skip-existing', '--json'], { cwd: dir });
    expect(r2.code, r2.stderr).toBe(0);
    const j2 = JSON.parse(r2.stdout);
    const f2 = j2.result.files as JFile[];
    expect(f2.filter((f) => f.skipped === 'output-exists').length).toBe(onDisk.length);
    expect(f2.filter((f) => !f.skipped && !f.error).length).toBe(100 - onDisk.length);
    expect(r2.stderr).toMatch(/skipped: their output exists already \(--skip-existing\)/);
    const all = await listFiles(out);
    expect(all).toHaveLength(100);
    // external judges on a sample: the first, one resumed, the last
    for (const f of [all[0]!, all[Math.min(99, onDisk.length + 1)]!, all[99]!]) {
      const s = await pdfsig(path.join(out, f), pki.nssDir);
      expect(s.map((x) => x.valid && x.trusted), f).toEqual([true]);
      expect((await qpdfCheck(path.join(out, f))).ok, f).toBe(true);
    }
  }, 180_000);

  it('SIGTERM mid-batch in text mode: exit 143, the table of what was done and a summary', async () => {
    await folderOf('term-a', 5, 't');
    const fifo = path.join(dir, 'term-pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    await folderOf('term-b', 30, 'u');
    const r = await runUntilFifo(['sign', 'term-a', 'term-pipe.pdf', 'term-b', '--p12', pki.leaves['leader-rsa'].p12], fifo, 'SIGTERM', { KYSO_P12_PASSWORD: pki.password });
    expect(r.code, r.stderr).toBe(143);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.slice(0, 5).map((l) => l.split('\t')[0])).toEqual(['t001', 't002', 't003', 't004', 't005'].map((n) => path.join('term-a', `${n}.pdf`)));
    expect(r.stderr).toMatch(/kyso: interrupted \(SIGTERM\)\nSigned \d+ of 36 file\(s\) \((\d+ failed, )?\d+ not signed\) in /);
  }, 120_000);

  it('a folder signed twice: its *.signed.pdf and files already signed by this certificate are left alone (a note says so); named files are signed', async () => {
    const src = await folderOf('twice', 3, 'c');
    await copyFile(samples.simple, path.join(src, 'x.pdf'));
    const p12 = pki.leaves['clerk-ec'].p12;
    const r1 = await kysoSign(['twice', '--p12', p12], { cwd: dir });
    expect(r1.code, r1.stderr).toBe(0);
    // x.signed.pdf renamed: a signed file with an ordinary name
    await rm(path.join(src, 'x.pdf'));
    await copyFile(path.join(src, 'x.signed.pdf'), path.join(src, 'x-da-ky.pdf'));
    await rm(path.join(src, 'x.signed.pdf'));
    const r2 = await kysoSign(['twice', '--p12', p12, '--json'], { cwd: dir });
    expect(r2.stderr).not.toMatch(/signed\.signed/);
    const f2 = JSON.parse(r2.stdout).result.files as JFile[];
    expect(f2.filter((f) => f.skipped === 'signed-name').map((f) => path.basename(f.input))).toEqual(['c001.signed.pdf', 'c002.signed.pdf', 'c003.signed.pdf']);
    expect(f2.find((f) => f.input.endsWith('x-da-ky.pdf'))?.skipped).toBe('already-signed');
    expect(r2.stderr).toMatch(/note: 3 file\(s\) named \*\.signed\.pdf/);
    expect(r2.stderr).toMatch(/note: 1 file\(s\) found in the folder or pattern already carry a signature by this certificate.*x-da-ky\.pdf/);
    expect((await readdir(src)).filter((n) => n.includes('.signed.signed'))).toEqual([]);
    // named explicitly: signed, with a warning about the duplicate signature
    const r3 = await kysoSign(['twice/x-da-ky.pdf', '-o', 'twice/x-2.pdf', '--p12', p12], { cwd: dir });
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toMatch(/warning: twice\/x-da-ky\.pdf: already carries a signature by this same certificate/);
    expect((await pdfsig(path.join(src, 'x-2.pdf'), pki.nssDir)).map((s) => s.valid)).toEqual([true, true]);
  }, 120_000);

  it('messages name the right file: output over another input; -o naming a folder hints --out-dir', async () => {
    const src = await folderOf('names', 1, 'n');
    await copyFile(samples.simple, path.join(src, 'n001.signed.pdf'));
    const p12 = pki.leaves['clerk-ec'].p12;
    const r = await kysoSign(['names/n001.pdf', 'names/n001.signed.pdf', '--p12', p12, '--force'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kyso: names/n001.pdf: its output would overwrite names/n001.signed.pdf, which is also an input');
    const r2 = await kysoSign(['names/n001.pdf', '-o', 'names', '--p12', p12], { cwd: dir });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe('kyso: names: the output is a folder\n  To write into this folder use --out-dir names\n');
  });

  it('a file whose earlier signature is broken: signing warns', async () => {
    const d = path.join(dir, 'broken');
    await mkdir(d);
    const r1 = await kysoSign([samples.simple, '-o', path.join(d, 'a.pdf'), '--p12', pki.leaves['leader-rsa'].p12]);
    expect(r1.code, r1.stderr).toBe(0);
    // change one character of the /Producer string, inside the signed range: the structure stays readable
    const { readFile, writeFile } = await import('node:fs/promises');
    const buf = await readFile(path.join(d, 'a.pdf'));
    let at = buf.indexOf('/Producer') + '/Producer'.length;
    expect(at).toBeGreaterThan(20);
    while (buf[at] === 0x20) at++;
    at += 5; // past "<FEFF" (hex string) or "(kyso" (literal string)
    buf[at] = buf[at] === 0x30 ? 0x31 : 0x30;
    await writeFile(path.join(d, 'b.pdf'), buf);
    const r2 = await kysoSign([path.join(d, 'b.pdf'), '-o', path.join(d, 'c.pdf'), '--p12', pki.leaves['clerk-ec'].p12]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/warning: .*b\.pdf: an earlier signature \(Signature1\) is already broken/);
    // the intact one gives no such warning
    const r3 = await kysoSign([path.join(d, 'a.pdf'), '-o', path.join(d, 'e.pdf'), '--p12', pki.leaves['clerk-ec'].p12]);
    expect(r3.stderr).toBe('');
  });

  it('SIGTERM mid-batch over files whose names are not UTF-8: exit 143, JSON names them escaped, no temp file; --skip-existing resumes to the full set under the same name bytes', async () => {
    // "văn bản NNN.pdf" in Latin-1 (not UTF-8), made through Buffer paths
    const latin1 = (i: number) => Buffer.from(`v\xe3n b\xe3n ${String(i).padStart(3, '0')}.pdf`, 'latin1');
    const shown = (i: number) => `v\\xe3n b\\xe3n ${String(i).padStart(3, '0')}.pdf`;
    for (const [sub, from, to] of [['bytes-a', 1, 10], ['bytes-b', 11, 40]] as const) {
      await mkdir(path.join(dir, sub));
      for (let i = from; i <= to; i++) await copyFile(samples.simple, Buffer.concat([Buffer.from(path.join(dir, sub) + '/'), latin1(i)]));
    }
    const fifo = path.join(dir, 'bytes-pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    const out = path.join(dir, 'bytes-out');
    await mkdir(out);
    const p12 = pki.leaves['leader-rsa'].p12;
    const r = await runUntilFifo(['sign', 'bytes-a', 'bytes-pipe.pdf', 'bytes-b', '--out-dir', 'bytes-out', '--p12', p12, '--json'], fifo, 'SIGTERM', { KYSO_P12_PASSWORD: pki.password });
    expect(r.code, r.stderr).toBe(143);
    const files = JSON.parse(r.stdout).result.files as JFile[];
    expect(files).toHaveLength(41);
    const signed = files.filter((f) => !f.error && !f.skipped);
    expect(signed.slice(0, 10).map((f) => [f.input, f.output])).toEqual(
      Array.from({ length: 10 }, (_, i) => [path.join('bytes-a', shown(i + 1)), path.join('bytes-out', shown(i + 1))]),
    );
    const notSigned = files.filter((f) => f.error?.code === 'NOT_SIGNED_INTERRUPTED');
    expect(notSigned.length).toBeGreaterThan(0);
    for (const f of notSigned) expect(f.input).toMatch(/^bytes-(pipe\.pdf|b\/v\\xe3n b\\xe3n \d{3}\.pdf)$/);
    expect(r.stdout + r.stderr).not.toMatch(/\uFFFD/);
    // on disk: every output listed as done, under its name bytes; no temp file (listed by bytes)
    const onDisk = (await readdir(out, { encoding: 'buffer' })).map((n) => n.toString('latin1'));
    expect(onDisk.filter((n) => n.includes('.kyso-tmp-'))).toEqual([]);
    for (const f of signed) expect(onDisk).toContain(latin1(Number(/(\d{3})\.pdf$/.exec(f.input)![1])).toString('latin1'));
    expect(onDisk.length - signed.length).toBeLessThanOrEqual(1); // a file published as the signal came

    // resume: what is there is skipped, the rest signed, all 40 under their Latin-1 names
    await rm(fifo);
    const r2 = await kysoSign(['bytes-a', 'bytes-b', '--out-dir', 'bytes-out', '--p12', p12, '--skip-existing', '--json'], { cwd: dir });
    expect(r2.code, r2.stderr).toBe(0);
    const f2 = JSON.parse(r2.stdout).result.files as JFile[];
    expect(f2.filter((f) => f.skipped === 'output-exists').length).toBe(onDisk.length);
    expect(f2.filter((f) => !f.skipped && !f.error).length).toBe(40 - onDisk.length);
    const all = (await readdir(out, { encoding: 'buffer' })).map((n) => n.toString('hex')).sort();
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => latin1(i + 1).toString('hex')).sort());
  }, 120_000);
});
