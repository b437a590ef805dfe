import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { getPki } from '../helpers/pki.js';

const run = promisify(execFile);

describe('test PKI', () => {
  const pki = getPki();

  it('chains every valid leaf to the root', async () => {
    for (const name of ['leader-rsa', 'org-rsa', 'clerk-ec', 'deputy-ec384', 'secretary-rsa'] as const) {
      const { stdout } = await run('openssl', ['verify', '-CAfile', pki.root.cert, '-untrusted', pki.inter.cert, pki.leaves[name].cert]);
      expect(stdout).toContain(': OK');
    }
  });

  it('answers OCSP: good for a valid leaf, revoked for revoked-rsa', async () => {
    const ask = async (name: 'leader-rsa' | 'revoked-rsa') =>
      (await run('openssl', ['ocsp', '-issuer', pki.inter.cert, '-cert', pki.leaves[name].cert, '-url', pki.urls.ocsp, '-CAfile', pki.chainPem])).stdout;
    expect(await ask('leader-rsa')).toMatch(/: good/);
    expect(await ask('revoked-rsa')).toMatch(/: revoked/);
  });

  it('serves a CRL listing revoked-rsa', async () => {
    const res = await fetch(pki.urls.crl);
    expect(res.status).toBe(200);
    const { stdout } = await run('openssl', ['crl', '-in', pki.crlPem, '-noout', '-text']);
    expect(stdout.toLowerCase()).toContain(pki.leaves['revoked-rsa'].serial.toLowerCase());
  });

  it('rejects the expired leaf and the other PKI', async () => {
    await expect(run('openssl', ['verify', '-CAfile', pki.root.cert, '-untrusted', pki.inter.cert, pki.leaves['expired-rsa'].cert])).rejects.toThrow();
    await expect(run('openssl', ['verify', '-CAfile', pki.root.cert, pki.other.leaf.cert])).rejects.toThrow();
  });
});

describe('test TSA', () => {
  it('answers an RFC 3161 query with a token that openssl verifies', async () => {
    const pki = getPki();
    const { mkdtemp, writeFile, readFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const d = await mkdtemp(path.join(tmpdir(), 'kyso-tsa-'));
    await writeFile(path.join(d, 'data'), 'xin chào');
    await run('openssl', ['ts', '-query', '-data', path.join(d, 'data'), '-sha256', '-cert', '-out', path.join(d, 'q.tsq')]);
    const res = await fetch(pki.urls.tsa, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: await readFile(path.join(d, 'q.tsq')) });
    expect(res.status).toBe(200);
    await writeFile(path.join(d, 'r.tsr'), Buffer.from(await res.arrayBuffer()));
    const { stdout } = await run('openssl', ['ts', '-verify', '-data', path.join(d, 'data'), '-in', path.join(d, 'r.tsr'), '-CAfile', pki.root.cert, '-untrusted', pki.inter.cert]);
    expect(stdout).toContain('Verification: OK');
  });
});
