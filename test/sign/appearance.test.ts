/**
 * Visible signatures per NĐ 30/2020 Phụ lục I, through the real CLI: approve → issue on a công văn with CID
 * fonts, judged by pdfsig, pdftotext, pdftoppm (against committed reference renderings) and kyso verify;
 * appendix and copy; bad input refused with no output file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCongVan, makeScannedPage } from '../fixtures/cong-van.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { PngEmbedder } from '../../src/pdf/pdf-lib.js';
import { encodePng } from '../../src/services/demo-images.js';
import { exec, pdfsig, qpdfCheck } from './validators.js';

const pki = getPki();
const REF_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'appearance-ref');
let dir: string;
let cv: Awaited<ReturnType<typeof makeCongVan>>;
let env: Record<string, string>;

const certSha = async (pem: string) => {
  const b64 = (await readFile(pem, 'utf8')).replace(/-----[^-]+-----|\s/g, '');
  return createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-appearance-'));
  cv = await makeCongVan(dir);
  await mkdir(path.join(dir, 'xdg'));
  env = { KYSO_P12_PASSWORD: pki.password, XDG_CONFIG_HOME: path.join(dir, 'xdg'), KYSO_CONFIG: '' };
  const config = {
    appearance: {
      organisation: 'UBND huyện Phú Lương',
      seal: { image: 'dau.png', diameterMm: 36 },
      signatures: { [await certSha(pki.leaves['leader-rsa'].cert)]: { image: 'chu-ky.png', widthMm: 40 } },
    },
  };
  await writeFile(path.join(dir, 'kyso.config.json'), JSON.stringify(config));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Tests that run the CLI several times in a row (each run is a new Node process). */
const SLOW = 240_000;

const sign = (args: string[], cwd = dir) => runKyso(['sign', ...args], { env, cwd });
const verifyJson = async (file: string) => {
  const r = await runKyso(['verify', file, '--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off', '--json'], { env, cwd: dir });
  return JSON.parse(r.stdout).result.files[0];
};
const text = async (file: string) => (await exec('pdftotext', ['-layout', file, '-'])).stdout;

/** pdftoppm crop at 72 dpi as raw RGB (PPM), compared with a committed PNG: share of pixels off by > 32 levels. */
async function compareArea(file: string, name: string, rect: number[], pageHeight: number): Promise<number> {
  const [x0, y0, x1, y1] = rect.map(Math.round) as [number, number, number, number];
  const base = path.join(dir, `crop-${name}`);
  const r = await exec('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', '-x', String(x0), '-y', String(Math.round(pageHeight) - y1), '-W', String(x1 - x0), '-H', String(y1 - y0), file, base]);
  expect(r.code).toBe(0);
  const ppm = await readFile(`${base}.ppm`);
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 50).toString('latin1'))!;
  const w = Number(m[1]);
  const h = Number(m[2]);
  const px = ppm.subarray(m[0].length);
  const refFile = path.join(REF_DIR, `${name}.png`);
  if (process.env.KYSO_UPDATE_REFS === '1') await writeFile(refFile, encodePng(w, h, px, { channels: 3 }));
  const ref = (await PngEmbedder.for(await readFile(refFile))) as unknown as { width: number; height: number; image: { rgbChannel: Uint8Array } };
  expect([ref.width, ref.height]).toEqual([w, h]);
  let off = 0;
  for (let i = 0; i < w * h; i++) {
    const d = Math.max(...[0, 1, 2].map((c) => Math.abs(px[i * 3 + c]! - ref.image.rgbChannel[i * 3 + c]!)));
    if (d > 32) off++;
  }
  return off / (w * h);
}

