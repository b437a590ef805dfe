/**
 * Limits that stop work, through the real CLI: --timeout on a crafted slow file (one input: in-process,
 * the report is written and the process exits 5, also when one synchronous step is what is slow, and
 * --max-memory there too; several inputs: the worker is terminated and the next
 * file is verified), and an empty input set (exit 2 unless --allow-empty). No timing assertions: elapsed
 * time and peak RSS belong to `npm run bench`.
 */
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
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

/**
 * A small PDF (~90 KB) whose one slow step is synchronous: its 400 form fields live alternately in two object
 * streams that each inflate to 40 MiB (padding), together more than the reader's object-stream cache, so
 * every field read inflates 40 MiB again (inflateSync) from a file read whole into memory: the main thread
 * never reaches the event loop while it scans the form (minutes of CPU; a timer in that thread cannot fire).
 * It is also a memory hog: each inflate holds ~80 MiB. (An amplification the reader could bound; if it
 * does, this fixture needs another synchronous hog, or these tests see NO_SIGNATURE and exit 1.)
 */
function thrashPdf(fields = 400, padMiB = 40): Buffer {
  const FIRST = 10;
  const parts: Buffer[] = [];
  let size = 0;
  const push = (b: string | Buffer) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    size += buf.length;
  };
  const offsets = new Map<number, number>();
  const inStream = new Map<number, [number, number]>();
  const obj = (n: number, body: string) => {
    offsets.set(n, size);
    push(`${n} 0 obj\n${body}\nendobj\n`);
  };
  push('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  obj(1, `<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [${Array.from({ length: fields }, (_, k) => `${FIRST + k} 0 R`).join(' ')}] >> >>`);
  obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>');
  for (const s of [0, 1]) {
    const nums = Array.from({ length: fields }, (_, k) => FIRST + k).filter((n) => (n - FIRST) % 2 === s);
    const bodies = nums.map((n) => `<< /FT /Tx /T (f${n}) /V (x) >>`);
    let header = '';
    let at = 0;
    nums.forEach((n, i) => {
      header += `${n} ${at} `;
      at += bodies[i]!.length + 1;
      inStream.set(n, [4 + s, i]);
    });
    const z = deflateSync(Buffer.concat([Buffer.from(`${header}${bodies.join(' ')} `, 'latin1'), Buffer.alloc(padMiB * 1024 * 1024, 0x20)]), { level: 9 });
    offsets.set(4 + s, size);
    push(`${4 + s} 0 obj\n<< /Type /ObjStm /N ${nums.length} /First ${header.length} /Filter /FlateDecode /Length ${z.length} >>\nstream\n`);
    push(z);
    push('\nendstream\nendobj\n');
  }
  const total = FIRST + fields;
  const rows: Buffer[] = [];
  for (let n = 0; n < total; n++) {
    const row = Buffer.alloc(7);
    const off = offsets.get(n);
    const at = inStream.get(n);
    if (off !== undefined) {
      row[0] = 1;
      row.writeUInt32BE(off, 1);
    } else if (at) {
      row[0] = 2;
      row.writeUInt32BE(at[0], 1);
      row.writeUInt16BE(at[1], 5);
    } else row.writeUInt16BE(n === 0 ? 65535 : 0, 5);
    rows.push(row);
  }
  const xs = Buffer.concat(rows);
  const xrefAt = size;
  push(`6 0 obj\n<< /Type /XRef /Size ${total} /W [1 4 2] /Root 1 0 R /Length ${xs.length} >>\nstream\n`);
  push(xs);
  push(`\nendstream\nendobj\nstartxref\n${xrefAt}\n%%EOF\n`);
  return Buffer.concat(parts);
}
let stuck: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-limits-'));
  stuck = path.join(dir, 'stuck.pdf');
  await writeFile(stuck, thrashPdf());
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

  // Both implementations of the watchdog (src/services/verify-watchdog.ts): the native thread that npm run build makes
  // (test/cli/startup.test.ts checks it is the one used), and the worker thread used where it could not be built.
  describe.each([
    ['the native watchdog thread', {}],
    ['the worker watchdog thread (KYSO_WATCHDOG=worker)', { KYSO_WATCHDOG: 'worker' }],
  ])('%s', (_name, env: Record<string, string>) => {
    // The process would otherwise spend minutes in one synchronous step: runKyso kills it at 45 s (signal set).
    it('--timeout 1, one input stuck in one synchronous step: the watchdog writes ERROR/VERIFY_TIMEOUT and exits 5', async () => {
      const r = await runKyso(['verify', stuck, '--timeout', '1', ...common()], { timeoutMs: 45_000, env });
      expect(r.signal, 'killed: the process hung').toBeNull();
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toBe('');
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ schemaVersion: 1, ok: false, error: null, result: { summary: { files: 1, errors: 1 } } });
      expect(doc.result.files[0]).toMatchObject({ indication: 'ERROR', error: { code: 'VERIFY_TIMEOUT' } });
      expect(doc.result.files[0].error.messageVi).toMatch(/giây/);
      // The report is the one of the format asked (rendered before verification started), here JUnit.
      const j = await runKyso(['verify', stuck, '--timeout', '1', '--format', 'junit', '--no-default-trust', '--revocation', 'off'], { timeoutMs: 45_000, env });
      expect(j.signal).toBeNull();
      expect(j.code).toBe(5);
      expect(j.stdout).toMatch(/^<\?xml[\s\S]*<error[^>]*type="VERIFY_TIMEOUT"[\s\S]*<\/testsuites>\s*$/);
    });

    it('--max-memory 64, one input: resident memory beyond the cap gives ERROR/VERIFY_OUT_OF_MEMORY and exit 5', async () => {
      const r = await runKyso(['verify', stuck, '--timeout', '600', '--max-memory', '64', ...common()], { timeoutMs: 45_000, env });
      expect(r.signal, 'killed: the process hung').toBeNull();
      expect(r.code, r.stderr).toBe(5);
      const f = JSON.parse(r.stdout).result.files[0];
      expect(f).toMatchObject({ indication: 'ERROR', error: { code: 'VERIFY_OUT_OF_MEMORY' } });
      expect(f.error.message).toMatch(/64 MiB/);
      expect(f.error.messageVi).toMatch(/64 MiB/);
    });

    it('a file verified within its budget: the watchdog stays silent, the report is the main thread\'s, exit 0', async () => {
      const r = await runKyso(['verify', good, '--timeout', '30', ...common()], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).result.files[0]).toMatchObject({ indication: 'TOTAL_PASSED' });
    });
  });

  // A budget of a few seconds here: the next file is verified by a fresh worker, whose cold start (JIT) on a
  // machine loaded by parallel test runs can take more than a second for a small file.
  it('--timeout among several (--jobs 1), also one stuck in a synchronous step: the worker is terminated, the next file is verified', async () => {
    const r = await runKyso(['verify', slow, stuck, good, '--timeout', '5', '--jobs', '1', ...common()], { timeoutMs: 150_000 });
    const f = JSON.parse(r.stdout).result.files as FileJson[];
    expect(f.map((x) => [path.basename(x.file), x.indication, x.error?.code ?? null])).toEqual([
      ['a-slow.pdf', 'ERROR', 'VERIFY_TIMEOUT'],
      ['stuck.pdf', 'ERROR', 'VERIFY_TIMEOUT'],
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
