/**
 * Remote signing through the real CLI against loopback stand-ins of VNPT SmartCA (SP769), Viettel MySign
 * and a CSC v2 service (test/remote/servers.ts) holding real test keys. The phone approval is played by the
 * servers' admin endpoint.
 */
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { KYSO_BIN, runKyso } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { getPki } from '../helpers/pki.js';
import { onTerminal } from '../helpers/terminal.js';
import { judge, pdfsig, qpdfCheck } from '../sign/validators.js';
import { act, setFault, startCsc, startViettel, startVnpt, type FakeProvider } from './servers.js';

const pki = getPki();
let dir: string;
let xdg: string;
let src: string;
let vnpt: FakeProvider;
let vt: FakeProvider;
let csc: FakeProvider;
let cscEc: FakeProvider;
const SECRETS = { T_VNPT_SECRET: 'sp-secret-769', T_VT_SECRET: 'vt-client-secret', T_CSC_SECRET: 'csc-client-secret', T_WRONG: 'not-the-secret' };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-remote-'));
  await mkdir(path.join(dir, 'samples'));
  const samples = await makeSamplePdfs(path.join(dir, 'samples'));
  src = path.join(dir, 'cong-van.pdf');
  await copyFile(samples.simple, src);
  const certs = (leaf: string) => [leaf, pki.inter.certDer, pki.root.certDer];
  vnpt = await startVnpt({ key: pki.leaves['leader-rsa'].key, certs: certs(pki.leaves['leader-rsa'].certDer) }, { spId: '0001-kyso.apps.smartcaapi.com', spPassword: SECRETS.T_VNPT_SECRET, userId: '001099012345' });
  vt = await startViettel({ key: pki.leaves['secretary-rsa'].key, certs: certs(pki.leaves['secretary-rsa'].certDer) }, { clientId: 'kyso-client', clientSecret: SECRETS.T_VT_SECRET, userId: 'CMT_001099012345' });
  csc = await startCsc({ key: pki.leaves['org-rsa'].key, certs: certs(pki.leaves['org-rsa'].certDer) }, { clientId: 'kyso', clientSecret: SECRETS.T_CSC_SECRET, multisign: 4 });
  cscEc = await startCsc({ key: pki.leaves['deputy-ec384'].key, certs: certs(pki.leaves['deputy-ec384'].certDer) }, { clientId: 'kyso', clientSecret: SECRETS.T_CSC_SECRET, multisign: 10, ecFormat: 'p1363' });
  xdg = path.join(dir, 'xdg');
  await mkdir(path.join(xdg, 'kyso'), { recursive: true });
  const fast = { pollIntervalMs: 40, approvalTimeoutSec: 60 };
  const secretFile = path.join(dir, 'vnpt.secret');
  await writeFile(secretFile, `${SECRETS.T_VNPT_SECRET}\n`);
  await chmod(secretFile, 0o600);
  const openFile = path.join(dir, 'open.secret');
  await writeFile(openFile, `${SECRETS.T_VNPT_SECRET}\n`);
  await chmod(openFile, 0o644);
  const vnptProfile = { adapter: 'vnpt-smartca', endpoint: `${vnpt.url}/sca/sp769`, clientId: '0001-kyso.apps.smartcaapi.com', secretEnv: 'T_VNPT_SECRET', userId: '001099012345', ...fast };
  const vtProfile = { adapter: 'viettel-mysign', endpoint: vt.url, clientId: 'kyso-client', secretEnv: 'T_VT_SECRET', userId: 'CMT_001099012345', ...fast };
  const cscProfile = { adapter: 'csc', endpoint: `${csc.url}/csc/v2`, clientId: 'kyso', secretEnv: 'T_CSC_SECRET', ...fast };
  await writeFile(
    path.join(xdg, 'kyso', 'config.json'),
    JSON.stringify({
      remoteProfiles: {
        'lanh-dao': vnptProfile,
        'vnpt-file': { ...vnptProfile, secretEnv: undefined, secretFile },
        'vnpt-open-file': { ...vnptProfile, secretEnv: undefined, secretFile: openFile },
        'vnpt-wrong-user': { ...vnptProfile, userId: '999999999999' },
        'vnpt-wrong-sp': { ...vnptProfile, secretEnv: 'T_WRONG' },
        'vnpt-short': { ...vnptProfile, approvalTimeoutSec: 1 },
        mysign: vtProfile,
        'mysign-wrong-user': { ...vtProfile, userId: 'CMT_000' },
        'mysign-wrong-client': { ...vtProfile, secretEnv: 'T_WRONG' },
        csc: cscProfile,
        'csc-ec': { ...cscProfile, endpoint: `${cscEc.url}/csc/v2` },
        'csc-wrong-client': { ...cscProfile, secretEnv: 'T_WRONG' },
        'not-https': { ...vnptProfile, endpoint: 'http://signer.example.vn/sca/sp769' },
      },
    }),
  );
  env = { XDG_CONFIG_HOME: xdg, ...SECRETS };
});

