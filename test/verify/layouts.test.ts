/**
 * Change analysis must not cry wolf on real layouts: every sample of test/fixtures/make-pdfs.ts (classic
 * xref, xref streams + object streams, qpdf object streams, linearized, AcroForm with an empty signature
 * field, multipage, broken xref, no EOL, hybrid) signed twice by `kyso sign` verifies TOTAL_PASSED, the
 * first signature with modifiedAfter "allowed"; then a page-content update on top fails both.
 * One `kyso verify` run for all the good files and one for all the bad ones (process start-up is the cost).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFDict } from '../../src/pdf/pdf-lib.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { EXTRA_VALID_SAMPLES, makeSamplePdfs, VALID_SAMPLES, type SampleName } from '../fixtures/make-pdfs.js';
import { appendUpdate, dictWith, inspect } from '../fixtures/attacks/pdf-raw.js';

const pki = getPki();
const LAYOUTS: SampleName[] = [...VALID_SAMPLES, ...EXTRA_VALID_SAMPLES];
let dir: string;

interface FileJson {
  file: string;
  indication: string;
  signatures: Array<{ field: string; indication: string; modifiedAfter: string; problems: Array<{ code: string; message: string }> }>;
}
const good = new Map<string, FileJson>();
const bad = new Map<string, FileJson>();
const badMade = new Set<string>();

async function sign(input: string, output: string, p12: string): Promise<void> {
  const r = await runKyso(['sign', input, '-o', output, '--p12', p12], { env: { KYSO_P12_PASSWORD: pki.password } });
  if (r.code !== 0) throw new Error(`kyso sign ${path.basename(input)} failed (${r.code}): ${r.stderr}`);
}

async function verifyDir(d: string): Promise<Map<string, FileJson>> {
  const r = await runKyso(['verify', d, '--json', '--jobs', '2', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off'], { timeoutMs: 120_000 });
  if (!r.stdout.trim().startsWith('{')) throw new Error(`kyso verify printed no JSON (exit ${r.code}): ${r.stderr}`);
  const out = new Map<string, FileJson>();
  for (const f of JSON.parse(r.stdout).result.files as FileJson[]) out.set(path.basename(f.file, '.pdf'), f);
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-verify-layouts-'));
  const samples = await makeSamplePdfs(dir);
  await mkdir(path.join(dir, 'good'));
  await mkdir(path.join(dir, 'bad'));
  const one = async (name: SampleName) => {
    const first = path.join(dir, `${name}.1.pdf`);
    const second = path.join(dir, 'good', `${name}.pdf`);
    await sign(samples[name], first, pki.leaves['leader-rsa'].p12);
    await sign(first, second, pki.leaves['clerk-ec'].p12);
    const buf = await readFile(second);
    let st;
    try {
      st = await inspect(buf);
    } catch {
      return; // a layout our raw test writer cannot extend: the layout's test then fails, naming it
    }
    const page = (await st.reader.getObject(st.pages[0]!)) as PDFDict;
    const n = st.size;
    const content = 'BT /F1 24 Tf 50 600 Td (CHI 999.000.000 DONG) Tj ET';
    const { pdf } = await appendUpdate(buf, [
      { num: n, body: `<< /Length ${content.length} >>\nstream\n${content}\nendstream` },
      { num: st.pages[0]!.objectNumber, body: dictWith(page, { Contents: `${n} 0 R` }) },
    ]);
    await writeFile(path.join(dir, 'bad', `${name}.pdf`), pdf);
    badMade.add(name);
  };
  for (let i = 0; i < LAYOUTS.length; i += 3) await Promise.all(LAYOUTS.slice(i, i + 3).map(one));
  for (const [k, v] of await verifyDir(path.join(dir, 'good'))) good.set(k, v);
  for (const [k, v] of await verifyDir(path.join(dir, 'bad'))) bad.set(k, v);
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('every fixture layout, signed twice, verifies; a content change on top does not', () => {
  for (const name of LAYOUTS) {
    it(name, () => {
      const f = good.get(name)!;
      const detail = JSON.stringify(f.signatures.map((s) => [s.field, s.indication, s.problems]));
      expect(f.indication, detail).toBe('TOTAL_PASSED');
      expect(f.signatures).toHaveLength(2);
      expect(f.signatures.map((s) => s.modifiedAfter).sort()).toEqual(['allowed', 'none']);
      expect(badMade.has(name), 'the tampered variant of this layout was made').toBe(true); // no silent skip of the second half
      const b = bad.get(name)!;
      expect(b.indication).toBe('TOTAL_FAILED');
      expect(b.signatures.every((s) => s.modifiedAfter === 'disallowed')).toBe(true);
    });
  }
});
