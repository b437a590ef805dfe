// Benchmark: `kyso sign <folder> --out-dir` over 200 small PDFs with a SoftHSM token (one login for the
// batch), beside the token's own signing time recorded by kyso's binding trace (KYSO_PKCS11_TRACE), and a
// 1-file run that gives the fixed start-up cost (node, module load, login, chain). Wall and user+sys CPU of
// the kyso process come from bash's `time`. Moved out of test/token/token-batch.test.ts:
// timings are figures for BENCHMARKS.md, not test assertions.
// Usage: node bench/token-bench.mjs [--files 200]   (needs dist/: npm run build; softhsm2 and opensc installed)
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchmarkSection } from './benchmarks-md.mjs';
import { makeLargePdf } from './large-pdf.mjs';
import { makePki } from './sign-bench.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KYSO = path.join(ROOT, 'bin', 'kyso.js');
const MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'];

/** Runs the CLI under bash's `time`: wall and user+sys CPU of the kyso process, in ms. */
function timedKyso(args, env) {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, KYSO, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('bash', ['-c', `time ${quoted} >/dev/null`], { cwd: ROOT, env: { ...process.env, LANG: 'C.UTF-8', ...env, TIMEFORMAT: 'KYSO-TIME %R %U %S' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /KYSO-TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`kyso exited ${code}: ${stderr}`));
      resolve({ realMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 });
    });
  });
}

/** A SoftHSM token holding the bench leaf's key and certificate. */
function makeToken(dir, pki) {
  const module = MODULES.find((m) => existsSync(m));
  if (!module) throw new Error('SoftHSM2 module not found: apt-get install softhsm2 opensc');
  const tokendir = path.join(dir, 'tokens');
  mkdirSync(tokendir);
  const conf = path.join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokendir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const pin = '123456';
  const sh = (cmd, args) => execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  sh('softhsm2-util', ['--init-token', '--free', '--label', 'KysoBench', '--so-pin', '87654321', '--pin', pin]);
  sh('softhsm2-util', ['--import', pki.key, '--token', 'KysoBench', '--label', 'bench', '--id', '01', '--pin', pin]);
  const der = path.join(dir, 'leaf.der');
  sh('openssl', ['x509', '-in', path.join(path.dirname(pki.key), 'leaf.pem'), '-outform', 'DER', '-out', der]);
  sh('pkcs11-tool', ['--module', module, '--token-label', 'KysoBench', '--login', '--pin', pin, '--write-object', der, '--type', 'cert', '--id', '01', '--label', 'bench']);
  return { module, pin, env: { SOFTHSM2_CONF: conf } };
}

