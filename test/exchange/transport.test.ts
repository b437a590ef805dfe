import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError, type KysoError } from '../../src/core/errors.js';
import { buildEdoc, buildStatus } from '../../src/exchange/edxml-build.js';
import { parseEdxmlBytes } from '../../src/exchange/edxml-parse.js';
import type { EdocMessage } from '../../src/exchange/edxml-types.js';
import { chooseProxy, noProxyMatches } from '../../src/exchange/http-client.js';
import type { ExchangeProfile } from '../../src/exchange/profile.js';
import { createTransport } from '../../src/exchange/transport-factory.js';
import type { ExchangeTransport, SendMeta } from '../../src/exchange/transport.js';
import { hashFile, javaHexQuirk, nonSdkHeaders, signVdxpHeaders, vdxpTimestamp, verifyVdxpHeaders } from '../../src/exchange/vdxp-auth.js';
import { parseFaults, decideFault } from '../../src/services/hub-faults.js';
import { startHub, type RunningHub } from '../../src/services/hub-server.js';
import { makeTls, startConnectProxy, startLgspMock, type TlsMaterial } from './servers.js';

const A = { systemId: 'SYS-NGHEAN', organId: '000.00.00.H41', secret: 'secret-of-A' };
const B = { systemId: 'SYS-VPCP', organId: '000.00.00.G22', secret: 'secret-of-B' };
const tmp = mkdtempSync(path.join(tmpdir(), 'kyso-transport-'));
const open: ExchangeTransport[] = [];
afterAll(async () => {
  for (const t of open) await t.close();
  rmSync(tmp, { recursive: true, force: true });
});

function transport(p: Partial<ExchangeProfile> & Pick<ExchangeProfile, 'endpoint'>, secret: string, env?: Record<string, string>): ExchangeTransport {
  const t = createTransport({ name: 'test', adapter: 'vdxp', systemId: A.systemId, organId: A.organId, timeoutMs: 5000, ...p }, { secret, env });
  open.push(t);
  return t;
}

async function failure(p: Promise<unknown>): Promise<KysoError> {
  try {
    await p;
  } catch (e) {
    if (isKysoError(e)) return e;
    throw e;
  }
  throw new Error('expected a KysoError');
}

let n = 0;
async function doc(from = A.organId, to = [B.organId]): Promise<{ bytes: Uint8Array; meta: SendMeta; documentId: string }> {
  n++;
  const m: EdocMessage = {
    from: { organId: from, organName: 'UBND tỉnh Nghệ An' },
    to: to.map((organId) => ({ organId })),
    code: { number: String(n), notation: 'UBND-VP' },
    promulgation: { place: 'Nghệ An', date: '2026-11-27' },
    documentType: { type: 1, typeName: 'Công văn' },
    subject: `Công văn thử số ${n}`,
    signer: { position: 'Chủ tịch', fullName: 'Nguyễn Văn A' },
    documentId: `${from},2026/11/27,${n}/UBND-VP`,
    businessDocType: 0,
    attachments: [{ contentId: '1', name: 'cv.pdf', contentType: 'application/pdf', bytes: Buffer.from(`%PDF-1.7 document ${n}`) }],
  };
  const bytes = await buildEdoc(m, { now: new Date('2026-11-27T02:00:00Z') });
  return { bytes, documentId: m.documentId, meta: { from, to, messageType: 'edoc', sha256: createHash('sha256').update(bytes).digest('hex') } };
}

