/**
 * `kyso extend` through the real CLI against the test PKI's TSA/OCSP/CRL on 127.0.0.1: B-B files from kyso
 * and from poppler's `pdfsig -add-signature` reach B-LT then B-LTA per `kyso verify`; pdfsig still says
 * valid; `openssl ts -verify` accepts the document timestamps; the input is a byte prefix of the output;
 * a second run adds nothing; `kyso extend` and `kyso verify` report the same level (the same `ltReady` test);
 * the DSS holds every OCSP responder's chain (openssl checks each answer offline from the DSS alone); a
 * tampered file is refused (exit 1); an expired signer without proof of existence is skipped (exit 3) unless
 * --accept-indeterminate, which extends it and records that choice; --renew-before adds a document timestamp
 * only when the newest TSA certificate expires within the margin.
 */
import { vietnamIso } from '../../src/core/vn-time.js';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSignature, makeBasePdf } from '../fixtures/attacks/pdf-raw.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { dssContents, extractSignatures, opensslVerify, pdfsig, qpdfCheck } from '../sign/validators.js';

const run = promisify(execFile);
const pki = getPki();
let dir: string;
let archive: string;
const trust = () => ['--no-default-trust', '--trust', pki.root.cert];
const cache = () => ['--cache-dir', path.join(dir, 'cache')];

interface ExtendJson {
  summary: Record<string, number>;
  files: Array<{ file: string; status: string; indication?: string; levelBefore: string; levelAfter: string | null; renewed: boolean; acceptedIndeterminate: boolean; added: Record<string, number> | null; reason: { code: string } | null; warnings: string[] }>;
}
const extendJson = (stdout: string) => JSON.parse(stdout).result as ExtendJson;