export async function runTokenBench({ files = 200, log = console.log, writeMarkdown = true } = {}) {
  if (!existsSync(path.join(ROOT, 'dist'))) throw new Error('dist/ is missing: run npm run build first');
  const dir = mkdtempSync(path.join(tmpdir(), 'kyso-token-bench-'));
  const loadBefore = loadavg()[0];
  try {
    const pki = makePki(dir);
    const token = makeToken(dir, pki);
    const small = path.join(dir, 'small.pdf');
    await makeLargePdf(small, 50 * 1024);
    const inDir = path.join(dir, 'in');
    mkdirSync(inDir);
    for (let i = 0; i < files; i++) copyFileSync(small, path.join(inDir, `doc-${String(i).padStart(3, '0')}.pdf`));
    const common = ['--pkcs11-module', token.module, '--token-label', 'KysoBench', '--chain', path.join(dir, 'root.pem')];
    const env = { ...token.env, KYSO_PIN: token.pin };
    const oneTrace = path.join(dir, 'trace-one.tsv');
    const trace = path.join(dir, 'trace.tsv');
    const one = await timedKyso(['sign', small, '-o', path.join(dir, 'one.pdf'), ...common], { ...env, KYSO_PKCS11_TRACE: oneTrace });
    // The same batch with the same key in a PKCS#12 file, in the same run: the token's own cost per document is
    // the difference, less the time spent inside the token (issue 16: ≤ 2 ms beyond C_Sign).
    const runs = 3;
    const tokenRuns = [];
    const p12Runs = [];
    let tokenPerDoc = 0;
    for (let k = 0; k < runs; k++) {
      const outDir = path.join(dir, `out-${k}`);
      mkdirSync(outDir);
      rmSync(trace, { force: true });
      tokenRuns.push(await timedKyso(['sign', inDir, '--out-dir', outDir, ...common], { ...env, KYSO_PKCS11_TRACE: trace }));
      const signedCount = readdirSync(outDir).length;
      if (signedCount !== files) throw new Error(`kyso signed ${signedCount} of ${files} files`);
      const lines = readFileSync(trace, 'utf8').trim().split('\n').map((l) => l.split('\t'));
      tokenPerDoc += lines.filter((l) => l[0] === 'C_Sign' || l[0] === 'C_SignInit').reduce((a, l) => a + Number(l[1]), 0) / files / runs;
      rmSync(outDir, { recursive: true, force: true });
      const p12Out = path.join(dir, `p12-${k}`);
      mkdirSync(p12Out);
      p12Runs.push(await timedKyso(['sign', inDir, '--out-dir', p12Out, '--p12', pki.p12], { KYSO_P12_PASSWORD: 'bench' }));
      rmSync(p12Out, { recursive: true, force: true });
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const all = { realMs: med(tokenRuns.map((r) => r.realMs)), cpuMs: med(tokenRuns.map((r) => r.cpuMs)) };
    const p12 = { realMs: med(p12Runs.map((r) => r.realMs)), cpuMs: med(p12Runs.map((r) => r.cpuMs)) };
    const perDoc = (all.realMs - one.realMs) / (files - 1);
    const cpuPerDoc = (all.cpuMs - one.cpuMs) / (files - 1);
    const addedWall = (all.realMs - p12.realMs) / files - tokenPerDoc;
    const addedCpu = (all.cpuMs - p12.cpuMs) / files - tokenPerDoc;
    const load = `load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`;
    const table = [
      '| run | wall | CPU (user+sys) |',
      '|---|---|---|',
      `| 1 file, token | ${one.realMs.toFixed(0)} ms | ${one.cpuMs.toFixed(0)} ms |`,
      `| ${files} files, token (median of ${runs}) | ${all.realMs.toFixed(0)} ms | ${all.cpuMs.toFixed(0)} ms |`,
      `| ${files} files, the same key in a PKCS#12 (median of ${runs}) | ${p12.realMs.toFixed(0)} ms | ${p12.cpuMs.toFixed(0)} ms |`,
      `| per extra document, token | ${perDoc.toFixed(2)} ms | ${cpuPerDoc.toFixed(2)} ms |`,
      `| inside the token (C_SignInit + C_Sign) per document | ${tokenPerDoc.toFixed(3)} ms | |`,
      `| the token path's own cost per document: (token − PKCS#12) / ${files} − inside the token (target ≤ 2 ms) | ${addedWall.toFixed(2)} ms | ${addedCpu.toFixed(2)} ms |`,
    ].join('\n');
    log(table + '\n' + load);
    if (writeMarkdown) {
      writeBenchmarkSection('token-bench', [
        '## kyso sign: a batch on a PKCS#11 token (SoftHSM)',
        '',
        `Measured ${new Date().toISOString()} by \`npm run bench -- token\` (bench/token-bench.mjs) on ${process.platform} ${process.arch}, Node ${process.version},`,
        `${cpus().length} CPUs, ${load}. \`kyso sign <folder> --out-dir\` over ${files} PDFs of 50 KB with one token login, and a 1-file run`,
        '(the fixed cost: node, module load, login, chain), and the same batch signed with the same key in a PKCS#12 file, alternating;',
        'the time inside the token comes from KYSO_PKCS11_TRACE.',
        '',
        table,
      ]);
    }
    return { files, one, all, p12, perDoc, cpuPerDoc, tokenPerDoc, addedWall, addedCpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--files');
  await runTokenBench({ files: i > 0 ? Number(process.argv[i + 1]) : 200 });
}
