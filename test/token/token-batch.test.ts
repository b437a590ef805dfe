/**
 * `kyso sign <folder> --out-dir` over 200 small PDFs with a SoftHSM token: one login for the whole batch
 * (counted by OpenSC's pkcs11-spy), every file signed; then the same batch without the spy to measure the
 * time per document beside the token's own signing time (KYSO_PKCS11_TRACE: kyso's binding trace), and
 * Ctrl-C in the middle of a batch.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { KYSO_BIN, ROOT, runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeSoftHsm, pkcs11Spy, softhsmAvailableOrFail, type SoftHsm } from '../helpers/softhsm.js';
import { pdfsig } from '../sign/validators.js';

const available = softhsmAvailableOrFail();
const SPY = available ? pkcs11Spy() : undefined;
const N = 200;

/** Runs the CLI under bash's `time` (no /usr/bin/time here): wall and user+sys CPU of the kyso process. */
function timedKyso(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; realMs: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, KYSO_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('bash', ['-c', `time ${quoted} >/dev/null`], { cwd: ROOT, env: { ...process.env, LANG: 'C.UTF-8', ...env, TIMEFORMAT: 'KYSO-TIME %R %U %S' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /KYSO-TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (!m) return reject(new Error(`no timing in: ${stderr}`));
      resolve({ code, stderr: stderr.replace(m[0], ''), realMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 });
    });
  });
}

