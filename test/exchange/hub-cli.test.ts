import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEdoc } from '../../src/exchange/edxml-build.js';
import { createTransport } from '../../src/exchange/transport-factory.js';
import { KYSO_BIN, ROOT, runKyso } from '../helpers/cli.js';

const A = { systemId: 'SYS-A', organId: '000.00.00.H41', secret: 'a-secret' };
const B = { systemId: 'SYS-B', organId: '000.00.00.G22', secret: 'b-secret' };
const tmp = mkdtempSync(path.join(tmpdir(), 'kyso-hub-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function serve(args: string[]): Promise<{ line: string; stop: () => Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [KYSO_BIN, 'hub', 'serve', ...args], { cwd: ROOT, env: { ...process.env, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${err}`)), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({
          line: out.slice(0, nl),
          stderr: () => err,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.on('close', (code) => reject(new Error(`hub exited ${code}: ${err}`)));
  });
}

describe('kyso hub serve (real CLI)', () => {
  it('prints its loopback URL, verifies HMAC, stores under --data-dir, counts faults; SIGTERM stops it', async () => {
    const systems = path.join(tmp, 'systems.json');
    writeFileSync(systems, JSON.stringify([A, B]));
    const dataDir = path.join(tmp, 'data');
    const hub = await serve(['--systems', systems, '--data-dir', dataDir, '--faults', '500:1:count=1:path=sendEdoc', '--no-dedup', '--log']);
    try {
      expect(hub.line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const url = hub.line;
      const a = createTransport({ name: 'a', adapter: 'vdxp', endpoint: url, systemId: A.systemId, organId: A.organId }, { secret: A.secret });
      const bytes = await buildEdoc({
        from: { organId: A.organId },
        to: [{ organId: B.organId }],
        code: { number: '9', notation: 'UBND-VP' },
        promulgation: { place: 'Vinh', date: '2026-11-27' },
        documentType: { type: 1 },
        subject: 'Thử hub',
        signer: { position: 'Chủ tịch', fullName: 'A' },
        documentId: `${A.organId},2026/11/27,9/UBND-VP`,
        businessDocType: 0,
        attachments: [],
      });
      const meta = { from: A.organId, to: [B.organId], messageType: 'edoc' as const, sha256: createHash('sha256').update(bytes).digest('hex') };
      await expect(a.sendEdoc(bytes, meta)).rejects.toMatchObject({ category: 'exchange-retry' });
      await a.sendEdoc(bytes, meta);
      await a.sendEdoc(bytes, meta); // dedup off: accepted again
      const wrong = createTransport({ name: 'w', adapter: 'vdxp', endpoint: url, systemId: A.systemId, organId: A.organId }, { secret: 'nope' });
      await expect(wrong.sendEdoc(bytes, meta)).rejects.toMatchObject({ category: 'credentials' });
      const stats = (await (await fetch(`${url}_admin/stats`)).json()) as { accepted: Record<string, number>; requests: Record<string, number>; sendEdoc: Record<string, number>; faultsInjected: Record<string, number> };
      expect(stats.requests.sendEdoc).toBe(4);
      expect(stats.accepted[`${A.organId},2026/11/27,9/UBND-VP`]).toBe(2);
      expect(stats.sendEdoc).toMatchObject({ accepted: 2, unauthorized: 1 });
      expect(stats.faultsInjected['500']).toBe(1);
      expect(existsSync(path.join(dataDir, 'hub.db'))).toBe(true);
      await a.close();
      await wrong.close();
      expect(hub.stderr()).toContain('POST /sendEdoc 401');
    } finally {
      const code = await hub.stop();
      expect(code).toBe(143); // SIGTERM: 128 + 15, as for every command (issue 14)
    }
  });

  it('--json start line; systems.json in the data dir is found by default', async () => {
    const dataDir = path.join(tmp, 'data2');
    await import('node:fs').then((fs) => fs.mkdirSync(dataDir, { recursive: true }));
    writeFileSync(path.join(dataDir, 'systems.json'), JSON.stringify([A, B]));
    const hub = await serve(['--data-dir', dataDir, '--json']);
    try {
      const j = JSON.parse(hub.line) as { ok: boolean; result: { url: string; systems: { organId: string }[] } };
      expect(j.ok).toBe(true);
      expect(j.result.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect(j.result.systems.map((s) => s.organId)).toEqual([A.organId, B.organId]);
      expect(hub.line).not.toContain(A.secret);
    } finally {
      await hub.stop();
    }
  });

  it('usage errors: no systems, bad fault spec, bad port → exit 2 with a bilingual one-liner', async () => {
    const r1 = await runKyso(['hub', 'serve', '--data-dir', path.join(tmp, 'empty')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('no systems registered');
    const r1vi = await runKyso(['--lang', 'vi', 'hub', 'serve', '--data-dir', path.join(tmp, 'empty')]);
    expect(r1vi.stderr).toContain('chưa đăng ký hệ thống');
    const systems = path.join(tmp, 'systems.json');
    writeFileSync(systems, JSON.stringify([A]));
    const r2 = await runKyso(['hub', 'serve', '--systems', systems, '--data-dir', path.join(tmp, 'd3'), '--faults', 'explode:1']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('unknown fault "explode"');
    const r3 = await runKyso(['hub', 'serve', '--systems', systems, '--port', 'abc']);
    expect(r3.code).toBe(2);
    writeFileSync(path.join(tmp, 'bad.json'), '[{"systemId":"x","organId":"lower case","secret":"s"}]');
    const r4 = await runKyso(['hub', 'serve', '--systems', path.join(tmp, 'bad.json'), '--data-dir', path.join(tmp, 'd4')]);
    expect(r4.code).toBe(5);
    expect(r4.stderr).toContain('bad.json');
  });
});
