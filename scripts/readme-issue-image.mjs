#!/usr/bin/env node
/**
 * Renders docs/images/issue-step.png, the README's picture of `kyso sign --role issue`: a throw-away demo PKI
 * and công văn, the leader's approval (generated signature image), then the clerk's issuance (number, date,
 * generated seal), each through the real CLI; page 1 rendered by poppler's pdftoppm.
 * Run after a build: `npx tsc -p tsconfig.build.json && node scripts/readme-issue-image.mjs`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { makeDemoPki } = await import(path.join(root, 'dist/services/demo-pki.js'));
const { writeSampleDocument } = await import(path.join(root, 'dist/services/demo-documents.js'));
const { sealPng, signaturePng } = await import(path.join(root, 'dist/services/demo-images.js'));

const dir = mkdtempSync(path.join(tmpdir(), 'kyso-readme-'));
try {
  const pki = await makeDemoPki(path.join(dir, 'pki'), new Date());
  const cv = path.join(dir, 'cong-van.pdf');
  await writeSampleDocument(cv);
  writeFileSync(path.join(dir, 'chu-ky.png'), signaturePng());
  writeFileSync(path.join(dir, 'dau-do.png'), sealPng(36));
  const kyso = (...args) =>
    execFileSync(process.execPath, [path.join(root, 'bin/kyso.js'), ...args], { cwd: dir, env: { ...process.env, KYSO_P12_PASSWORD: pki.password }, stdio: ['ignore', 'ignore', 'inherit'] });
  kyso('sign', 'cong-van.pdf', '-o', 'duyet.pdf', '--p12', pki.leader.p12, '--role', 'approve', '--image', 'chu-ky.png');
  kyso('sign', 'duyet.pdf', '-o', 'ban-hanh.pdf', '--p12', pki.organisation.p12, '--role', 'issue', '--doc-number', '15/UBND-VP', '--doc-date', '2026-01-05', '--image', 'dau-do.png');
  // page 1 at 90 dpi, from the top down to just below the signer's name
  const out = path.join(root, 'docs/images/issue-step');
  execFileSync('pdftoppm', ['-r', '90', '-f', '1', '-l', '1', '-singlefile', '-png', '-x', '0', '-y', '40', '-W', '744', '-H', '640', path.join(dir, 'ban-hanh.pdf'), out]);
  console.log(`${path.relative(root, out)}.png`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
