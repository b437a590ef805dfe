// `node --import ./test/helpers/record-imports.mjs …`: appends the URL of every module file the process
// loads to the file named by KYSO_RECORD_IMPORTS (one per line): ES modules through a loader hook, CommonJS
// files (the CLI bundle's dist/bundle/*.cjs) through the loader of .cjs files. Used by the start-up tests to
// prove which modules a command loads.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
const out = process.env.KYSO_RECORD_IMPORTS;
export async function load(url, context, next) {
  if (out && url.startsWith('file:')) appendFileSync(out, url + '\\n');
  return next(url, context);
}`),
);

const out = process.env.KYSO_RECORD_IMPORTS;
const extensions = Module._extensions;
const loadJs = extensions['.cjs'] ?? extensions['.js'];
extensions['.cjs'] = function recordCjs(module, filename) {
  if (out) appendFileSync(out, `${pathToFileURL(filename).href}\n`);
  return loadJs.call(this, module, filename);
};