describe('vdxp HMAC headers', () => {
  it('formats the SDK timestamp and the hash-file quirk', () => {
    expect(vdxpTimestamp(new Date('2026-11-27T02:03:04.005Z'))).toBe('27112026T090304+0005');
    expect(javaHexQuirk(Uint8Array.from([0x00, 0x0f, 0x10, 0xff]))).toBe('0f10ff');
    expect(hashFile(Buffer.from('abc')).hex).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('signs every header with XroadVnpt-* copies; any change breaks the HMAC', () => {
    const h = signVdxpHeaders({ from: A.organId, messagetype: 'edoc', to: '["000.00.00.G22"]' }, A.systemId, A.secret, new Date());
    expect(h['XroadVnpt-sign-header-key']).toBe('systemid;timestamp;from;messagetype;to');
    expect(JSON.parse(h['XroadVnpt-sign-header']!)).toMatchObject({ 'XroadVnpt-systemid': A.systemId, 'XroadVnpt-from': A.organId });
    expect(h['XroadVnpt-hash-header']).toMatch(/^[0-9a-f]{64}$/);
    // exactly the official SDK's set: XroadVnpt-* copies only, no plain from/to/systemid…
    expect(Object.keys(h).sort()).toEqual(
      ['User-Agent', 'XroadVnpt-version', 'XroadVnpt-systemid', 'XroadVnpt-timestamp', 'XroadVnpt-from', 'XroadVnpt-messagetype', 'XroadVnpt-to', 'XroadVnpt-sign-header-key', 'XroadVnpt-sign-header', 'XroadVnpt-hash-header'].sort(),
    );
    // Content-Type travels plain too (HTTP needs it), and signed
    const ct = signVdxpHeaders({ 'Content-Type': 'application/json', docid: 'd1' }, A.systemId, A.secret, new Date());
    expect(Object.keys(ct).filter((k) => !k.startsWith('XroadVnpt-'))).toEqual(['User-Agent', 'Content-Type']);
    expect(ct['XroadVnpt-Content-Type']).toBe('application/json');
    expect(nonSdkHeaders(Object.fromEntries(Object.entries(ct).map(([k, v]) => [k.toLowerCase(), v])))).toEqual([]);
    expect(nonSdkHeaders(Object.fromEntries([...Object.entries(ct), ['docid', 'd1']].map(([k, v]) => [k!.toLowerCase(), v])))).toEqual(['docid']);
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    const secrets = (id: string) => (id === A.systemId ? A.secret : undefined);
    expect(verifyVdxpHeaders(lower, secrets)).toMatchObject({ ok: true, systemId: A.systemId });
    expect(verifyVdxpHeaders({ ...lower, to: '["000.00.00.H99"]' }, secrets)).toMatchObject({ ok: false });
    expect(verifyVdxpHeaders({ ...lower, 'xroadvnpt-to': '["000.00.00.H99"]', to: '["000.00.00.H99"]' }, secrets)).toMatchObject({ ok: false, reason: 'HMAC mismatch' });
    expect(verifyVdxpHeaders(lower, () => 'other')).toMatchObject({ ok: false, reason: 'HMAC mismatch' });
    expect(verifyVdxpHeaders({ ...lower, docid: 'x' }, secrets)).toMatchObject({ ok: false, reason: 'header docid is not signed' });
  });
});

describe('vdxp client against the hub (in process)', () => {
  let hub: RunningHub;
  let a: ExchangeTransport;
  let b: ExchangeTransport;
  beforeAll(async () => {
    hub = await startHub({ dataDir: path.join(tmp, 'hub'), systems: [A, B] });
    a = transport({ endpoint: hub.url }, A.secret);
    b = transport({ endpoint: hub.url, systemId: B.systemId, organId: B.organId }, B.secret);
  });
  afterAll(() => hub.close());

  it('sends, lists, fetches, acks; sent list in the real row shape (notation, title, toCode; no hash); status goes back to the sender', async () => {
    const d = await doc();
    const { docId } = await a.sendEdoc(d.bytes, d.meta);
    expect(docId).toMatch(/[0-9a-f-]{36}/);
    const inbox = await b.listReceived('edoc');
    expect(inbox).toEqual([expect.objectContaining({ docId, from: A.organId, messageType: 'edoc', to: [B.organId] })]);
    const got = await b.getEdoc(docId);
    expect(Buffer.from(got).equals(Buffer.from(d.bytes))).toBe(true);
    await b.ack(docId, 'done');
    expect(await b.listReceived('edoc')).toEqual([]);
    const sent = await a.listSent();
    const row = sent.find((x) => x.docId === docId)!;
    expect(row).toMatchObject({ docId, to: [B.organId], notation: d.documentId.split(',').slice(2).join(',') });
    expect(row.title).toBeTruthy();
    expect(row.sha256).toBeUndefined();
    expect(row.documentId).toBeUndefined();
    const parsed = await parseEdxmlBytes(got);
    expect(parsed.kind).toBe('edoc');
    const status = buildStatus({
      from: { organId: B.organId },
      responseFor: { organId: A.organId, code: '1/UBND-VP', promulgationDate: '2026-11-27', documentId: d.documentId },
      statusCode: '01',
      description: 'Đã đến',
      timestamp: '2026/11/27 09:00:00',
    });
    await b.sendEdoc(status, { from: B.organId, to: [], messageType: 'status', sha256: hashFile(status).hex });
    const st = await a.listReceived('status');
    expect(st).toHaveLength(1);
    expect(st[0]).toMatchObject({ from: B.organId, messageType: 'status' });
    const sp = await parseEdxmlBytes(await a.getEdoc(st[0]!.docId));
    expect(sp.kind === 'status' && sp.message.statusCode).toBe('01');
    expect(await a.listAgencies()).toEqual(expect.arrayContaining([{ code: B.organId, name: B.organId }]));
  });

  it('detects duplicates (same sender, DocumentId, SHA-256) and counts accepted sendEdoc per document', async () => {
    const d = await doc();
    const r1 = await a.sendEdoc(d.bytes, d.meta);
    const r2 = await a.sendEdoc(d.bytes, d.meta);
    expect(r2.docId).toBe(r1.docId);
    expect(hub.stats().accepted[d.documentId]).toBe(1);
    expect(hub.stats().sendEdoc.duplicates).toBeGreaterThanOrEqual(1);
  });

  it('wrong secret → 401 → credentials error, not retried', async () => {
    const bad = transport({ endpoint: hub.url }, 'not-the-secret');
    const before = hub.stats().sendEdoc.unauthorized;
    const d = await doc();
    const e = await failure(bad.sendEdoc(d.bytes, d.meta));
    expect(e.category).toBe('credentials');
    expect(e.code).toBe('EXCHANGE_AUTH');
    expect(e.msg.vi).toContain('khóa bí mật');
    expect(e.msg.en).not.toContain('not-the-secret');
    expect(hub.stats().sendEdoc.unauthorized).toBe(before + 1);
  });

  it('unknown recipient / not an edXML → exchange-rejected', async () => {
    const d = await doc(A.organId, ['000.00.00.H99']);
    const e = await failure(a.sendEdoc(d.bytes, d.meta));
    expect(e.category).toBe('exchange-rejected');
    expect(String(e.details?.body)).toContain('unknown recipient');
    const e2 = await failure(a.sendEdoc(Buffer.from('<x/>'), { ...d.meta, to: [B.organId] }));
    expect(e2.category).toBe('exchange-rejected');
  });

  it('fault injection: 500, 429 + Retry-After, drop after receive (reached), drop before, slow → timeout', async () => {
    const d = await doc();
    hub.setFaults('500:1:count=1:path=sendEdoc');
    const e500 = await failure(a.sendEdoc(d.bytes, d.meta));
    expect(e500).toMatchObject({ category: 'exchange-retry', code: 'EXCHANGE_SERVER' });
    expect(e500.details?.mayHaveReached).toBe(true);

    hub.setFaults('429:1:retry-after=2:count=1');
    const e429 = await failure(a.sendEdoc(d.bytes, d.meta));
    expect(e429).toMatchObject({ category: 'exchange-retry', code: 'EXCHANGE_BUSY' });
    expect(e429.details).toMatchObject({ retryAfterMs: 2000, mayHaveReached: false });

    hub.setFaults('drop-after-receive:1:count=1');
    const eDrop = await failure(a.sendEdoc(d.bytes, d.meta));
    expect(eDrop).toMatchObject({ category: 'exchange-retry', code: 'EXCHANGE_NETWORK' });
    expect(eDrop.details?.mayHaveReached).toBe(true);
    expect(hub.stats().accepted[d.documentId]).toBe(1); // it did reach the hub
    const sent = await a.listSent();
    expect(sent.filter((s) => s.notation === d.documentId.split(',').slice(2).join(','))).toHaveLength(1);

    const d2 = await doc();
    hub.setFaults('drop-before-receive:1:count=1');
    const eBefore = await failure(a.sendEdoc(d2.bytes, d2.meta));
    expect(eBefore.category).toBe('exchange-retry');
    expect(hub.stats().accepted[d2.documentId]).toBeUndefined();

    hub.setFaults('slow:1500ms:count=1');
    const quick = transport({ endpoint: hub.url, timeoutMs: 300 }, A.secret);
    const eSlow = await failure(quick.listReceived('edoc'));
    expect(eSlow.category).toBe('exchange-retry');
    hub.setFaults('');
    const ok = await a.sendEdoc(d2.bytes, d2.meta);
    expect(ok.docId).toBeTruthy();
    expect(hub.stats().faultsInjected).toMatchObject({ '500': 1, '429': 1, 'drop-after-receive': 1, 'drop-before-receive': 1, slow: 1 });
  });

  it('admin endpoint sets faults and reports stats (loopback)', async () => {
    const r = await fetch(`${hub.url}_admin/faults`, { method: 'POST', body: JSON.stringify({ spec: '503:1:count=1' }) });
    expect(r.status).toBe(200);
    const e = await failure(a.listReceived('edoc'));
    expect(e.details?.status).toBe(503);
    const bad = await fetch(`${hub.url}_admin/faults`, { method: 'POST', body: 'explode:1' });
    expect(bad.status).toBe(400);
    const s = (await (await fetch(`${hub.url}_admin/stats`)).json()) as { requests: Record<string, number> };
    expect(s.requests.getReceivedEdocList).toBeGreaterThan(0);
  });

  it('hub down → network error, nothing reached', async () => {
    const down = transport({ endpoint: 'http://127.0.0.1:9/' }, A.secret);
    const d = await doc();
    const e = await failure(down.sendEdoc(d.bytes, d.meta));
    expect(e).toMatchObject({ category: 'exchange-retry', code: 'EXCHANGE_NETWORK' });
    expect(e.details).toMatchObject({ code: 'ECONNREFUSED', mayHaveReached: false });
  });

  it('a restarted hub keeps its inboxes and sent lists (SQLite + files under the data dir)', async () => {
    const dir = path.join(tmp, 'hub-restart');
    let h = await startHub({ dataDir: dir, systems: [A, B] });
    const d = await doc();
    const sender = transport({ endpoint: h.url }, A.secret);
    const { docId } = await sender.sendEdoc(d.bytes, d.meta);
    await h.close();
    h = await startHub({ dataDir: dir, systems: [A, B] });
    try {
      const rb = transport({ endpoint: h.url, systemId: B.systemId, organId: B.organId }, B.secret);
      expect((await rb.listReceived('edoc')).map((i) => i.docId)).toEqual([docId]);
      expect(Buffer.from(await rb.getEdoc(docId)).equals(Buffer.from(d.bytes))).toBe(true);
      const ra = transport({ endpoint: h.url }, A.secret);
      expect((await ra.listSent()).map((s) => s.docId)).toEqual([docId]);
      expect((await ra.sendEdoc(d.bytes, d.meta)).docId).toBe(docId); // dedup survives the restart
    } finally {
      await h.close();
    }
  });

  it('port in use and unusable data dir → clear errors', async () => {
    const e = await failure(startHub({ dataDir: path.join(tmp, 'hub-port'), systems: [A], port: hub.port }));
    expect(e).toMatchObject({ code: 'HUB_PORT', category: 'usage' });
    const file = path.join(tmp, 'a-file');
    (await import('node:fs')).writeFileSync(file, 'x');
    const e2 = await failure(startHub({ dataDir: file, systems: [A] }));
    expect(e2).toMatchObject({ code: 'HUB_DATA_DIR', category: 'input' });
    expect(e2.msg.en).toContain(file);
  });

  it('dedup off: the same message twice is accepted twice', async () => {
    const hub2 = await startHub({ dataDir: path.join(tmp, 'hub-nodedup'), systems: [A, B], dedup: false });
    try {
      const c = transport({ endpoint: hub2.url }, A.secret);
      const d = await doc();
      const r1 = await c.sendEdoc(d.bytes, d.meta);
      const r2 = await c.sendEdoc(d.bytes, d.meta);
      expect(r1.docId).not.toBe(r2.docId);
      expect(hub2.stats().accepted[d.documentId]).toBe(2);
    } finally {
      await hub2.close();
    }
  });
});

describe('fault spec', () => {
  it('parses the documented forms and rejects nonsense', () => {
    const r = parseFaults('drop-after-receive:0.3,500:0.2,429:0.1:retry-after=1,slow:200ms');
    expect(r).toEqual([
      { kind: 'drop-after-receive', probability: 0.3 },
      { kind: '500', probability: 0.2 },
      { kind: '429', probability: 0.1, retryAfterSec: 1 },
      { kind: 'slow', probability: 1, delayMs: 200 },
    ]);
    expect(decideFault(r, 'sendEdoc', () => 0.15)).toMatchObject({ delayMs: 200, fault: { kind: 'drop-after-receive' } });
    expect(decideFault(r, 'sendEdoc', () => 0.95)).toEqual({ delayMs: 200, fault: undefined });
    expect(() => parseFaults('explode:1')).toThrow(/unknown fault/);
    expect(() => parseFaults('500:7')).toThrow(/between 0 and 1/);
  });
});

describe('proxy choice', () => {
  it('explicit proxy wins; env proxy honours NO_PROXY', () => {
    expect(chooseProxy('http://127.0.0.1:1/', 'http://127.0.0.1:3128', {})).toBe('http://127.0.0.1:3128');
    expect(chooseProxy('https://lgsp.gov.vn/', undefined, { HTTPS_PROXY: 'http://p:1' })).toBe('http://p:1');
    expect(chooseProxy('http://127.0.0.1:1/', undefined, { HTTP_PROXY: 'http://p:1', NO_PROXY: 'localhost,127.0.0.1' })).toBeUndefined();
    expect(chooseProxy('https://a.lgsp.gov.vn/', undefined, { https_proxy: 'http://p:1', no_proxy: '.gov.vn' })).toBeUndefined();
    expect(noProxyMatches('lgsp.gov.vn', '*')).toBe(true);
  });
});

describe('lgsp-bearer against a loopback LGSP', () => {
  it('logs in, sends multipart edocFile with X-SystemId/X-SecretKey + Bearer, lists, gets, acks, refreshes the token on 401 once', async () => {
    const mock = await startLgspMock({ flavour: 'bearer', systemId: A.systemId, secret: A.secret, username: 'vanthu.nghean' });
    try {
      const t = transport({ adapter: 'lgsp-bearer', endpoint: mock.url, username: 'vanthu.nghean' }, A.secret);
      const d = await doc();
      const { docId } = await t.sendEdoc(d.bytes, d.meta);
      expect(docId).toBe('1000');
      expect(mock.logins).toBe(1);
      expect(Buffer.compare(mock.sent[0]!.edxml, Buffer.from(d.bytes))).toBe(0);
      expect(mock.sent[0]!.messageType).toBe('edoc');
      const sendReq = mock.requests.find((r) => r.path === '/v1/sendEdoc')!;
      expect(sendReq.headers['x-systemid']).toBe(A.systemId);
      expect(String(sendReq.headers.authorization)).toMatch(/^Bearer tok-/);
      expect(sendReq.headers['content-length']).toBeDefined();

      mock.inbox.push({ docId: '77', from: B.organId, edxml: Buffer.from(d.bytes), messageType: 'edoc' });
      const list = await t.listReceived('edoc');
      expect(list).toEqual([expect.objectContaining({ docId: '77', from: B.organId, messageType: 'edoc' })]);
      expect(Buffer.from(await t.getEdoc('77')).equals(Buffer.from(d.bytes))).toBe(true);
      await t.ack('77', 'done');
      expect(mock.acks).toEqual([{ docId: '77', status: 'done' }]);
      expect(await t.listAgencies()).toEqual([{ code: '000.00.00.G22', name: 'Văn phòng Chính phủ' }]);
      // not offered by this LGSP (404): an error, never "empty" (an empty list would make the outbox resend)
      await expect(t.listSent()).rejects.toMatchObject({ name: expect.any(String) });
      expect(mock.logins).toBe(1); // token reused (keep-alive session)
      const rej = await failure(t.sendEdoc(Buffer.from('<not-edxml/>'), d.meta));
      expect(rej).toMatchObject({ category: 'exchange-rejected', code: 'EXCHANGE_FAIL' });
      expect(rej.details).toMatchObject({ errorCode: '22' });

      // the server now expires every token after one use: the client logs in again once per call
      mock.tokenUses = 1;
      expect(await t.listReceived('edoc')).toHaveLength(1);
      expect(mock.logins).toBe(2);
      // and a token that fails right after login → credentials error (no loop)
      mock.tokenUses = 0;
      const e = await failure(t.listReceived('edoc'));
      expect(e.category).toBe('credentials');
      expect(mock.logins).toBe(3);
    } finally {
      await mock.close();
    }
  });

  it('wrong password → credentials error; wrong X-SecretKey answer (code 15) → credentials', async () => {
    const mock = await startLgspMock({ flavour: 'bearer', systemId: A.systemId, secret: A.secret });
    try {
      const t = transport({ adapter: 'lgsp-bearer', endpoint: mock.url }, 'wrong');
      const d = await doc();
      const e = await failure(t.sendEdoc(d.bytes, d.meta));
      expect(e.category).toBe('credentials');
      expect(mock.sent).toHaveLength(0);
    } finally {
      await mock.close();
    }
  });
});

describe('lgsp-oauth2 against a loopback LGSP', () => {
  it('client-credentials token in the lgspaccesstoken header; refresh on 401; invalid_client → credentials', async () => {
    const mock = await startLgspMock({ flavour: 'oauth2', systemId: A.systemId, secret: A.secret });
    try {
      const t = transport({ adapter: 'lgsp-oauth2', endpoint: mock.url }, A.secret);
      const d = await doc();
      expect((await t.sendEdoc(d.bytes, d.meta)).docId).toBe('1000');
      const req = mock.requests.find((r) => r.path === '/v1/sendEdoc')!;
      expect(String(req.headers.lgspaccesstoken)).toMatch(/^acc-/);
      mock.inbox.push({ docId: '5', from: B.organId, edxml: Buffer.from(d.bytes), messageType: 'status' });
      expect(await t.listReceived('status')).toEqual([expect.objectContaining({ docId: '5', messageType: 'status' })]);
      expect(await t.listReceived('edoc')).toEqual([]);
      expect(Buffer.from(await t.getEdoc('5')).equals(Buffer.from(d.bytes))).toBe(true);
      await t.ack('5', 'fail');
      expect(mock.acks).toEqual([{ docId: '5', status: 'fail' }]);
      expect(mock.logins).toBe(1);
      mock.tokenUses = 1;
      await t.listReceived('edoc');
      expect(mock.logins).toBe(2);
      mock.tokenUses = 1000;
      const bad = transport({ adapter: 'lgsp-oauth2', endpoint: mock.url }, 'wrong');
      expect((await failure(bad.listReceived('edoc'))).category).toBe('credentials');
    } finally {
      await mock.close();
    }
  });
});

describe('TLS: CA bundle, client certificate (mTLS) and CONNECT proxy', () => {
  let tls: TlsMaterial;
  beforeAll(() => {
    tls = makeTls(path.join(tmp, 'tls'));
  });

  it('talks to an HTTPS LGSP that requires a client certificate', async () => {
    const mock = await startLgspMock({ flavour: 'bearer', systemId: A.systemId, secret: A.secret, tls });
    try {
      const t = transport({ adapter: 'lgsp-bearer', endpoint: mock.url, caFile: tls.caPem, clientCert: tls.clientCert, clientKey: tls.clientKey }, A.secret);
      const d = await doc();
      expect((await t.sendEdoc(d.bytes, d.meta)).docId).toBe('1000');
      expect(mock.clientCertSubjects).toContain('000.00.00.H41 system');

      // no client certificate → the server refuses the session: a TLS failure of the profile, never retried, whether
      // the client saw the TLS 1.3 alert or the reset that races it (asked several times: the race goes either way)
      const noCert = transport({ adapter: 'lgsp-bearer', endpoint: mock.url, caFile: tls.caPem }, A.secret);
      for (let i = 0; i < 5; i++) expect(await failure(noCert.listReceived('edoc'))).toMatchObject({ code: 'EXCHANGE_TLS', category: 'credentials' });
      // server certificate from a CA we do not trust → TLS error, credentials category (not retried)
      const wrongCa = transport({ adapter: 'lgsp-bearer', endpoint: mock.url, caFile: tls.otherCaPem, clientCert: tls.clientCert, clientKey: tls.clientKey }, A.secret);
      const e2 = await failure(wrongCa.listReceived('edoc'));
      expect(e2).toMatchObject({ code: 'EXCHANGE_TLS', category: 'credentials' });
      // unreadable CA file → input error naming the file
      expect(() => transport({ adapter: 'lgsp-bearer', endpoint: mock.url, caFile: path.join(tmp, 'nope.pem') }, A.secret)).toThrow(/nope\.pem/);
    } finally {
      await mock.close();
    }
  });

  it('goes through a loopback CONNECT proxy (explicit, and from HTTPS_PROXY / HTTP_PROXY) unless NO_PROXY', async () => {
    const proxy = await startConnectProxy();
    const mock = await startLgspMock({ flavour: 'bearer', systemId: A.systemId, secret: A.secret, tls });
    const hub = await startHub({ dataDir: path.join(tmp, 'hub-proxy'), systems: [A, B] });
    try {
      // https + mTLS through the tunnel
      const t = transport({ adapter: 'lgsp-bearer', endpoint: mock.url, caFile: tls.caPem, clientCert: tls.clientCert, clientKey: tls.clientKey, proxy: proxy.url }, A.secret);
      const d = await doc();
      expect((await t.sendEdoc(d.bytes, d.meta)).docId).toBe('1000');
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(mock.url).host]));

      // vdxp over plain http, proxy from the environment
      let before = proxy.tunnels.length;
      const viaEnv = transport({ endpoint: hub.url }, A.secret, { HTTP_PROXY: proxy.url });
      const d2 = await doc();
      await viaEnv.sendEdoc(d2.bytes, d2.meta);
      expect(proxy.tunnels.length).toBe(before + 1);
      expect(proxy.tunnels.at(-1)).toBe(new URL(hub.url).host);

      before = proxy.tunnels.length;
      const https = transport({ adapter: 'lgsp-bearer', endpoint: mock.url, caFile: tls.caPem, clientCert: tls.clientCert, clientKey: tls.clientKey }, A.secret, { HTTPS_PROXY: proxy.url });
      await https.listReceived('edoc');
      expect(proxy.tunnels.length).toBeGreaterThan(before);

      before = proxy.tunnels.length;
      const bypass = transport({ endpoint: hub.url }, A.secret, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
      await bypass.listReceived('edoc');
      expect(proxy.tunnels.length).toBe(before);
    } finally {
      await hub.close();
      await mock.close();
      await proxy.close();
    }
  });
});
