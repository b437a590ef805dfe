// Benchmark: `kyso verify --jobs 2 --revocation off` vs `pdfsig -nssdir … -no-ocsp` (one process per file,
// xargs -P2) over the same 1,000 signed small PDFs, in the same run. Prints docs/s for both.
// Usage: node bench/verify-bench.mjs [count]   (also called from bench/run.mjs when present)
// Needs dist/ (npm run build), openssl, pdfsig, certutil.
import { writeBenchmarkSection } from './benchmarks-md.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KYSO = path.join(ROOT, 'bin', 'kyso.js');

function cpuOf(file) {
  const [u, s] = readFileSync(file, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return u + s;
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** A throw-away root + leaf made with openssl (no network: revocation is off in both tools). */
function makePki(dir) {
  const cnf = path.join(dir, 'ext.cnf');
  writeFileSync(
    cnf,
    [
      '[ca]',
      'basicConstraints=critical,CA:true',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      '[leaf]',
      'basicConstraints=CA:false',
      'keyUsage=critical,digitalSignature,nonRepudiation',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  const p = (n) => path.join(dir, n);
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('root.key'), '-out', p('root.pem'), '-days', '30', '-subj', '/CN=Bench Root/O=kyso bench/C=VN', '-extensions', 'ca', '-config', cnf, '-addext', 'basicConstraints=critical,CA:true']);
  sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=Nguyen Van Bench/O=kyso bench/C=VN']);
  sh('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-CAcreateserial', '-out', p('leaf.pem'), '-days', '20', '-extfile', cnf, '-extensions', 'leaf']);
  sh('openssl', ['pkcs12', '-export', '-inkey', p('leaf.key'), '-in', p('leaf.pem'), '-certfile', p('root.pem'), '-passout', 'pass:bench', '-out', p('leaf.p12')]);
  // A second signer: the bench files carry two signatures, so the change analysis of the first one runs.
  sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('leaf2.key'), '-out', p('leaf2.csr'), '-subj', '/CN=Tran Thi Bench/O=kyso bench/C=VN']);
  sh('openssl', ['x509', '-req', '-in', p('leaf2.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-CAcreateserial', '-out', p('leaf2.pem'), '-days', '20', '-extfile', cnf, '-extensions', 'leaf']);
  sh('openssl', ['pkcs12', '-export', '-inkey', p('leaf2.key'), '-in', p('leaf2.pem'), '-certfile', p('root.pem'), '-passout', 'pass:bench', '-out', p('leaf2.p12')]);
  const nss = p('nss');
  mkdirSync(nss);
  sh('certutil', ['-N', '--empty-password', '-d', `sql:${nss}`]);
  sh('certutil', ['-A', '-n', 'root', '-t', 'C,,', '-i', p('root.pem'), '-d', `sql:${nss}`]);
  return { root: p('root.pem'), p12: p('leaf.p12'), p12b: p('leaf2.p12'), nss: `sql:${nss}` };
}

