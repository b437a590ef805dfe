/**
 * Proof of existence and revocation freshness (EN 319 102-1 §5.6), through the real CLI, on a private test
 * PKI (certificates are revoked during the test, so the shared one is left alone):
 *  - an embedded "good" OCSP answer issued before the signer was revoked does not whitewash a signature
 *    without a timestamp; with a trusted timestamp before the revocation the signature passes;
 *  - a TSA whose certificate expired (validation after its end) or was revoked gives no POE and rescues
 *    nothing;
 *  - a B-LTA whose document timestamp comes from an untrusted TSA is not reported as B-LTA.
 */
import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from '../fixtures/make-pki.js';
import { makeBasePdf } from '../fixtures/attacks/pdf-raw.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { startPkiServer, type PkiServer } from '../helpers/pki-server.js';
import { addDocumentTimestamp, collectValidationData } from '../../src/services/sign-ltv.js';
import { appendDss } from '../../src/pdf/dss.js';

const run = promisify(execFile);
const shared = getPki();
let server: PkiServer;
let P: TestPki;
let dir: string;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-poe-'));
  server = await startPkiServer();
  P = await makePki(path.join(dir, 'pki'), server.urls);
  server.setPki(P);
  base = path.join(dir, 'base.pdf');
  await writeFile(base, await makeBasePdf({}));
}, 180_000);
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function sign(out: string, leaf: keyof TestPki['leaves'], level: string): Promise<void> {
  const tsa = level === 'B-B' ? [] : ['--tsa', P.urls.tsa];
  const r = await runKyso(['sign', base, '-o', out, '--level', level, ...tsa, '--p12', P.leaves[leaf].p12], { env: { KYSO_P12_PASSWORD: P.password } });
  expect(r.code, r.stderr).toBe(0);
}

async function revoke(certPem: string): Promise<void> {
  // Revocation times have one-second precision: make it strictly later than what was signed or stamped.
  await new Promise((r) => setTimeout(r, 1100));
  await run('openssl', ['ca', '-config', path.join(P.dir, 'ca-inter', 'ca.cnf'), '-cert', P.inter.cert, '-keyfile', P.inter.key, '-revoke', certPem, '-crl_reason', 'keyCompromise']);
}

interface Sig {
  type: string;
  indication: string;
  subIndication: string | null;
  level: string;
  timestamp: { valid: boolean } | null;
  problems: Array<{ code: string; message: string; messageVi: string }>;
  warnings: Array<{ code: string }>;
}

async function verify(file: string, extra: string[] = []): Promise<{ code: number | null; sigs: Sig[] }> {
  const v = await runKyso(['verify', file, '--trust', P.root.cert, '--no-default-trust', '--json', '--cache-dir', path.join(dir, `cache-${Math.random()}`), ...extra]);
  const doc = JSON.parse(v.stdout);
  return { code: v.code, sigs: doc.result.files[0].signatures as Sig[] };
}

/** The CMS in the first /Contents of a file (kyso writes one signature per test file here). */
function firstCms(pdf: Buffer): Uint8Array {
  const m = /\/Contents\s*<([0-9A-Fa-f]+)>/.exec(pdf.toString('latin1'));
  return new Uint8Array(Buffer.from(m![1]!, 'hex'));
}

