/**
 * The `kyso verify` command itself through the real CLI: exit codes in VERIFY_EXIT_ORDER, text report
 * (English and Vietnamese), JSON envelope, JUnit XML (parsed with fast-xml-parser), folders, --jobs,
 * --allow-unsigned, usage errors.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeVerdictSamples } from '../fixtures/verdict-samples.js';

const pki = getPki();
let dir: string;
const F: Record<'valid' | 'tampered' | 'unsigned' | 'unreadable' | 'untrusted', string> = {} as never;

const common = () => ['--no-default-trust', '--trust', pki.root.cert, '--revocation', 'off'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-verify-cli-'));
  const { valid, tampered, unsigned: base, untrusted } = await makeVerdictSamples(pki);
  await mkdir(path.join(dir, 'inbox', 'sub'), { recursive: true });
  F.valid = path.join(dir, 'inbox', 'hop-le.pdf');
  F.tampered = path.join(dir, 'inbox', 'sub', 'bi-sua.pdf');
  F.unsigned = path.join(dir, 'chua-ky.pdf');
  F.unreadable = path.join(dir, 'hong.pdf');
  F.untrusted = path.join(dir, 'khong-tin-cay.pdf');
  await writeFile(F.valid, valid);
  await writeFile(F.tampered, tampered);
  await writeFile(F.unsigned, base);
  await writeFile(F.unreadable, 'not a pdf at all');
  await writeFile(F.untrusted, untrusted);
  await writeFile(path.join(dir, 'inbox', 'ghi-chu.txt'), 'ignored: not a .pdf');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exit codes (first that applies: 1, 5, 3, 0)', () => {
  it('0 for a valid file, 1 for a tampered one, 1 for unsigned, 0 for unsigned with --allow-unsigned', async () => {
    expect((await runKyso(['verify', F.valid, ...common()])).code).toBe(0);
    expect((await runKyso(['verify', F.tampered, ...common()])).code).toBe(1);
    expect((await runKyso(['verify', F.unsigned, ...common()])).code).toBe(1);
    expect((await runKyso(['verify', F.unsigned, F.valid, '--allow-unsigned', ...common()])).code).toBe(0);
  });
  it('5 when a file is unreadable (and nothing failed), 3 for indeterminate only, 1 beats 5 beats 3', async () => {
    expect((await runKyso(['verify', F.unreadable, F.valid, ...common()])).code).toBe(5);
    expect((await runKyso(['verify', F.untrusted, F.valid, ...common()])).code).toBe(3);
    expect((await runKyso(['verify', F.unreadable, F.untrusted, ...common()])).code).toBe(5);
    expect((await runKyso(['verify', F.unreadable, F.untrusted, F.tampered, ...common()])).code).toBe(1);
    const missing = await runKyso(['verify', path.join(dir, 'khong-co.pdf'), '--json', ...common()]);
    expect(missing.code).toBe(5);
    const doc = JSON.parse(missing.stdout);
    expect(doc.result.files[0].indication).toBe('ERROR');
    expect(doc.result.files[0].error.code).toBe('INPUT_NOT_FOUND');
  });
  it('usage errors exit 2 with one line', async () => {
    const r = await runKyso(['verify', F.valid, '--jobs', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect((await runKyso(['verify', F.valid, '--at', 'yesterday'])).code).toBe(2);
    expect((await runKyso(['verify', F.valid, '--revocation', 'maybe'])).code).toBe(2);
    expect((await runKyso(['verify'])).code).toBe(2);
  });
});

describe('reports', () => {
  it('JSON: the envelope and shape of shared/spec/cli.md, folders searched recursively for *.pdf', async () => {
    const r = await runKyso(['verify', path.join(dir, 'inbox'), '--json', ...common()]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.ok).toBe(false);
    expect(doc.error).toBeNull();
    expect(doc.result.summary).toEqual({ files: 2, passed: 1, failed: 1, indeterminate: 0, unsigned: 0, errors: 0 });
    const valid = doc.result.files.find((f: { file: string }) => f.file.endsWith('hop-le.pdf'));
    const s = valid.signatures[0];
    for (const k of ['field', 'signer', 'indication', 'subIndication', 'integrity', 'trust', 'modifiedAfter', 'coverage', 'level', 'signingTime', 'timestamp']) expect(s).toHaveProperty(k);
    expect(s.signer.subject).toContain('CN=Nguyễn Thúy Hằng');
    expect(s.signer.serial).toMatch(/^[0-9a-f]+$/);
    expect(s.integrity).toBe('ok');
    expect(s.coverage).toBe('whole');
    expect(s.level).toBe('B-B');
    const bad = doc.result.files.find((f: { file: string }) => f.file.endsWith('bi-sua.pdf'));
    expect(bad.indication).toBe('TOTAL_FAILED');
    expect(bad.signatures[0].subIndication).toBe('HASH_FAILURE');
  });

  it('text: one block per file, one line per signature, what to do next; Vietnamese with --lang vi', async () => {
    const r = await runKyso(['verify', F.valid, F.tampered, F.unsigned, F.unreadable, ...common()]);
    expect(r.stdout).toContain('hop-le.pdf: TOTAL_PASSED');
    expect(r.stdout).toMatch(/LanhDao {2}TOTAL_PASSED {2}Nguyễn Thúy Hằng/);
    expect(r.stdout).toContain('bi-sua.pdf: TOTAL_FAILED');
    expect(r.stdout).toContain('HASH_FAILURE');
    expect(r.stdout).toContain('Do not accept');
    expect(r.stdout).toContain('chua-ky.pdf: NO_SIGNATURE');
    expect(r.stdout).toContain('hong.pdf: ERROR');
    expect(r.stdout).toMatch(/4 files: 1 passed, 1 failed, 0 indeterminate, 1 unsigned, 1 unreadable/);
    expect(r.stdout).not.toContain('\x1b['); // not a TTY: no colour
    const vi = await runKyso(['verify', F.valid, F.tampered, '--lang', 'vi', ...common()]);
    expect(vi.stdout).toContain('HỢP LỆ (TOTAL_PASSED)');
    expect(vi.stdout).toContain('Không tiếp nhận');
    expect(vi.stdout).toContain('nội dung văn bản không khớp với giá trị băm đã ký');
    expect(vi.stdout).toMatch(/2 tệp: 1 hợp lệ, 1 không hợp lệ/);
  });

  it('JUnit: valid XML, one testcase per file, failure/error types as documented', async () => {
    const r = await runKyso(['verify', F.valid, F.tampered, F.unsigned, F.unreadable, F.untrusted, '--format', 'junit', ...common()]);
    expect(r.code).toBe(1);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (n) => n === 'testcase' }).parse(r.stdout);
    const suite = xml.testsuites.testsuite;
    expect(suite['@tests']).toBe('5');
    expect(suite['@failures']).toBe('3');
    expect(suite['@errors']).toBe('1');
    const cases = suite.testcase as Array<Record<string, unknown>>;
    expect(cases).toHaveLength(5);
    const byName = (s: string) => cases.find((c) => String(c['@name']).endsWith(s))!;
    expect(byName('hop-le.pdf').failure).toBeUndefined();
    expect((byName('bi-sua.pdf').failure as Record<string, string>)['@type']).toBe('TOTAL_FAILED');
    expect((byName('chua-ky.pdf').failure as Record<string, string>)['@type']).toBe('NO_SIGNATURE');
    expect((byName('hong.pdf').error as Record<string, string>)['@type']).toBe('INPUT_NOT_PDF');
    expect((byName('khong-tin-cay.pdf').failure as Record<string, string>)['@type']).toBe('INDETERMINATE');
    const allowed = await runKyso(['verify', F.unsigned, '--format', 'junit', '--allow-unsigned', ...common()]);
    expect(allowed.code).toBe(0);
    expect(XMLValidator.validate(allowed.stdout)).toBe(true);
    expect(allowed.stdout).not.toContain('<failure');
  });

  it('--timeout: a file over its time budget gets ERROR VERIFY_TIMEOUT (worker killed and replaced), the run goes on', async () => {
    for (const jobs of ['1', '2']) {
      const r = await runKyso(['verify', F.valid, F.tampered, F.untrusted, '--json', '--timeout', '0.001', '--jobs', jobs, ...common()]);
      const doc = JSON.parse(r.stdout);
      expect(doc.result.files).toHaveLength(3);
      const timedOut = doc.result.files.filter((f: { error: { code: string } | null }) => f.error?.code === 'VERIFY_TIMEOUT').length;
      if (jobs === '1') {
        expect(r.code).toBe(5);
        expect(timedOut).toBe(3);
      } else {
        // A warm worker can, rarely, answer inside 1 ms on a loaded machine: at least one must time out.
        expect(timedOut).toBeGreaterThanOrEqual(1);
        // which files timed out varies, the exit code does not: the first that applies of 1, 5, 3, 0
        // (architecture.md). The tampered file fails (1) unless it timed out; a timeout is an error (5).
        const tampered = doc.result.files.find((f: { file: string }) => f.file.endsWith(path.basename(F.tampered)));
        expect(r.code).toBe(tampered.error?.code === 'VERIFY_TIMEOUT' ? 5 : 1);
      }
    }
  });

  it('--jobs 2 gives the same report as --jobs 1', async () => {
    const args = [F.valid, F.tampered, F.unsigned, F.unreadable, F.untrusted, '--json', ...common()];
    const one = JSON.parse((await runKyso(['verify', ...args, '--jobs', '1'])).stdout).result;
    const two = JSON.parse((await runKyso(['verify', ...args, '--jobs', '2'])).stdout).result;
    const strip = (r: { files: Array<{ ms?: number }> }) => ({ ...r, files: r.files.map(({ ms: _ms, ...f }) => f) });
    expect(strip(two)).toEqual(strip(one));
  });
});