export async function runVerifyBench({ count = 1000, log = console.log } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kyso-verify-bench-'));
  try {
    const pki = makePki(dir);
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage([595, 842]).drawText('QUYET DINH so 1/QD-BENCH', { x: 50, y: 780, size: 14, font });
    const unsigned = path.join(dir, 'unsigned.pdf');
    writeFileSync(unsigned, await doc.save({ useObjectStreams: false }));
    const once = path.join(dir, 'once.pdf');
    const signed = path.join(dir, 'signed.pdf');
    for (const [from, to, p12] of [[unsigned, once, pki.p12], [once, signed, pki.p12b]]) {
      const s = spawnSync(process.execPath, [KYSO, 'sign', from, '-o', to, '--p12', p12], { env: { ...process.env, KYSO_P12_PASSWORD: 'bench' }, encoding: 'utf8' });
      if (s.status !== 0) throw new Error(`kyso sign failed: ${s.stderr}`);
    }
    const set = path.join(dir, 'set');
    mkdirSync(set);
    for (let i = 0; i < count; i++) copyFileSync(signed, path.join(set, `doc-${String(i).padStart(4, '0')}.pdf`));

    // kyso
    let t0 = process.hrtime.bigint();
    const cpuFile = path.join(dir, 'cpu.txt');
    const k = spawnSync('/usr/bin/time', ['-o', cpuFile, '-f', '%U %S', process.execPath, KYSO, 'verify', set, '--jobs', '2', '--revocation', 'off', '--no-default-trust', '--trust', pki.root, '--json'], {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
    const kysoSecs = Number(process.hrtime.bigint() - t0) / 1e9;
    const kysoCpu = cpuOf(cpuFile);
    const summary = JSON.parse(k.stdout).result.summary;
    if (summary.passed !== count) throw new Error(`kyso verify: expected ${count} passed, got ${JSON.stringify(summary)}`);

    // pdfsig, one process per file, two at a time
    t0 = process.hrtime.bigint();
    const p = spawnSync('/usr/bin/time', ['-o', cpuFile, '-f', '%U %S', 'sh', '-c', `ls "${set}"/*.pdf | xargs -P2 -n1 pdfsig -nssdir "${pki.nss}" -no-ocsp > "${path.join(dir, 'pdfsig.out')}" 2>&1`]);
    const pdfsigSecs = Number(process.hrtime.bigint() - t0) / 1e9;
    const pdfsigCpu = cpuOf(cpuFile);
    const valid = Number(sh('grep', ['-c', 'Signature is Valid', path.join(dir, 'pdfsig.out')]).toString().trim());
    if (valid !== 2 * count) throw new Error(`pdfsig: expected ${2 * count} valid signatures, got ${valid} (exit ${p.status})`);

    const kDps = count / kysoSecs;
    const pDps = count / pdfsigSecs;
    log(`verify bench (${count} small PDFs with two signatures each, ${cpus().length} CPUs):`);
    log(`  kyso verify --jobs 2 --revocation off : ${kysoSecs.toFixed(2)} s, ${kDps.toFixed(1)} docs/s (with change analysis)`);
    log(`  pdfsig -no-ocsp via xargs -P2         : ${pdfsigSecs.toFixed(2)} s, ${pDps.toFixed(1)} docs/s`);
    log(`  ratio kyso/pdfsig: ${(kDps / pDps).toFixed(2)}x (target >= 2x)`);
    log(`  CPU time (user+sys, all threads/processes): kyso ${kysoCpu.toFixed(2)} s, pdfsig ${pdfsigCpu.toFixed(2)} s -> ${(pdfsigCpu / kysoCpu).toFixed(2)}x less CPU per document`);
    writeBenchmarksMd({ count, kysoSecs, pdfsigSecs, kDps, pDps, kysoCpu, pdfsigCpu, load: loadavg()[0] });
    return { count, kysoSecs, pdfsigSecs, kysoDocsPerSec: kDps, pdfsigDocsPerSec: pDps, ratio: kDps / pDps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces the verify section of BENCHMARKS.md (between markers), like bench/sign-bench.mjs does. */
function writeBenchmarksMd(r) {
  writeBenchmarkSection('verify-bench', [
    '## kyso verify (1,000 small PDFs, two signatures each) vs pdfsig',
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench\` (bench/verify-bench.mjs) on ${process.platform} ${process.arch}, ${cpus().length} CPUs, Node ${process.version}, load average ${r.load.toFixed(1)} at the end.`,
    'One PDF (pdf-lib, one page) signed twice by `kyso sign` (two RSA 2048 signers, B-B: the first signature has a later',
    'revision, so the change analysis of kyso runs), copied to N files. Both tools run in the same',
    'bench run over the same files: `kyso verify <dir> --jobs 2 --revocation off --no-default-trust --trust root.pem --json`',
    '(one process, two worker threads, full change analysis and chain validation) and `pdfsig -nssdir … -no-ocsp` one',
    'process per file through `xargs -P2`. Wall time from process start to exit. Target (issue 4): kyso >= 2x pdfsig docs/s.',
    '',
    'CPU = user+sys of the whole process tree (/usr/bin/time), which the load of a shared machine distorts less than wall time.',
    '',
    '| tool | files | wall | docs/s | CPU | docs per CPU-second |',
    '|---|---|---|---|---|---|',
    `| kyso verify --jobs 2 --revocation off | ${r.count} | ${r.kysoSecs.toFixed(2)} s | ${r.kDps.toFixed(1)} | ${r.kysoCpu.toFixed(2)} s | ${(r.count / r.kysoCpu).toFixed(1)} |`,
    `| pdfsig -no-ocsp, xargs -P2 | ${r.count} | ${r.pdfsigSecs.toFixed(2)} s | ${r.pDps.toFixed(1)} | ${r.pdfsigCpu.toFixed(2)} s | ${(r.count / r.pdfsigCpu).toFixed(1)} |`,
    '',
    `Ratio (wall docs/s): **${(r.kDps / r.pDps).toFixed(2)}x** pdfsig; by CPU per document: ${(r.pdfsigCpu / r.kysoCpu).toFixed(2)}x.`,
    '',
    'Notes (2026-11-27). A single kyso process already uses about 1.3 of the 2 CPUs: V8 compiles optimized code and',
    'collects garbage on background threads (--jobs 1: 1.95 s wall, 2.7 s CPU; 2.7 s wall with those threads off). Each',
    '--jobs worker is another V8 isolate that compiles the whole stack again, which is why --jobs 2 used to be no faster',
    'than --jobs 1; the pool now raises V8\'s tier-up budget (--interrupt-budget=1000000, set before the workers start).',
    'Other changes behind these figures: canonical DER SignerInfos read by hand (pkijs only for BER/unusual shapes; was',
    '~40% of the CPU per document), signer-bound signed attributes and issuer names parsed once per signer, pdf-lib loaded',
    'from its single-file ESM bundle (src/pdf/pdf-lib.ts), and a pool whose main thread only hands out queues of files and',
    'collects batched reports (it loads neither pdf-lib nor pkijs). Each worker still spends ~0.25 s of CPU loading the',
    'verification stack; a document costs ~1.1 ms warm on one thread (two RSA signatures, chain validation, change',
    'analysis of the earlier revision). Runs on this shared VM vary by about ±10% from one run to the next.',
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 1000);
  await runVerifyBench({ count });
}
