// `node --import ./test/helpers/record-imports.mjs …`: appends the URL of every ES module the process
// loads to the file named by KYSO_RECORD_IMPORTS (one per line), and of every file loaded with require()
// (createRequire included: how the bundle loads CommonJS packages such as pkijs on demand). Used by the
// start-up tests to prove which modules a command loads.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import path from 'node:path';
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
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const result = load.apply(this, arguments);
  if (out) {
    try {
      const file = Module._resolveFilename(request, parent, isMain);
      if (path.isAbsolute(file)) appendFileSync(out, `${pathToFileURL(file).href}\n`);
    } catch {
      /* a built-in module */
    }
  }
  return result;
};