describe.runIf(available)('batch of 200 PDFs with one token login', () => {
  const pki = getPki();
  let hsm: SoftHsm;
  let work: string;
  let inDir: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'kyso-token-batch-'));
    hsm = await makeSoftHsm([{ label: 'KysoBatch', keys: [{ leaf: pki.leaves['leader-rsa'], id: '01', keyLabel: 'leader' }] }]);
    const samples = await makeSamplePdfs(work);
    inDir = path.join(work, 'in');
    await mkdir(path.join(inDir, 'sub'), { recursive: true });
    for (let i = 0; i < N; i++) await copyFile(samples.simple, path.join(inDir, i % 2 ? 'sub' : '', `cv-${String(i).padStart(3, '0')}.pdf`));
  });
  afterAll(async () => {
    await hsm?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const signed = async (dir: string) => (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith('.pdf'));

  it.runIf(SPY)('signs all 200 files after exactly one C_Login (pkcs11-spy) and one C_Sign per file', async () => {
    const outDir = path.join(work, 'out-spy');
    await mkdir(outDir);
    const spyLog = path.join(work, 'spy.log');
    const r = await runKyso(['sign', inDir, '--out-dir', outDir, '--pkcs11-module', SPY!, '--token-label', 'KysoBatch', '--chain', pki.chainPem, '--json'], {
      env: { ...hsm.env, KYSO_PIN: hsm.pin, PKCS11SPY: hsm.module, PKCS11SPY_OUTPUT: spyLog },
      timeoutMs: 300_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.result.files).toHaveLength(N);
    expect(doc.result.files.every((f: { error?: unknown }) => !f.error)).toBe(true);
    expect(await signed(outDir)).toHaveLength(N);
    const log = await readFile(spyLog, 'utf8');
    expect(log.match(/^\d+: C_Login$/gm)).toHaveLength(1);
    expect(log.match(/^\d+: C_Sign$/gm)).toHaveLength(N);
    expect(log.match(/^\d+: C_Logout$/gm)).toHaveLength(1);
    // spot-check two outputs with pdfsig (mirrored sub-folder included)
    const files = doc.result.files as { output: string }[];
    for (const f of [files[0]!, files[N - 1]!]) {
      const [s] = await pdfsig(f.output, pki.nssDir);
      expect(s!.valid && s!.trusted, s!.raw).toBe(true);
    }
  }, 300_000);

  it('measures time per document against the token\'s own signing time (KYSO_PKCS11_TRACE)', async () => {
    // The real CLI over the same 200 files, without the spy, with kyso's binding trace recording C_Sign
    // durations; a 1-file run gives the fixed start-up cost (node, module load, login, chain).
    const outDir = path.join(work, 'out-timed');
    await mkdir(outDir);
    const trace = path.join(work, 'trace.tsv');
    const oneTrace = path.join(work, 'trace-one.tsv');
    const common = ['--pkcs11-module', hsm.module, '--token-label', 'KysoBatch', '--chain', pki.chainPem];
    const env = { ...hsm.env, KYSO_PIN: hsm.pin };
    const one = await timedKyso(['sign', path.join(inDir, 'cv-000.pdf'), '-o', path.join(work, 'one.pdf'), ...common], { ...env, KYSO_PKCS11_TRACE: oneTrace });
    expect(one.code, one.stderr).toBe(0);
    const r = await timedKyso(['sign', inDir, '--out-dir', outDir, ...common], { ...env, KYSO_PKCS11_TRACE: trace });
    expect(r.code, r.stderr).toBe(0);
    expect(await signed(outDir)).toHaveLength(N);
    const lines = (await readFile(trace, 'utf8')).trim().split('\n').map((l) => l.split('\t'));
    expect(lines.filter((l) => l[0] === 'C_Login')).toHaveLength(1);
    expect(lines.filter((l) => l[0] === 'C_Logout')).toHaveLength(1);
    const signMs = lines.filter((l) => l[0] === 'C_Sign' || l[0] === 'C_SignInit').reduce((a, l) => a + Number(l[1]), 0);
    expect(lines.filter((l) => l[0] === 'C_Sign')).toHaveLength(N);
    expect(await readFile(trace, 'utf8')).not.toContain(hsm.pin);
    const tokenPerDoc = signMs / N;
    const perDoc = (r.realMs - one.realMs) / (N - 1);
    const cpuPerDoc = (r.cpuMs - one.cpuMs) / (N - 1);
    console.log(
      `[token batch] ${N} PDFs: wall ${r.realMs.toFixed(0)} ms (1-file run ${one.realMs.toFixed(0)} ms), CPU ${r.cpuMs.toFixed(0)} ms (1-file ${one.cpuMs.toFixed(0)} ms); ` +
        `per extra document: wall ${perDoc.toFixed(2)} ms, CPU ${cpuPerDoc.toFixed(2)} ms; inside the token (C_SignInit+C_Sign) ${tokenPerDoc.toFixed(3)} ms; ` +
        `kyso overhead ≈ ${(perDoc - tokenPerDoc).toFixed(2)} ms wall / ${(cpuPerDoc - tokenPerDoc).toFixed(2)} ms CPU per document`,
    );
    expect(perDoc).toBeGreaterThan(tokenPerDoc);
  }, 300_000);

  it.runIf(SPY)('Ctrl-C in the middle of the batch: exit 130, the token is logged out and finalized, no temp file left', async () => {
    const outDir = path.join(work, 'out-int');
    await mkdir(outDir);
    const spyLog = path.join(work, 'spy-int.log');
    const child = spawn(process.execPath, [KYSO_BIN, 'sign', inDir, '--out-dir', outDir, '--pkcs11-module', SPY!, '--token-label', 'KysoBatch', '--chain', pki.chainPem], {
      cwd: ROOT,
      env: { ...process.env, ...hsm.env, KYSO_PIN: hsm.pin, PKCS11SPY: hsm.module, PKCS11SPY_OUTPUT: spyLog, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // wait until a few documents have been signed, then interrupt
    for (let i = 0; i < 600; i++) {
      const log = existsSync(spyLog) ? await readFile(spyLog, 'utf8') : '';
      if ((log.match(/^\d+: C_Sign$/gm) ?? []).length >= 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    const log = await readFile(spyLog, 'utf8');
    const calls = [...log.matchAll(/^\d+: (C_\w+)$/gm)].map((m) => m[1]);
    const signs = calls.filter((c) => c === 'C_Sign').length;
    expect(signs).toBeGreaterThanOrEqual(5);
    expect(signs).toBeLessThan(N);
    expect(calls.slice(-3), calls.slice(-8).join(' ')).toEqual(['C_Logout', 'C_CloseSession', 'C_Finalize']);
    const left = (await readdir(outDir, { recursive: true })).map(String);
    expect(left.filter((f) => f.includes('kyso-tmp'))).toEqual([]);
  }, 120_000);
});