describe('approve → issue on a công văn with CID fonts', () => {
  it('both signatures valid, number and date extract, renders match the references, verify passes both', async () => {
    const approved = path.join(dir, 'cv.approved.pdf');
    const issued = path.join(dir, 'cv.issued.pdf');
    let r = await sign([cv.pdf, '-o', approved, '--p12', pki.leaves['leader-rsa'].p12, '--role', 'approve']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    r = await sign([approved, '-o', issued, '--p12', pki.leaves['org-rsa'].p12, '--role', 'issue', '--doc-number', '15/UBND-VP', '--doc-date', '2026-01-05']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    expect((await qpdfCheck(issued)).ok).toBe(true);
    const ps = await pdfsig(issued, pki.nssDir);
    expect(ps.map((s) => [s.valid, s.trusted, s.totalDocument])).toEqual([
      [true, true, false],
      [true, true, true],
    ]);
    // the approved file alone: the leader's signature covers it whole (the later "not total" is the clerk's update)
    expect((await pdfsig(approved, pki.nssDir)).map((s) => s.totalDocument)).toEqual([true]);

    const t = await text(issued);
    expect(t).toMatch(/Số:\s+15 ?\/UBND-VP/);
    expect(t).toMatch(/ngày\s+05\s+tháng\s+01\s+năm\s+2026/);

    const v = await verifyJson(issued);
    expect(v.signatures.map((s: any) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED']);
    expect(v.signatures[0].modifiedAfter).toBe('allowed');
    const [lead, org] = v.signatures;
    expect([lead.page, lead.visible, org.page, org.visible]).toEqual([1, true, 1, true]);
    // the seal covers about the left third of the leader's image
    const third = lead.rect[0] + (lead.rect[2] - lead.rect[0]) / 3;
    expect(Math.abs(org.rect[2] - third)).toBeLessThan(2);
    expect(org.rect[0]).toBeLessThan(lead.rect[0]);
    // 36 mm seal
    expect(org.rect[2] - org.rect[0]).toBeCloseTo((36 * 72) / 25.4, 0);

    const H = 841.89;
    const area = [Math.min(lead.rect[0], org.rect[0]), Math.min(lead.rect[1], org.rect[1]), Math.max(lead.rect[2], org.rect[2]), Math.max(lead.rect[3], org.rect[3])];
    expect(await compareArea(issued, 'issue-signatures', area, H)).toBeLessThanOrEqual(0.02);
    expect(await compareArea(issued, 'issue-number-date', [80, 725, 530, 750], H)).toBeLessThanOrEqual(0.02);
  }, SLOW);
});

describe.concurrent('appendix and copy: text at the top right of page 1, no image', () => {
  for (const role of ['appendix', 'copy'] as const) {
    it(role, async () => {
      const out = path.join(dir, `cv.${role}.pdf`);
      const extra = role === 'appendix' ? ['--doc-number', '15/UBND-VP'] : ['--copy-form', 'SAO Y'];
      const r = await sign([cv.pdf, '-o', out, '--p12', pki.leaves['org-rsa'].p12, '--role', role, ...extra]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const t = await text(out);
      expect(t).toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00/);
      expect(t).toContain(role === 'appendix' ? '15/UBND-VP' : 'SAO Y UBND huyện Phú Lương');
      const v = await verifyJson(out);
      const s = v.signatures[0];
      expect(s.indication).toBe('TOTAL_PASSED');
      expect([s.page, s.visible]).toEqual([1, true]);
      expect(s.rect[2]).toBeGreaterThan(595 - 20 * 2.84); // right margin
      expect(s.rect[1]).toBeGreaterThan(842 - 20 * 2.84); // inside the top margin: never over the Quốc hiệu
      expect((await exec('pdfimages', ['-list', out])).stdout.trim().split('\n').length).toBe(2); // header only
      const fonts = (await exec('pdffonts', [out])).stdout;
      expect(fonts).toMatch(/[A-Z]{6}\+LiberationSerif\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/); // embedded subset with ToUnicode
    }, SLOW);
  }
});

describe.concurrent('placement flags and the income role', () => {
  it('--anchor with --anchor-offset: the lower-left corner moves with the offset, relative to the text', async () => {
    const rects: number[][] = [];
    for (const off of ['0,20', '10,30']) {
      const out = path.join(dir, `cv.anchor-${off.replace(',', '-')}.pdf`);
      const r = await sign([cv.pdf, '-o', out, '--p12', pki.leaves['leader-rsa'].p12, '--image', cv.signature, '--anchor', 'Nguyễn Thúy Hằng', '--anchor-offset', off]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      rects.push((await verifyJson(out)).signatures[0].rect);
    }
    const [a, b] = rects as [number[], number[]];
    expect(b[0]! - a[0]!).toBeCloseTo(10, 1);
    expect(b[1]! - a[1]!).toBeCloseTo(10, 1);
    // the name is centred at 150 mm from the left, its baseline in the lower half of the signer block
    expect(a[0]).toBeGreaterThan(330);
    expect(a[0]).toBeLessThan(425);
  }, SLOW);

  it('a scanned page (no text) needs --rect, and says so; with --rect it signs there', async () => {
    const scan = await makeScannedPage(dir);
    const bad = path.join(dir, 'scan.bad.pdf');
    let r = await sign([scan, '-o', bad, '--p12', pki.leaves['leader-rsa'].p12, '--role', 'approve', '--image', cv.signature]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/page 1 has no text \(a scanned page\?\).*--rect/);
    expect(existsSync(bad)).toBe(false);
    const good = path.join(dir, 'scan.signed.pdf');
    r = await sign([scan, '-o', good, '--p12', pki.leaves['leader-rsa'].p12, '--role', 'approve', '--image', cv.signature, '--rect', '400,100,120,48']);
    expect(r.code).toBe(0);
    const s = (await verifyJson(good)).signatures[0];
    expect([s.page, s.visible, s.rect]).toEqual([1, true, [400, 100, 520, 148]]);
  }, SLOW);

  it('a JPEG image goes in as DCT data, a PNG with transparency keeps it as an SMask', async () => {
    const jpg = path.join(dir, 'photo');
    expect((await exec('pdftoppm', ['-r', '30', '-jpeg', '-singlefile', cv.pdf, jpg])).code).toBe(0);
    const out = path.join(dir, 'cv.jpeg.pdf');
    const r = await sign([cv.pdf, '-o', out, '--p12', pki.leaves['leader-rsa'].p12, '--image', `${jpg}.jpg`, '--rect', '350,300,100,140']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await exec('pdfimages', ['-list', out])).stdout).toMatch(/^\s*1\s+\d+\s+image\s+\d+\s+\d+\s+rgb\s+3\s+8\s+jpeg/m);
    const png = path.join(dir, 'cv.png-alpha.pdf');
    expect((await sign([cv.pdf, '-o', png, '--p12', pki.leaves['leader-rsa'].p12, '--image', cv.seal, '--rect', '350,300,100,100'])).code).toBe(0);
    expect((await exec('pdfimages', ['-list', png])).stdout).toMatch(/^\s*1\s+\d+\s+smask/m);
  }, SLOW);

  it('two pages: approve on the last page, issue writes the number on page 1 and seals by the approval on page 2', async () => {
    const two = path.join(dir, 'two-pages.pdf');
    expect((await exec('qpdf', ['--empty', '--pages', cv.pdf, cv.pdf, '--', two])).code).toBe(0);
    const a = path.join(dir, 'two.approved.pdf');
    const b = path.join(dir, 'two.issued.pdf');
    expect((await sign([two, '-o', a, '--p12', pki.leaves['leader-rsa'].p12, '--role', 'approve'])).code).toBe(0);
    const r = await sign([a, '-o', b, '--p12', pki.leaves['org-rsa'].p12, '--role', 'issue', '--doc-number', '7/UBND-VP', '--doc-date', '2026-02-09']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [lead, org] = (await verifyJson(b)).signatures;
    expect([lead.page, org.page]).toEqual([2, 2]);
    expect(Math.abs(org.rect[2] - (lead.rect[0] + (lead.rect[2] - lead.rect[0]) / 3))).toBeLessThan(2);
    const page1 = (await exec('pdftotext', ['-layout', '-f', '1', '-l', '1', b, '-'])).stdout;
    expect(page1).toMatch(/Số:\s+07 ?\/UBND-VP/);
    expect(page1).toMatch(/ngày\s+09\s+tháng\s+02\s+năm\s+2026/);
    expect((await pdfsig(b, pki.nssDir)).map((s) => s.valid)).toEqual([true, true]);
  }, SLOW);

  it('income: the "dấu đến" box at the top left of page 1 with the arrival number and date', async () => {
    const out = path.join(dir, 'cv.income.pdf');
    const r = await sign([cv.pdf, '-o', out, '--p12', pki.leaves['clerk-ec'].p12, '--role', 'income', '--doc-number', '42', '--doc-date', '2026-03-07']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = await text(out);
    expect(t).toContain('ĐẾN');
    expect(t).toMatch(/Số: 42/);
    expect(t).toMatch(/Ngày: 07\/03\/2026/);
    const s = (await verifyJson(out)).signatures[0];
    expect(s.indication).toBe('TOTAL_PASSED');
    expect(s.rect[0]).toBeLessThan(100);
    expect(s.rect[3]).toBeGreaterThan(800);
  }, SLOW);
});

describe.concurrent('bad input: message, exit code, no output file', () => {
  const cases: Array<{ name: string; args: () => Promise<string[]>; code: number; match: RegExp; cwd?: () => string }> = [
    {
      name: 'invalid image',
      args: async () => {
        await writeFile(path.join(dir, 'not-an-image.png'), 'hello');
        return ['--role', 'approve', '--image', path.join(dir, 'not-an-image.png')];
      },
      code: 5,
      match: /not-an-image\.png: not a usable PNG or JPEG image/,
    },
    {
      name: 'truncated PNG',
      args: async () => {
        const b = await readFile(cv.signature);
        await writeFile(path.join(dir, 'cut.png'), b.subarray(0, Math.floor(b.length / 2)));
        return ['--role', 'approve', '--image', path.join(dir, 'cut.png')];
      },
      code: 5,
      match: /cut\.png: not a usable PNG or JPEG image \(truncated/,
    },
    { name: 'character missing from the font', args: async () => ['--role', 'appendix', '--doc-number', '15/UBND-VP 文'], code: 5, match: /character "文" \(U\+6587\) is not in the font/ },
    {
      name: 'anchor not found',
      args: async () => ['--image', cv.signature, '--anchor', 'PHÓ GIÁM ĐỐC'],
      code: 5,
      match: /anchor text "PHÓ GIÁM ĐỐC" is not on page 1/,
    },
    { name: 'rectangle off the page', args: async () => ['--image', cv.signature, '--rect', '500,800,200,100'], code: 2, match: /--rect 500,800,200,100 is not inside page 1/ },
    {
      name: 'issue without a seal in the profile',
      args: async () => ['--role', 'issue', '--doc-number', '15/UBND-VP'],
      code: 2,
      match: /"appearance\.seal\.image"/,
      cwd: () => path.join(dir, 'xdg'),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const out = path.join(dir, `bad-${c.name.replace(/\W+/g, '-')}.pdf`);
      const r = await sign([cv.pdf, '-o', out, '--p12', pki.leaves['org-rsa'].p12, ...(await c.args())], c.cwd?.() ?? dir);
      expect(r.stderr).toMatch(c.match);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(c.code);
      expect(existsSync(out)).toBe(false);
    }, SLOW);
  }
});
