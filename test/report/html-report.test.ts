/**
 * `kyso verify --format html` opened in headless Chromium: the rendered DOM (--dump-dom) shows the summary
 * counts and the failing file, the screenshot shows the verdict colours of the bar; the page loads nothing
 * from the network. KYSO_UPDATE_SCREENSHOT=1 also refreshes docs/report-html.png (shown in the README).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVerdictSamples } from '../fixtures/verdict-samples.js';
import { ROOT, runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { countColour, decodePng } from '../helpers/png.js';
// @ts-expect-error: a plain .mjs script without types
import { dumpDom, screenshot } from '../../scripts/report-screenshot.mjs';

const pki = getPki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-html-'));
  const { valid, tampered, unsigned: base, untrusted } = await makeVerdictSamples(pki);
  await mkdir(path.join(dir, 'hop-thu'));
  for (let i = 1; i <= 5; i++) await writeFile(path.join(dir, 'hop-thu', `cong-van-${i}.pdf`), valid);
  await writeFile(path.join(dir, 'hop-thu', 'quyet-dinh-bi-sua.pdf'), tampered);
  await writeFile(path.join(dir, 'hop-thu', 'to-trinh-khong-ro.pdf'), untrusted);
  await writeFile(path.join(dir, 'hop-thu', 'ban-nhap-chua-ky.pdf'), base);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HTML report in headless Chromium', () => {
  it('shows the counts, the failing file and the verdict colours (vi)', async () => {
    const r = await runKyso(['verify', 'hop-thu', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--format', 'html', '--lang', 'vi'], { cwd: dir });
    expect(r.code).toBe(1);
    const html = path.join(dir, 'report.html');
    await writeFile(html, r.stdout);
    expect(r.stdout).not.toMatch(/(src|href)="(https?:)?\/\//);
    const dom: string = dumpDom(html);
    const count = (k: string) => Number(new RegExp(`data-count="${k}"><span class="n">(\\d+)<`).exec(dom)?.[1]);
    expect([count('passed'), count('failed'), count('indeterminate'), count('unsigned'), count('error')]).toEqual([5, 1, 1, 1, 0]);
    expect(dom).toContain('Báo cáo kiểm tra chữ ký số');
    expect(dom).toMatch(/<tr class="row failed"[^>]*><td class="fname">hop-thu\/quyet-dinh-bi-sua\.pdf<\/td><td><span class="badge failed">Không hợp lệ</);
    const png = path.join(dir, 'report.png');
    screenshot(html, png);
    const img = decodePng(await readFile(png));
    expect(img.width).toBe(1100);
    // The bar and the badges are drawn in the verdict colours: green for passed, red for failed.
    expect(countColour(img, '#1a7f37')).toBeGreaterThan(2000);
    expect(countColour(img, '#cf222e')).toBeGreaterThan(300);
    if (process.env.KYSO_UPDATE_SCREENSHOT) await copyFile(png, path.join(ROOT, 'docs', 'report-html.png'));
  }, 180_000);

  it('English page: same counts, failing file labelled Failed, a filter per verdict', async () => {
    const r = await runKyso(['verify', 'hop-thu', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--format', 'html', '--lang', 'en'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('<html lang="en">');
    expect(r.stdout).toContain('Signature verification report');
    expect(r.stdout).toMatch(/<tr class="row failed"[^>]*><td class="fname">hop-thu\/quyet-dinh-bi-sua\.pdf<\/td><td><span class="badge failed">Failed</);
    for (const v of ['passed', 'failed', 'indeterminate', 'unsigned', 'error']) expect(r.stdout).toContain(`id="f-${v}"`);
    expect(r.stdout).toMatch(/#f-failed:checked ~ table tr\.row:not\(\.failed\)/);
  }, 60_000);
});
