import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';

const exec = promisify(execFile);

/** The README's first command, through the real CLI: the whole job end to end on embedded defaults. */
describe('kyso demo', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('runs every step, exits 0 and keeps the folder with signed, verified, received files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kyso-demo-test-'));
    dirs.push(dir);
    const r = await runKyso(['demo', '--data-dir', dir, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    const steps = doc.result.steps as Array<{ summary: string }>;
    expect(steps).toHaveLength(10);
    expect(steps[4]!.summary).toMatch(/^TOTAL_PASSED: Signature1 TOTAL_PASSED, Signature2 TOTAL_PASSED$/);
    expect(steps[6]!.summary).toMatch(/^delivered/);
    expect(steps[7]!.summary).toMatch(/TOTAL_PASSED; status 01/);
    expect(steps[9]!.summary).toBe('01 → 03');
    const files = doc.result.files;
    for (const f of ['draft', 'approved', 'issued', 'received']) expect(existsSync(files[f]), f).toBe(true);
    // the received document is byte-identical to the issued one
    const { stdout: a } = await exec('sha256sum', [files.issued]);
    const { stdout: b } = await exec('sha256sum', [files.received]);
    expect(a.split(' ')[0]).toBe(b.split(' ')[0]);
    // judged by programs we did not write
    const { stdout: sig } = await exec('pdfsig', [files.issued]);
    expect(sig.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(2);
    await exec('qpdf', ['--check', files.issued]);
    // visible: the leader's signature image and the seal (each with its SMask), the number and the date
    const { stdout: imgs } = await exec('pdfimages', ['-list', files.issued]);
    expect(imgs.match(/^\s*1\s+\d+\s+(image|smask)/gm)).toHaveLength(4);
    const { stdout: text } = await exec('pdftotext', ['-layout', files.issued, '-']);
    expect(text).toMatch(/Số:\s+123 ?\/UBND-VP/);
    expect(text).toMatch(/ngày\s+\d{2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}/);
  });

  it('writes the throw-away passphrase to pki/README.txt and says where, so its printed kyso sign can be re-run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kyso-demo-test-'));
    dirs.push(dir);
    const r = await runKyso(['demo', '--data-dir', dir, '--lang', 'en'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const readme = path.join(dir, 'pki', 'README.txt');
    expect(r.stdout).toContain(`The passphrase of the test .p12 files is written in ${readme}`);
    const text = await readFile(readme, 'utf8');
    expect(text).toContain('Mật khẩu của các tệp .p12 trong thư mục này:');
    const passphrase = /Passphrase of the \.p12 files in this folder: (\S+)/.exec(text)?.[1];
    expect(passphrase).toBeTruthy();
    // the leader's signing step exactly as printed, in the demo folder
    const printed = /\$ (kyso sign cong-van\.pdf -o cong-van\.lanh-dao\.pdf --p12 pki\/lanh-dao\.p12[^\n]*)/.exec(r.stdout)?.[1];
    expect(printed).toBeTruthy();
    const args = printed!.replace(' -o cong-van.lanh-dao.pdf', ' -o lai.pdf').match(/'[^']*'|\S+/g)!.slice(1).map((a) => a.replace(/^'|'$/g, ''));
    const again = await runKyso(args, { cwd: dir, env: { KYSO_P12_PASSWORD: passphrase } });
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'lai.pdf'))).toBe(true);
  });

  it('--clean removes its folder; human output names every step in Vietnamese with --lang vi', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'kyso-demo-test-'));
    dirs.push(parent);
    const dir = path.join(parent, 'work');
    const r = await runKyso(['demo', '--data-dir', dir, '--clean', '--lang', 'vi'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Lãnh đạo ký phê duyệt');
    expect(r.stdout).toContain('Vào sổ văn bản đến (trạng thái 03)');
    expect(r.stdout).toContain('đã xóa thư mục chạy thử');
    expect(existsSync(dir)).toBe(false);
  });
});
