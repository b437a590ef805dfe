import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KysoError, msg } from '../../src/core/errors.js';
import type { ExchangeTransport, SentItem } from '../../src/exchange/transport.js';
import { sha256Bytes } from '../../src/outbox/durable-file.js';
import { OutboxStore, type OutboxItem } from '../../src/outbox/outbox-store.js';
import { parseSentTime, reconcile } from '../../src/outbox/reconcile.js';
import { deliverItem, type DeliverDeps } from '../../src/services/outbox-deliver.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const item = (over: Partial<OutboxItem> = {}): OutboxItem => ({
  id: 'i1',
  profile: 'p',
  messageType: 'edoc',
  documentId: '000.00.00.A01,2026/12/06,12/UBND-VP',
  from: '000.00.00.A01',
  to: ['000.00.00.B02', '000.00.00.C03'],
  bytesPath: '/x',
  sha256: 'ab'.repeat(32),
  size: 1,
  state: 'sending',
  uncertain: true,
  files: [],
  code: '12/UBND-VP',
  subject: 'V/v kế hoạch năm 2027',
  createdAt: '2026-12-06T03:00:00.000Z',
  updatedAt: '2026-12-06T03:00:00.000Z',
  attempts: [],
  history: [],
  ...over,
});
const NOW = new Date('2026-12-06T03:05:00Z');
/** rows as the real axis lists them: one per recipient, sentTime in Vietnam time, no hash, no DocumentId */
const row = (docId: string, to: string, over: Partial<SentItem> = {}): SentItem => ({ docId, to: [to], notation: '12/UBND-VP', title: 'V/v kế hoạch năm 2027', sentTime: '06/12/2026 10:01:00', ...over });

describe('reconciliation with the real sent-list row shape', () => {
  it('parses the sent times servers write', () => {
    expect(parseSentTime('06/12/2026 10:01:00')).toBe(Date.parse('2026-12-06T03:01:00Z'));
    expect(parseSentTime('2026-12-06 10:01:00')).toBe(Date.parse('2026-12-06T03:01:00Z'));
    expect(parseSentTime('2026-12-06T03:01:00.000Z')).toBe(Date.parse('2026-12-06T03:01:00Z'));
    expect(parseSentTime('yesterday')).toBeUndefined();
  });
  it('found: one docId, notation/title/sentTime agree, every recipient listed', () => {
    expect(reconcile(item(), [row('D1', '000.00.00.B02'), row('D1', '000.00.00.C03')], new Set(), NOW)).toEqual({ kind: 'found', docId: 'D1' });
  });
  it('none: other notations, other titles, or sent before this item was queued', () => {
    const rows = [row('D1', '000.00.00.B02', { notation: '13/UBND-VP' }), row('D2', '000.00.00.B02', { title: 'khác' }), row('D3', '000.00.00.B02', { sentTime: '05/12/2026 08:00:00' })];
    expect(reconcile(item(), rows, new Set(), NOW)).toEqual({ kind: 'none' });
  });
  it('ambiguous: two matching docIds, or a recipient missing', () => {
    expect(reconcile(item(), [row('D1', '000.00.00.B02'), row('D1', '000.00.00.C03'), row('D2', '000.00.00.B02'), row('D2', '000.00.00.C03')], new Set(), NOW).kind).toBe('ambiguous');
    expect(reconcile(item(), [row('D1', '000.00.00.B02')], new Set(), NOW)).toMatchObject({ kind: 'ambiguous', why: expect.stringContaining('000.00.00.C03') });
  });
  it('a docId already recorded for another item of this outbox is not ours', () => {
    const rows = [row('D1', '000.00.00.B02'), row('D1', '000.00.00.C03'), row('D2', '000.00.00.B02'), row('D2', '000.00.00.C03')];
    expect(reconcile(item(), rows, new Set(['D1']), NOW)).toEqual({ kind: 'found', docId: 'D2' });
  });
  it("kyso's older hub rows (DocumentId and sha256) still reconcile, and must agree", () => {
    const it1 = item({ to: ['000.00.00.B02'] });
    expect(reconcile(it1, [{ docId: 'D1', documentId: it1.documentId, sha256: it1.sha256, to: ['000.00.00.B02'] }], new Set(), NOW)).toEqual({ kind: 'found', docId: 'D1' });
    expect(reconcile(it1, [{ docId: 'D1', documentId: it1.documentId, sha256: 'cd'.repeat(32), to: ['000.00.00.B02'] }], new Set(), NOW)).toEqual({ kind: 'none' });
  });
});

