/**
 * Past signature validation (EN 319 102-1 §5.6.2.4) for a signer certificate outside its validity, through the
 * real CLI on the shared test PKI. A proof of existence (POE) only bounds the signing time from above:
 *  - expired signer, its only POE a document timestamp taken after the expiry → INDETERMINATE /
 *    OUT_OF_BOUNDS_NO_POE (the late POE says nothing about when it was signed), never TOTAL_FAILED / EXPIRED;
 *  - the same signer without any POE → the same verdict (the late timestamp neither helps nor hurts);
 *  - a signature timestamped by a trusted TSA before the signer's expiry, validated after it → TOTAL_PASSED;
 *  - a POE before the signer's notBefore proves it was signed before the certificate existed → TOTAL_FAILED /
 *    NOT_YET_VALID (the one case the standard fails).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDocTimestamp, addSignature, makeBasePdf } from '../fixtures/attacks/pdf-raw.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const pki = getPki();
let dir: string;
const F = { expiredLateTs: '', expiredNoTs: '', timelyTs: '', notYetTs: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-expired-signer-'));
  const base = await makeBasePdf();
  const expired = pki.leaves['expired-rsa'];
  const oldSigned = await addSignature(base, { signer: { cert: expired.cert, key: expired.key }, chainPem: pki.chainPem, fieldName: 'Cu' });
  F.expiredNoTs = path.join(dir, 'expired-no-ts.pdf');
  await writeFile(F.expiredNoTs, oldSigned);
  // A document timestamp taken now, a year after the signer's certificate ended.
  F.expiredLateTs = path.join(dir, 'expired-late-ts.pdf');
  await writeFile(F.expiredLateTs, await addDocTimestamp(oldSigned, pki.urls.tsa));
  const notYet = pki.leaves['notyet-rsa'];
  F.notYetTs = path.join(dir, 'notyet-ts.pdf');
  await writeFile(F.notYetTs, await addDocTimestamp(await addSignature(base, { signer: { cert: notYet.cert, key: notYet.key }, chainPem: pki.chainPem, fieldName: 'Moi' }), pki.urls.tsa));
  // B-T by kyso itself with a certificate valid today (ends in 730 days): timestamped before its expiry.
  const basePath = path.join(dir, 'base.pdf');
  await writeFile(basePath, base);
  F.timelyTs = path.join(dir, 'timely-bt.pdf');
  const s = await runKyso(['sign', basePath, '-o', F.timelyTs, '--level', 'B-T', '--tsa', pki.urls.tsa, '--p12', pki.leaves['leader-rsa'].p12], {
    env: { KYSO_P12_PASSWORD: pki.password },
  });
  expect(s.code, s.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Sig {
  type: string;
  indication: string;
  subIndication: string | null;
  trust: string;
  problems: Array<{ code: string; params: Record<string, unknown>; message: string; messageVi: string }>;
}

async function verify(file: string, extra: string[] = []): Promise<{ code: number | null; indication: string; sigs: Sig[] }> {
  const r = await runKyso(['verify', file, '--json', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', ...extra]);
  const doc = JSON.parse(r.stdout);
  return { code: r.code, indication: doc.result.files[0].indication, sigs: doc.result.files[0].signatures as Sig[] };
}

describe('a signer certificate outside its validity (EN 319 102-1 §5.6.2.4)', { timeout: 60_000 }, () => {
  it('expired signer whose only proof of existence is after the expiry → INDETERMINATE / OUT_OF_BOUNDS_NO_POE, exit 3', async () => {
    const r = await verify(F.expiredLateTs);
    const sig = r.sigs.find((s) => s.type === 'signature')!;
    const ts = r.sigs.find((s) => s.type === 'timestamp')!;
    expect(ts.indication).toBe('TOTAL_PASSED'); // the document timestamp itself is good: it is a real POE
    expect(sig).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE', trust: 'expired' });
    const p = sig.problems.find((x) => x.code === 'CERT_EXPIRED_POE_TOO_LATE');
    expect(p, JSON.stringify(sig.problems)).toBeTruthy();
    expect(p!.params.poe).toBeTruthy();
    expect(p!.message).toMatch(/expired on .*later/);
    expect(p!.messageVi).toMatch(/hết hạn/);
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.code).toBe(3);
  });

  it('the same signer without any timestamp → the same verdict, with the plain expiry problem', async () => {
    const r = await verify(F.expiredNoTs);
    expect(r.sigs[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE', trust: 'expired' });
    expect(r.sigs[0]!.problems.map((x) => x.code)).toContain('CERT_EXPIRED');
    expect(r.code).toBe(3);
  });

  it('a trusted signature timestamp before the expiry, validated after it → TOTAL_PASSED, exit 0', async () => {
    const later = new Date(Date.now() + 1000 * 86_400_000).toISOString(); // the signer ends at +730 days, the TSA at +3650
    const r = await verify(F.timelyTs, ['--at', later]);
    expect(r.sigs[0]).toMatchObject({ indication: 'TOTAL_PASSED', trust: 'trusted' });
    expect(r.code).toBe(0);
    // Without the timestamp's proof the same date is out of bounds: the timestamp is what rescues it.
    const tooLate = await verify(F.timelyTs, ['--at', new Date(Date.now() + 4000 * 86_400_000).toISOString()]);
    expect(tooLate.sigs[0]!.indication).toBe('INDETERMINATE');
  });

  it('a proof of existence before the signer certificate was valid → TOTAL_FAILED / NOT_YET_VALID, exit 1', async () => {
    const r = await verify(F.notYetTs);
    const sig = r.sigs.find((s) => s.type === 'signature')!;
    expect(sig).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'NOT_YET_VALID' });
    expect(r.code).toBe(1);
  });
});
