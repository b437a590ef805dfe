/**
 * Output-side failures exit 74 and name the real output file (never kyso's hidden temp file) with the
 * cause in words. A small tmpfs filled up plays the full disk; a tmpfs remounted read-only plays the
 * read-only folder (root ignores 0555, so permissions alone cannot show it). Needs root to mount: the CI
 * runs as root; elsewhere the test is skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';
import { getPki } from '../helpers/pki.js';
import { kysoSign } from './helpers.js';

const pki = getPki();
let dir: string;
let samples: Record<SampleName, string>;
const mounts: string[] = [];

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    const probe = execFileSync('mktemp', ['-d']).toString().trim();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    execFileSync('rmdir', [probe]);
    return true;
  } catch {
    return false;
  }
}
const mountable = canMount();

async function tmpfs(name: string, size: string): Promise<string> {
  const d = path.join(dir, name);
  await mkdir(d);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', d]);
  mounts.push(d);
  return d;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-out-err-'));
  await mkdir(path.join(dir, 'samples'));
  samples = await makeSamplePdfs(path.join(dir, 'samples'));
});
afterAll(async () => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      /* already gone */
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!mountable)('output-side failures (tmpfs; needs root)', () => {
  it('a full disk: exit 74, the output named with "the disk is full", no temp file left, the batch stops', async () => {
    const full = await tmpfs('full', '256k');
    // fill it to the last block
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${path.join(full, 'fill')}`, 'bs=4k'], { stdio: 'pipe' });
    } catch {
      /* "No space left on device" is the point */
    }
    const r = await kysoSign([samples.simple, samples.multipage, '--out-dir', full, '--p12', pki.leaves['leader-rsa'].p12, '--json']);
    expect(r.code, r.stderr).toBe(74);
    const j = JSON.parse(r.stdout);
    const [first, second] = j.result.files;
    expect(first.error.code).toBe('OUTPUT_WRITE_FAILED');
    expect(first.error.message).toBe(`${path.join(full, 'simple.pdf')}: cannot write the output: the disk is full`);
    expect(second.error.code).toBe('BATCH_STOPPED');
    expect(r.stderr).not.toMatch(/kyso-tmp|ENOSPC/);
    expect(await readdir(full)).toEqual(['fill']);
  });

  it('a read-only output folder: exit 74 in Vietnamese too, naming the output', async () => {
    const ro = await tmpfs('ro', '1m');
    await writeFile(path.join(ro, 'placeholder'), '');
    execFileSync('mount', ['-o', 'remount,ro', ro]);
    const out = path.join(ro, 'cong-van.signed.pdf');
    const r = await kysoSign([samples.simple, '-o', out, '--p12', pki.leaves['leader-rsa'].p12], { env: { LANG: 'vi_VN.UTF-8' } });
    expect(r.code, r.stderr).toBe(74);
    expect(r.stderr).toBe(`kyso: ${out}: không ghi được tệp đầu ra: ổ đĩa hoặc thư mục chỉ cho phép đọc\n`);
    const en = await kysoSign([samples.simple, '-o', out, '--p12', pki.leaves['leader-rsa'].p12]);
    expect(en.code).toBe(74);
    expect(en.stderr).toBe(`kyso: ${out}: cannot write the output: the disk or folder is read-only\n`);
  });
});
