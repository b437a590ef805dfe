/**
 * `kyso hub serve` stores messages through the one atomic writer (issue 12): a hub killed with SIGKILL while
 * a message is half received leaves no message visible, neither listed nor as a message file; the temp file
 * it leaves is swept at the next start (and a message file no row refers to); the next send goes through whole.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEdoc } from '../../src/exchange/edxml-build.js';
import { createTransport } from '../../src/exchange/transport-factory.js';
import { signVdxpHeaders } from '../../src/exchange/vdxp-auth.js';
import { KYSO_BIN, ROOT } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const A = { systemId: 'SYS-A', organId: '000.00.00.H41', secret: 'a-secret' };
const B = { systemId: 'SYS-B', organId: '000.00.00.G22', secret: 'b-secret' };
const tmp = mkdtempSync(path.join(tmpdir(), 'kyso-hub-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function serve(dataDir: string, systems: string): Promise<{ url: string; child: ChildProcess; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [KYSO_BIN, 'hub', 'serve', '--systems', systems, '--data-dir', dataDir], { cwd: ROOT, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.on('close', r));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ url: out.split('\n')[0]!, child, exited });
    });
    child.on('close', (code) => reject(new Error(`hub exited ${code}: ${err}`)));
  });
}

const docsOf = (dataDir: string) => readdirSync(path.join(dataDir, 'docs'));

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('kyso hub serve killed mid-write (real CLI)', () => {
  it('leaves no partial message visible; the temp file is swept at restart; the next send is whole', async () => {
    const systems = path.join(tmp, 'systems.json');
    writeFileSync(systems, JSON.stringify([A, B]), { mode: 0o600 });
    const dataDir = path.join(tmp, 'data');
    const rnd = mulberry32(12);
    const noise = Buffer.alloc(3 << 20);
    for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rnd() * 256);
    const bytes = await buildEdoc({
      from: { organId: A.organId },
      to: [{ organId: B.organId }],
      code: { number: '5', notation: 'UBND-VP' },
      promulgation: { place: 'Vinh', date: '2026-11-27' },
      documentType: { type: 1 },
      subject: 'Thử ngắt giữa chừng',
      signer: { position: 'Chủ tịch', fullName: 'A' },
      documentId: `${A.organId},2026/11/27,5/UBND-VP`,
      businessDocType: 0,
      attachments: [{ contentId: 'c1', name: 'phu-luc.bin', contentType: 'application/octet-stream', bytes: noise }],
    });
    const sha256 = createHash('sha256').update(bytes).digest('hex');

    const first = await serve(dataDir, systems);
    // half of the message, by hand, then the hub is killed while the rest is awaited
    const call = { 'Content-Type': 'application/octet-stream', from: A.organId, servicetype: 'eDoc', messagetype: 'edoc', to: JSON.stringify([B.organId]) };
    const req = request(`${first.url}sendEdoc`, { method: 'POST', headers: { ...signVdxpHeaders(call, A.systemId, A.secret, new Date()), 'Content-Length': String(bytes.length) } });
    req.on('error', () => {});
    const half = bytes.length >> 1;
    req.write(bytes.subarray(0, half));
    const temps = () => docsOf(dataDir).filter((n) => n.includes('.kyso-tmp-'));
    await waitFor(() => temps().length === 1 && statSync(path.join(dataDir, 'docs', temps()[0]!)).size >= half, 'the half-written temp file');
    first.child.kill('SIGKILL');
    await first.exited;
    req.destroy();
    // no message file was published: only our temp file, and it is private
    expect(docsOf(dataDir).filter((n) => n.endsWith('.edxml'))).toEqual([]);
    expect(statSync(path.join(dataDir, 'docs', temps()[0]!)).mode & 0o077).toBe(0);

    // a message file no row refers to (a kill between the rename and the insert), from two minutes ago
    const orphan = path.join(dataDir, 'docs', '00000000-0000-4000-8000-000000000000.edxml');
    writeFileSync(orphan, bytes.subarray(0, 100));
    utimesSync(orphan, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));

    const second = await serve(dataDir, systems);
    try {
      expect(docsOf(dataDir)).toEqual([]); // the temp file and the orphan are swept at start
      const b = createTransport({ name: 'b', adapter: 'vdxp', endpoint: second.url, systemId: B.systemId, organId: B.organId }, { secret: B.secret });
      expect(await b.listReceived('edoc')).toEqual([]);
      const a = createTransport({ name: 'a', adapter: 'vdxp', endpoint: second.url, systemId: A.systemId, organId: A.organId }, { secret: A.secret });
      await a.sendEdoc(bytes, { from: A.organId, to: [B.organId], messageType: 'edoc', sha256 });
      const inbox = await b.listReceived('edoc');
      expect(inbox).toHaveLength(1);
      const got = await b.getEdoc(inbox[0]!.docId);
      expect(createHash('sha256').update(got).digest('hex')).toBe(sha256);
      expect(docsOf(dataDir)).toEqual([`${inbox[0]!.docId}.edxml`]);
      await a.close();
      await b.close();
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 60_000);
});
