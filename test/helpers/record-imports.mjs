// `node --import ./test/helpers/record-imports.mjs …`: appends the URL of every module file the process
// loads to the file named by KYSO_RECORD_IMPORTS (one per line, each once): ES modules through a loader hook;
// files loaded with require() (createRequire included: how the bundle loads CommonJS packages such as pkijs on
// demand); and the CLI bundle's own dist/bundle/*.cjs files, which src/cli/code-cache.ts loads through the
// loader of .cjs files without Module._load. Used by the start-up tests to prove which modules a command loads.
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
const recorded = new Set();
const record = (file) => {
  const url = pathToFileURL(file).href;
  if (!out || recorded.has(url)) return;
  recorded.add(url);
  appendFileSync(out, `${url}\n`);
};

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const result = load.apply(this, arguments);
  if (out) {
    try {
      const file = Module._resolveFilename(request, parent, isMain);
      if (path.isAbsolute(file)) record(file);
    } catch {
      /* a built-in module */
    }
  }
  return result;
};

const extensions = Module._extensions;
const loadJs = extensions['.cjs'] ?? extensions['.js'];
extensions['.cjs'] = function recordCjs(module, filename) {
  record(filename);
  return loadJs.call(this, module, filename);
};
