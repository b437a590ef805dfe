import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type RetrySettings } from '../../src/core/config.js';
import { KysoError, msg } from '../../src/core/errors.js';
import type { ExchangeTransport, SentItem } from '../../src/exchange/transport.js';
import { sha256Bytes } from '../../src/outbox/durable-file.js';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import { backoffDelay, sameSha256, sdkHexQuirk, transition } from '../../src/outbox/state-machine.js';
import { deliverItem, type DeliverDeps } from '../../src/services/outbox-deliver.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const retry: RetrySettings = { baseMs: 1, maxMs: 4, maxAttempts: 4 };

describe('state machine (pure)', () => {
  it('backs off exponentially with jitter, capped, and honours Retry-After', () => {
    const r: RetrySettings = { baseMs: 100, maxMs: 1000, maxAttempts: 9 };
    expect(backoffDelay(1, r, () => 0)).toBe(50);
    expect(backoffDelay(1, r, () => 1)).toBe(100);
    expect(backoffDelay(3, r, () => 1)).toBe(400);
    expect(backoffDelay(10, r, () => 1)).toBe(1000);
    expect(backoffDelay(10, r, () => 0)).toBe(500);
    expect(backoffDelay(1, r, () => 0, 3000)).toBe(3000);
  });
  it('maps outcomes to states', () => {
    const c = { attemptInRun: 1, retry, random: () => 0.5, wasUncertain: false };
    expect(transition({ kind: 'delivered', docId: 'x', reconciled: false }, c).state).toBe('delivered');
    expect(transition({ kind: 'error', category: 'credentials', code: 'X', message: '' }, c)).toMatchObject({ state: 'failed', retryNow: false });
    expect(transition({ kind: 'error', category: 'exchange-rejected', code: 'X', message: '' }, c)).toMatchObject({ state: 'rejected', retryNow: false });
    expect(transition({ kind: 'error', category: 'exchange-retry', code: 'X', message: '' }, c)).toMatchObject({ state: 'queued', retryNow: true, uncertain: false });
    expect(transition({ kind: 'error', category: 'exchange-retry', code: 'X', message: '', mayHaveReached: true }, c)).toMatchObject({ state: 'queued', uncertain: true });
    expect(transition({ kind: 'error', category: 'exchange-retry', code: 'X', message: '' }, { ...c, attemptInRun: 4 })).toMatchObject({ state: 'queued', retryNow: false });
  });
  it('matches the SDK hash-file quirk', () => {
    const h = '0a0b00ff' + '1'.repeat(56);
    expect(sdkHexQuirk(h).startsWith('ab0ff')).toBe(true);
    expect(sameSha256(h, h.toUpperCase())).toBe(true);
    expect(sameSha256(h, sdkHexQuirk(h))).toBe(true);
    expect(sameSha256(h, 'f' + h.slice(1))).toBe(false);
  });
});

type Script = Array<'ok' | 'retry' | 'drop' | 'auth' | 'reject' | '429'>;

/** A fake server: records every accepted document; answers per script. */
function fakeTransport(script: Script) {
  const accepted: SentItem[] = [];
  let sends = 0;
  let lists = 0;
  const t: ExchangeTransport = {
    name: 'fake',
    async sendEdoc(bytes, meta) {
      const step = script[sends++] ?? 'ok';
      const sha = sha256Bytes(bytes);
      if (step === 'retry') throw new KysoError('NET', 'exchange-retry', msg('down', 'down'));
      if (step === '429') throw new KysoError('HTTP_429', 'exchange-retry', msg('busy', 'busy'), { details: { status: 429, retryAfterMs: 5 } });
      if (step === 'auth') throw new KysoError('HTTP_401', 'credentials', msg('bad secret', 'sai'), { details: { status: 401 } });
      if (step === 'reject') throw new KysoError('HTTP_400', 'exchange-rejected', msg('bad', 'bad'), { details: { status: 400, body: { ErrorDesc: 'no such organ' } } });
      const docId = `D${accepted.length + 1}`;
      accepted.push({ docId, documentId: 'DOC-1', sha256: sha, to: meta.to });
      if (step === 'drop') throw new KysoError('NET_RESET', 'exchange-retry', msg('reset', 'reset'), { details: { mayHaveReached: true } });
      return { docId };
    },
    async listSent() {
      lists++;
      return accepted;
    },
    async listReceived() {
      return [];
    },
    async getEdoc() {
      return new Uint8Array();
    },
    async ack() {},
    async listAgencies() {
      return [];
    },
    async close() {},
  };
  return { t, accepted, counts: () => ({ sends, lists }) };
}

async function setup(script: Script, opts: { alive?: boolean } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-outbox-'));
  dirs.push(dir);
  const store = OutboxStore.open(dir);
  const bytes = Buffer.from('<edXML>hello</edXML>');
  const bytesPath = path.join(dir, 'a.edxml');
  await writeFile(bytesPath, bytes);
  store.insert({ id: 'item-1', profile: 'p', messageType: 'edoc', documentId: 'DOC-1', from: '000.00.00.A01', to: ['000.00.00.B02'], bytesPath, sha256: sha256Bytes(bytes), size: bytes.length, files: [] }, new Date());
  const fake = fakeTransport(script);
  const sleeps: number[] = [];
  const deps: DeliverDeps = {
    store,
    transportFor: async () => ({ transport: fake.t, retry }),
    now: () => new Date(),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    owner: { pid: 111, host: 'h' },
    isAlive: () => opts.alive ?? false,
  };
  return { store, fake, deps, sleeps, dir };
}

