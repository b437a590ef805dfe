/**
 * `kyso sign <folder> --out-dir` over 200 small PDFs with a SoftHSM token: one login for the whole batch
 * (counted by OpenSC's pkcs11-spy), every file signed; then the same batch without the spy to measure the
 * time per document beside the token's own signing time (measured through kyso's binding trace).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs11Signer } from '../../src/crypto/pkcs11-signer.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { KYSO_BIN, ROOT, runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeSoftHsm, softhsmAvailableOrFail, type SoftHsm } from '../helpers/softhsm.js';
import { pdfsig } from '../sign/validators.js';

const available = softhsmAvailableOrFail();
const SPY = ['/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so', '/usr/lib/x86_64-linux-gnu/pkcs11-spy.so', '/usr/lib/pkcs11/pkcs11-spy.so'].find((p) => existsSync(p));
const N = 200;

describe.runIf(available)('batch of 200 PDFs with one token login', () => {
  const pki = getPki();
  let hsm: SoftHsm;
  let work: string;
  let inDir: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'kyso-token-batch-'));
    hsm = await makeSoftHsm([{ label: 'KysoBatch', keys: [{ leaf: pki.leaves['leader-rsa'], id: '01', keyLabel: 'leader' }] }]);
    process.env.SOFTHSM2_CONF = hsm.conf; // for the in-process signer below (each test file runs in its own fork)
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

  it('measures time per document against the token\'s own signing time', async () => {
    // Token time: the same key, same mechanism, N signatures through kyso's binding with the trace on.
    const trace = path.join(work, 'trace.tsv');
    const signer = await openPkcs11Signer(
      { module: hsm.module, tokenLabel: 'KysoBatch', chainFile: pki.chainPem, interactive: false, pin: async () => hsm.pin },
      { tracePath: trace, bundledDir: '', aia: false },
    );
    const data = Buffer.alloc(300, 7);
    const digest = createHash('sha256').update(data).digest();
    for (let i = 0; i < N; i++) await signer.signDigest({ data, digest, hash: 'sha256', scheme: 'rsa-pkcs1' });
    await signer.close();
    const lines = (await readFile(trace, 'utf8')).trim().split('\n').map((l) => l.split('\t'));
    const signMs = lines.filter((l) => l[0] === 'C_Sign').map((l) => Number(l[1]));
    expect(signMs).toHaveLength(N);
    expect(lines.filter((l) => l[0] === 'C_Login')).toHaveLength(1);
    const tokenPerDoc = signMs.reduce((a, b) => a + b, 0) / N;

    // The real CLI over the same 200 files, without the spy; a 1-file run gives the fixed start-up cost.
    const outDir = path.join(work, 'out-timed');
    await mkdir(outDir);
    const common = ['--pkcs11-module', hsm.module, '--token-label', 'KysoBatch', '--chain', pki.chainPem];
    const env = { ...hsm.env, KYSO_PIN: hsm.pin };
    const t1 = performance.now();
    const one = await runKyso(['sign', path.join(inDir, 'cv-000.pdf'), '-o', path.join(work, 'one.pdf'), ...common], { env });
    const oneMs = performance.now() - t1;
    expect(one.code, one.stderr).toBe(0);
    const t0 = performance.now();
    const r = await runKyso(['sign', inDir, '--out-dir', outDir, ...common], { env, timeoutMs: 300_000 });
    const totalMs = performance.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(await signed(outDir)).toHaveLength(N);
    const perDoc = (totalMs - oneMs) / (N - 1);
    const overhead = perDoc - tokenPerDoc;
    console.log(
      `[token batch] ${N} PDFs: total ${totalMs.toFixed(0)} ms, one-file run ${oneMs.toFixed(0)} ms, ` +
        `per extra document ${perDoc.toFixed(2)} ms, token C_Sign ${tokenPerDoc.toFixed(3)} ms/signature, ` +
        `kyso overhead ≈ ${overhead.toFixed(2)} ms/document`,
    );
    expect(perDoc).toBeGreaterThan(0);
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
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // wait until a few documents have been signed, then interrupt
    for (let i = 0; i < 600; i++) {
      const log = existsSync(spyLog) ? await readFile(spyLog, 'utf8') : '';
      if ((log.match(/^\d+: C_Sign$/gm) ?? []).length >= 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const log = await readFile(spyLog, 'utf8');
    const calls = [...log.matchAll(/^\d+: (C_\w+)$/gm)].map((m) => m[1]);
    const signs = calls.filter((c) => c === 'C_Sign').length;
    expect(signs).toBeGreaterThanOrEqual(5);
    expect(signs).toBeLessThan(N);
    expect(calls.slice(-3)).toEqual(['C_Logout', 'C_CloseSession', 'C_Finalize']);
    const left = (await readdir(outDir, { recursive: true })).map(String);
    expect(left.filter((f) => f.includes('kyso-tmp'))).toEqual([]);
  }, 120_000);
});
