import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { addSignature, makeBasePdf } from '../fixtures/attacks/pdf-raw.js';

const run = promisify(execFile);

/** `kyso verify --signed-version DIR`: each signature's covered revision as a PDF (issue 11). */
describe('kyso verify --signed-version', () => {
  let dir: string;
  let file: string;
  let two: Buffer;
  let one: Buffer;

  beforeAll(async () => {
    const pki = getPki();
    dir = await mkdtemp(path.join(tmpdir(), 'kyso-sv-'));
    one = await addSignature(await makeBasePdf(), { signer: { cert: pki.leaves['leader-rsa'].cert, key: pki.leaves['leader-rsa'].key }, chainPem: pki.chainPem, fieldName: 'LanhDao' });
    two = await addSignature(Buffer.from(one), { signer: { cert: pki.leaves['secretary-rsa'].cert, key: pki.leaves['secretary-rsa'].key }, chainPem: pki.chainPem, fieldName: 'ThuKy' });
    file = path.join(dir, 'hai-chu-ky.pdf');
    await writeFile(file, two);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes one PDF per signature, equal to the byte prefix it signs, each passing qpdf --check', async () => {
    const pki = getPki();
    const out = path.join(dir, 'signed');
    const r = await runKyso(['verify', file, '--json', '--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off', '--signed-version', out]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as { result: { files: Array<{ signatures: Array<{ field: string; signedVersion?: string }> }> } };
    const sigs = rep.result.files[0]!.signatures;
    expect((await readdir(out)).sort()).toEqual(['hai-chu-ky.signed.LanhDao.pdf', 'hai-chu-ky.signed.ThuKy.pdf']);
    const first = await readFile(sigs.find((s) => s.field === 'LanhDao')!.signedVersion!);
    const second = await readFile(sigs.find((s) => s.field === 'ThuKy')!.signedVersion!);
    expect(first.equals(two.subarray(0, first.length))).toBe(true);
    expect(first.equals(one)).toBe(true);
    expect(second.equals(two)).toBe(true);
    for (const f of [first, second]) {
      const p = path.join(dir, 'check.pdf');
      await writeFile(p, f);
      await run('qpdf', ['--check', p]); // throws on a non-zero exit
    }
  });
});