describe('delivery loop', () => {
  it('retries network errors and delivers', async () => {
    const { deps, fake, store, sleeps } = await setup(['retry', '429', 'ok']);
    const r = await deliverItem('item-1', deps);
    expect(r).toMatchObject({ state: 'delivered', docId: 'D1', attempts: 3 });
    expect(fake.accepted).toHaveLength(1);
    expect(sleeps[1]).toBeGreaterThanOrEqual(5); // Retry-After honoured
    const it = store.get('item-1')!;
    expect(it.attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(it.attempts[1]!.httpStatus).toBe(429);
    store.close();
  });
  it('leaves the item queued after maxAttempts (exit 6 territory)', async () => {
    const { deps, store } = await setup(['retry', 'retry', 'retry', 'retry', 'retry']);
    const r = await deliverItem('item-1', deps);
    expect(r.state).toBe('queued');
    expect(r.attempts).toBe(retry.maxAttempts);
    expect(store.get('item-1')!.nextAttemptAt).toBeTruthy();
    store.close();
  });
  it('credentials error: failed, no retry', async () => {
    const { deps, fake, store } = await setup(['auth', 'ok']);
    const r = await deliverItem('item-1', deps);
    expect(r).toMatchObject({ state: 'failed', attempts: 1 });
    expect(r.error?.category).toBe('credentials');
    expect(fake.counts().sends).toBe(1);
    // an explicit retry (after fixing the secret) delivers
    expect((await deliverItem('item-1', deps, { explicit: true })).state).toBe('delivered');
    store.close();
  });
  it('rejection is final with the server answer kept', async () => {
    const { deps, store } = await setup(['reject']);
    expect((await deliverItem('item-1', deps)).state).toBe('rejected');
    expect(store.get('item-1')!.attempts[0]!.answer).toContain('no such organ');
    expect((await deliverItem('item-1', deps, { explicit: true })).state).toBe('rejected');
    store.close();
  });
  it('a dropped connection after the server stored it is reconciled, not re-sent', async () => {
    const { deps, fake, store } = await setup(['drop', 'ok']);
    const r = await deliverItem('item-1', deps);
    expect(r).toMatchObject({ state: 'delivered', reconciled: true, docId: 'D1' });
    expect(fake.accepted).toHaveLength(1);
    expect(fake.counts().sends).toBe(1);
    expect(store.get('item-1')!.attempts.map((a) => a.outcome)).toEqual(['retry', 'reconciled']);
    store.close();
  });
  it('reconciles by DocumentId when the server lists no hashes', async () => {
    const { deps, fake, store } = await setup(['drop', 'ok']);
    const orig = fake.t.listSent.bind(fake.t);
    fake.t.listSent = async () => (await orig()).map((x) => ({ ...x, sha256: undefined }));
    expect(await deliverItem('item-1', deps)).toMatchObject({ state: 'delivered', reconciled: true });
    expect(fake.counts().sends).toBe(1);
    store.close();
  });
  it('an item left "sending" by a dead process is reconciled first', async () => {
    const { deps, fake, store } = await setup(['ok']);
    // a crashed run: claimed, request reached the server, then SIGKILL
    const other = { ...deps, owner: { pid: 222, host: 'h' } };
    store.beginAttempt('item-1', other.owner, new Date(), () => true);
    await fake.t.sendEdoc(Buffer.from('<edXML>hello</edXML>'), { from: '000.00.00.A01', to: ['000.00.00.B02'], messageType: 'edoc', sha256: '' });
    const r = await deliverItem('item-1', deps);
    expect(r).toMatchObject({ state: 'delivered', reconciled: true });
    expect(fake.counts().sends).toBe(1);
    expect(store.get('item-1')!.attempts[0]!.outcome).toBe('interrupted');
    store.close();
  });
  it('does not touch an item another live process is sending', async () => {
    const { deps, fake, store } = await setup(['ok'], { alive: true });
    store.beginAttempt('item-1', { pid: 222, host: 'h' }, new Date(), () => true);
    const r = await deliverItem('item-1', deps);
    expect(r.state).toBe('busy');
    expect(fake.counts()).toEqual({ sends: 0, lists: 0 });
    store.close();
  });
});

it('DEFAULT_RETRY is bounded', () => {
  expect(DEFAULT_RETRY.maxAttempts).toBeGreaterThan(0);
});

describe('outbox folder sweep', () => {
  it('removes old orphans (temp files, edXML without a row) and keeps recorded items and fresh files', async () => {
    const { sweepOrphans } = await import('../../src/services/outbox-manage.js');
    const { dir, store, deps } = await setup([]);
    const { mkdir, utimes, readdir: rd } = await import('node:fs/promises');
    const outboxDir = path.join(dir, 'outbox');
    await mkdir(outboxDir);
    const orphan = '0f8fad5b-d9cb-469f-a165-70867728950e.edxml';
    const fresh = '1f8fad5b-d9cb-469f-a165-70867728950e.edxml';
    const kept = 'item-1.edxml';
    for (const n of [orphan, fresh, kept, '.x.edxml.123.tmp']) await writeFile(path.join(outboxDir, n), 'x');
    const old = new Date(Date.now() - 3600_000);
    for (const n of [orphan, kept, '.x.edxml.123.tmp']) await utimes(path.join(outboxDir, n), old, old);
    const s = { outboxDir, store, deliverDeps: deps } as unknown as Parameters<typeof sweepOrphans>[0];
    expect((await sweepOrphans(s)).sort()).toEqual(['.x.edxml.123.tmp', orphan]);
    expect((await rd(outboxDir)).sort()).toEqual([fresh, kept].sort());
    store.close();
  });
});
