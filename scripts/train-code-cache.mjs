#!/usr/bin/env node
// Build step (scripts/build.mjs, stage 3): trains the V8 code caches of dist/bundle/*.cjs (src/cli/code-cache.ts).
// Usage: node scripts/train-code-cache.mjs <work folder> [profile]
//  - no profile: the general caches (<file>.v8cache). Runs, in this one process, what clerks, scripts and CI jobs
//    run most: the top-level and sign help, the demo (test PKI, sign, verify, a local hub, send, receive, status,
//    all through the real commands), and a single-file verify; at exit every bundle file that was loaded gets a
//    cache holding the functions these commands compiled. Run first: it leaves the demo's files in <work>/demo.
//  - worker, workerjobs: the caches of a verify worker thread (two inputs or more), trained in a worker thread under
//    the V8 flags of a --jobs 1 pool and of a --jobs N pool (src/core/v8-tuning.ts), which V8 tells apart.
//  - verify, sign, help: the caches of one start-up-bound kind of run (<file>.<profile>.v8cache), each in a
//    process of its own so that they hold only what that run compiles: one signed file of the demo verified
//    (text and --json), one PDF signed with the demo's PKCS#12 (invisible, then visible), the top-level help and version.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'bundle');
const [work, profile] = process.argv.slice(2);
if (!work) throw new Error('usage: train-code-cache.mjs <work folder> [verify|sign|help|worker|workerjobs]');
if (profile !== undefined && !['verify', 'sign', 'help', 'worker', 'workerjobs'].includes(profile)) throw new Error(`train-code-cache.mjs: unknown profile ${profile}`);
const demo = path.join(work, 'demo');
// the demo's signed documents, and the one it issued last
const signedPdfs = () => {
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
  return pdfs;
};

if (profile === 'worker' || profile === 'workerjobs') {
  // A verify worker thread, started as src/services/verify-files.ts starts one (dist/bundle/verify-worker-boot.cjs)
  // under the V8 flags of its pool (workerjobs: src/core/v8-tuning.ts's, set before the worker starts), verifies the
  // demo's signed documents, then is told to end: it writes the caches of what it loaded as it exits. This
  // process's own thread loads no bundle file.
  const { Worker, MessageChannel } = await import('node:worker_threads');
  if (profile === 'workerjobs') {
    const { BATCH_V8_FLAGS } = await import(pathToFileURL(path.join(root, 'dist', 'core', 'v8-tuning.js')).href);
    (await import('node:v8')).setFlagsFromString(BATCH_V8_FLAGS);
  }
  const { port1, port2 } = new MessageChannel();
  const state = new Int32Array(new SharedArrayBuffer(8));
  state[0] = -1;
  const settings = { trust: [], defaultTrust: true, revocation: 'off', cacheDir: path.join(work, 'cache'), fileTimeoutMs: 60_000, maxMemoryMb: 1024 };
  const w = new Worker(path.join(bundle, 'verify-worker-boot.cjs'), {
    workerData: { settings, state, epoch: Date.now(), kysoCacheProfile: profile, kysoCacheTrain: port2 },
    transferList: [port2],
  });
  const pdfs = signedPdfs();
  await new Promise((resolve, reject) => {
    let n = 0;
    w.on('error', reject);
    w.on('message', (m) => {
      if (m.fatal) reject(new Error(m.fatal.message));
      n += m.results?.length ?? 0;
      if (n === pdfs.length) resolve();
    });
    w.postMessage(pdfs.map((p, id) => ({ id, path: p, display: p })));
  });
  const exited = new Promise((resolve) => w.once('exit', resolve));
  port1.postMessage('end');
  if ((await exited) !== 0) throw new Error('the training worker did not end cleanly');
  port1.close();
  process.exit(0);
}

const require = createRequire(import.meta.url);
require(path.join(bundle, 'code-cache.cjs')).installCodeCache(bundle, 'write', profile);
const { main, realContext } = require(path.join(bundle, 'kyso.cjs'));

const quiet = { write() {}, isTTY: false };
const ctx = (env = {}) => ({ ...realContext(), stdout: quiet, stderr: quiet, cwd: work, env: { PATH: process.env.PATH, HOME: work, LANG: 'C.UTF-8', ...env }, lang: 'en' });
const run = async (argv, env) => {
  const code = await main(argv, ctx(env));
  if (code !== 0) throw new Error(`kyso ${argv.join(' ')}: exit ${code}`);
};

if (profile === undefined) {
  await run(['--help']);
  await run(['sign', '--help']);
  await run(['demo', '--data-dir', demo]);
  // verify one on its own, as a CI job does file by file
  const last = signedPdfs().at(-1);
  await main(['verify', last, '--revocation', 'off', '--json'], ctx());
  await main(['verify', last, '--revocation', 'off'], ctx());
} else if (profile === 'verify') {
  const last = signedPdfs().at(-1);
  await main(['verify', last, '--revocation', 'off'], ctx());
  await main(['verify', last, '--revocation', 'off', '--json'], ctx());
} else if (profile === 'sign') {
  // the demo's draft (unsigned) with the demo leader's PKCS#12; the passphrase is in the demo's pki/README.txt
  const password = /Passphrase of the \.p12 files in this folder: (\S+)/.exec(readFileSync(path.join(demo, 'pki', 'README.txt'), 'utf8'))?.[1];
  if (!password) throw new Error("the demo's pki/README.txt names no passphrase");
  const out = path.join(work, 'trained-sign.pdf');
  rmSync(out, { force: true });
  await run(['sign', path.join(demo, 'cong-van.pdf'), '-o', out, '--p12', path.join(demo, 'pki', 'lanh-dao.p12')], { KYSO_P12_PASSWORD: password });
  // and with the leader's visible signature, placed by the page's text (pdf.js, fontkit, the PNG): what a clerk signs
  const visible = path.join(work, 'trained-sign-visible.pdf');
  rmSync(visible, { force: true });
  await run(['sign', path.join(demo, 'cong-van.pdf'), '-o', visible, '--p12', path.join(demo, 'pki', 'lanh-dao.p12'), '--role', 'approve', '--image', path.join(demo, 'chu-ky.png')], { KYSO_P12_PASSWORD: password });
} else {
  await run(['--help']);
  await run(['--version']);
}
process.exit(0);
