#!/usr/bin/env node
/**
 * Renders a kyso HTML report in headless Chromium (Debian's `chromium`; as root it needs --no-sandbox) and
 * writes a PNG screenshot:  node scripts/report-screenshot.mjs report.html out.png [width] [height]
 * Used by test/report/html-report.test.ts and to make docs/report-html.png for the README.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export function screenshot(html, png, width = 1100, height = 760) {
  const profile = mkdtempSync(path.join(tmpdir(), 'kyso-chromium-'));
  try {
    execFileSync(
      process.env.CHROMIUM ?? 'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        `--screenshot=${path.resolve(png)}`,
        pathToFileURL(path.resolve(html)).href,
      ],
      { stdio: 'pipe', timeout: 120_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM after Chromium has loaded the page (for checks of what is displayed). */
export function dumpDom(html) {
  const profile = mkdtempSync(path.join(tmpdir(), 'kyso-chromium-'));
  try {
    return execFileSync(
      process.env.CHROMIUM ?? 'chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(path.resolve(html)).href],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, maxBuffer: 64 << 20 },
    ).toString('utf8');
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [html, png, w, h] = process.argv.slice(2);
  if (!html || !png) {
    process.stderr.write('usage: node scripts/report-screenshot.mjs report.html out.png [width] [height]\n');
    process.exit(2);
  }
  screenshot(html, png, w ? Number(w) : undefined, h ? Number(h) : undefined);
}
