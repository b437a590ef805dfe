import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipToDir } from '../../src/exchange/unzip-capped.js';
import { buildZip } from '../helpers/zip-build.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-unzip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('unzipToDir (capped)', () => {
  it('extracts entries under safe names inside outDir only', async () => {
    const zip = path.join(dir, 'ok.zip');
    await writeFile(zip, buildZip([
      { name: 'a.pdf', data: Buffer.from('%PDF-1.7 hello') },
      { name: '../../escape.so', data: Buffer.from('x') },
      { name: 'sub/\u001b[31mred.txt', data: Buffer.from('y') },
      { name: 'a.pdf', data: Buffer.from('second') },
    ]));
    const out = path.join(dir, 'ok-out');
    const entries = await unzipToDir(zip, out);
    expect(entries.map((e) => e.name)).toEqual(['a.pdf', 'escape.so', '_[31mred.txt', 'a-2.pdf']);
    expect((await readdir(out)).sort()).toEqual(['_[31mred.txt', 'a-2.pdf', 'a.pdf', 'escape.so']);
    expect(await readFile(path.join(out, 'a.pdf'), 'utf8')).toBe('%PDF-1.7 hello');
    expect((await stat(path.join(out, 'a.pdf'))).mode & 0o777).toBe(0o600);
    await expect(stat(path.join(dir, 'escape.so'))).rejects.toThrow();
  });

  it('refuses too many entries and leaves nothing behind', async () => {
    const zip = path.join(dir, 'many.zip');
    await writeFile(zip, buildZip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('z') }))));
    const out = path.join(dir, 'many-out');
    await expect(unzipToDir(zip, out, { maxEntries: 3 })).rejects.toMatchObject({ code: 'ZIP_CAP_EXCEEDED', category: 'input' });
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses a corrupt archive', async () => {
    const zip = path.join(dir, 'bad.zip');
    const good = buildZip([{ name: 'a.pdf', data: Buffer.alloc(100_000, 7) }]);
    await writeFile(zip, good.subarray(0, 60));
    await expect(unzipToDir(zip, path.join(dir, 'bad-out'))).rejects.toMatchObject({ category: 'input' });
  });

  it('a 1 MB zip bomb (1 GiB inflated) is refused within the caps, peak RSS under 200 MB', async () => {
    const zip = path.join(dir, 'bomb.zip');
    const bytes = buildZip([{ name: 'bomb.pdf', bombMiB: 1024 }]);
    expect(bytes.length).toBeLessThan(1.2e6);
    await writeFile(zip, bytes);
    const out = path.join(dir, 'bomb-out');
    const r = JSON.parse(execFileSync(process.execPath, [path.join(here, 'unzip-child.mjs'), zip, out], { encoding: 'utf8' }));
    expect(r).toMatchObject({ ok: false, code: 'ZIP_CAP_EXCEEDED', category: 'input' });
    expect(r.maxRssMiB).toBeLessThan(200);
    expect(await readdir(out)).toEqual([]);
  });
});
