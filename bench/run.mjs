// `npm run bench`: the benchmarks of kyso, section by section (not timed tests: they take minutes).
// Usage: node bench/run.mjs [sign] [startup] [verify] [token] [--sizes 1,10,100,1024] [--runs 5] [--smoke]
// Needs dist/ (npm run build). Each section writes its figures into BENCHMARKS.md.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
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
if (want('verify') && existsSync(path.join(here, 'verify-bench.mjs'))) {
  const mod = await import('./verify-bench.mjs');
  if (typeof mod.runVerifyBench === 'function') {
    console.log('\n== kyso verify ==');
    await mod.runVerifyBench({});
  }
}
if (want('token')) {
  console.log('\n== kyso sign: 200 small PDFs on a SoftHSM token, one login ==');
  const { runTokenBench } = await import('./token-bench.mjs');
  await runTokenBench({});
}
