import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KysoError, msg } from '../../src/core/errors.js';
import { buildEdoc } from '../../src/exchange/edxml-build.js';
import type { ExchangeTransport, MessageType, ReceivedItem } from '../../src/exchange/transport.js';
import { receiveDocuments, type VerifyPdf } from '../../src/services/receive-documents.js';
import { openExchangeSession, type ExchangeEffects } from '../../src/services/outbox-session.js';

/** receive's idempotency and failure paths, in-process with a scripted transport (no network). */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeServer(docs: Record<string, Uint8Array>) {
  const acks: [string, string][] = [];
  const sent: { bytes: Uint8Array; messageType: MessageType; to: string[] }[] = [];
  let failAck = 0;
  const t: ExchangeTransport = {
    name: 'fake',
    async listReceived(mt) {
      if (mt !== 'edoc') return [];
      return Object.keys(docs)
        .filter((id) => !acks.some(([a]) => a === id))
        .map((docId): ReceivedItem => ({ docId, from: '000.00.00.A01', messageType: 'edoc' }));
    },
    async getEdoc(id) {
      return docs[id]!;
    },
    async ack(id, status) {
      if (failAck-- > 0) throw new KysoError('NET', 'exchange-retry', msg('down', 'down'));
      acks.push([id, status]);
    },
    async sendEdoc(bytes, meta) {
      sent.push({ bytes, messageType: meta.messageType, to: meta.to });
      return { docId: `S${sent.length}` };
    },
    async listSent() {
      return [];
    },
    async listAgencies() {
      return [];
    },
    async close() {},
  };
  return { t, acks, sent, failAckOnce: () => void (failAck = 1) };
}

function session(t: ExchangeTransport) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-recv-'));
  dirs.push(dir);
  const cfg = JSON.stringify({ dataDir: path.join(dir, 'data'), profiles: { p: { endpoint: 'http://127.0.0.1:9/', systemId: 'S', organId: '000.00.00.B02', retry: { baseMs: 1, maxMs: 2, maxAttempts: 2 } } } });
  const fx: ExchangeEffects = {
    cwd: dir,
    env: { KYSO_EXCHANGE_SECRET: 'x', XDG_CONFIG_HOME: path.join(dir, 'none') },
    homeDir: dir,
    // the user file names the config explicitly trusted: a project file may not set endpoints (issue 12)
    readConfigFile: (p) => (p === path.join(dir, 'kyso.config.json') ? cfg : p === path.join(dir, 'none', 'kyso', 'config.json') ? JSON.stringify({ trustedProjectDirs: [dir] }) : undefined),
    secretFs: { mode: () => 0o600, read: () => 'x' },
    now: () => new Date(),
    sleep: async () => {},
    random: () => 0.5,
    owner: { pid: 1, host: 'h' },
    isAlive: () => false,
    createTransport: () => t,
  };
  return { s: openExchangeSession(fx, {}), dir };
}

const pass: VerifyPdf = async () => ({ indication: 'TOTAL_PASSED', summary: msg('ok', 'ok') });

async function edoc(code: string): Promise<Uint8Array> {
  return buildEdoc({
    from: { organId: '000.00.00.A01' },
    to: [{ organId: '000.00.00.B02' }],
    code: { number: code, notation: 'UBND-VP' },
    promulgation: { place: 'Hà Nội', date: '2026-11-27' },
    documentType: { type: 1, typeName: 'Công văn' },
    subject: 'Thử',
    signer: { position: 'Chủ tịch', fullName: 'A' },
    documentId: `000.00.00.A01,2026/11/27,${code}/UBND-VP`,
    businessDocType: 0,
    attachments: [{ contentId: 'c1', name: 'a.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.4\n%%EOF\n') }],
  });
}

describe('receive (in-process)', () => {
  it('an unparseable or hostile edXML is kept, acknowledged "fail", and gets no business status', async () => {
    const bomb = Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&b;</edXML>');
    const f = fakeServer({ bad: bomb });
    const { s } = session(f.t);
    const r = await receiveDocuments({ verifyPdf: pass }, s);
    expect(r.documents[0]).toMatchObject({ docId: 'bad', outcome: 'unparseable', acked: true });
    expect(r.documents[0]!.error?.code).toMatch(/^EDXML_/);
    expect(f.acks).toEqual([['bad', 'fail']]);
    expect(f.sent).toHaveLength(0);
    expect(readdirSync(path.join(s.inboxDir, 'bad')).sort()).toEqual(['message.edxml', 'metadata.json']);
    await s.close();
  });

  it('a failed ack is finished by the next run; the document is stored once and status 01 sent once', async () => {
    const f = fakeServer({ d1: await edoc('11') });
    const { s } = session(f.t);
    f.failAckOnce();
    const r1 = await receiveDocuments({ verifyPdf: pass }, s);
    expect(r1.documents[0]).toMatchObject({ outcome: 'error', acked: false });
    expect(r1.documents[0]!.error?.category).toBe('exchange-retry');
    // the status was queued durably before the ack; it is delivered in the same run
    expect(f.sent.map((x) => x.messageType)).toEqual(['status']);
    const r2 = await receiveDocuments({ verifyPdf: pass }, s);
    expect(r2.documents[0]).toMatchObject({ outcome: 'already', acked: true, statusCode: '01' });
    expect(f.acks).toEqual([['d1', 'done']]);
    expect(f.sent).toHaveLength(1);
    expect(readdirSync(s.inboxDir).filter((n) => !n.startsWith('.'))).toEqual(['d1']);
    const r3 = await receiveDocuments({ verifyPdf: pass }, s);
    expect(r3.documents).toHaveLength(0);
    await s.close();
  });

  it('the same document arriving again under a new docId is stored and flagged as a duplicate', async () => {
    const bytes = await edoc('14');
    const f = fakeServer({ first: bytes, again: bytes });
    const { s } = session(f.t);
    const r = await receiveDocuments({ verifyPdf: pass }, s);
    expect(r.documents[0]).toMatchObject({ docId: 'first', flagged: false });
    expect(r.documents[1]).toMatchObject({ docId: 'again', flagged: true });
    expect(r.documents[1]!.flags.join()).toContain('same document as docId first');
    await s.close();
  });

  it('a verification failure rejects with 02 and names the file; INDETERMINATE is flagged with 01', async () => {
    const f = fakeServer({ bad: await edoc('12'), unsure: await edoc('13') });
    const { s } = session(f.t);
    const verify: VerifyPdf = async (file) => {
      void file;
      return verifyOnce.shift()!;
    };
    const verifyOnce = [
      { indication: 'TOTAL_FAILED' as const, subIndication: 'HASH_FAILURE', summary: msg('digest mismatch', 'sai giá trị băm') },
      { indication: 'INDETERMINATE' as const, subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', summary: msg('untrusted', 'không tin cậy') },
    ];
    const r = await receiveDocuments({ verifyPdf: verify }, s);
    const [bad, unsure] = r.documents;
    expect(bad).toMatchObject({ statusCode: '02', flagged: false });
    expect(bad!.reason).toContain('a.pdf: sai giá trị băm (HASH_FAILURE)');
    expect(unsure).toMatchObject({ statusCode: '01', flagged: true });
    expect(new TextDecoder().decode(f.sent[0]!.bytes)).toContain('<edXML:StatusCode>02</edXML:StatusCode>');
    expect(new TextDecoder().decode(f.sent[0]!.bytes)).toContain('HASH_FAILURE');
    await s.close();
  });
});