describe.sequential('proof of existence and revocation freshness', { timeout: 240_000 }, () => {
  it('a signer revoked after a "good" OCSP answer was embedded: no timestamp → never TOTAL_PASSED', async () => {
    const signed = path.join(dir, 'bb.pdf');
    await sign(signed, 'secretary-rsa', 'B-B');
    // The "good" answers, embedded in a DSS now (before the revocation).
    const material = await collectValidationData(firstCms(await readFile(signed)), undefined, { now: () => new Date() });
    expect(material.ocsps.length).toBeGreaterThan(0);
    const withDss = path.join(dir, 'bb-dss.pdf');
    await appendDss(signed, withDss + '.tmp', material);
    await rename(withDss + '.tmp', withDss);
    const before = await verify(withDss, ['--revocation', 'hard']);
    expect(before.sigs[0]!.indication).toBe('TOTAL_PASSED');
    await revoke(P.leaves['secretary-rsa'].cert);
    for (const mode of ['hard', 'soft']) {
      const after = await verify(withDss, ['--revocation', mode]);
      expect(after.sigs[0]!.indication, mode).toBe('INDETERMINATE');
      expect(['REVOKED_NO_POE', 'TRY_LATER']).toContain(after.sigs[0]!.subIndication);
      expect(after.code).toBe(3);
    }
  });

  it('with a trusted timestamp taken before the revocation the same case passes (B-LT)', async () => {
    const signed = path.join(dir, 'blt.pdf');
    await sign(signed, 'leader-rsa', 'B-LT');
    await revoke(P.leaves['leader-rsa'].cert);
    const r = await verify(signed, ['--revocation', 'hard']);
    expect(r.sigs[0]).toMatchObject({ indication: 'TOTAL_PASSED', level: 'B-LT' });
    expect(r.code).toBe(0);
  });

  it('a TSA whose certificate expired before the validation time gives no POE and rescues nothing', async () => {
    const signed = path.join(dir, 'bt-expiry.pdf');
    await sign(signed, 'clerk-ec', 'B-T');
    // Eleven years on: the signer and the TSA certificate have both expired.
    const r = await verify(signed, ['--revocation', 'off', '--at', new Date(Date.now() + 11 * 365 * 86_400_000).toISOString()]);
    expect(r.sigs[0]!.timestamp?.valid).toBe(false);
    expect(r.sigs[0]!.indication).toBe('INDETERMINATE');
    expect(r.sigs[0]!.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    expect(r.sigs[0]!.level).toBe('B-B');
  });

  it('B-LTA whose document timestamp comes from an untrusted TSA is not reported as B-LTA', async () => {
    const signed = path.join(dir, 'blt-2.pdf');
    await sign(signed, 'deputy-ec384', 'B-LT');
    const lta = path.join(dir, 'blta-untrusted.pdf');
    await addDocumentTimestamp(signed, lta, { tsa: [shared.urls.tsa], hash: 'sha256', now: () => new Date() });
    const r = await verify(lta);
    const sig = r.sigs.find((s) => s.type === 'signature')!;
    const docTs = r.sigs.find((s) => s.type === 'timestamp')!;
    expect(sig.level).toBe('B-LT');
    expect(docTs.indication).toBe('INDETERMINATE');
    expect(docTs.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect(docTs.timestamp?.valid).toBe(false);
    expect(docTs.warnings.map((w) => w.code)).toContain('DOC_TS_NOT_TRUSTED');
  });

  it('a revoked TSA gives no POE: a signer revoked after the timestamp is then REVOKED_NO_POE, not passed', async () => {
    const signed = path.join(dir, 'bt-revoked-tsa.pdf');
    await sign(signed, 'org-rsa', 'B-T');
    await revoke(P.leaves['org-rsa'].cert);
    const trusted = await verify(signed);
    expect(trusted.sigs[0]!.indication).toBe('TOTAL_PASSED'); // the TSA is fine: its time proves the signature predates the revocation
    await revoke(P.tsa.cert);
    const r = await verify(signed);
    expect(r.sigs[0]!.timestamp?.valid).toBe(false);
    expect(r.sigs[0]!.indication).toBe('INDETERMINATE');
    expect(r.sigs[0]!.subIndication).toBe('REVOKED_NO_POE');
    expect(r.sigs[0]!.warnings.map((w) => w.code)).toContain('TSA_NOT_TRUSTED');
    // JSON carries both languages whatever LANG is.
    expect(r.sigs[0]!.problems[0]!.message).toBeTruthy();
    expect(r.sigs[0]!.problems[0]!.messageVi).toBeTruthy();
  });
});
