#!/usr/bin/env node
// Build step (scripts/build.mjs, stage 3): trains the V8 code caches of dist/bundle/*.cjs (src/cli/code-cache.ts).
// Runs, in this one process, what clerks, scripts and CI jobs run most: the top-level and sign help, the demo
// (test PKI, sign, verify, a local hub, send, receive, status, all through the real commands), and a single-file
// verify with --json; at exit every bundle file that was loaded gets a cache holding the functions these
// commands compiled. Usage: node scripts/train-code-cache.mjs <empty work folder>
import { createRequire } from 'node:module';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'bundle');
const work = process.argv[2];
if (!work) throw new Error('usage: train-code-cache.mjs <work folder>');
const require = createRequire(import.meta.url);
require(path.join(bundle, 'code-cache.cjs')).installCodeCache(bundle, 'write');
const { main, realContext } = require(path.join(bundle, 'kyso.cjs'));

const quiet = { write() {}, isTTY: false };
const ctx = { ...realContext(), stdout: quiet, stderr: quiet, cwd: work, env: { PATH: process.env.PATH, HOME: work, LANG: 'C.UTF-8' }, lang: 'en' };
const run = async (argv) => {
  const code = await main(argv, ctx);
  if (code !== 0) throw new Error(`kyso ${argv.join(' ')}: exit ${code}`);
};

await run(['--help']);
await run(['sign', '--help']);
const demo = path.join(work, 'demo');
await run(['demo', '--data-dir', demo]);
// the demo's signed documents: verify one on its own, as a CI job does file by file
const pdfs = [];
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = path.join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.pdf')) pdfs.push(p);
  }
};
walk(demo);
if (pdfs.length === 0) throw new Error('the demo left no PDF');
await main(['verify', pdfs[pdfs.length - 1], '--revocation', 'off', '--json'], ctx);
await main(['verify', pdfs[pdfs.length - 1], '--revocation', 'off'], ctx);
process.exit(0);
