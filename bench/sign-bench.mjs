// Benchmark: `kyso sign` on 1 MB, 10 MB, 100 MB and 1 GB PDFs beside a floor measured in the same run
// (a Node process that stream-copies the file with fsync, SHA-256s the two signed ranges and makes one RSA
// signature: the least any signer must do). Wall time of each process, and its peak RSS as the kernel counted it
// (GNU time's %M, which adds no polling load to the machine being measured). Prints a table; writes BENCHMARKS.md.
// Usage: node bench/sign-bench.mjs [--sizes 1,10,100,1024] [--runs 5]   (sizes in MiB; needs dist/: npm run build)
import { makeLargePdf } from './large-pdf.mjs';
import { writeBenchmarkSection } from './benchmarks-md.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KYSO = path.join(ROOT, 'bin', 'kyso.js');
const MiB = 1024 * 1024;

function sh(cmd, args) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Throw-away root → leaf (RSA 2048) with openssl, and the leaf as PKCS#12 for kyso. */
export function makePki(dir) {
  const p = (n) => path.join(dir, n);
  writeFileSync(p('ext.cnf'), '[ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nbasicConstraints=CA:false\nkeyUsage=critical,digitalSignature,nonRepudiation\n');
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('root.key'), '-out', p('root.pem'), '-days', '30', '-subj', '/CN=Bench Root/O=kyso bench/C=VN', '-config', p('ext.cnf'), '-extensions', 'ca']);
  sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=Nguyen Van Bench/O=kyso bench/C=VN']);
  sh('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-CAcreateserial', '-out', p('leaf.pem'), '-days', '20', '-extfile', p('ext.cnf'), '-extensions', 'leaf']);
  sh('openssl', ['pkcs12', '-export', '-inkey', p('leaf.key'), '-in', p('leaf.pem'), '-certfile', p('root.pem'), '-passout', 'pass:bench', '-out', p('leaf.p12')]);
  return { p12: p('leaf.p12'), key: p('leaf.key') };
}

/** The floor, run as its own Node process (start-up included, like kyso). */
export const FLOOR = `
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createHash, sign } from 'node:crypto';
const [input, output, keyFile] = process.argv.slice(2);
await pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), createWriteStream(output, { highWaterMark: 1 << 20 }));
const fh = await open(output, 'r+');
await fh.sync();
const size = (await fh.stat()).size;
// two ranges around a 16 KiB "signature" gap near the end, like a signed PDF's ByteRange
const a = Math.max(0, size - 20000), b = Math.min(size, a + 16384);
const h = createHash('sha256');
const buf = Buffer.allocUnsafe(1 << 20);
for (const [s, e] of [[0, a], [b, size]]) {
  for (let p = s; p < e; ) { const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, e - p), p); h.update(buf.subarray(0, bytesRead)); p += bytesRead; }
}
await fh.close();
sign('sha256', h.digest(), await readFile(keyFile, 'utf8'));
`;

/**
 * Variables of the bench's own environment that cost every Node process the same work before any of its code
 * runs, and that a clerk's machine does not have: NODE_EXTRA_CA_CERTS (this sandbox points it at the system CA
 * bundle; Node 20 then parses ~140 certificates at every start, 40+ ms on a 2-CPU VM, so that `node -e 0`
 * takes 0.105 s instead of 0.062 s). Left in, it is added to kyso and to every floor alike, which flatters
 * every ratio and hides what kyso itself costs. Removed from this process's environment (children inherit
 * it), once; returns a sentence for BENCHMARKS.md naming what was removed, or '' when nothing was.
 */
export function benchEnvironment() {
  const removed = ['NODE_EXTRA_CA_CERTS'].filter((k) => process.env[k] !== undefined);
  for (const k of removed) {
    benchEnvironment.removed.add(k);
    delete process.env[k];
  }
  const all = [...benchEnvironment.removed];
  return all.length ? `Removed from the environment of every process measured (kyso and floors alike): ${all.join(', ')} (it adds the same start-up cost to every Node process, and a clerk's machine does not set it).` : '';
}
benchEnvironment.removed = new Set();

/**
 * Runs a process under GNU time; returns wall ms (from this process) and the peak RSS (MiB) the kernel counted.
 * With `{ rss: false }` the process is spawned directly and only timed: the GNU time wrapper adds its own fork and
 * exec, 5–25 ms on this VM, which matters when the whole run takes 0.1 s (bench/startup-bench.mjs).
 */
