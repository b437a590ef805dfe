/**
 * Passphrases as clerks really have them: a file saved by Notepad (UTF-8 byte-order mark, CRLF) and a
 * Vietnamese passphrase typed in another Unicode normalization form than the one the PKCS#12 was made with.
 * The PKCS#12 files are made by openssl here, not by kyso.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';

const NFC = 'Mật khẩu của Lãnh đạo';
let dir = '';
let input = '';
let p12 = '';

beforeAll(async () => {
  const pki = getPki();
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-pass-'));
  input = (await makeSamplePdfs(dir)).simple;
  const leaf = pki.leaves['leader-rsa'];
  p12 = path.join(dir, 'vi.p12');
  // openssl takes the passphrase bytes as given: here the precomposed (NFC) form
  await writeFile(path.join(dir, 'pass-nfc.txt'), NFC);
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', leaf.key, '-in', leaf.cert, '-certfile', pki.inter.cert, '-passout', `file:${path.join(dir, 'pass-nfc.txt')}`, '-out', p12]);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('passphrase files and forms', () => {
  it('a Notepad file (BOM + CRLF) holding the decomposed (NFD) form opens an NFC-made PKCS#12', async () => {
    expect(NFC.normalize('NFD')).not.toBe(NFC);
    const file = path.join(dir, 'notepad.txt');
    await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(NFC.normalize('NFD') + '\r\n', 'utf8')]));
    const r = await runKyso(['sign', input, '-o', path.join(dir, 'out-1.pdf'), '--p12', p12, '--passphrase-file', file]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('the same passphrase through KYSO_P12_PASSWORD in NFD form', async () => {
    const r = await runKyso(['sign', input, '-o', path.join(dir, 'out-2.pdf'), '--p12', p12], { env: { KYSO_P12_PASSWORD: NFC.normalize('NFD') } });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a wrong passphrase from a file is refused once (exit 4), never asked again', async () => {
    const file = path.join(dir, 'wrong.txt');
    await writeFile(file, 'Mật khẩu sai\n');
    const r = await runKyso(['sign', input, '-o', path.join(dir, 'out-3.pdf'), '--p12', p12, '--passphrase-file', file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('wrong passphrase');
    expect(r.stderr).not.toContain('try again');
  });
});