describe('delivery: a failed or ambiguous sent-list query leaves the item unknown, never resent', () => {
  async function setup(listSent: () => Promise<SentItem[]>) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-reconcile-'));
    dirs.push(dir);
    const store = OutboxStore.open(dir);
    const bytes = Buffer.from('<edXML>x</edXML>');
    const bytesPath = path.join(dir, 'a.edxml');
    await writeFile(bytesPath, bytes);
    store.insert({ id: 'i1', profile: 'p', messageType: 'edoc', documentId: 'DOC', from: '000.00.00.A01', to: ['000.00.00.B02'], bytesPath, sha256: sha256Bytes(bytes), size: bytes.length, files: [], code: '12/X', subject: 'S' }, new Date());
    let sends = 0;
    const t: ExchangeTransport = {
      name: 'fake',
      async sendEdoc() {
        sends++;
        // stored by the server, then the connection dropped
        throw new KysoError('NET_RESET', 'exchange-retry', msg('reset', 'reset'), { details: { mayHaveReached: true } });
      },
      listSent,
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
    const deps: DeliverDeps = {
      store,
      transportFor: async () => ({ transport: t, retry: { baseMs: 1, maxMs: 1, maxAttempts: 5 } }),
      now: () => new Date(),
      sleep: async () => {},
      random: () => 0.5,
      owner: { pid: 1, host: 'h' },
      isAlive: () => false,
    };
    return { store, deps, sends: () => sends };
  }

  it('sent list answers FAIL/404: unknown after one send; retry (re-query only) and a second send do not resend', async () => {
    const { store, deps, sends } = await setup(async () => {
      throw new KysoError('HTTP_404', 'exchange-rejected', msg('not found', 'không có'));
    });
    const r = await deliverItem('i1', deps);
    expect(r.state).toBe('unknown');
    expect(r.error?.code).toBe('DELIVERY_UNKNOWN');
    expect(sends()).toBe(1);
    expect(store.get('i1')!.state).toBe('unknown');
    expect((await deliverItem('i1', deps)).state).toBe('unknown');
    expect((await deliverItem('i1', deps, { explicit: true, requeryOnly: true })).state).toBe('unknown');
    expect(sends()).toBe(1);
    store.close();
  });

  it('an explicit resend (the clerk checked) sends again', async () => {
    const { store, deps, sends } = await setup(async () => {
      throw new KysoError('HTTP_500', 'exchange-retry', msg('x', 'x'));
    });
    await deliverItem('i1', deps);
    expect(store.markNotDelivered('i1', new Date())).toBe(true);
    await deliverItem('i1', deps, { explicit: true });
    expect(sends()).toBe(2);
    store.close();
  });

  it('identity is UNIQUE: insertOrGet returns the first item', async () => {
    const { store } = await setup(async () => []);
    const base = { profile: 'p', messageType: 'edoc' as const, documentId: 'D', from: 'A', to: ['B'], bytesPath: '/x', sha256: 'x', size: 1, files: [], identity: 'ID-1' };
    expect(store.insertOrGet({ ...base, id: 'n1' }, new Date()).inserted).toBe(true);
    const second = store.insertOrGet({ ...base, id: 'n2' }, new Date());
    expect(second).toMatchObject({ inserted: false, item: { id: 'n1' } });
    expect(() => store.insert({ ...base, id: 'n3' }, new Date())).toThrow(/UNIQUE/);
    store.close();
  });

  it('a lease held by another host is respected until it runs out, then taken over', async () => {
    const { store, deps } = await setup(async () => []);
    store.beginAttempt('i1', { pid: 99, host: 'other-container' }, new Date(), () => true, { token: 't', ms: 60_000 });
    expect((await deliverItem('i1', deps)).state).toBe('busy');
    const later = { ...deps, now: () => new Date(Date.now() + 61_000) };
    // lease over: taken over, reconciled first (it was sending), then delivered (sent list empty → send)
    const r = await deliverItem('i1', later);
    expect(r.state).not.toBe('busy');
    store.close();
  });
});
