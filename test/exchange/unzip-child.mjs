// Run by unzip-capped.test.ts in its own process so that peak RSS is measured for this work only (uses dist/).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { unzipToDir } = await import(pathToFileURL(path.join(root, 'dist', 'exchange', 'unzip-capped.js')).href);
const [zip, out] = process.argv.slice(2);
let result;
try {
  const entries = await unzipToDir(zip, out);
  result = { ok: true, entries };
} catch (e) {
  result = { ok: false, code: e.code, category: e.category, message: e.message };
}
result.maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify(result));
