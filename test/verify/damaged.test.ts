import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { addSignature, appendUpdate, inspect, makeBasePdf } from '../fixtures/attacks/pdf-raw.js';

interface FileJson {
  file: string;
  indication: string;
  error: { code: string; message: string } | null;
  signatures: Array<{ field: string; indication: string; integrity: string }>;
}

/**
 * Damaged signed files (issue 11): each is ERROR (exit 5) listing the signatures kyso could find by scanning
 * for signature dictionaries (as pdfsig does) and check; never a crash, a hang or NO_SIGNATURE.
 */
describe('kyso verify: damaged signed files', () => {
  let dir: string;
  const cases: Record<string, { file: string; checked: string[] }> = {};

  beforeAll(async () => {
    const pki = getPki();
    dir = await mkdtemp(path.join(tmpdir(), 'kyso-damaged-'));
    const kp = (n: 'leader-rsa' | 'secretary-rsa') => ({ cert: pki.leaves[n].cert, key: pki.leaves[n].key });
    const s1 = await addSignature(await makeBasePdf(), { signer: kp('leader-rsa'), chainPem: pki.chainPem, fieldName: 'LanhDao' });
    const s2 = await addSignature(Buffer.from(s1), { signer: kp('secretary-rsa'), chainPem: pki.chainPem, fieldName: 'ThuKy' });
    const save = async (name: string, pdf: Buffer, checked: string[]) => {
      const file = path.join(dir, `${name}.pdf`);
      await writeFile(file, pdf);
      cases[name] = { file, checked };
    };
    // cut tail: the last startxref/%%EOF is gone
    await save('cut-tail', s2.subarray(0, s2.lastIndexOf('startxref')), ['LanhDao']);
    // truncated inside the second signature's /Contents
    const c2 = s2.indexOf('/Contents <', s1.length);
    await save('cut-in-contents', s2.subarray(0, c2 + 2000), ['LanhDao']);
    // an unsigned update whose trailer's /Prev points at itself
    const st = await inspect(s2);
    const { pdf: withNote } = await appendUpdate(s2, [{ num: st.size, body: '<< /Type /Annot /Subtype /Text /Rect [0 0 10 10] >>' }]);
    const lastXref = withNote.lastIndexOf('\nxref\n') + 1;
    const loop = Buffer.from(withNote.toString('latin1').replace(/\/Prev (\d+)(?![\s\S]*\/Prev)/, `/Prev ${lastXref}`), 'latin1');
    await save('prev-loop', loop, ['LanhDao', 'ThuKy']);
    // the same update with its xref table turned to garbage (startxref points into nothing usable)
    const broken = Buffer.from(withNote);
    broken.write('xXrReEfF garbage', lastXref, 'latin1');
    await save('broken-xref', broken, ['LanhDao', 'ThuKy']);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports ERROR with the signatures it could check (exit 5), in one run', async () => {
    const pki = getPki();
    const r = await runKyso(['verify', dir, '--json', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off'], { timeoutMs: 60_000 });
    const files = (JSON.parse(r.stdout) as { result: { files: FileJson[] } }).result.files;
    const failures: string[] = [];
    for (const [name, c] of Object.entries(cases)) {
      const f = files.find((x) => path.basename(x.file) === path.basename(c.file));
      const got = f ? `${f.indication} ${f.error?.code ?? ''} ${f.signatures.map((s) => `${s.field}:${s.indication}:${s.integrity}`).join(' ')}` : 'missing';
      if (!f || f.indication !== 'ERROR' || f.error?.code !== 'INPUT_MALFORMED') failures.push(`${name}: ${got}`);
      else
        for (const field of c.checked)
          if (!f.signatures.some((s) => s.field === field && s.integrity === 'ok' && s.indication === 'TOTAL_PASSED')) failures.push(`${name}: ${field} not checked: ${got}`);
    }
    expect(failures).toEqual([]);
    expect(r.code, r.stderr).toBe(5);
  }, 120_000);
});
