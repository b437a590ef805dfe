#!/usr/bin/env node
// Runs the CLI bundle (npm run build: tsc type-checks and emits dist/, scripts/build.mjs bundles dist/bundle/
// as CommonJS files with V8 code caches beside them). This file is CommonJS too (bin/package.json), so a
// start-up never sets up Node's ES module loader. Node ≥ 22.1 caches compiled code itself
// (module.enableCompileCache); on Node 20 src/cli/code-cache.ts reads the caches the build trained.
// KYSO_DEBUG=1 maps stack traces back to src/ through the bundle's source maps.
'use strict';
const module_ = require('node:module');
const path = require('node:path');

if (process.env.KYSO_DEBUG) process.setSourceMapsEnabled(true);
const bundle = path.join(__dirname, '..', 'dist', 'bundle');
const codeCache = require(path.join(bundle, 'code-cache.cjs'));
const argv = process.argv.slice(2);
// the caches trained for this kind of run (src/cli/code-cache.ts): one file verified or signed, the top-level help
const word = argv[0];
const profile = word === 'verify' || word === 'sign' ? word : word === undefined || ['--help', '-h', '--version', '-V', 'help'].includes(word) ? 'help' : undefined;
if (typeof module_.enableCompileCache === 'function') module_.enableCompileCache();
// (compiled from the cache, a file is not registered with the source maps: KYSO_DEBUG goes without)
else if (!process.env.KYSO_DEBUG) codeCache.installCodeCache(bundle, 'read', profile);
// what the cache did, for tests: which bundle files V8 compiled from their cache, which from source
if (process.env.KYSO_CODE_CACHE === 'stats') process.on('exit', () => process.stderr.write(`\nSTATS ${JSON.stringify(codeCache.codeCacheStats())}\n`));
// `kyso verify …`: its watchdog is loaded before anything else (src/services/verify-watchdog.ts): the native thread's
// module, or where there is none the worker thread, started now so that its start-up overlaps all the loading below
// (main() does the same when the command word comes after global options)
if (argv[0] === 'verify' && !argv.includes('--help') && !argv.includes('-h')) {
  const w = require(path.join(bundle, 'verify-watchdog.cjs'));
  w.prestartWatchdog(w.watchdogThread(process.env));
}
const { main, realContext } = require(path.join(bundle, 'kyso.cjs'));
main(argv, realContext()).then((code) => {
  // When main() resolves, kyso has written everything (stdout and stderr synchronously, src/cli/context.ts) and closed
  // and fsynced every file it made, and nothing of it is left running: ending the process here skips Node's teardown
  // of the environment and the heap (−6 ms of one small sign, −2 ms of one verify, median of 31 paired runs; issue 16).
  // Not on Windows, where a console is written asynchronously.
  if (process.platform === 'win32') process.exitCode = code;
  else process.exit(code);
});