async function verifyLevels(file: string): Promise<{ code: number | null; indication: string; levels: string[]; types: string[]; validUntil: Array<string | null> }> {
  const v = await runKyso(['verify', file, ...trust(), '--json', ...cache()]);
  const f = JSON.parse(v.stdout).result.files[0];
  const sigs = f.signatures as Array<{ type: string; level: string; validUntil: string | null }>;
  const own = sigs.filter((s) => s.type === 'signature');
  return { code: v.code, indication: f.indication, levels: own.map((s) => s.level), types: sigs.map((s) => s.type), validUntil: own.map((s) => s.validUntil) };
}
/** as the JSON report writes times: Vietnam time, ISO 8601 with +07:00 */
const notAfter = async (pem: string) => vietnamIso(new Date(new X509Certificate(await readFile(pem)).validTo));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-extend-'));
  archive = path.join(dir, 'archive');
  await mkdir(path.join(archive, 'sub'), { recursive: true });
  const base = path.join(dir, 'base.pdf');
  await writeFile(base, await makeBasePdf({ text: 'QUYET DINH luu tru' }));
  const env = { KYSO_P12_PASSWORD: pki.password };
  const p12 = pki.leaves['leader-rsa'].p12;
  const s1 = await runKyso(['sign', base, '-o', path.join(archive, 'kyso-bb.pdf'), '--p12', p12], { env });
  expect(s1.code, s1.stderr).toBe(0);
  const s2 = await runKyso(['sign', base, '-o', path.join(archive, 'sub', 'kyso-bt.pdf'), '--p12', p12, '--level', 'B-T', '--tsa', pki.urls.tsa], { env });
  expect(s2.code, s2.stderr).toBe(0);
  // poppler + NSS: a signature made by another tool (no intermediate certificate embedded).
  const nss = path.join(dir, 'nss');
  await mkdir(nss);
  await run('certutil', ['-N', '--empty-password', '-d', `sql:${nss}`]);
  await run('pk12util', ['-i', p12, '-d', `sql:${nss}`, '-W', pki.password]);
  const { stdout } = await run('certutil', ['-L', '-d', `sql:${nss}`]);
  const nick = stdout
    .split('\n')
    .map((l) => l.replace(/\s+[A-Za-z]*,[A-Za-z]*,[A-Za-z]*\s*$/, '').trim())
    .find((l) => l.includes('Nguy') || l === 'leader-rsa');
  await run('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', nick ?? 'leader-rsa', base, path.join(archive, 'pdfsig-bb.pdf')]);
  // The same two B-B files in a folder of their own, for the B-LT then B-LTA run of both together.
  await mkdir(path.join(dir, 'mixed'));
  for (const f of ['kyso-bb.pdf', 'pdfsig-bb.pdf']) await copyFile(path.join(archive, f), path.join(dir, 'mixed', f));
  // Failing and indeterminate inputs, in their own folders.
  await mkdir(path.join(dir, 'bad'));
  const tampered = Buffer.from(await readFile(path.join(archive, 'kyso-bb.pdf')));
  const j = tampered.indexOf('/Producer');
  expect(j).toBeGreaterThan(0);
  tampered[j + 3] = tampered[j + 3]! ^ 1;
  await writeFile(path.join(dir, 'bad', 'tampered.pdf'), tampered);
  await mkdir(path.join(dir, 'old'));
  const expired = pki.leaves['expired-rsa'];
  await writeFile(
    path.join(dir, 'old', 'expired.pdf'),
    await addSignature(await makeBasePdf(), { signer: { cert: expired.cert, key: expired.key }, chainPem: pki.chainPem, fieldName: 'Cu' }),
  );
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kyso extend', () => {
  const files = ['kyso-bb.pdf', 'sub/kyso-bt.pdf', 'pdfsig-bb.pdf'];
  const before = new Map<string, Buffer>();

  it('B-LT: every file reaches B-LT per kyso verify; input bytes are a prefix; pdfsig, openssl ts and qpdf agree', async () => {
    for (const f of files) before.set(f, await readFile(path.join(archive, f)));
    // Before: a B-B signature is verifiable only while its signer's chain is valid (the leaf expires first).
    const leafEnd = await notAfter(pki.leaves['leader-rsa'].cert);
    expect((await verifyLevels(path.join(archive, 'kyso-bb.pdf'))).validUntil).toEqual([leafEnd]);
    const r = await runKyso(['extend', archive, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--in-place', ...trust(), '--json', ...cache()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const res = extendJson(r.stdout);
    expect(res.summary).toMatchObject({ files: 3, extended: 3 });
    for (const f of res.files) expect(f).toMatchObject({ status: 'extended', levelAfter: 'B-LT' });
    // B-B files got a document timestamp; the B-T one needed only the DSS.
    expect(res.files.find((f) => f.file.endsWith('kyso-bt.pdf'))!.added!.documentTimestamps).toBe(0);
    expect(res.files.find((f) => f.file.endsWith('kyso-bb.pdf'))!.added!.documentTimestamps).toBe(1);
    for (const f of files) {
      const p = path.join(archive, f);
      const now = await readFile(p);
      const old = before.get(f)!;
      expect(now.length).toBeGreaterThan(old.length);
      expect(now.subarray(0, old.length).equals(old), `${f}: input is a prefix of the output`).toBe(true);
      const v = await verifyLevels(p);
      expect(v.indication, f).toBe('TOTAL_PASSED');
      expect(v.levels, f).toEqual(['B-LT']);
      // After: the embedded data keeps it verifiable until the TSA certificate of its timestamp expires.
      expect(v.validUntil, f).toEqual([await notAfter(pki.tsa.cert)]);
      const ps = await pdfsig(p, pki.nssDir);
      const emb = await extractSignatures(p);
      ps.forEach((s, i) => {
        if (emb[i]?.subFilter !== 'ETSI.RFC3161') expect(s.valid, `${f}: pdfsig #${i + 1}\n${s.raw}`).toBe(true);
      });
      for (const e of emb.filter((x) => x.subFilter === 'ETSI.RFC3161')) expect((await opensslVerify(p, e, pki.chainPem)).ok, f).toBe(true);
      expect((await qpdfCheck(p)).ok, f).toBe(true);
      expect(now.toString('latin1')).toMatch(/\/VRI\s*<<\s*\/[0-9A-F]{40}/);
    }
  }, 120_000);

  it('a second run adds nothing', async () => {
    const snap = await Promise.all(files.map((f) => readFile(path.join(archive, f))));
    const r = await runKyso(['extend', archive, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--in-place', ...trust(), '--json', ...cache()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(extendJson(r.stdout).summary).toMatchObject({ files: 3, skipped: 3, extended: 0 });
    for (const [i, f] of files.entries()) expect((await readFile(path.join(archive, f))).equals(snap[i]!)).toBe(true);
  }, 60_000);

  it('B-LTA adds one document timestamp on top; --renew-before renews only within the margin', async () => {
    const r = await runKyso(['extend', path.join(archive, 'kyso-bb.pdf'), '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--in-place', ...trust(), '--json', ...cache()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(extendJson(r.stdout).files[0]).toMatchObject({ status: 'extended', levelBefore: 'B-LT', levelAfter: 'B-LTA' });
    const p = path.join(archive, 'kyso-bb.pdf');
    let v = await verifyLevels(p);
    expect(v.levels).toEqual(['B-LTA']);
    expect(v.types.filter((t) => t === 'timestamp')).toHaveLength(2);
    // The test TSA certificate is valid for ten years: a 1-year margin leaves it alone, 11 years renews.
    const keep = await runKyso(['extend', p, '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--in-place', '--renew-before', '1y', ...trust(), '--json', ...cache()]);
    expect(extendJson(keep.stdout).files[0]!.status).toBe('skipped');
    const renew = await runKyso(['extend', p, '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--in-place', '--renew-before', '11y', ...trust(), '--json', ...cache()]);
    expect(renew.code, renew.stdout + renew.stderr).toBe(0);
    expect(extendJson(renew.stdout).files[0]).toMatchObject({ status: 'extended', renewed: true, levelAfter: 'B-LTA' });
    v = await verifyLevels(p);
    expect(v.types.filter((t) => t === 'timestamp')).toHaveLength(3);
    expect(v.indication).toBe('TOTAL_PASSED');
  }, 120_000);

  it('--renew-before: a B-LTA file whose archive timestamp comes from a short-lived TSA certificate is renewed by another TSA', async () => {
    const short = await startShortLivedTsa(path.join(dir, 'short-tsa'));
    try {
      const p = path.join(dir, 'renew.pdf');
      await copyFile(path.join(archive, 'pdfsig-bb.pdf'), p);
      const lta = await runKyso(['extend', p, '--level', 'B-LTA', '--tsa', short.url, '--in-place', ...trust(), '--json', ...cache()]);
      expect(lta.code, lta.stdout + lta.stderr).toBe(0);
      const first = extendJson(lta.stdout).files[0] as unknown as { archiveTimestampExpiry: string };
      // The archive timestamp's TSA certificate ends within 30 days.
      expect(new Date(first.archiveTimestampExpiry).getTime() - Date.now()).toBeLessThan(31 * 86_400_000);
      const far = await runKyso(['extend', p, '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--in-place', '--renew-before', '7d', ...trust(), '--json', ...cache()]);
      expect(extendJson(far.stdout).files[0]!.status, far.stdout).toBe('skipped');
      const near = await runKyso(['extend', p, '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--in-place', '--renew-before', '2m', ...trust(), '--json', ...cache()]);
      expect(near.code, near.stdout + near.stderr).toBe(0);
      const r = extendJson(near.stdout).files[0] as unknown as { status: string; renewed: boolean; archiveTimestampExpiry: string };
      expect(r).toMatchObject({ status: 'extended', renewed: true });
      expect(r.archiveTimestampExpiry).toBe(await notAfter(pki.tsa.cert));
      const v = await verifyLevels(p);
      expect(v.levels).toEqual(['B-LTA']);
      expect(v.types.filter((t) => t === 'timestamp')).toHaveLength(3);
      // And once renewed, a second run with the same margin adds nothing.
      const again = await runKyso(['extend', p, '--level', 'B-LTA', '--tsa', pki.urls.tsa, '--in-place', '--renew-before', '2m', ...trust(), '--json', ...cache()]);
      expect(extendJson(again.stdout).files[0]!.status).toBe('skipped');
    } finally {
      await short.close();
    }
  }, 180_000);

  it('pdfsig-made and kyso-made B-B in one folder: B-LT then B-LTA; extend and verify agree on each level; pdfsig still valid; byte prefix', async () => {
    const mixed = path.join(dir, 'mixed');
    const names = ['kyso-bb.pdf', 'pdfsig-bb.pdf'];
    const orig = new Map<string, Buffer>();
    for (const n of names) orig.set(n, await readFile(path.join(mixed, n)));
    for (const level of ['B-LT', 'B-LTA'] as const) {
      const r = await runKyso(['extend', mixed, '--level', level, '--tsa', pki.urls.tsa, '--in-place', ...trust(), '--json', ...cache()]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const res = extendJson(r.stdout);
      expect(res.summary, r.stdout).toMatchObject({ files: 2, extended: 2 });
      for (const n of names) {
        const p = path.join(mixed, n);
        const f = res.files.find((x) => x.file.endsWith(n))!;
        const v = await verifyLevels(p);
        expect(v.indication, `${n} after ${level}`).toBe('TOTAL_PASSED');
        expect(v.levels, `${n}: kyso verify after --level ${level}`).toEqual([level]);
        expect(f.levelAfter, `${n}: kyso extend says what kyso verify says`).toBe(v.levels[0]);
        const now = await readFile(p);
        expect(now.subarray(0, orig.get(n)!.length).equals(orig.get(n)!), `${n}: input is a prefix of the output`).toBe(true);
        const ps = await pdfsig(p, pki.nssDir);
        const emb = await extractSignatures(p);
        expect(emb.filter((e) => e.subFilter === 'ETSI.RFC3161')).toHaveLength(level === 'B-LT' ? 1 : 2);
        ps.forEach((s, i) => {
          if (emb[i]?.subFilter !== 'ETSI.RFC3161') expect(s.valid, `${n}: pdfsig #${i + 1}\n${s.raw}`).toBe(true);
        });
      }
    }
  }, 180_000);

  it('the DSS holds each OCSP responder certificate and its issuers: openssl checks every embedded OCSP answer offline from the DSS alone', async () => {
    const p = path.join(dir, 'mixed', 'pdfsig-bb.pdf');
    const dss = await dssContents(p);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const derOf = async (pem: string) => new Uint8Array(new X509Certificate(await readFile(pem)).raw);
    const have = new Set(dss.certs.map(sha));
    expect(dss.ocsps.length).toBeGreaterThan(0);
    for (const [what, pem] of [
      ['OCSP responder', pki.ocspSigner.cert],
      ['its issuer', pki.inter.cert],
      ['the root', pki.root.cert],
    ] as const)
      expect(have.has(sha(await derOf(pem))), `${what} in the DSS /Certs`).toBe(true);
    // -no_intern: the responder's certificate must come from the DSS (-verify_other), not from the answer.
    const work = path.join(dir, 'ocsp-offline');
    await mkdir(work, { recursive: true });
    const certsPem = path.join(work, 'dss-certs.pem');
    await writeFile(certsPem, dss.certs.map((d) => new X509Certificate(d).toString()).join(''));
    for (const [i, der] of dss.ocsps.entries()) {
      const f = path.join(work, `${i}.der`);
      await writeFile(f, der);
      const r = await run('openssl', ['ocsp', '-respin', f, '-CAfile', pki.root.cert, '-verify_other', certsPem, '-no_intern', '-resp_text']).catch((e: { stdout: string; stderr: string }) => e);
      expect(r.stderr + r.stdout, `DSS OCSP answer #${i + 1}`).toMatch(/Response verify OK/);
    }
    // The verifier, offline (no revocation fetching), still reads the file at its level.
    const v = await runKyso(['verify', p, ...trust(), '--revocation', 'off', '--json', ...cache()]);
    const sigs = JSON.parse(v.stdout).result.files[0].signatures as Array<{ type: string; level: string; indication: string }>;
    expect(sigs.filter((s) => s.type === 'signature').map((s) => s.level)).toEqual(['B-LTA']);
  }, 60_000);

  it('revocation data in the DSS is fetched afresh: an answer cached before a B-T signature was made does not end up in its DSS', async () => {
    const work = path.join(dir, 'fresh');
    await mkdir(work);
    const base = path.join(dir, 'base.pdf');
    // Fill the cache with the signer's OCSP answer, then sign with a timestamp that comes after it.
    expect((await runKyso(['verify', path.join(dir, 'mixed', 'kyso-bb.pdf'), ...trust(), '--json', ...cache()])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 2100)); // OCSP producedAt and the TSA's genTime have whole seconds
    const p = path.join(work, 'bt.pdf');
    const s = await runKyso(['sign', base, '-o', p, '--p12', pki.leaves['leader-rsa'].p12, '--level', 'B-T', '--tsa', pki.urls.tsa], { env: { KYSO_P12_PASSWORD: pki.password } });
    expect(s.code, s.stderr).toBe(0);
    const r = await runKyso(['extend', p, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--in-place', ...trust(), '--json', ...cache()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(extendJson(r.stdout).files[0]).toMatchObject({ status: 'extended', levelAfter: 'B-LT' });
    expect((await verifyLevels(p)).levels).toEqual(['B-LT']);
  }, 60_000);

  it('a tampered file is refused (exit 1) and left alone', async () => {
    const p = path.join(dir, 'bad', 'tampered.pdf');
    const old = await readFile(p);
    const r = await runKyso(['extend', path.join(dir, 'bad'), '--level', 'B-LT', '--tsa', pki.urls.tsa, '--in-place', ...trust(), '--json', ...cache()]);
    expect(r.code).toBe(1);
    expect(extendJson(r.stdout).files[0]).toMatchObject({ status: 'refused', reason: { code: 'EXTEND_SIGNATURE_FAILED' } });
    expect((await readFile(p)).equals(old)).toBe(true);
  }, 60_000);

  it('an expired signer without proof of existence is skipped (exit 3) unless --accept-indeterminate, which extends it and records that choice', async () => {
    const src = path.join(dir, 'old');
    const out = path.join(dir, 'old-out');
    const r = await runKyso(['extend', src, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--out-dir', out, ...trust(), '--json', ...cache()]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(extendJson(r.stdout).files[0]).toMatchObject({ status: 'indeterminate', acceptedIndeterminate: false, reason: { code: 'EXTEND_INDETERMINATE' } });
    expect(existsSync(path.join(out, 'expired.pdf'))).toBe(false);
    const a = await runKyso(['extend', src, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--out-dir', out, '--accept-indeterminate', ...trust(), '--json', ...cache()]);
    // The user's choice: extended (document timestamp + DSS keep the evidence there is), not exit 3.
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const res = extendJson(a.stdout);
    expect(res.summary).toMatchObject({ files: 1, extended: 1, indeterminate: 0, acceptedIndeterminate: 1 });
    const f = res.files[0]!;
    expect(f, a.stdout).toMatchObject({ status: 'extended', acceptedIndeterminate: true, reason: null });
    expect(f.added).toMatchObject({ documentTimestamps: 1 });
    expect(f.warnings.join('\n')).toMatch(/--accept-indeterminate/);
    const p = path.join(out, 'expired.pdf');
    const old = await readFile(path.join(src, 'expired.pdf'));
    expect((await readFile(p)).subarray(0, old.length).equals(old)).toBe(true);
    expect((await dssContents(p)).ocsps.length + (await dssContents(p)).crls.length).toBeGreaterThan(0);
    // The verifier still cannot confirm the signature: a timestamp made now proves only a time after the
    // certificate expired, which says nothing about when it was signed (EN 319 102-1 §5.6.2.4), so the copy
    // verifies INDETERMINATE / OUT_OF_BOUNDS_NO_POE as the input did. Never TOTAL_PASSED: nothing is laundered.
    const v = JSON.parse((await runKyso(['verify', p, ...trust(), '--json', ...cache()])).stdout).result.files[0];
    const sig = v.signatures.find((s: { type: string }) => s.type === 'signature');
    expect(v.indication).toBe('INDETERMINATE');
    expect(`${sig.indication}:${sig.subIndication}`).toBe('INDETERMINATE:OUT_OF_BOUNDS_NO_POE');
    expect(f.levelAfter).toBe(sig.level);
    // The text report says so too, in both languages.
    const again = await runKyso(['extend', src, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--out-dir', path.join(dir, 'old-out-text'), '--accept-indeterminate', '--lang', 'en', ...trust(), ...cache()]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/expired\.pdf: extended although a signature cannot be confirmed \(--accept-indeterminate/);
    expect(again.stdout).toMatch(/1 extended \(1 INDETERMINATE, accepted with --accept-indeterminate\)/);
    const vi = await runKyso(['extend', src, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--out-dir', path.join(dir, 'old-out-vi'), '--accept-indeterminate', '--lang', 'vi', ...trust(), ...cache()]);
    expect(vi.stdout).toMatch(/đã gia hạn dù chữ ký chưa xác định được \(--accept-indeterminate/);
    // A second accepted run on the extended copy adds nothing.
    const snap = await readFile(p);
    const rep = await runKyso(['extend', out, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--in-place', '--accept-indeterminate', ...trust(), '--json', ...cache()]);
    expect(extendJson(rep.stdout).files[0], rep.stdout).toMatchObject({ status: 'skipped' });
    expect((await readFile(p)).equals(snap)).toBe(true);
  }, 120_000);

  it('usage: --tsa and one of --in-place/--out-dir are required', async () => {
    expect((await runKyso(['extend', archive, '--level', 'B-LT', '--in-place'])).code).toBe(2);
    expect((await runKyso(['extend', archive, '--level', 'B-LT', '--tsa', pki.urls.tsa])).code).toBe(2);
    expect((await runKyso(['extend', archive, '--level', 'B-LT', '--tsa', pki.urls.tsa, '--in-place', '--renew-before', '6w'])).code).toBe(2);
  });
});

/**
 * A second TSA on 127.0.0.1 whose certificate (issued by the test Issuing CA) is valid for 30 days only, with
 * a CRL distribution point (no OCSP: the test responder only knows the certificates of the PKI's database).
 */
async function startShortLivedTsa(work: string): Promise<{ url: string; close(): Promise<void> }> {
  await mkdir(work, { recursive: true });
  const key = path.join(work, 'tsa.key');
  const csr = path.join(work, 'tsa.csr');
  const pem = path.join(work, 'tsa.pem');
  const ext = path.join(work, 'ext.cnf');
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/C=VN/O=Kyso Test PKI/CN=Kyso Short-lived TSA', '-out', csr]);
  await writeFile(
    ext,
    ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,timeStamping', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', `crlDistributionPoints=URI:${pki.urls.crl}`, `authorityInfoAccess=caIssuers;URI:${pki.urls.caIssuers}/inter.cer`].join('\n'),
  );
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', pki.inter.cert, '-CAkey', pki.inter.key, '-CAcreateserial', '-days', '30', '-sha256', '-extfile', ext, '-out', pem]);
  await writeFile(path.join(work, 'serial'), '01\n');
  const cnf = path.join(work, 'tsa.cnf');
  await writeFile(
    cnf,
    `[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = ${work}/serial\nsigner_cert = ${pem}\ncerts = ${pki.chainPem}\nsigner_key = ${key}\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1.1\ndigests = sha256, sha384, sha512\naccuracy = secs:1\ness_cert_id_alg = sha256\n`,
  );
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = ++n;
      const q = path.join(work, `${id}.tsq`);
      const a = path.join(work, `${id}.tsr`);
      void writeFile(q, Buffer.concat(chunks))
        .then(() => run('openssl', ['ts', '-reply', '-config', cnf, '-queryfile', q, '-out', a]))
        .then(() => readFile(a))
        .then((body) => {
          res.setHeader('content-type', 'application/timestamp-reply');
          res.end(body);
        })
        .catch((e: unknown) => {
          res.statusCode = 500;
          res.end(String(e));
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/tsa`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
