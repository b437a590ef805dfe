#!/usr/bin/env node
// Runs the CLI bundle (npm run build: tsc type-checks and emits dist/, scripts/build.mjs bundles dist/bundle/).
// KYSO_DEBUG=1 maps stack traces back to src/ through the bundle's source maps.
if (process.env.KYSO_DEBUG) process.setSourceMapsEnabled(true);
const { main, realContext } = await import('../dist/bundle/kyso.js');
process.exitCode = await main(process.argv.slice(2), realContext());
