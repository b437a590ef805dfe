import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeChangeCases, type ChangeCase } from '../fixtures/changes/make-changes.js';

interface SigJson {
  field: string;
  indication: string;
  modifiedAfter: string;
  problems: string[];
  warnings: string[];
  changes: string[];
}
interface FileJson {
  file: string;
  indication: string;
  signatures: SigJson[];
}

/** Change analysis (issue 11): every case one PDF built here, judged through the real CLI in one run. */
describe('kyso verify: change analysis cases', () => {
  let dir: string;
  let cases: ChangeCase[];
  const results = new Map<string, FileJson>();

  beforeAll(async () => {
    const pki = getPki();
    dir = await mkdtemp(path.join(tmpdir(), 'kyso-changes-'));
    cases = await makeChangeCases(dir, pki);
    const r = await runKyso(['verify', dir, '--json', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off'], { timeoutMs: 120_000 });
    if (!r.stdout.trim().startsWith('{')) throw new Error(`no JSON from kyso verify: ${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { result: { files: FileJson[] } };
    for (const f of doc.result.files) results.set(path.basename(f.file, '.pdf'), f);
  }, 300_000);

  afterAll(async () => {
    if (dir && !process.env.KYSO_KEEP_CORPUS) await rm(dir, { recursive: true, force: true });
  });

  it('keeps a clean pass clean: the in-margin signature gets no warning', () => {
    const s = results.get('p2-signed-signature-margin')?.signatures.find((x) => x.field === 'ChungThuc');
    expect(s?.warnings.filter((w) => w.startsWith('WARN_SIGNATURE_OVER_TEXT'))).toEqual([]);
  });

  it('judges every case as expected', () => {
    const failures: string[] = [];
    for (const c of cases) {
      const f = results.get(c.name);
      if (!f) {
        failures.push(`${c.name}: missing`);
        continue;
      }
      for (const e of c.expect) {
        const s = f.signatures.find((x) => x.field === e.field);
        const got = s ? `${s.indication} mod=${s.modifiedAfter} problems=${JSON.stringify(s.problems.slice(0, 3))} warnings=${JSON.stringify(s.warnings)} changes=${JSON.stringify(s.changes.slice(0, 4))}` : 'no such signature';
        if (!s) failures.push(`${c.name} ${e.field}: ${got}`);
        else if (e.modifiedAfter && s.modifiedAfter !== e.modifiedAfter) failures.push(`${c.name} ${e.field}: expected ${e.modifiedAfter}, got ${got}`);
        else if (e.indication && s.indication !== e.indication) failures.push(`${c.name} ${e.field}: expected ${e.indication}, got ${got}`);
        else if (e.code && ![...s.problems, ...s.warnings, ...s.changes.map((x) => x.replace(/^\w+: /, ''))].some((p) => (typeof p === 'string' ? p : (p as { code: string }).code).startsWith(e.code!)))
          failures.push(`${c.name} ${e.field}: expected ${e.code}, got ${got}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
