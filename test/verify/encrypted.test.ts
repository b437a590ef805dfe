import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeBasePdf } from '../fixtures/attacks/pdf-raw.js';

const run = promisify(execFile);

interface FileJson {
  file: string;
  indication: string;
  error: { code: string } | null;
  signatures: Array<{ field: string; indication: string; modifiedAfter: string; integrity: string }>;
}

/**
 * Encrypted signed PDFs (issue 11): encrypted by qpdf, then signed twice by `pdfsig -add-signature` (poppler
 * writes the signature into the encrypted file), verified by kyso with the same verdict as the unencrypted
 * twin signed the same way. The second signature makes the change analysis run on decrypted objects.
 */
describe('kyso verify: encrypted PDFs (standard security handler)', () => {
  let dir: string;
  const files: Record<string, string> = {};
  const pki = () => getPki();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kyso-enc-'));
    const nss = path.join(dir, 'nss');
    await cp(pki().nssDir.replace(/^sql:/, ''), nss, { recursive: true });
    await run('pk12util', ['-i', pki().leaves['leader-rsa'].p12, '-d', `sql:${nss}`, '-W', pki().password]);
    const plain = path.join(dir, 'plain.pdf');
    await writeFile(plain, await makeBasePdf());
    const variants: Record<string, { args: string[]; upw?: string }> = {
      plain: { args: [] },
      rc4: { args: ['--allow-weak-crypto', '--encrypt', '', 'owner-pw', '128', '--use-aes=n', '--'] },
      aes128: { args: ['--encrypt', '', 'owner-pw', '128', '--use-aes=y', '--'] },
      aes256: { args: ['--encrypt', '', 'owner-pw', '256', '--'] },
      aes256r5: { args: ['--allow-weak-crypto', '--encrypt', '', 'owner-pw', '256', '--force-R5', '--'] },
      ownerOnly: { args: ['--encrypt', '', 'owner-pw', '256', '--modify=none', '--extract=n', '--'] },
      userpw: { args: ['--encrypt', 'mat-khau', 'owner-pw', '256', '--'], upw: 'mat-khau' },
    };
    for (const [name, v] of Object.entries(variants)) {
      const enc = path.join(dir, `${name}-0.pdf`);
      if (v.args.length) await run('qpdf', [...v.args, plain, enc]);
      else await cp(plain, enc);
      let cur = enc;
      for (const field of ['Sig1', 'Sig2']) {
        const next = path.join(dir, `${name}-${field}.pdf`);
        await run('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', 'leader-rsa', '-new-signature-field-name', field, ...(v.upw ? ['-upw', v.upw] : []), cur, next]);
        cur = next;
      }
      files[name] = cur;
    }
    // Public-key (certificate) encryption: kyso must say "not supported", not "cannot check" or a crash.
    const base = await readFile(plain, 'latin1');
    const sx = base.lastIndexOf('startxref');
    const prevXref = /startxref\s+(\d+)/.exec(base.slice(sx))![1];
    const size = Number(/\/Size (\d+)/.exec(base)![1]);
    const obj = `\n${size} 0 obj\n<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /R 4 /Recipients [<00>] >>\nendobj\n`;
    const objAt = Buffer.byteLength(base, 'latin1') + 1;
    const xrefAt = Buffer.byteLength(base, 'latin1') + Buffer.byteLength(obj, 'latin1');
    const root = /\/Root (\d+ \d+ R)/.exec(base)![1];
    const tail = `xref\n${size} 1\n${String(objAt).padStart(10, '0')} 00000 n\r\ntrailer\n<< /Size ${size + 1} /Root ${root} /Prev ${prevXref} /Encrypt ${size} 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    files.pubsec = path.join(dir, 'pubsec.pdf');
    await writeFile(files.pubsec, base + obj + tail, 'latin1');
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const args = () => ['--json', '--no-default-trust', '--trust', pki().root.cert, '--revocation', 'off'];
  const summaryOf = (f: FileJson) => `${f.indication} ${f.error?.code ?? ''} ${f.signatures.map((s) => `${s.field}:${s.indication}:${s.integrity}:${s.modifiedAfter}`).join(' ')}`;
  const verify = async (file: string, extra: string[] = [], env: Record<string, string> = {}, input?: string) => {
    const r = await runKyso(['verify', file, ...args(), ...extra], { env, input });
    const f = (JSON.parse(r.stdout) as { result: { files: FileJson[] } }).result.files[0]!;
    return { code: r.code, f, summary: summaryOf(f) };
  };
  const TWIN = 'TOTAL_PASSED  Sig1:TOTAL_PASSED:ok:allowed Sig2:TOTAL_PASSED:ok:none';

  it('RC4-128, AES-128, AES-256 (R5, R6) and owner-password-only files verify like their unencrypted twin; a user password or public-key encryption is ERROR (exit 5)', async () => {
    // One CLI run over all the files (process start-up dominates on a loaded machine).
    const r = await runKyso(['verify', ...Object.values(files), ...args()]);
    expect(r.code).toBe(5);
    const byName = new Map((JSON.parse(r.stdout) as { result: { files: FileJson[] } }).result.files.map((f) => [f.file, f] as const));
    const of = (name: string) => [...byName.values()].find((f) => path.resolve(f.file) === path.resolve(files[name]!) || f.file.endsWith(path.basename(files[name]!)))!;
    expect(summaryOf(of('plain'))).toBe(TWIN);
    for (const name of ['rc4', 'aes128', 'aes256', 'aes256r5', 'ownerOnly']) expect(summaryOf(of(name)), name).toBe(TWIN);
    expect(of('userpw').indication).toBe('ERROR');
    expect(of('userpw').error?.code).toBe('INPUT_PASSWORD_REQUIRED');
    expect(of('pubsec').indication).toBe('ERROR');
    expect(of('pubsec').error?.code).toBe('INPUT_ENCRYPTION_UNSUPPORTED');
  }, 120_000);

  it('a user password given in KYSO_PDF_PASSWORD or --password-file - (the owner password works too)', async () => {
    expect((await verify(files.userpw!, [], { KYSO_PDF_PASSWORD: 'mat-khau' })).summary).toBe(TWIN);
    expect((await verify(files.userpw!, ['--password-file', '-'], {}, 'mat-khau\n')).summary).toBe(TWIN);
    const owner = await verify(files.userpw!, [], { KYSO_PDF_PASSWORD: 'owner-pw' });
    expect(owner.summary).toBe(TWIN);
    expect(owner.code).toBe(0);
  }, 120_000);
});
