/**
 * `kyso verify file.pdf --receipt receipt.pdf` through the real CLI: a one-page PDF in Liberation Serif that
 * qpdf --check accepts, in which pdftotext finds the SHA-256, the signers and the verdicts with Vietnamese
 * diacritics intact; the fonts are embedded (subset) per pdffonts; it names the trust anchors the chains
 * actually reached (subject and SHA-256), not every anchor configured.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSignature, makeBasePdf } from '../fixtures/attacks/pdf-raw.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { qpdfCheck } from '../sign/validators.js';

const run = promisify(execFile);
const pki = getPki();
let dir: string;
let signed: string;
let tampered: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-receipt-'));
  const leader = pki.leaves['leader-rsa'];
  const one = await addSignature(await makeBasePdf(), { signer: { cert: leader.cert, key: leader.key }, chainPem: pki.chainPem, fieldName: 'LanhDao' });
  const other = pki.leaves['clerk-ec'];
  const two = await addSignature(one, { signer: { cert: other.cert, key: other.key }, chainPem: pki.chainPem, fieldName: 'VanThu' });
  signed = path.join(dir, 'quyet-dinh.pdf');
  await writeFile(signed, two);
  const bad = Buffer.from(one);
  const j = bad.indexOf('/Producer');
  bad[j + 3] = bad[j + 3]! ^ 1;
  tampered = path.join(dir, 'bi-sua.pdf');
  await writeFile(tampered, bad);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function text(pdf: string): Promise<string> {
  return (await run('pdftotext', ['-layout', pdf, '-'])).stdout;
}

describe('kyso verify --receipt', () => {
  it('a valid two-signature file: one page, qpdf clean, SHA-256, signers, HỢP LỆ', async () => {
    const out = path.join(dir, 'phieu.pdf');
    const r = await runKyso(['verify', signed, '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--receipt', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((await qpdfCheck(out)).ok).toBe(true);
    const info = (await run('pdfinfo', [out])).stdout;
    expect(info).toMatch(/Pages:\s+1\b/);
    const fonts = (await run('pdffonts', [out])).stdout;
    expect(fonts).toMatch(/LiberationSerif-Bold\S*\s+CID TrueType\s+Identity-H\s+yes/);
    // Subset: the two fonts weigh 750 KB whole.
    expect((await readFile(out)).length).toBeLessThan(150_000);
    const t = await text(out);
    const sha = createHash('sha256').update(await readFile(signed)).digest('hex');
    expect(t.replace(/\s+/g, '')).toContain(sha);
    expect(t).toContain('PHIẾU KIỂM TRA CHỮ KÝ SỐ');
    expect(t).toContain('Nguyễn Thúy Hằng');
    expect(t).toContain('Trần Văn Thư');
    expect(t).toContain('UBND huyện Phú Lương');
    expect(t).toMatch(/Kết luận:\s+HỢP LỆ/);
    expect(t.match(/Kết quả:\s+HỢP LỆ/g)?.length).toBe(2);
    expect(t).toContain('Kyso Test Root CA');
    if (process.env.KYSO_RECEIPT_PNG) await run('pdftoppm', ['-png', '-r', '60', '-singlefile', out, process.env.KYSO_RECEIPT_PNG]);
  }, 60_000);

  it('a tampered file: KHÔNG HỢP LỆ on the receipt, exit 1', async () => {
    const out = path.join(dir, 'phieu-bi-sua.pdf');
    const r = await runKyso(['verify', tampered, '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--receipt', out]);
    expect(r.code).toBe(1);
    expect((await qpdfCheck(out)).ok).toBe(true);
    const t = await text(out);
    expect(t).toMatch(/Kết luận:\s+KHÔNG HỢP LỆ/);
    expect(t).toContain('Không tiếp nhận');
  }, 60_000);

  it('lists the trust anchors the chains actually reached (subject and SHA-256), not every anchor configured', async () => {
    const fp = async (pem: string) => createHash('sha256').update(new X509Certificate(await readFile(pem)).raw).digest('hex');
    const used = await fp(pki.root.cert);
    const unused = await fp(pki.other.root.cert);
    const out = path.join(dir, 'phieu-goc.pdf');
    const r = await runKyso(['verify', signed, '--no-default-trust', '--trust', pki.other.root.cert, '--trust', pki.root.cert, '--revocation', 'off', '--receipt', out]);
    expect(r.code, r.stderr).toBe(0);
    const t = (await text(out)).replace(/\s+/g, ' ');
    expect(t).toMatch(/Chứng thư gốc tin cậy đã dùng • Kyso Test Root CA/);
    expect(t).toContain(`SHA-256: ${used}`);
    // Configured, but no chain reached it.
    expect(t).not.toContain('Other Root CA');
    expect(t).not.toContain(unused);
    // No chain reaches a configured anchor: the receipt says none was used.
    const none = path.join(dir, 'phieu-khong-goc.pdf');
    const r2 = await runKyso(['verify', signed, '--no-default-trust', '--trust', pki.other.root.cert, '--revocation', 'off', '--receipt', none]);
    expect(r2.code).toBe(3);
    const t2 = (await text(none)).replace(/\s+/g, ' ');
    expect(t2).toMatch(/Chứng thư gốc tin cậy đã dùng không có: không chuỗi chứng thư nào dẫn tới chứng thư gốc tin cậy/);
    expect(t2).not.toContain(unused);
    // The JSON report carries the same, per signature.
    const j = await runKyso(['verify', signed, '--no-default-trust', '--trust', pki.other.root.cert, '--trust', pki.root.cert, '--revocation', 'off', '--json']);
    const sigs = JSON.parse(j.stdout).result.files[0].signatures as Array<{ anchors: Array<{ subject: string; sha256: string }> }>;
    for (const s of sigs) expect(s.anchors).toEqual([{ subject: expect.stringContaining('CN=Kyso Test Root CA'), sha256: used }]);
  }, 60_000);

  it('needs exactly one file', async () => {
    const r = await runKyso(['verify', signed, tampered, '--revocation', 'off', '--receipt', path.join(dir, 'x.pdf')]);
    expect(r.code).toBe(2);
  });
});
