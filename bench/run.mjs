// `npm run bench`: the benchmarks of kyso, section by section (not timed tests: they take minutes).
// Usage: node bench/run.mjs [sign] [startup] [appearance] [verify] [sweep] [token] [--sizes 1,10,100,1024] [--runs 5] [--docs 200] [--pages 7000] [--smoke]
// Needs dist/ (npm run build). Each section writes its figures into BENCHMARKS.md.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// the environment every section measures in (bench/sign-bench.mjs benchEnvironment)
const { benchEnvironment } = await import('./sign-bench.mjs');
const envNote = benchEnvironment();
if (envNote) console.log(envNote);
const args = process.argv.slice(2);
const pick = args.filter((a) => !a.startsWith('--') && !/^[\d,]+$/.test(a));
const want = (s) => pick.length === 0 || pick.includes(s);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (want('sign')) {
  console.log('== kyso sign: 1 MB, 10 MB, 100 MB, 1 GB PDFs vs floor ==');
  const { runSignBench } = await import('./sign-bench.mjs');
  await runSignBench({ sizesMiB: opt('--sizes')?.split(',').map(Number), runs: Number(opt('--runs') ?? 5) });
}
if (want('startup')) {
  console.log('\n== kyso fixed costs: --help, one small PDF, 200 small PDFs, verify one file ==');
  const { runStartupBench } = await import('./startup-bench.mjs');
  await runStartupBench({ runs: Number(opt('--runs') ?? 5), smoke: args.includes('--smoke') });
}
if (want('appearance')) {
  console.log('\n== kyso sign with a visible signature: 200 documents ==');
  const { runAppearanceBench } = await import('./appearance-bench.mjs');
  await runAppearanceBench({ docs: Number(opt('--docs') ?? 200), runs: Number(opt('--runs') ?? 3) });
}
if (want('verify') && existsSync(path.join(here, 'verify-bench.mjs'))) {
  const mod = await import('./verify-bench.mjs');
  if (typeof mod.runVerifyBench === 'function') {
    console.log('\n== kyso verify ==');
    await mod.runVerifyBench({});
  }
}
if (want('sweep')) {
  console.log('\n== real-world sweep: every shape signed twice, judged by pdfsig, mutool, qpdf ==');
  const { runSweep } = await import('./real-world-sweep.mjs');
  const { counts } = await runSweep({ bigPages: Number(opt('--pages') ?? 7000) });
  if (counts.broken > 0 || counts.unexpected > 0) process.exitCode = 1;
}
if (want('token')) {
  console.log('\n== kyso sign: 200 small PDFs on a SoftHSM token, one login ==');
  const { runTokenBench } = await import('./token-bench.mjs');
  await runTokenBench({});
}
