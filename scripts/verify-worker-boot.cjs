// Worker-thread entry of `kyso verify` with two inputs or more (src/services/verify-files.ts), copied beside the
// bundle by scripts/build.mjs. The verification stack compiles from V8 code caches trained in a worker thread under
// the same V8 flags (scripts/train-code-cache.mjs): profile `worker` for --jobs 1, `workerjobs` once a --jobs N pool
// has set src/core/v8-tuning.ts's flag (V8 refuses a cache made under other flags). Then verify-worker.cjs runs.
// KYSO_CODE_CACHE=stats prints what the cache did.
'use strict';
const { workerData } = require('node:worker_threads');
const codeCache = require('./code-cache.cjs');
// scripts/train-code-cache.mjs only: a port on which the worker is told to end, writing the caches as it exits
const train = workerData.kysoCacheTrain;
codeCache.installCodeCache(__dirname, train ? 'write' : 'read', workerData.kysoCacheProfile);
require('./verify-worker.cjs');
if (process.env.KYSO_CODE_CACHE === 'stats') require('node:fs').writeSync(2, `\nSTATS-WORKER ${JSON.stringify(codeCache.codeCacheStats())}\n`);
if (train) train.once('message', () => process.exit(0));
