import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { makeParty, META, ORG_A, ORG_B, startTestHub, tmpRoot, type Party } from './flow-helpers.js';

/**
 * A fault on the receiving computer is never the sender's fault (issue 13): a read-only inbox (a tmpfs
 * remounted read-only, since root ignores 0555), a full disk (a small tmpfs) and a 250-byte attachment
 * name. The message stays unacknowledged, no status 02 goes back, and the next run processes it once the
 * fault is gone. Needs root (mount); skipped otherwise.
 */
function canMount(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let root: string;
let hub: RunningHub;
let a: Party;
let b: Party;
let pdf: string;
const mounts: string[] = [];
let mountable = false;

beforeAll(async () => {
  root = await tmpRoot();
  const probe = path.join(root, 'probe');
  await mkdir(probe);
  mountable = canMount(probe);
  hub = await startTestHub(root);
  a = await makeParty(root, ORG_A, hub.url);
  b = await makeParty(root, ORG_B, hub.url);
  pdf = (await makeSamplePdfs(root)).simple;
});
afterAll(async () => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  await hub?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function tmpfs(name: string, size: string): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Statuses A has received about one of its documents. */
async function statusesFor(documentId: string): Promise<string[]> {
  const r = await a.json(['receive', '--revocation', 'off']);
  return (r.doc.result.statuses as any[]).filter((s) => s.documentId === documentId).map((s) => s.statusCode);
}

async function sendOne(file: string, code: string): Promise<string> {
  const r = await a.json(['send', file, '--to', ORG_B.organId, '--code', code, ...META]);
  expect(r.code, r.stderr).toBe(0);
  return r.doc.result.documentId;
}

describe('receive: local faults never blame the sender', () => {
  it('a read-only inbox: unacked, no 02, processed by the next run once writable', async (ctx) => {
    if (!mountable) ctx.skip();
    const documentId = await sendOne(pdf, '1/RO');
    const inbox = await tmpfs('ro-inbox', '8m');
    execFileSync('mount', ['-o', 'remount,ro', inbox]);
    const r1 = await b.json(['receive', '--out-dir', inbox, '--revocation', 'off']);
    expect(r1.code, JSON.stringify(r1.doc)).toBe(6);
    const d1 = (r1.doc.result.documents as any[]).find((d) => d.outcome === 'error');
    expect(d1.error.code).toBe('RECEIVE_LOCAL_FAULT');
    expect(d1.acked).toBe(false);
    expect(r1.doc.result.outbox).toHaveLength(0);
    expect(await statusesFor(documentId)).toEqual([]);
    execFileSync('mount', ['-o', 'remount,rw', inbox]);
    const r2 = await b.json(['receive', '--out-dir', inbox, '--revocation', 'off']);
    expect(r2.code, r2.stderr).toBe(0);
    const d2 = (r2.doc.result.documents as any[]).find((d) => d.documentId === documentId);
    expect(d2).toMatchObject({ outcome: 'new', statusCode: '01', acked: true });
    expect(await statusesFor(documentId)).toEqual(['01']);
  }, 180_000);

  it('a full disk: unacked, no 02, processed by the next run once there is room', async (ctx) => {
    if (!mountable) ctx.skip();
    // a 600 kB attachment (base64 800 kB) into a 256 kB file system
    const big = path.join(root, 'big.pdf');
    const body = Buffer.alloc(600 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131 + 17) & 0xff;
    await writeFile(big, Buffer.concat([Buffer.from('%PDF-1.4\n%'), body, Buffer.from('\n%%EOF\n')]));
    const documentId = await sendOne(big, '2/FULL');
    const inbox = await tmpfs('full-inbox', '256k');
    const r1 = await b.json(['receive', '--out-dir', inbox, '--revocation', 'off']);
    expect(r1.code).toBe(6);
    const d1 = (r1.doc.result.documents as any[])[0];
    expect(d1.outcome).toBe('error');
    expect(d1.acked).toBe(false);
    expect(JSON.stringify(d1.error)).toMatch(/ENOSPC/);
    expect(await statusesFor(documentId)).toEqual([]);
    execFileSync('mount', ['-o', 'remount,size=16m', inbox]);
    const r2 = await b.json(['receive', '--out-dir', inbox, '--revocation', 'off']);
    expect(r2.code, r2.stderr).toBe(0);
    const d2 = (r2.doc.result.documents as any[]).find((d) => d.documentId === documentId);
    expect(d2).toMatchObject({ outcome: 'new', acked: true });
    expect(d2.statusCode).not.toBe('02');
    expect((await readFile(path.join(d2.dir, d2.attachments[0].file))).equals(await readFile(big))).toBe(true);
  }, 180_000);

  it('a 250-byte attachment name is shortened in the middle, keeps .pdf, and the document is stored', async () => {
    const stem = 'Quyết định phê duyệt kế hoạch '.repeat(10);
    let name = '';
    for (const ch of stem) {
      if (Buffer.byteLength(name + ch + '.pdf') > 250) break;
      name += ch;
    }
    name += '.pdf';
    expect(Buffer.byteLength(name)).toBeGreaterThan(240);
    const long = path.join(root, 'long');
    await mkdir(long, { recursive: true });
    await writeFile(path.join(long, name), await readFile(pdf));
    const documentId = await sendOne(path.join(long, name), '3/LONG');
    const r = await b.json(['receive', '--revocation', 'off']);
    expect(r.code, r.stderr).toBe(0);
    const d = (r.doc.result.documents as any[]).find((x) => x.documentId === documentId);
    expect(d).toMatchObject({ outcome: 'new', acked: true, statusCode: '01' });
    const stored = d.attachments[0].file as string;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(150);
    expect(stored.endsWith('.pdf')).toBe(true);
    expect(stored.startsWith('Quyết định')).toBe(true);
    expect(stored).toContain('…');
    expect((await readFile(path.join(d.dir, stored))).equals(await readFile(pdf))).toBe(true);
  }, 180_000);
});
