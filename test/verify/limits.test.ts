/**
 * Limits that stop work, through the real CLI: --timeout on a crafted slow file (one input: in-process,
 * the report is written and the process exits 5; several inputs: the worker is terminated and the next
 * file is verified), and an empty input set (exit 2 unless --allow-empty). No timing assertions: elapsed
 * time and peak RSS belong to `npm run bench`.
 */
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBasePdf, opensslCms } from '../fixtures/attacks/pdf-raw.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const pki = getPki();
let dir: string;
let slow: string;
let good: string;

/**
 * A PDF whose one signature covers a 32 GiB stream of zeros, written as a sparse file (no disk space): the
 * verifier must hash all of it before it can say anything, which takes seconds on any machine.
 */
async function writeSlowPdf(file: string, cms: Buffer): Promise<void> {
  const zeros = 32 * 1024 ** 3;
  const contentsHex = cms.toString('hex').padEnd(16_384 * 2, '0');
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>',
    '<< /Type /Annot /Subtype /Widget /FT /Sig /T (Slow) /V 5 0 R /P 3 0 R /Rect [0 0 0 0] /F 132 >>',
    `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 AAAAAAAAAAAA BBBBBBBBBBBB CCCCCCCCCCCC] /Contents <${contentsHex}> >>`,
  ];
  let head = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(head.length);
    head += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  offsets.push(head.length);
  head += `6 0 obj\n<< /Length ${zeros} >>\nstream\n`;
  const tailAt = head.length + zeros;
  let tail = '\nendstream\nendobj\n';
  const xrefAt = tailAt + tail.length;
  tail += `xref\n0 7\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  tail += `trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  const total = tailAt + tail.length;
  const a = head.indexOf('/Contents <') + '/Contents '.length;
  const b = a + contentsHex.length + 2;
  const pad = (n: number) => String(n).padStart(12, '0');
  head = head.replace('AAAAAAAAAAAA', pad(a)).replace('BBBBBBBBBBBB', pad(b)).replace('CCCCCCCCCCCC', pad(total - b));
  const fh = await open(file, 'w');
  try {
    await fh.write(Buffer.from(head, 'latin1'), 0, undefined, 0);
    await fh.write(Buffer.from(tail, 'latin1'), 0, undefined, tailAt);
  } finally {
    await fh.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-limits-'));
  slow = path.join(dir, 'a-slow.pdf');
  await writeSlowPdf(slow, await opensslCms(Buffer.from('not these bytes'), pki.leaves['leader-rsa'], pki.chainPem, 'sha256'));
  const base = path.join(dir, 'base.pdf');
  await writeFile(base, await makeBasePdf({}));
  good = path.join(dir, 'b-good.pdf');
  const s = await runKyso(['sign', base, '-o', good, '--p12', pki.leaves['leader-rsa'].p12], { env: { KYSO_P12_PASSWORD: pki.password } });
  expect(s.code, s.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const common = () => ['--json', '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off'];

interface FileJson {
  file: string;
  indication: string;
  error: { code: string; message: string; messageVi?: string } | null;
}

describe('limits that stop work', { timeout: 180_000 }, () => {
  it('--timeout 1, one input: in-process, the ERROR/VERIFY_TIMEOUT report is written and the process exits 5', async () => {
    const r = await runKyso(['verify', slow, '--timeout', '1', ...common()], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(5);
    const f = JSON.parse(r.stdout).result.files as FileJson[];
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ indication: 'ERROR', error: { code: 'VERIFY_TIMEOUT' } });
    expect(f[0]!.error!.messageVi).toBeTruthy();
  });

  // A budget of a few seconds here: the next file is verified by a fresh worker, whose cold start (JIT) on a
  // machine loaded by parallel test runs can take more than a second for a small file.
  it('--timeout among several (--jobs 1): the worker is terminated, the next file is verified', async () => {
    const r = await runKyso(['verify', slow, good, '--timeout', '5', '--jobs', '1', ...common()], { timeoutMs: 150_000 });
    const f = JSON.parse(r.stdout).result.files as FileJson[];
    expect(f.map((x) => [path.basename(x.file), x.indication, x.error?.code ?? null])).toEqual([
      ['a-slow.pdf', 'ERROR', 'VERIFY_TIMEOUT'],
      ['b-good.pdf', 'TOTAL_PASSED', null],
    ]);
    expect(r.code).toBe(5);
  });

  it('an empty input set exits 2 (a mistyped CI path must not go green) unless --allow-empty', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const r = await runKyso(['verify', empty, '--format', 'junit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allow-empty/);
    const ok = await runKyso(['verify', empty, '--allow-empty', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).result.summary.files).toBe(0);
  });
});
