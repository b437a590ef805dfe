/**
 * The crypto half of `kyso verify` through the real CLI: revocation with and without a proven time
 * (B-T from the local TSA), unreachable responders under soft/hard/off, the on-disk cache.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { ROOT, runKyso } from '../helpers/cli.js';
import { getPki, type LeafName } from '../helpers/pki.js';
import { run, tmp } from './helpers.js';

const pki = getPki();
let dir: string;
let sample: string;
const signed: Record<string, string> = {};

async function sign(name: string, leaf: LeafName, extra: string[] = []): Promise<string> {
  const out = path.join(dir, `${name}.pdf`);
  const r = await runKyso(['sign', sample, '-o', out, '--p12', pki.leaves[leaf].p12, '--passphrase-file', '-', ...extra], { input: pki.password });
  if (r.code !== 0) throw new Error(`sign ${name}: ${r.code} ${r.stderr}`);
  return out;
}

async function verify(file: string, extra: string[] = [], env: Record<string, string> = {}) {
  const r = await runKyso(['verify', file, '--json', '--no-default-trust', '--trust', pki.root.cert, ...extra], { env: { XDG_CACHE_HOME: path.join(dir, 'cache-default'), ...env } });
  const doc = JSON.parse(r.stdout);
  return { code: r.code, doc, sig: doc.result?.files?.[0]?.signatures?.[0], stderr: r.stderr };
}

beforeAll(async () => {
  await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
  dir = await tmp('kyso-vc-cli-');
  const pdfs = path.join(dir, 'samples');
  await mkdir(pdfs);
  sample = (await makeSamplePdfs(pdfs)).simple;
  const bt = ['--level', 'B-T', '--tsa', pki.urls.tsa];
  const jobs: Array<[string, LeafName, string[]]> = [
    ['leader-bb', 'leader-rsa', []],
    ['leader-bt', 'leader-rsa', bt],
    ['revoked-bb', 'revoked-rsa', []],
    ['revoked-bt', 'revoked-rsa', bt],
    ['deadocsp-bb', 'deadocsp-rsa', []],
  ];
  const done = await Promise.allSettled(jobs.map(([n, l, e]) => sign(n, l, e)));
  done.forEach((d, i) => {
    if (d.status === 'fulfilled') signed[jobs[i]![0]] = d.value;
  });
}, 120_000);

describe('kyso verify: trust and revocation (real CLI)', () => {
  it('B-B by a good signer, soft (default): TOTAL_PASSED, trusted, revocation from OCSP', async () => {
    const v = await verify(signed['leader-bb']!);
    expect(v.sig).toMatchObject({ indication: 'TOTAL_PASSED', trust: 'trusted', integrity: 'ok', level: 'B-B' });
    expect(v.code).toBe(0);
  });

  it('B-T by a good signer: timestamp valid and level B-T', async () => {
    const v = await verify(signed['leader-bt']!);
    expect(v.sig).toMatchObject({ indication: 'TOTAL_PASSED', trust: 'trusted', level: 'B-T' });
    expect(v.sig.timestamp.valid).toBe(true);
    expect(Math.abs(new Date(v.sig.timestamp.time).getTime() - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('revoked signer, no timestamp: INDETERMINATE / REVOKED_NO_POE, exit 3', async () => {
    const v = await verify(signed['revoked-bb']!);
    expect(v.sig).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE', trust: 'revoked' });
    expect(v.code).toBe(3);
  });

  it('revoked signer, timestamp after the revocation: TOTAL_FAILED / REVOKED, exit 1', async () => {
    const v = await verify(signed['revoked-bt']!);
    expect(v.sig).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'REVOKED', trust: 'revoked' });
    expect(v.code).toBe(1);
  });

  it('revocation off: the revoked signer passes (nothing is checked), as asked', async () => {
    const v = await verify(signed['revoked-bb']!, ['--revocation', 'off']);
    expect(v.sig.trust).toBe('trusted');
  });

  it('responder unreachable: soft and hard → INDETERMINATE / TRY_LATER (exit 3); off → TOTAL_PASSED', async () => {
    for (const mode of ['soft', 'hard']) {
      const v = await verify(signed['deadocsp-bb']!, ['--revocation', mode]);
      expect(v.sig, mode).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER', trust: 'unknown' });
      expect(v.code).toBe(3);
    }
    const off = await verify(signed['deadocsp-bb']!, ['--revocation', 'off']);
    expect(off.sig).toMatchObject({ indication: 'TOTAL_PASSED', trust: 'trusted' });
    expect(off.code).toBe(0);
  });

  it('the on-disk revocation cache ($XDG_CACHE_HOME/kyso/revocation) answers a second run without a network request', async () => {
    const cacheHome = path.join(dir, 'cache-test');
    const first = await verify(signed['leader-bb']!, [], { XDG_CACHE_HOME: cacheHome });
    expect(first.sig.indication).toBe('TOTAL_PASSED');
    const { readdir, stat } = await import('node:fs/promises');
    const cache = path.join(cacheHome, 'kyso', 'revocation');
    const snapshot = async () => {
      const names = (await readdir(cache)).filter((f) => !f.endsWith('.tmp')).sort();
      return Promise.all(names.map(async (f) => `${f}@${(await stat(path.join(cache, f))).mtimeMs}`));
    };
    const before = await snapshot();
    expect(before.filter((f) => f.includes('.der@')).length).toBeGreaterThanOrEqual(2); // leaf OCSP + root CRL
    // Second run: every network answer would be written to the cache again (new mtime); none is.
    const second = await verify(signed['leader-bb']!, [], { XDG_CACHE_HOME: cacheHome });
    expect(await snapshot()).toEqual(before);
    expect(second.sig.indication).toBe('TOTAL_PASSED');
  });

  it('without --trust the test root is not trusted (bundled VN roots only): INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const r = await runKyso(['verify', signed['leader-bb']!, '--json']);
    const sig = JSON.parse(r.stdout).result.files[0].signatures[0];
    expect(sig).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', trust: 'untrusted' });
    expect(r.code).toBe(3);
  });
});
