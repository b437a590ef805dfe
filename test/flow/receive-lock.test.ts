import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { cleanEnv } from '../helpers/env.js';
import { BIN, makeParty, META, ORG_A, ORG_B, startFlowWorld, type FlowWorld, type Party } from './flow-helpers.js';

/**
 * Issue 13: one `kyso receive` per profile and data folder, through a lock file
 * (`<data dir>/receive-<profile>.lock`): two real receive processes at once against the local hub: the
 * second exits 6 "already running", or waits with --wait; a lock left by a dead run is broken; the lock
 * is removed on exit and on SIGTERM.
 */
let root: string;
let hub: RunningHub;
let pdf: string;

let world: FlowWorld | undefined;

beforeAll(async () => {
  world = await startFlowWorld({ platformRules: 'strict' });
  ({ root, hub, pdf } = world);
});
afterAll(() => world?.close());

/** A receive run as a child process we can watch and signal (same environment as Party.run). */
function spawnReceive(p: Party, extra: string[] = []) {
  const env = cleanEnv({
    TEST_EXCHANGE_SECRET: ORG_B.secret,
    XDG_CONFIG_HOME: path.join(p.dir, 'xdg-config'),
    XDG_DATA_HOME: path.join(p.dir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(p.dir, 'xdg-cache'),
  });
  const child = spawn(process.execPath, [BIN, 'receive', '--revocation', 'off', '--json', ...extra], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const lockOf = (p: Party) => path.join(p.dir, 'data', 'receive-hub.lock');

describe('kyso receive: one run at a time (lock file)', () => {
  it('a second receive exits 6 "already running"; with --wait it runs after the first; each message is handled once', async () => {
    const a = await makeParty(path.join(root, 'conc'), ORG_A, hub.url);
    const b = await makeParty(path.join(root, 'conc'), ORG_B, hub.url);
    const sent = await a.json(['send', pdf, '--to', ORG_B.organId, '--code', '1/LOCK', ...META]);
    expect(sent.code, sent.stderr).toBe(0);
    const documentId = sent.doc.result.documentId as string;
    // the first run's list call is held 1.5 s by the hub, so the runs overlap
    hub.setFaults('slow:1500ms:path=getReceivedEdocList:count=1');
    try {
      const first = spawnReceive(b);
      await until(() => existsSync(lockOf(b)), 'the first run to take the lock');
      const holder = JSON.parse(await readFile(lockOf(b), 'utf8'));
      expect(holder).toMatchObject({ pid: first.child.pid, host: os.hostname(), command: 'kyso receive --profile hub' });
      expect(Date.parse(holder.startedAt)).not.toBeNaN();

      const second = await b.run(['receive', '--revocation', 'off']);
      expect(second.code, second.stderr).toBe(6);
      expect(second.stderr).toContain('already running');
      expect(second.stderr).toContain(`pid ${first.child.pid}`);
      expect(second.stdout).toBe('');

      const waiting = spawnReceive(b, ['--wait', '60']);
      const [r1, r3] = await Promise.all([first.done, waiting.done]);
      expect(r1.code, r1.stderr).toBe(0);
      expect(r3.code, r3.stderr).toBe(0);
      const d1 = JSON.parse(r1.stdout).result.documents as any[];
      const d3 = JSON.parse(r3.stdout).result.documents as any[];
      expect(d1.filter((d) => d.documentId === documentId).map((d) => d.outcome)).toEqual(['new']);
      expect(d3.filter((d) => d.documentId === documentId)).toEqual([]);
      // one status 01 for the document, not two
      expect(hub.stats().accepted[`status:${documentId}`], JSON.stringify(hub.stats().accepted)).toBe(1);
      expect(existsSync(lockOf(b))).toBe(false);
    } finally {
      hub.setFaults('');
    }
  }, 120_000);

  it('--wait with a limit gives up with exit 6 when the other run is still going', async () => {
    const b = await makeParty(path.join(root, 'waitlimit'), ORG_B, hub.url);
    hub.setFaults('slow:3000ms:path=getReceivedEdocList:count=1');
    try {
      const first = spawnReceive(b);
      await until(() => existsSync(lockOf(b)), 'the first run to take the lock');
      const r = await b.run(['receive', '--revocation', 'off', '--wait', '0.3']);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toContain('already running');
      expect((await first.done).code).toBe(0);
      expect((await b.run(['receive', '--wait', 'soon'])).code).toBe(2);
    } finally {
      hub.setFaults('');
    }
  }, 120_000);

  it('a lock left by a run that is gone is broken: a dead pid on this host, or a stale heartbeat from another host', async () => {
    const b = await makeParty(path.join(root, 'stale'), ORG_B, hub.url);
    expect((await b.run(['outbox', 'list'])).code).toBe(0); // creates the data folder
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(lockOf(b), JSON.stringify({ pid: dead, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'x' }));
    const r = await b.run(['receive', '--revocation', 'off']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removed the lock file of a kyso receive that is no longer running (pid ${dead}`);
    expect(existsSync(lockOf(b))).toBe(false);

    // another host (a container that went away): its pid cannot be checked; alive while it beats
    await writeFile(lockOf(b), JSON.stringify({ pid: 1, host: 'container-gone', startedAt: '2026-01-01T00:00:00.000Z', token: 'y' }));
    const held = await b.run(['receive', '--revocation', 'off']);
    expect(held.code).toBe(6);
    expect(held.stderr).toContain('pid 1 on container-gone');
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lockOf(b), old, old);
    const after = await b.run(['receive', '--revocation', 'off']);
    expect(after.code, after.stderr).toBe(0);
    expect(existsSync(lockOf(b))).toBe(false);
  }, 120_000);

  it('SIGTERM during a run removes the lock file', async () => {
    const b = await makeParty(path.join(root, 'signal'), ORG_B, hub.url);
    hub.setFaults('slow:3000ms:path=getReceivedEdocList:count=1');
    try {
      const run = spawnReceive(b);
      await until(() => existsSync(lockOf(b)), 'the run to take the lock');
      run.child.kill('SIGTERM');
      const r = await run.done;
      expect(r.code).toBe(143);
      expect(existsSync(lockOf(b))).toBe(false);
      expect((await b.run(['receive', '--revocation', 'off'])).code).toBe(0);
    } finally {
      hub.setFaults('');
    }
  }, 120_000);
});