let measured = 0;
export function measure(cmd, args, env, { rss = true } = {}) {
  return new Promise((resolve, reject) => {
    // GNU time reports the peak resident memory of the process it runs (its own few hundred kB aside)
    const rssFile = rss ? path.join(tmpdir(), `kyso-bench-rss-${process.pid}-${measured++}`) : undefined;
    const t0 = process.hrtime.bigint();
    const [file, argv] = rssFile ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
    const child = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let kb = Number.NaN;
      if (rssFile) {
        try {
          kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
          rmSync(rssFile, { force: true });
        } catch {
          kb = 0; // time could not write it
        }
      }
      if (code !== 0) reject(new Error(`${path.basename(args[0] ?? cmd)} exited ${code}: ${stderr}`));
      else resolve({ ms, rssMiB: kb / 1024 });
    });
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runSignBench({ sizesMiB = [1, 10, 100, 1024], runs = 5, log = console.log, writeMarkdown = true } = {}) {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const envNote = benchEnvironment();
  const dir = mkdtempSync(path.join(tmpdir(), 'kyso-sign-bench-'));
  const rows = [];
  const loadBefore = loadavg()[0];
  try {
    const pki = makePki(dir);
    const floorScript = path.join(dir, 'floor.mjs');
    writeFileSync(floorScript, FLOOR);
    for (const mib of sizesMiB) {
      const input = path.join(dir, `in-${mib}.pdf`);
      await makeLargePdf(input, mib * MiB);
      const size = statSync(input).size;
      const n = mib >= 1024 ? Math.min(runs, 3) : runs;
      const floor = [];
      const kyso = [];
      for (let i = 0; i < n; i++) {
        const fout = path.join(dir, `floor-${mib}.out`);
        floor.push(await measure(process.execPath, [floorScript, input, fout, pki.key]));
        rmSync(fout, { force: true });
        const kout = path.join(dir, `out-${mib}.pdf`);
        kyso.push(await measure(process.execPath, [KYSO, 'sign', input, '-o', kout, '--p12', pki.p12], { KYSO_P12_PASSWORD: 'bench' }));
        if (i === 0 && mib <= 10) sh('qpdf', ['--check', kout]); // the output is a sound PDF
        rmSync(kout, { force: true });
      }
      rmSync(input, { force: true });
      const row = {
        size: mib >= 1024 ? `${mib / 1024} GB` : `${mib} MB`,
        bytes: size,
        floorMs: median(floor.map((r) => r.ms)),
        kysoMs: median(kyso.map((r) => r.ms)),
        floorRss: Math.max(...floor.map((r) => r.rssMiB)),
        kysoRss: Math.max(...kyso.map((r) => r.rssMiB)),
        runs: n,
      };
      row.ratio = row.kysoMs / row.floorMs;
      rows.push(row);
      log(`  ${row.size}: kyso ${(row.kysoMs / 1000).toFixed(2)} s / ${row.kysoRss.toFixed(0)} MiB; floor ${(row.floorMs / 1000).toFixed(2)} s / ${row.floorRss.toFixed(0)} MiB; ratio ${row.ratio.toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const table = renderTable(rows);
  log('\n' + table);
  const load = `load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`;
  log(load);
  if (writeMarkdown) writeBenchmarksMd(table, load, envNote);
  return rows;
}

function verdict(r) {
  if (r.bytes < 50 * MiB) return 'start-up dominates';
  const rssTarget = r.bytes >= 512 * MiB ? 250 : 150;
  const ok = r.ratio <= 1.5 && r.kysoRss < rssTarget;
  return `${ok ? 'meets' : 'MISSES'} target (≤ 1.5x, < ${rssTarget} MiB)`;
}

function renderTable(rows) {
  const head = '| size | kyso sign wall | kyso peak RSS | floor wall | floor peak RSS | time ratio | runs (median) | |\n|---|---|---|---|---|---|---|---|';
  const lines = rows.map(
    (r) =>
      `| ${r.size} | ${(r.kysoMs / 1000).toFixed(2)} s | ${r.kysoRss.toFixed(0)} MiB | ${(r.floorMs / 1000).toFixed(2)} s | ${r.floorRss.toFixed(0)} MiB | ${r.ratio.toFixed(2)}x | ${r.runs} | ${verdict(r)} |`,
  );
  return [head, ...lines].join('\n');
}

function writeBenchmarksMd(table, load, envNote) {
  writeBenchmarkSection('sign-bench', [
    '## kyso sign (large PDFs)',
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench\` (bench/sign-bench.mjs) on ${process.platform} ${process.arch}, Node ${process.version},`,
    `${cpus().length} CPUs, ${load} (other work on the machine shifts start-up times: compare the two columns of one row).`,
    'Each row: the median wall time of the real `kyso sign in.pdf -o out.pdf --p12 …` process (PKCS#12, RSA 2048,',
    'SHA-256, B-B) and of the floor (a Node process that stream-copies the file with fsync, SHA-256s the two signed',
    'ranges and makes one RSA signature), both from process start to exit; peak RSS as the kernel counts it (GNU time %M).',
    'Targets (issue 2): at 100 MB and 1 GB within 1.5x of the floor; peak RSS < 150 MiB at 100 MB, < 250 MiB at 1 GB.',
    ...(envNote ? [envNote] : []),
    'For comparison, @signpdf 3.3 on this kind of machine: 6.0 s and 904 MB at 100 MB; it cannot sign 600 MB.',
    '',
    table,
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = arg('--sizes')?.split(',').map(Number);
  await runSignBench({ sizesMiB: sizes, runs: Number(arg("--runs") ?? 5) });
}
