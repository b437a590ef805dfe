import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Replaces the section `name` of BENCHMARKS.md (between <!-- name:start --> and <!-- name:end -->), or appends it. */
export function writeBenchmarkSection(name, lines) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = [start, ...lines, end].join('\n');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# kyso benchmarks\n';
  if (text.includes(start) && text.includes(end)) text = text.slice(0, text.indexOf(start)) + section + text.slice(text.indexOf(end) + end.length);
  else text = text.replace(/\s*$/, '\n\n') + section + '\n';
  writeFileSync(file, text);
}
