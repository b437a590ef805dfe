import { readFile, writeFile, mkdir, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_TRUST_DIR, loadTrustStore } from '../../src/crypto/trust-store.js';
import { runKyso, ROOT } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { run, tmp } from './helpers.js';

const pki = getPki();

/** file → sha256 from the published table in the README of the shared trust folder. */
async function publishedFingerprints(): Promise<Map<string, { role: string; sha256: string }>> {
  const readme = await readFile('/work/shared/trust/vn/README.md', 'utf8').catch(() => readFile(path.join(BUNDLED_TRUST_DIR, 'README.md'), 'utf8'));
  const out = new Map<string, { role: string; sha256: string }>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const file = cells[1];
    const sha = cells.find((c) => /^[0-9a-f]{64}$/.test(c));
    if (file?.endsWith('.pem') && sha) out.set(file, { role: cells[2]!.startsWith('root') ? 'root' : 'intermediate', sha256: sha });
  }
  return out;
}

beforeAll(async () => {
  await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined); // emits even when another file has a type error
});

describe('trust store', () => {
  it('loads the bundled VN roots as anchors and the intermediates as helpers only', async () => {
    const pub = await publishedFingerprints();
    expect(pub.size).toBe(4);
    const s = await loadTrustStore({ defaultTrust: true, extra: [] });
    const anchors = new Set(s.anchors.map((a) => a.sha256));
    const { createHash } = await import('node:crypto');
    const inter = new Set(s.extraIntermediates.map((d) => createHash('sha256').update(d).digest('hex')));
    for (const [file, p] of pub) {
      if (p.role === 'root') expect(anchors.has(p.sha256), file).toBe(true);
      else {
        expect(inter.has(p.sha256), file).toBe(true);
        expect(anchors.has(p.sha256), file).toBe(false);
      }
    }
    expect(s.anchors.every((a) => a.bundled)).toBe(true);
  });

  it('the bundled intermediates chain to the bundled roots with our chain builder (real VN certificates)', async () => {
    const { validateCertificate } = await import('../../src/crypto/chain-builder.js');
    const s = await loadTrustStore({ defaultTrust: true, extra: [] });
    for (const der of s.extraIntermediates) {
      const r = await validateCertificate(der, {
        intermediates: [],
        trustStore: s,
        validationTime: new Date('2026-01-01T00:00:00Z'),
        revocationMode: 'off',
        embeddedRevocation: { crls: [], ocsps: [] },
        purpose: 'signing',
      });
      expect(r.path).toHaveLength(2);
      expect(r.subIndication).not.toBe('NO_CERTIFICATE_CHAIN_FOUND');
    }
  });

  it('--no-default-trust + extra: pem, der, p7b, folder; missing file → input error', async () => {
    const dir = await tmp();
    const p7b = path.join(dir, 'bundle.p7b');
    await run('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pki.root.cert, '-certfile', pki.inter.cert, '-outform', 'DER', '-out', p7b]);
    const folder = path.join(dir, 'anchors');
    await mkdir(folder);
    await copyFile(pki.root.cert, path.join(folder, 'root.pem'));
    await writeFile(path.join(folder, 'notes.txt'), 'ignored');
    for (const extra of [[pki.root.cert], [pki.root.certDer], [folder]]) {
      const s = await loadTrustStore({ defaultTrust: false, extra });
      expect(s.anchors).toHaveLength(1);
      expect(s.extraIntermediates).toHaveLength(0);
    }
    const s = await loadTrustStore({ defaultTrust: false, extra: [p7b] });
    expect(s.anchors).toHaveLength(2); // everything named with --trust is an anchor
    await expect(loadTrustStore({ defaultTrust: false, extra: [path.join(dir, 'nope.pem')] })).rejects.toMatchObject({ code: 'TRUST_NOT_FOUND', category: 'input' });
    const junk = path.join(dir, 'junk.pem');
    await writeFile(junk, 'not a certificate');
    await expect(loadTrustStore({ defaultTrust: false, extra: [junk] })).rejects.toMatchObject({ category: 'input' });
  });
});

describe('kyso trust list (real CLI)', () => {
  it('prints every bundled certificate with the published SHA-256 (TSV in a pipe)', async () => {
    const pub = await publishedFingerprints();
    const r = await runKyso(['trust', 'list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(4);
    for (const p of pub.values()) {
      const row = rows.find((x) => x[4] === p.sha256);
      expect(row, p.sha256).toBeDefined();
      expect(row![0]).toBe(p.role);
    }
    expect(r.stdout).toContain('CN=Vietnam National Root CA');
    expect(r.stdout).toContain('CN=RootCA chuyên dùng Chính phủ G2');
  });

  it('--json shape, --trust extra, --no-default-trust', async () => {
    const r = await runKyso(['trust', 'list', '--json', '--no-default-trust', '--trust', pki.root.cert]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, ok: true, error: null });
    expect(doc.result.entries).toHaveLength(1);
    const e = doc.result.entries[0];
    expect(e).toMatchObject({ role: 'root', bundled: false, expired: false });
    expect(e.subject).toMatch(/CN=/);
    expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(e.notBefore).getTime()).toBeLessThan(Date.now());
  });

  it('a missing --trust file: exit 5, one line naming the file (en and vi)', async () => {
    const r = await runKyso(['trust', 'list', '--trust', '/nonexistent/root.pem', '--lang', 'en']);
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/nonexistent/root.pem');
    const v = await runKyso(['trust', 'list', '--trust', '/nonexistent/root.pem', '--lang', 'vi']);
    expect(v.code).toBe(5);
    expect(v.stderr).toContain('không tìm thấy');
  });
});
