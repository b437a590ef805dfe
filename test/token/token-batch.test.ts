/**
 * `kyso sign <folder> --out-dir` over 200 small PDFs with a SoftHSM token: one login for the whole batch
 * (counted by OpenSC's pkcs11-spy), one C_Sign per file, every output valid per pdfsig, kyso's binding trace
 * (KYSO_PKCS11_TRACE) agreeing and free of the PIN; and Ctrl-C in the middle of a batch. The time per
 * document is a figure, not an assertion: `npm run bench -- token` (bench/token-bench.mjs).
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
    const trace = path.join(work, 'trace.tsv');
    const r = await runKyso(['sign', inDir, '--out-dir', outDir, '--pkcs11-module', SPY!, '--token-label', 'KysoBatch', '--chain', pki.chainPem, '--json'], {
      env: { ...hsm.env, KYSO_PIN: hsm.pin, PKCS11SPY: hsm.module, PKCS11SPY_OUTPUT: spyLog, KYSO_PKCS11_TRACE: trace },
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
    // kyso's own trace (what `npm run bench -- token` reads) sees the same calls, and never the PIN
    const traced = (await readFile(trace, 'utf8')).trim().split('\n').map((l) => l.split('\t')[0]);
    expect(traced.filter((c) => c === 'C_Login')).toHaveLength(1);
    expect(traced.filter((c) => c === 'C_Sign')).toHaveLength(N);
    expect(await readFile(trace, 'utf8')).not.toContain(hsm.pin);
    // spot-check two outputs with pdfsig (mirrored sub-folder included)
    const files = doc.result.files as { output: string }[];
    for (const f of [files[0]!, files[N - 1]!]) {
      const [s] = await pdfsig(f.output, pki.nssDir);
      expect(s!.valid && s!.trusted, s!.raw).toBe(true);
    }
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
