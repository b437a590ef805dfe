#!/usr/bin/env node
// Runs the CLI bundle (npm run build: tsc type-checks and emits dist/, scripts/build.mjs bundles dist/bundle/
// as CommonJS files with V8 code caches beside them). Node ≥ 22.1 caches compiled code itself
// (module.enableCompileCache); on Node 20 src/cli/code-cache.ts reads the caches the build trained.
// KYSO_DEBUG=1 maps stack traces back to src/ through the bundle's source maps.
import module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

if (process.env.KYSO_DEBUG) process.setSourceMapsEnabled(true);
const require = createRequire(import.meta.url);
const bundle = fileURLToPath(new URL('../dist/bundle', import.meta.url));
if (typeof module.enableCompileCache === 'function') module.enableCompileCache();
// (compiled from the cache, a file is not registered with the source maps: KYSO_DEBUG goes without)
else if (!process.env.KYSO_DEBUG) require(`${bundle}/code-cache.cjs`).installCodeCache(bundle);
const { main, realContext } = require(`${bundle}/kyso.cjs`);
process.exitCode = await main(process.argv.slice(2), realContext());
