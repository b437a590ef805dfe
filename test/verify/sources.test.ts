/**
 * Signatures made by other producers, verified through the real CLI: kyso sign (single, double, triple,
 * B-T, certification + approval), poppler's `pdfsig -add-signature` (NSS), and an openssl CMS placed into
 * the placeholder of src/pdf/sign-pdf.ts. Plus the time-dependent trust cases: revoked with a timestamp,
 * unreachable OCSP/CRL under soft/off, and --at.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { addDocTimestamp, makeBasePdf, opensslCms } from '../fixtures/attacks/pdf-raw.js';
import { embedSignature, preparePdfForSigning } from '../../src/pdf/sign-pdf.js';

const run = promisify(execFile);
const pki = getPki();
let dir: string;
let base: string;

interface Sig {
  field: string;
  indication: string;
  subIndication: string | null;
  trust: string;
  modifiedAfter: string;
  integrity: string;
  level: string;
  timestamp: { time: string; valid: boolean } | null;
  signer: { subject: string } | null;
  problems: Array<{ code: string; message: string }>;
}
interface FileJson {
  file: string;
  indication: string;
  signatures: Sig[];
}

async function verify(file: string, extra: string[] = []): Promise<{ code: number | null; f: FileJson; stderr: string }> {
  const r = await runKyso(['verify', file, '--json', '--no-default-trust', '--trust', pki.root.cert, '--cache-dir', path.join(dir, '.cache'), ...extra]);
  if (!r.stdout.trim().startsWith('{')) throw new Error(`kyso verify printed no JSON (exit ${r.code}): ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { result: { files: FileJson[] } };
  return { code: r.code, f: doc.result.files[0]!, stderr: r.stderr };
}

async function sign(input: string, output: string, leaf: LeafName, extra: string[] = []): Promise<void> {
  const r = await runKyso(['sign', input, '-o', output, '--p12', pki.leaves[leaf].p12, ...extra], { env: { KYSO_P12_PASSWORD: pki.password } });
  if (r.code !== 0) throw new Error(`kyso sign failed (${r.code}): ${r.stderr}`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-verify-sources-'));
  base = path.join(dir, 'base.pdf');
  await writeFile(base, await makeBasePdf({ textField: true }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('signatures made by kyso sign', () => {
  it('single, double and triple signatures all pass; earlier ones report allowed changes', async () => {
    const a = path.join(dir, 'k1.pdf');
    const b = path.join(dir, 'k2.pdf');
    const c = path.join(dir, 'k3.pdf');
    await sign(base, a, 'leader-rsa', ['--reason', 'Phê duyệt']);
    await sign(a, b, 'secretary-rsa', ['--rsa-pss']);
    await sign(b, c, 'clerk-ec', ['--hash', 'sha384']);
    const r1 = await verify(a);
    expect(r1.code).toBe(0);
    expect(r1.f.indication).toBe('TOTAL_PASSED');
    expect(r1.f.signatures[0]!.modifiedAfter).toBe('none');
    expect(r1.f.signatures[0]!.signer?.subject).toContain('Nguyễn Thúy Hằng');
    const r3 = await verify(c);
    expect(r3.code).toBe(0);
    expect(r3.f.signatures.map((s) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED', 'TOTAL_PASSED']);
    expect(r3.f.signatures.map((s) => s.modifiedAfter).sort()).toEqual(['allowed', 'allowed', 'none']);
  });

  it('B-T: the signature timestamp from the local TSA is verified and reported', async () => {
    const out = path.join(dir, 'bt.pdf');
    await sign(base, out, 'leader-rsa', ['--level', 'B-T', '--tsa', pki.urls.tsa]);
    const r = await verify(out);
    expect(r.f.indication).toBe('TOTAL_PASSED');
    expect(r.f.signatures[0]!.level).toBe('B-T');
    expect(r.f.signatures[0]!.timestamp?.valid).toBe(true);
  });

  it('certification P=2 then an approval signature: allowed', async () => {
    const c = path.join(dir, 'cert.pdf');
    const d = path.join(dir, 'cert-approved.pdf');
    await sign(base, c, 'org-rsa', ['--certify', '--docmdp', '2']);
    await sign(c, d, 'leader-rsa');
    const r = await verify(d);
    expect(r.f.indication).toBe('TOTAL_PASSED');
    expect(r.f.signatures[0]!.modifiedAfter).toBe('allowed');
  });

  it('revoked signer: REVOKED_NO_POE without a timestamp, REVOKED (failed) with one taken after the revocation', async () => {
    const plain = path.join(dir, 'revoked.pdf');
    const ts = path.join(dir, 'revoked-bt.pdf');
    // kyso sign at B-B/B-T does not look up revocation (only B-LT does, and refuses): both files must be made.
    await sign(base, plain, 'revoked-rsa');
    const r1 = await verify(plain);
    expect(r1.f.indication).toBe('INDETERMINATE');
    expect(r1.f.signatures[0]!.subIndication).toBe('REVOKED_NO_POE');
    expect(r1.code).toBe(3);
    await sign(base, ts, 'revoked-rsa', ['--level', 'B-T', '--tsa', pki.urls.tsa]);
    const r2 = await verify(ts);
    expect(r2.f.indication).toBe('TOTAL_FAILED');
    expect(r2.f.signatures[0]!.subIndication).toBe('REVOKED');
    expect(r2.f.signatures[0]!.trust).toBe('revoked');
    expect(r2.code).toBe(1);
  });

  it('unreachable OCSP/CRL: INDETERMINATE/TRY_LATER under soft (exit 3), TOTAL_PASSED under --revocation off', async () => {
    const out = path.join(dir, 'deadocsp.pdf');
    await sign(base, out, 'deadocsp-rsa');
    const soft = await verify(out, ['--revocation', 'soft']);
    expect(soft.f.indication).toBe('INDETERMINATE');
    expect(soft.f.signatures[0]!.subIndication).toBe('TRY_LATER');
    expect(soft.code).toBe(3);
    const off = await verify(out, ['--revocation', 'off']);
    expect(off.f.indication).toBe('TOTAL_PASSED');
    expect(off.code).toBe(0);
  });

  it('--at: validating before the signer certificate was issued is not a pass', async () => {
    const out = path.join(dir, 'at.pdf');
    await sign(base, out, 'leader-rsa');
    const r = await verify(out, ['--at', '2000-01-01T00:00:00Z', '--revocation', 'off']);
    expect(r.f.indication).toBe('INDETERMINATE');
    expect(r.f.signatures[0]!.trust).toBe('expired');
  });
});

describe('document timestamps', () => {
  it('a document timestamp (ETSI.RFC3161) after a B-T signature is found, verified, and an allowed change', async () => {
    const bt = path.join(dir, 'bt-for-dts.pdf');
    await sign(base, bt, 'leader-rsa', ['--level', 'B-T', '--tsa', pki.urls.tsa]);
    const out = path.join(dir, 'dts.pdf');
    await writeFile(out, await addDocTimestamp(await readFile(bt), pki.urls.tsa));
    const r = await verify(out);
    expect(r.f.signatures).toHaveLength(2);
    const ts = r.f.signatures.find((s) => (s as unknown as { type: string }).type === 'timestamp')!;
    expect(ts.indication).toBe('TOTAL_PASSED');
    expect(ts.timestamp?.valid).toBe(true);
    const sig = r.f.signatures.find((s) => (s as unknown as { type: string }).type === 'signature')!;
    expect(sig.indication).toBe('TOTAL_PASSED');
    expect(sig.modifiedAfter).toBe('allowed');
    expect(r.f.indication).toBe('TOTAL_PASSED');
    // tampering with a byte covered by the document timestamp breaks it
    const t = await readFile(out);
    const j = t.lastIndexOf('/SubFilter /ETSI.RFC3161');
    t[j - 5] = t[j - 5]! ^ 1;
    const bad = path.join(dir, 'dts-bad.pdf');
    await writeFile(bad, t);
    const rb = await verify(bad);
    expect(rb.f.indication).toBe('TOTAL_FAILED');
  });
});

describe.concurrent('signatures made by other tools', () => {
  it('pdfsig -add-signature (poppler + NSS, adbe.pkcs7.detached) verifies', async () => {
    const nss = path.join(dir, 'nss');
    await run('mkdir', ['-p', nss]);
    await run('certutil', ['-N', '--empty-password', '-d', `sql:${nss}`]);
    await run('pk12util', ['-i', pki.leaves['leader-rsa'].p12, '-d', `sql:${nss}`, '-W', pki.password]);
    const { stdout } = await run('certutil', ['-L', '-d', `sql:${nss}`]);
    const nick = stdout
      .split('\n')
      .map((l) => l.replace(/\s+u,u,u\s*$|\s+[A-Za-z,]*,[A-Za-z,]*,[A-Za-z,]*\s*$/, '').trim())
      .find((l) => l.includes('Nguy') || l === 'leader-rsa');
    const out = path.join(dir, 'pdfsig-signed.pdf');
    await run('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', nick ?? 'leader-rsa', base, out]);
    const r = await verify(out);
    expect(r.f.signatures.length).toBe(1);
    expect(r.f.signatures[0]!.signer?.subject).toContain('Nguyễn Thúy Hằng');
    // the PKCS#12 carries the intermediate, so NSS has it and pdfsig embeds the whole chain: a pass.
    expect(r.f.indication).toBe('TOTAL_PASSED');
    expect(r.f.signatures[0]!.integrity).toBe('ok');
    const withInter = await verify(out, ['--trust', pki.inter.cert]);
    expect(withInter.f.indication).toBe('TOTAL_PASSED');
  });

  it('an openssl CMS placed into the kyso placeholder verifies; a CMS over other bytes fails with HASH_FAILURE', async () => {
    const input = path.join(dir, 'ph-in.pdf');
    await copyFile(base, input);
    const tmp = path.join(dir, 'ph.pdf');
    const prepared = await preparePdfForSigning(input, tmp, { signingTime: new Date(), subFilter: 'ETSI.CAdES.detached', contentsBytes: 8192, fieldName: 'OpenSSL' });
    const bytes = await readFile(tmp);
    const [a, b, c, d] = prepared.byteRange;
    const signed = Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]);
    const leaf = pki.leaves['leader-rsa'];
    await embedSignature(prepared, await opensslCms(signed, leaf, pki.chainPem, 'sha256'));
    const r = await verify(tmp);
    expect(r.f.indication).toBe('TOTAL_PASSED');
    expect(r.code).toBe(0);

    const tmp2 = path.join(dir, 'ph2.pdf');
    const p2 = await preparePdfForSigning(input, tmp2, { signingTime: new Date(), subFilter: 'ETSI.CAdES.detached', contentsBytes: 8192, fieldName: 'OpenSSL' });
    await embedSignature(p2, await opensslCms(Buffer.from('other bytes'), leaf, pki.chainPem, 'sha256'));
    const r2 = await verify(tmp2);
    expect(r2.f.indication).toBe('TOTAL_FAILED');
    expect(r2.f.signatures[0]!.subIndication).toBe('HASH_FAILURE');
  });
});
