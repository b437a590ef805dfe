// Benchmark: kyso's fixed costs (issue 16). Each row runs the real CLI beside a floor measured in the same
// run: `kyso --help` vs `node -e 0`; one 50 KB PDF vs the sign floor (stream copy + fsync + hash + one RSA
// signature, bench/sign-bench.mjs); one công văn with a visible signature vs the same floor; 200 small PDFs in one `kyso sign dir/ --out-dir` vs one Node process doing
// the floor's work for each file; one `kyso verify file.pdf` in its own process vs pdfsig on the same file.
// Usage: node bench/startup-bench.mjs [--runs 5] [--smoke]   (--smoke: one run, no BENCHMARKS.md: for CI)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchmarkSection } from './benchmarks-md.mjs';
import { makeLargePdf } from './large-pdf.mjs';
import { FLOOR, benchEnvironment, makePki, measure, median } from './sign-bench.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KYSO = path.join(ROOT, 'bin', 'kyso.js');

/** The sign floor's work for every file of a folder, in one process (the least a batch signer must do). */
const BATCH_FLOOR = `
import { createReadStream, createWriteStream, readdirSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import path from 'node:path';
const [inDir, outDir, keyFile] = process.argv.slice(2);
const key = createPrivateKey(await readFile(keyFile, 'utf8'));
const buf = Buffer.allocUnsafe(1 << 20);
for (const name of readdirSync(inDir)) {
  const output = path.join(outDir, name);
  await pipeline(createReadStream(path.join(inDir, name)), createWriteStream(output));
  const fh = await open(output, 'r+');
  await fh.sync();
  const size = (await fh.stat()).size;
  const a = Math.max(0, size - 20000), b = Math.min(size, a + 16384);
  const h = createHash('sha256');
  for (const [s, e] of [[0, a], [b, size]]) {
    for (let p = s; p < e; ) { const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, e - p), p); h.update(buf.subarray(0, bytesRead)); p += bytesRead; }
  }
  await fh.close();
  sign('sha256', h.digest(), key);
}
`;

