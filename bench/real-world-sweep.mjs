// The real-world sweep: writes every shape of bench/real-world-pdfs.mjs, signs each twice with the real CLI
// and lets programs we did not write judge each output: pdfsig (every signature valid), qpdf --check,
// mutool (signatures unchanged since signing, no repair needed) and the page count (qpdf and mutool).
// Prints signed / refused-with-reason / broken counts and writes a section into BENCHMARKS.md.
// Usage: node bench/real-world-sweep.mjs [--pages 7000] [--keep]   (needs dist/: npm run build)
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeBenchmarkSection } from './benchmarks-md.mjs';
import { writeShapes } from './real-world-pdfs.mjs';
import { makePki } from './sign-bench.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const KYSO = path.join(ROOT, 'bin', 'kyso.js');
const pexec = promisify(execFile);

async function run(cmd, args, env) {
  try {
    const r = await pexec(cmd, args, { maxBuffer: 64 << 20, env: { ...process.env, ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    return { code: typeof e.code === 'number' ? e.code : 1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

/** What the external validators say about a file: problems (empty = clean) and the page counts they read. */
export async function judgeFile(file, nssDir, expectSignatures) {
  const problems = [];
  if (expectSignatures > 0) {
    const ps = await run('pdfsig', ['-nssdir', nssDir.startsWith('sql:') ? nssDir : `sql:${nssDir}`, file]);
    const valid = (ps.out.match(/Signature Validation: Signature is Valid\./g) ?? []).length;
    const total = (ps.out.match(/^Signature #\d+:/gm) ?? []).length;
    if (total !== expectSignatures || valid !== expectSignatures) problems.push(`pdfsig: ${valid}/${total} valid, expected ${expectSignatures}`);
    const mv = await run('mutool', ['sign', '-v', file]);
    const unchanged = (mv.out.match(/The document is unchanged since signing\.|The signature is valid but there have been edits since signing\./g) ?? []).length;
    if (unchanged !== expectSignatures) problems.push(`mutool sign -v: ${unchanged} unchanged of ${expectSignatures}: ${(mv.out + mv.err).trim().split('\n').slice(-2).join(' | ')}`);
  }
  const q = await run('qpdf', ['--check', file]);
  const qpages = Number((await run('qpdf', ['--show-npages', file])).out.trim());
  const mi = await run('mutool', ['info', file]);
  const mpages = Number(/Pages: (\d+)/.exec(mi.out)?.[1] ?? NaN);
  const repaired = /repair|error/i.test(mi.err);
  return { problems, qpdfOk: q.code === 0, qpdfOut: (q.out + q.err).trim().split('\n').slice(-1)[0], qpages, mpages, mupdfRepaired: repaired || mi.code !== 0 };
}

/**
 * @returns {{ rows: object[], counts: { signed: number, refused: number, broken: number, unexpected: number } }}
 */
/**
 * Signs every shape with the real CLI (twice when `twice(shape)`), judges each output, returns one row per shape.
 * @param ctx.p12  PKCS#12 of the signer (passphrase in ctx.password)
 */
export async function sweep(shapes, { p12, password, nssDir, twice = () => true, log = console.log, concurrency = 2 }) {
  const env = { KYSO_P12_PASSWORD: password, LANG: 'C.UTF-8', NO_COLOR: '1' };
  const rows = [];
  const one = async (s) => {
    const input = await judgeFile(s.file, nssDir, 0);
    const out1 = s.file.replace(/\.pdf$/, '.signed1.pdf');
    const out2 = s.file.replace(/\.pdf$/, '.signed2.pdf');
    const r1 = await run(process.execPath, [KYSO, 'sign', s.file, '-o', out1, '--p12', p12, '--lang', 'en'], env);
    const row = { name: s.name, expect: s.expect, pages: s.pages, inputReadable: input.qpdfOk && !input.mupdfRepaired, outcome: '', detail: '', exit: r1.code };
    if (r1.code !== 0) {
      row.outcome = 'refused';
      row.detail = (r1.err.trim().split('\n').find((l) => l.startsWith('kyso: ') && !l.startsWith('kyso: warning')) ?? r1.err.trim()).replace(/^kyso: /, '').replace(s.file, '<file>');
    } else {
      const problems = [];
      // a tool that reads the input with the right page count must read the output with it too
      const pagesWrong = (j) => (input.qpages === s.pages && j.qpages !== s.pages) || (input.mpages === s.pages && j.mpages !== s.pages) || (j.qpages !== s.pages && j.mpages !== s.pages);
      const prior = s.signatures ?? 0;
      const j1 = await judgeFile(out1, nssDir, prior + 1);
      problems.push(...j1.problems.map((p) => `1st: ${p}`));
      if (!j1.qpdfOk && input.qpdfOk) problems.push(`1st: qpdf --check: ${j1.qpdfOut}`);
      if (j1.mupdfRepaired && !input.mupdfRepaired) problems.push('1st: mupdf needs to repair the output');
      if (pagesWrong(j1)) problems.push(`1st: pages qpdf=${j1.qpages} mupdf=${j1.mpages}, expected ${s.pages}`);
      if (twice(s)) {
        const r2 = await run(process.execPath, [KYSO, 'sign', out1, '-o', out2, '--p12', p12, '--lang', 'en'], env);
        if (r2.code !== 0) problems.push(`2nd signature refused: ${r2.err.trim().split('\n').pop()}`);
        else {
          const j2 = await judgeFile(out2, nssDir, prior + 2);
          problems.push(...j2.problems.map((p) => `2nd: ${p}`));
          if (!j2.qpdfOk && input.qpdfOk) problems.push(`2nd: qpdf --check: ${j2.qpdfOut}`);
          if (j2.mupdfRepaired && !input.mupdfRepaired) problems.push('2nd: mupdf needs to repair the output');
          if (pagesWrong(j2)) problems.push(`2nd: pages qpdf=${j2.qpages} mupdf=${j2.mpages}, expected ${s.pages}`);
        }
      }
      row.outcome = problems.length ? 'broken' : 'signed';
      row.detail = problems.join('; ');
    }
    row.asExpected = row.outcome === (s.expect === 'sign' ? 'signed' : 'refused');
    rows.push(row);
    log(`${row.outcome.padEnd(8)} ${s.name}${row.detail ? `: ${row.detail}` : ''}`);
  };
  const queue = [...shapes];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) await one(s);
    }),
  );
  rows.sort((a, b) => shapes.findIndex((s) => s.name === a.name) - shapes.findIndex((s) => s.name === b.name));
  const counts = {
    signed: rows.filter((r) => r.outcome === 'signed').length,
    refused: rows.filter((r) => r.outcome === 'refused').length,
    broken: rows.filter((r) => r.outcome === 'broken').length,
    unexpected: rows.filter((r) => !r.asExpected).length,
  };
  return { rows, counts };
}

/** `node bench/real-world-sweep.mjs`: every shape, signed twice, report into BENCHMARKS.md. */
export async function runSweep({ bigPages = 7000, log = console.log, writeMarkdown = true, keep = false, concurrency = 2 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kyso-sweep-'));
  try {
    const pki = makePki(dir);
    const nssDir = path.join(dir, 'nss');
    await run('mkdir', ['-p', nssDir]);
    await run('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
    const shapes = writeShapes(dir, { bigPages, p12: pki.p12, password: 'bench' });
    const { rows, counts } = await sweep(shapes, { p12: pki.p12, password: 'bench', nssDir, log, concurrency });
    log(`\n${rows.length} shapes: ${counts.signed} signed, ${counts.refused} refused, ${counts.broken} broken, ${counts.unexpected} not as expected`);
    if (writeMarkdown) writeMarkdownSection(rows, counts, bigPages);
    return { rows, counts };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

function writeMarkdownSection(rows, counts, bigPages) {
  const lines = [
    '## Real-world sweep (`node bench/real-world-sweep.mjs`)',
    '',
    `Every shape of \`bench/real-world-pdfs.mjs\` (large files: ${bigPages} pages) is signed twice by the real CLI;`,
    'each output is judged by pdfsig (every signature valid), mutool sign -v (unchanged since signing),',
    'qpdf --check and the page count read by qpdf and mupdf. `test/pdf/real-world.test.ts` runs the same sweep',
    'and fails on any broken output or any outcome other than the expected one.',
    '',
    `**${rows.length} shapes: ${counts.signed} signed, ${counts.refused} refused, ${counts.broken} broken.**`,
    '',
    '| shape | pages | outcome | qpdf+mupdf read the input cleanly | reason / problems |',
    '|---|---:|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.pages} | ${r.outcome}${r.asExpected ? '' : ' (unexpected)'} | ${r.inputReadable ? 'yes' : 'no'} | ${r.detail.replace(/\|/g, '\\|')} |`),
    '',
    'Refusals of files qpdf and mupdf both read cleanly, and why they stay refusals:',
    '- encrypted files (owner password only, or a user password): signing encrypted PDFs is not supported; the',
    '  message says which kind it is and how to save a decrypted copy.',
    '- two prepared empty signature fields: the clerk must choose one with `--field` (exit 2; at a terminal kyso asks).',
    '- no pages: nothing to sign.',
    '',
    'Bytes before `%PDF-` (mupdf repairs every such file, so none of these inputs is read cleanly by both): an',
    'unsigned file whose offsets count from the header (as qpdf and poppler read them) is signed as a clean copy',
    'from `%PDF-` on; offsets counted from the first byte are refused with the qpdf command that makes a clean',
    'copy; a signed file is refused, because mupdf reads no signature in such a file as valid while pdfsig checks',
    '/ByteRange from the first byte, so no signature kyso added would be read alike by every validator.',
  ];
  writeBenchmarkSection('real-world-sweep', lines);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--pages');
  await runSweep({ bigPages: i >= 0 ? Number(args[i + 1]) : 7000, keep: args.includes('--keep') });
}