afterAll(async () => {
  await Promise.all([vnpt?.close(), vt?.close(), csc?.close(), cscEc?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const kyso = (args: string[], extraEnv: Record<string, string> = {}) => runKyso(args, { env: { ...env, ...extraEnv }, cwd: dir, timeoutMs: 120_000 });

/** Runs kyso and plays the signer on the phone; if kyso ends before asking, its output says why. */
async function withApproval(args: string[], server: FakeProvider, action: 'approve' | 'decline' | 'expire', count?: number) {
  const run = kyso(args);
  let ended = false;
  void run.then(() => (ended = true));
  const acted = act(server, action, { count, timeoutMs: 60_000, stop: () => ended });
  const r = await run;
  if (!(await acted)) throw new Error(`kyso ended before the approval (exit ${r.code}): ${r.stderr}`);
  return r;
}

async function verifyAll(files: string[]): Promise<{ code: number | null; passed: number; out: string }> {
  const r = await runKyso(['verify', ...files, '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--lang', 'en'], { timeoutMs: 120_000 });
  return { code: r.code, passed: (r.stdout.match(/: TOTAL_PASSED/g) ?? []).length, out: r.stdout + r.stderr };
}

/** No request carried the document: no PDF header, no slice of the file in any encoding, only small bodies. */
async function assertOnlyDigests(p: FakeProvider, pdf: string): Promise<void> {
  const bytes = await readFile(pdf);
  const slice = bytes.subarray(200, 248);
  for (const b of p.bodies) {
    expect(b).not.toContain('%PDF');
    expect(b).not.toContain(slice.toString('base64'));
    expect(b).not.toContain(slice.toString('hex'));
    expect(b.length).toBeLessThan(32_768);
  }
}

async function noOutputs(d: string): Promise<string[]> {
  return (await readdir(d)).filter((f) => f.startsWith('out') || f.includes('.kyso-tmp-'));
}

describe.sequential('remote signing, one document per provider', () => {
  for (const [profile, name] of [
    ['lanh-dao', 'vnpt'],
    ['mysign', 'viettel'],
    ['csc', 'csc'],
  ] as const) {
    it(`${name}: one approval, the output passes pdfsig, qpdf, openssl and kyso verify; only a digest was sent`, async () => {
      const server = { vnpt, viettel: vt, csc }[name] as FakeProvider;
      const out = path.join(dir, `${name}-signed.pdf`);
      const r = await withApproval(['sign', src, '-o', out, '--remote', profile, '--json'], server, 'approve');
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.result.files[0].output).toBeDefined();
      expect(j.result.remote.transactions).toHaveLength(1);
      expect(j.result.remote.transactions[0]).toMatchObject({ state: 'signed', documents: 1 });
      expect(server.txs.has(j.result.remote.transactions[0].id)).toBe(true);
      expect(r.stderr).toMatch(/Open the .* app to approve transaction .* \(1 document\)/);
      expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
      const v = await verifyAll([out]);
      expect(v.code, v.out).toBe(0);
      expect(v.passed).toBe(1);
      await assertOnlyDigests(server, src);
    });
  }

  it('a banner before %PDF-: signed as a clean copy from the header on, said on stderr, as with a local key', async () => {
    const banner = path.join(dir, 'banner.pdf');
    await writeFile(banner, Buffer.concat([Buffer.from('X-Mailer: gateway\r\n\r\n'), await readFile(src)]));
    const out = path.join(dir, 'banner-signed.pdf');
    const r = await withApproval(['sign', banner, '-o', out, '--remote', 'lanh-dao', '--lang', 'en'], vnpt, 'approve');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('banner.pdf: the 21 byte(s) before the %PDF- header (a mail-gateway banner?) are left out');
    expect((await readFile(out)).subarray(0, 5).toString()).toBe('%PDF-');
    expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
  });

  it('a file whose name is not UTF-8 (Latin-1 bytes): signed remotely under the same name bytes, named escaped', async () => {
    const d = path.join(dir, 'latin1-in');
    const out = path.join(dir, 'latin1-out');
    await mkdir(d);
    await mkdir(out);
    const name = Buffer.from('v\xe3n b\xe3n.pdf', 'latin1');
    await copyFile(src, Buffer.concat([Buffer.from(`${d}/`), name]));
    const r = await withApproval(['sign', d, '--out-dir', out, '--remote', 'lanh-dao', '--json'], vnpt, 'approve');
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.stdout).result.files as { input: string; output: string }[];
    expect(files.map((f) => [f.input, f.output])).toEqual([[path.join(d, 'v\\xe3n b\\xe3n.pdf'), path.join(out, 'v\\xe3n b\\xe3n.pdf')]]);
    expect((await readdir(out, { encoding: 'buffer' })).map((n) => n.toString('hex'))).toEqual([name.toString('hex')]);
    // the judges get a UTF-8 name for the same file (a hard link)
    const alias = path.join(dir, 'latin1-alias.pdf');
    await link(Buffer.concat([Buffer.from(`${out}/`), name]), alias);
    expect(await judge(alias, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
  });

  it('several empty signature fields at a terminal: the clerk picks one before the request goes out, as without --remote', async () => {
    const { preparedFieldsPdf } = await import('../../bench/real-world-pdfs.mjs');
    const two = path.join(dir, 'two-fields.pdf');
    await writeFile(two, preparedFieldsPdf(['LanhDao', 'VanThu']));
    const out = path.join(dir, 'two-fields-signed.pdf');
    const before = vnpt.bodies.length;
    let ended = false;
    const run = onTerminal(['sign', two, '-o', out, '--remote', 'lanh-dao', '--lang', 'en'], [{ waitFor: 'Sign which field? (1-2 or its name, Enter to stop): ', type: '2' }], dir, env);
    void run.then(() => (ended = true));
    const acted = act(vnpt, 'approve', { timeoutMs: 60_000, stop: () => ended });
    const r = await run;
    expect(await acted, r.screen).toBe(true);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('2) VanThu (page 1)');
    const sigs = await pdfsig(out, pki.nssDir);
    expect(sigs.map((x) => [x.field, x.valid])).toEqual([
      ['LanhDao', false],
      ['VanThu', true],
    ]);
    // nothing went to the provider before the answer, and only digests after it
    expect(vnpt.bodies.length).toBeGreaterThan(before);
    await assertOnlyDigests(vnpt, out);
  });

  it('csc with an ECDSA P-384 key and --hash sha384, values returned as r‖s: converted to DER, valid', async () => {
    const out = path.join(dir, 'csc-ec-signed.pdf');
    const r = await withApproval(['sign', src, '-o', out, '--remote', 'csc-ec', '--hash', 'sha384'], cscEc, 'approve');
    expect(r.code, r.stderr).toBe(0);
    expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
    expect((await verifyAll([out])).passed).toBe(1);
    const auth = cscEc.bodies.map((b) => (b.startsWith('{') ? JSON.parse(b) : {})).find((b) => b.numSignatures);
    expect(auth.hashAlgorithmOID).toBe('2.16.840.1.101.3.4.2.2');
  });

  it('kyso remote certs lists the signer certificate of each provider (table in Vietnamese, or JSON)', async () => {
    const t = await kyso(['remote', 'certs', '--remote', 'lanh-dao', '--lang', 'vi']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('Nguyễn Thúy Hằng');
    expect(t.stdout).toContain('serial-1');
    for (const profile of ['mysign', 'csc']) {
      const r = await kyso(['remote', 'certs', '--remote', profile, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const certs = JSON.parse(r.stdout).result.certificates;
      expect(certs).toHaveLength(1);
      expect(certs[0].chainLength).toBe(2);
    }
  });
});

describe.sequential('a batch of 40 documents with one approval', () => {
  it('vnpt: 40 digests in one sign_files transaction; every output passes the judges and kyso verify', async () => {
    const inDir = path.join(dir, 'batch-in');
    const outDir = path.join(dir, 'batch-out');
    await mkdir(inDir);
    await mkdir(outDir);
    for (let i = 1; i <= 40; i++) await copyFile(src, path.join(inDir, `van-ban-${String(i).padStart(2, '0')}.pdf`));
    const before = vnpt.txs.size;
    const r = await withApproval(['sign', inDir, '--out-dir', outDir, '--remote', 'lanh-dao', '--lang', 'vi'], vnpt, 'approve', 40);
    expect(r.code, r.stderr).toBe(0);
    expect(vnpt.txs.size - before).toBe(1); // one transaction, one approval
    expect(r.stderr).toMatch(/Mở ứng dụng VNPT SmartCA để xác nhận giao dịch \S+ \(40 văn bản\), còn \d:\d\d/);
    const outs = (await readdir(outDir)).sort().map((f) => path.join(outDir, f));
    expect(outs).toHaveLength(40);
    // pdfsig (signature + trust) and qpdf (structure) on every output; openssl's CMS check on the first
    for (const o of outs) {
      const ps = await pdfsig(o, pki.nssDir);
      expect(ps.map((x) => x.valid && x.trusted), o).toEqual([true]);
      expect((await qpdfCheck(o)).ok, o).toBe(true);
    }
    expect(await judge(outs[0]!, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
    const v = await verifyAll(outs);
    expect(v.code, v.out).toBe(0);
    expect(v.passed).toBe(40);
    await assertOnlyDigests(vnpt, src);
  }, 240_000);

  it('csc: multisign 4 splits 6 documents into 2 authorizations, all submitted before waiting', async () => {
    const inDir = path.join(dir, 'csc-in');
    const outDir = path.join(dir, 'csc-out');
    await mkdir(inDir);
    await mkdir(outDir);
    for (let i = 1; i <= 6; i++) await copyFile(src, path.join(inDir, `d${i}.pdf`));
    const before = csc.txs.size;
    const r = await withApproval(['sign', inDir, '--out-dir', outDir, '--remote', 'csc', '--json'], csc, 'approve', 6);
    expect(r.code, r.stderr).toBe(0);
    expect(csc.txs.size - before).toBe(2);
    expect(JSON.parse(r.stdout).result.remote.transactions.map((t: { documents: number }) => t.documents)).toEqual([4, 2]);
    const outs = (await readdir(outDir)).map((f) => path.join(outDir, f));
    expect(outs).toHaveLength(6);
    expect((await verifyAll(outs)).passed).toBe(6);
  }, 120_000);
});

describe.sequential('B-T and B-LT with a remote signer', () => {
  for (const level of ['B-T', 'B-LT'] as const) {
    it(`mysign --level ${level}: time-stamp (and DSS) as with a token`, async () => {
      const out = path.join(dir, `mysign-${level}.pdf`);
      const r = await withApproval(['sign', src, '-o', out, '--remote', 'mysign', '--level', level, '--tsa', pki.urls.tsa, '--json'], vt, 'approve');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).result.files[0].level).toBe(level);
      const text = await readFile(out, 'latin1');
      if (level === 'B-LT') expect(text).toMatch(/\/OCSPs\s*\[/);
      expect(await judge(out, { nssDir: pki.nssDir, rootPem: pki.root.cert })).toEqual([]);
      expect((await verifyAll([out])).passed).toBe(1);
    });
  }
});

describe.sequential('failures: documented exit code and message, no output file', () => {
  const cases: {
    name: string;
    profile: string;
    server: () => FakeProvider;
    action?: 'approve' | 'decline' | 'expire';
    fault?: Parameters<typeof setFault>[1];
    code: number;
    error: string;
    message: RegExp;
  }[] = [
    { name: 'vnpt declined', profile: 'lanh-dao', server: () => vnpt, action: 'decline', code: 4, error: 'REMOTE_DECLINED', message: /declined transaction/ },
    { name: 'vnpt expired (provider)', profile: 'lanh-dao', server: () => vnpt, action: 'expire', code: 6, error: 'REMOTE_EXPIRED', message: /not approved in time/ },
    { name: 'vnpt expired (local approval window)', profile: 'vnpt-short', server: () => vnpt, code: 6, error: 'REMOTE_EXPIRED', message: /not approved in time/ },
    { name: 'vnpt wrong user', profile: 'vnpt-wrong-user', server: () => vnpt, code: 4, error: 'REMOTE_AUTH_REJECTED', message: /refused the credentials/ },
    { name: 'vnpt integrator secret rejected', profile: 'vnpt-wrong-sp', server: () => vnpt, code: 4, error: 'REMOTE_AUTH_REJECTED', message: /refused the credentials/ },
    { name: 'vnpt signature over a different digest', profile: 'lanh-dao', server: () => vnpt, action: 'approve', fault: 'wrong-digest', code: 4, error: 'REMOTE_SIGNATURE_MISMATCH', message: /does not verify/ },
    { name: 'mysign declined', profile: 'mysign', server: () => vt, action: 'decline', code: 4, error: 'REMOTE_DECLINED', message: /declined/ },
    { name: 'mysign expired (4001)', profile: 'mysign', server: () => vt, action: 'expire', code: 6, error: 'REMOTE_EXPIRED', message: /not approved in time/ },
    { name: 'mysign wrong user (58008)', profile: 'mysign-wrong-user', server: () => vt, code: 4, error: 'REMOTE_AUTH_REJECTED', message: /58008/ },
    { name: 'mysign 5xx while polling', profile: 'mysign', server: () => vt, fault: 'poll-5xx', code: 6, error: 'REMOTE_SERVER_ERROR', message: /HTTP 503/ },
    { name: 'csc declined (access_denied)', profile: 'csc', server: () => csc, action: 'decline', code: 4, error: 'REMOTE_DECLINED', message: /declined/ },
    { name: 'csc client rejected (401 invalid_client)', profile: 'csc-wrong-client', server: () => csc, code: 4, error: 'REMOTE_AUTH_REJECTED', message: /invalid_client/ },
    { name: 'csc connection dropped while polling', profile: 'csc', server: () => csc, fault: 'poll-drop', code: 6, error: 'REMOTE_UNREACHABLE', message: /could not be reached/ },
    { name: 'csc signature over a different digest', profile: 'csc', server: () => csc, action: 'approve', fault: 'wrong-digest', code: 4, error: 'REMOTE_SIGNATURE_MISMATCH', message: /does not verify/ },
  ];
  for (const c of cases) {
    it(`${c.name} → exit ${c.code} (${c.error})`, async () => {
      const d = await mkdtemp(path.join(dir, 'fail-'));
      const out = path.join(d, 'out.pdf');
      // a transaction left pending by an earlier case must not be the one acted on
      for (const p of [vnpt, vt, csc]) for (const t of p.txs.values()) if (t.state === 'pending') t.state = 'expired';
      if (c.fault) await setFault(c.server(), c.fault);
      try {
        const args = ['sign', src, '-o', out, '--remote', c.profile, '--json', '--lang', 'en'];
        const r = c.action ? await withApproval(args, c.server(), c.action) : await kyso(args);
        expect(r.code, r.stderr).toBe(c.code);
        const j = JSON.parse(r.stdout);
        expect(j.ok).toBe(false);
        // refused before any file was prepared: the command's error; otherwise each file's
        expect(j.result?.files[0].error.code ?? j.error.code).toBe(c.error);
        expect(r.stderr).toMatch(c.message);
        expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
        for (const s of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(s);
        expect(existsSync(out)).toBe(false);
        expect(await noOutputs(d)).toEqual([]);
      } finally {
        if (c.fault) await setFault(c.server(), null);
      }
    });
  }

  it('Ctrl-C while waiting for the approval: exit 130, no output, the prepared temp file removed', async () => {
    const d = await mkdtemp(path.join(dir, 'int-'));
    const out = path.join(d, 'out.pdf');
    for (const p of [vnpt, vt, csc]) for (const t of p.txs.values()) if (t.state === 'pending') t.state = 'expired';
    const child = spawn(process.execPath, [KYSO_BIN, 'sign', src, '-o', out, '--remote', 'lanh-dao'], { env: { ...process.env, ...env, LANG: 'C.UTF-8' }, cwd: dir });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (x) => (stderr += x));
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    const until = Date.now() + 60_000;
    while (![...vnpt.txs.values()].some((t) => t.state === 'pending') || !stderr.includes('approve transaction')) {
      if (Date.now() > until) throw new Error(`no pending transaction: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await readdir(d)).some((f) => f.includes('.kyso-tmp-'))).toBe(true); // prepared, waiting
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(d)).toEqual([]);
  });

  it('SIGTERM / Ctrl-C while a remote batch waits for the approval: the same report as a local batch (JSON envelope, summary), nothing written', async () => {
    for (const [signal, json] of [['SIGTERM', true], ['SIGINT', false]] as const) {
      const d = await mkdtemp(path.join(dir, 'int-batch-'));
      const inDir = path.join(d, 'in');
      const outDir = path.join(d, 'out');
      await mkdir(inDir);
      await mkdir(outDir);
      for (let i = 1; i <= 3; i++) await copyFile(src, path.join(inDir, `d${i}.pdf`));
      await writeFile(path.join(inDir, 'note.pdf'), 'not a pdf\n');
      for (const t of vnpt.txs.values()) if (t.state === 'pending') t.state = 'expired';
      const args = ['sign', inDir, '--out-dir', outDir, '--remote', 'lanh-dao', ...(json ? ['--json'] : [])];
      const child = spawn(process.execPath, [KYSO_BIN, ...args], { env: { ...process.env, ...env, LANG: 'C.UTF-8' }, cwd: dir });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (x) => (stdout += x));
      child.stderr.setEncoding('utf8').on('data', (x) => (stderr += x));
      const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      const until = Date.now() + 30_000;
      while (![...vnpt.txs.values()].some((t) => t.state === 'pending') || !stderr.includes('approve transaction')) {
        if (Date.now() > until) throw new Error(`no pending transaction: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect((await readdir(outDir, { recursive: true })).some((f) => f.includes('.kyso-tmp-'))).toBe(true); // prepared, waiting
      child.kill(signal);
      expect(await closed).toBe(signal === 'SIGTERM' ? 143 : 130);
      expect(existsSync(outDir) ? (await readdir(outDir)).filter((f) => f.endsWith('.pdf') || f.includes('.kyso-tmp-')) : []).toEqual([]);
      expect(stderr).toContain(`interrupted (${signal})`);
      expect(stderr).toMatch(/Signed 0 of 4 file\(s\) \(1 failed, 3 not signed\)/);
      if (json) {
        const j = JSON.parse(stdout);
        expect(j).toMatchObject({ schemaVersion: 1, ok: false, error: { code: 'INTERRUPTED' }, result: { interrupted: { signal, exitCode: 143 } } });
        const files = j.result.files as { input: string; error?: { code: string } }[];
        expect(files.map((f) => f.error?.code).sort()).toEqual(['INPUT_NOT_PDF', 'NOT_SIGNED_INTERRUPTED', 'NOT_SIGNED_INTERRUPTED', 'NOT_SIGNED_INTERRUPTED'].sort());
        expect(files.filter((f) => f.error?.code === 'NOT_SIGNED_INTERRUPTED').map((f) => path.basename(f.input)).sort()).toEqual(['d1.pdf', 'd2.pdf', 'd3.pdf']);
      } else expect(stdout).toBe('');
      // the abandoned transaction must not be taken for the next test's
      for (const t of vnpt.txs.values()) if (t.state === 'pending') t.state = 'expired';
    }
  }, 120_000);

  it('a declined 3-document batch writes nothing at all', async () => {
    const inDir = path.join(dir, 'decl-in');
    const outDir = path.join(dir, 'decl-out');
    await mkdir(inDir);
    await mkdir(outDir);
    for (let i = 1; i <= 3; i++) await copyFile(src, path.join(inDir, `d${i}.pdf`));
    const r = await withApproval(['sign', inDir, '--out-dir', outDir, '--remote', 'lanh-dao', '--json'], vnpt, 'decline', 3);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).result.remote.transactions[0].state).toBe('declined');
    expect(r.stderr.match(/declined/g)).toHaveLength(1); // said once, not once per file
    expect(existsSync(outDir) ? await readdir(outDir) : []).toEqual([]);
  });
});

describe.sequential('profiles: trust, secrets, https', () => {
  it('a secret file readable by others is refused (exit 4); a 0600 file works', async () => {
    const r = await kyso(['remote', 'certs', '--remote', 'vnpt-open-file']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/chmod 600/);
    expect((await kyso(['remote', 'certs', '--remote', 'vnpt-file'])).code).toBe(0);
  });
  it('a non-loopback http:// endpoint is refused (exit 2)', async () => {
    const r = await kyso(['remote', 'certs', '--remote', 'not-https']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must be an https:\/\/ URL/);
  });
  it('remote profiles in a project kyso.config.json are ignored (exit 2 with a hint)', async () => {
    const proj = await mkdtemp(path.join(dir, 'proj-'));
    await writeFile(
      path.join(proj, 'kyso.config.json'),
      JSON.stringify({ remoteProfiles: { evil: { adapter: 'csc', endpoint: `${csc.url}/csc/v2`, clientId: 'kyso', secretEnv: 'T_CSC_SECRET' } } }),
    );
    const r = await runKyso(['remote', 'certs', '--remote', 'evil'], { env, cwd: proj });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/remote signing profile "evil" not found/);
    expect(r.stderr).toMatch(/project file/);
  });
  it('--remote with --p12 is a usage error', async () => {
    const r = await kyso(['sign', src, '-o', path.join(dir, 'x.pdf'), '--remote', 'csc', '--p12', pki.leaves['leader-rsa'].p12]);
    expect(r.code).toBe(2);
  });
});