export async function runStartupBench({ runs = 5, smoke = false, log = console.log } = {}) {
  const n = smoke ? 1 : runs;
  const envNote = benchEnvironment();
  const dir = mkdtempSync(path.join(tmpdir(), 'kyso-startup-bench-'));
  const loadBefore = loadavg()[0];
  const rows = [];
  // Run 0 of each pair runs under GNU time for the peak RSS and is not timed (the wrapper's own fork and exec add
  // 5–25 ms on this VM); runs 1..n are spawned directly and timed.
  const sample = (i, cmd, args, env) => measure(cmd, args, env, { rss: i === 0 }).then((x) => ({ ...x, rssRun: i === 0 }));
  const timed = (xs) => xs.filter((x) => !x.rssRun).map((x) => x.ms);
  const row = (work, kyso, floor, floorName, extra = '') => {
    const r = { work, kysoMs: median(timed(kyso)), floorMs: median(timed(floor)), kysoRss: Math.max(...kyso.filter((x) => x.rssRun).map((x) => x.rssMiB)), floorName, extra };
    r.ratio = r.kysoMs / r.floorMs;
    rows.push(r);
    log(`  ${work}: kyso ${(r.kysoMs / 1000).toFixed(3)} s, ${floorName} ${(r.floorMs / 1000).toFixed(3)} s, ${r.ratio.toFixed(2)}x${extra ? `, ${extra}` : ''}`);
  };
  try {
    const pki = makePki(dir);
    const floorScript = path.join(dir, 'floor.mjs');
    writeFileSync(floorScript, FLOOR);
    const batchScript = path.join(dir, 'batch-floor.mjs');
    writeFileSync(batchScript, BATCH_FLOOR);
    const env = { KYSO_P12_PASSWORD: 'bench', LANG: 'C.UTF-8' };

    // 1. kyso --help vs node -e 0
    const help = [];
    const node = [];
    for (let i = 0; i <= n; i++) {
      node.push(await sample(i, process.execPath, ['-e', '0']));
      help.push(await sample(i, process.execPath, [KYSO, '--help'], env));
    }
    row('`kyso --help`', help, node, '`node -e 0`');

    /** One signed file per run, kyso and the sign floor alternating on the same input; run 0's output goes to qpdf. */
    const signOne = async (work, input, extra, note) => {
      const kyso = [];
      const floor = [];
      for (let i = 0; i <= n; i++) {
        const f = path.join(dir, `floor-${i}.pdf`);
        floor.push(await sample(i, process.execPath, [floorScript, input, f, pki.key]));
        const o = path.join(dir, `one-${i}.pdf`);
        kyso.push(await sample(i, process.execPath, [KYSO, 'sign', input, '-o', o, '--p12', pki.p12, ...extra], env));
        if (i === 0) execFileSync('qpdf', ['--check', o], { stdio: 'ignore' });
        rmSync(f, { force: true });
        rmSync(o, { force: true });
      }
      row(work, kyso, floor, 'sign floor', note);
    };

    // 2. one 50 KB PDF
    const small = path.join(dir, 'small.pdf');
    await makeLargePdf(small, 50 * 1024);
    await signOne('sign one 50 KB PDF', small, []);

    // 2b. one công văn with the leader's visible signature, placed by the page's text (pdf.js, fonts, the PNG): what
    // a clerk signs most; no target in issue 16, the same floor on the same file
    const { writeSampleDocument } = await import(path.join(ROOT, 'dist/services/demo-documents.js'));
    const { signaturePng } = await import(path.join(ROOT, 'dist/services/demo-images.js'));
    const cv = path.join(dir, 'cong-van.pdf');
    await writeSampleDocument(cv);
    const sigPng = path.join(dir, 'chu-ky.png');
    writeFileSync(sigPng, signaturePng());
    await signOne('sign one công văn, visible (`--role approve`)', cv, ['--role', 'approve', '--image', sigPng], 'no target');

    // 3. 200 small PDFs in one run
    const inDir = path.join(dir, 'in');
    mkdirSync(inDir);
    for (let k = 0; k < 200; k++) copyFileSync(small, path.join(inDir, `doc-${String(k).padStart(3, '0')}.pdf`));
    const batch = [];
    const batchFloor = [];
    for (let i = 0; i <= n; i++) {
      const fo = path.join(dir, `bf-${i}`);
      mkdirSync(fo);
      batchFloor.push(await sample(i, process.execPath, [batchScript, inDir, fo, pki.key]));
      rmSync(fo, { recursive: true, force: true });
      const ko = path.join(dir, `bk-${i}`);
      mkdirSync(ko);
      batch.push(await sample(i, process.execPath, [KYSO, 'sign', inDir, '--out-dir', ko, '--p12', pki.p12], env));
      if (readdirSync(ko).length !== 200) throw new Error(`kyso signed ${readdirSync(ko).length} of 200 files`);
      rmSync(ko, { recursive: true, force: true });
    }
    const docsPerS = 200 / (median(timed(batch)) / 1000);
    const floorDocsPerS = 200 / (median(timed(batchFloor)) / 1000);
    row('sign 200 small PDFs, one run', batch, batchFloor, 'batch floor', `${docsPerS.toFixed(0)} docs/s (floor ${floorDocsPerS.toFixed(0)} docs/s)`);

    // 4. verify one signed file in its own process vs pdfsig
    const signed = path.join(dir, 'signed.pdf');
    execFileSync(process.execPath, [KYSO, 'sign', small, '-o', signed, '--p12', pki.p12], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const ver = [];
    const pdfsig = [];
    const root = path.join(dir, 'root.pem');
    for (let i = 0; i <= n; i++) {
      pdfsig.push(await sample(i, 'pdfsig', ['-nocert', signed]));
      ver.push(await sample(i, process.execPath, [KYSO, 'verify', signed, '--trust', root, '--no-default-trust', '--revocation', 'off'], env));
    }
    row('`kyso verify` one signed file', ver, pdfsig, '`pdfsig -nocert`');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const load = `load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`;
  const table = [
    '| work | kyso (median) | kyso peak RSS | floor | floor (median) | ratio | |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.work} | ${(r.kysoMs / 1000).toFixed(3)} s | ${r.kysoRss.toFixed(0)} MiB | ${r.floorName} | ${(r.floorMs / 1000).toFixed(3)} s | ${r.ratio.toFixed(2)}x | ${r.extra} |`),
  ].join('\n');
  log('\n' + table + '\n' + load);
  if (!smoke) {
    writeBenchmarkSection('startup-bench', [
      '## Fixed costs: start-up, one document, a batch of small ones',
      '',
      `Measured ${new Date().toISOString()} by \`npm run bench -- startup\` (bench/startup-bench.mjs) on ${process.platform} ${process.arch}, Node ${process.version},`,
      `${cpus().length} CPUs, ${load}; ${n} timed runs each (spawned directly, stdout and stderr piped), medians, kyso and its floor`,
      'alternating, after one run of each under GNU time for the peak RSS (not timed: the wrapper adds its own fork and exec).',
      'Floors: `node -e 0`; the sign floor (stream copy + fsync + SHA-256 of the two ranges + one RSA-2048 signature);',
      'the batch floor (the same for 200 files in one Node process); `pdfsig -nocert` (poppler, no certificate check).',
      ...(envNote ? [envNote] : []),
      '',
      table,
    ]);
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--runs');
  await runStartupBench({ runs: i > 0 ? Number(process.argv[i + 1]) : 5, smoke: process.argv.includes('--smoke') });
}
