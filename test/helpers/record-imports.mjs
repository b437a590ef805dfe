// `node --import ./test/helpers/record-imports.mjs …`: appends the URL of every ES module the process
// loads to the file named by KYSO_RECORD_IMPORTS (one per line). Used by the start-up tests to prove which
// modules a command loads.
import { register } from 'node:module';

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
