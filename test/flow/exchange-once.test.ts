import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signVdxpHeaders } from '../../src/exchange/vdxp-auth.js';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeParty, META, ORG_A, ORG_B, startFlowWorld, type FlowWorld, type Party } from './flow-helpers.js';

/**
 * Issue 13 through the real CLI against `kyso hub` in --platform-rules strict mode, whose sent list has the
 * real axis's row shape (no sha256, no DocumentId): exactly once (concurrent sends, credentials then fix,
 * a failed sent-list query → unknown, never resent), the pre-send rules check, and revoke / update /
 * replace / recall round trips between two organisations with the clerk's 15/16 answers.
 */
let root: string;
let hub: RunningHub;
let pdf: string;
const FAST = { baseMs: 2, maxMs: 20, maxAttempts: 4 };

let world: FlowWorld | undefined;

beforeAll(async () => {
  world = await startFlowWorld({ dedup: false, platformRules: 'strict' });
  ({ root, hub, pdf } = world);
});
afterAll(() => world?.close());

const send = (p: Party, code: string, extra: string[] = []) => p.json(['send', pdf, '--to', ORG_B.organId, '--code', code, ...META, ...extra]);
const accepted = (code: string) =>
  Object.entries(hub.stats().accepted)
    .filter(([k]) => k.startsWith(`${ORG_A.organId},`) && k.endsWith(`,${code}`))
    .map(([, n]) => n);

describe('exactly once against the real sent-list shape', () => {
  it('two concurrent kyso send of one document: one outbox item, one delivery', async () => {
    const a = await makeParty(path.join(root, 'conc'), ORG_A, hub.url, FAST);
    const [r1, r2] = await Promise.all([send(a, '1/CONC'), send(a, '1/CONC')]);
    // one run delivers; the other resumed the same item (delivered, or still being sent by the first: 6)
    expect([r1.code, r2.code].sort()).toEqual(expect.arrayContaining([0]));
    for (const r of [r1, r2]) expect([0, 6], r.stderr).toContain(r.code);
    expect([r1.doc.result.item.id]).toEqual([r2.doc.result.item.id]);
    expect(accepted('1/CONC')).toEqual([1]);
    const list = await a.json(['outbox', 'list']);
    expect(list.doc.result.items).toHaveLength(1);
  }, 120_000);

  it('a send that failed on credentials, sent again after the fix, delivers once (same item)', async () => {
    const bad = await makeParty(path.join(root, 'cred'), ORG_A, hub.url, FAST, 'not-the-secret');
    const r1 = await send(bad, '2/CRED');
    expect(r1.code, r1.stderr).toBe(4);
    const good = await makeParty(path.join(root, 'cred'), ORG_A, hub.url, FAST);
    const r2 = await send(good, '2/CRED');
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.doc.result.resumed).toBe(true);
    expect(r2.doc.result.item.id).toBe(r1.doc.result.item.id);
    expect(accepted('2/CRED')).toEqual([1]);
    expect((await good.json(['outbox', 'list'])).doc.result.items).toHaveLength(1);
  }, 120_000);

  it('connection dropped after the store and a failing sent-list query: unknown (exit 6), retry only re-queries, resend is explicit', async () => {
    const a = await makeParty(path.join(root, 'unknown'), ORG_A, hub.url, FAST);
    hub.setFaults('drop-after-receive:1:path=sendEdoc:count=1,500:1:path=getSentEdocList');
    try {
      const r = await send(a, '3/UNK');
      expect(r.code, r.stderr).toBe(6);
      expect(r.doc.result.item.state).toBe('unknown');
      expect(JSON.stringify(r.doc.result.item.error)).toMatch(/NOT sent again/);
      const id = r.doc.result.item.id as string;
      const sends = hub.stats().requests.sendEdoc ?? 0;
      // the sent list still fails: stays unknown, nothing sent
      const r2 = await a.json(['outbox', 'retry']);
      expect(r2.code).toBe(6);
      expect(r2.doc.result.items[0].state).toBe('unknown');
      // the same kyso send again does not resend it either
      expect((await send(a, '3/UNK')).doc.result.item.state).toBe('unknown');
      expect(hub.stats().requests.sendEdoc ?? 0).toBe(sends);
      // resend needs the clerk's --not-delivered
      expect((await a.run(['outbox', 'resend', id])).code).toBe(2);
      hub.setFaults('');
      // the sent list answers (real row shape): found by notation / toCode / title / sentTime → delivered
      const r3 = await a.json(['outbox', 'retry', id]);
      expect(r3.code, r3.stderr).toBe(0);
      expect(r3.doc.result.items[0]).toMatchObject({ state: 'delivered', reconciled: true });
      expect(hub.stats().requests.sendEdoc ?? 0).toBe(sends);
      expect(accepted('3/UNK')).toEqual([1]);
    } finally {
      hub.setFaults('');
    }
  }, 120_000);

  it('the same document with other metadata is refused with the hint to send an update', async () => {
    const a = await makeParty(path.join(root, 'changed'), ORG_A, hub.url, FAST);
    expect((await send(a, '4/CHG')).code).toBe(0);
    const r = await a.run(['send', pdf, '--to', ORG_B.organId, '--code', '4/CHG', ...META.map((x) => (x.startsWith('V/v') ? `${x} (sửa)` : x))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--update-of');
    expect(accepted('4/CHG')).toEqual([1]);
  }, 120_000);

  it('the pre-send check names the field and queues nothing; the strict hub refuses what the platform refuses', async () => {
    const a = await makeParty(path.join(root, 'rules'), ORG_A, hub.url, FAST);
    const r = await a.run(['send', pdf, '--to', ORG_B.organId, '--code', '5/RULE', ...META, '--type', '7']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DocumentType/Type');
    const future = await a.run(['send', pdf, '--to', ORG_B.organId, '--code', '5/RULE', ...META, '--promulgation-date', '2099-01-01']);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('PromulgationDate');
    expect((await a.json(['outbox', 'list'])).doc.result.items).toHaveLength(0);

    // a minimal message (no OtherInfo, To without its other elements), sent with only the SDK's
    // XroadVnpt-* headers: authenticated, then refused by the strict rules with 9999
    const xml = `<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLHeader><edXML:MessageHeader><edXML:From><edXML:OrganId>${ORG_A.organId}</edXML:OrganId></edXML:From><edXML:To><edXML:OrganId>${ORG_B.organId}</edXML:OrganId></edXML:To><edXML:DocumentId>${ORG_A.organId},2026/12/01,6/MIN</edXML:DocumentId><edXML:Code><edXML:CodeNumber>6</edXML:CodeNumber><edXML:CodeNotation>MIN</edXML:CodeNotation></edXML:Code><edXML:PromulgationInfo><edXML:Place>P</edXML:Place><edXML:PromulgationDate>2026/12/01</edXML:PromulgationDate></edXML:PromulgationInfo><edXML:DocumentType><edXML:Type>1</edXML:Type></edXML:DocumentType><edXML:Subject>S</edXML:Subject><edXML:SignerInfo><edXML:Position>p</edXML:Position><edXML:FullName>f</edXML:FullName></edXML:SignerInfo></edXML:MessageHeader><edXML:TraceHeaderList><edXML:Bussiness><edXML:BussinessDocType>0</edXML:BussinessDocType></edXML:Bussiness></edXML:TraceHeaderList></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>`;
    const all = signVdxpHeaders({ 'Content-Type': 'application/octet-stream', from: ORG_A.organId, servicetype: 'eDoc', messagetype: 'edoc', to: JSON.stringify([ORG_B.organId]) }, ORG_A.systemId, ORG_A.secret, new Date());
    const sdk = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('XroadVnpt-') || k === 'Content-Type' || k === 'User-Agent'));
    // the plain copies the SDK never sends are refused by the strict hub (kyso's own client sends none:
    // every kyso call in this file goes to this strict hub)
    const plain = await fetch(new URL('sendEdoc', hub.url), { method: 'POST', headers: { ...sdk, from: ORG_A.organId }, body: xml });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { ErrorDesc: string }).ErrorDesc).toContain('headers the official SDK does not send: from');
    const res = await fetch(new URL('sendEdoc', hub.url), { method: 'POST', headers: sdk, body: xml });
    const body = (await res.json()) as { status: string; ErrorCode: string; ErrorDesc: string };
    expect(body.status).toBe('FAIL');
    expect(body.ErrorCode).toBe('9999');
    expect(body.ErrorDesc).toContain('OtherInfo');
    expect(body.ErrorDesc).toContain('To/OrganName');
    expect(body.ErrorDesc).toContain('Content');
  }, 120_000);
});

describe('organisation directory through the CLI', () => {
  it('kyso org sync fills it from the agency list; kyso org list shows it', async () => {
    const a = await makeParty(path.join(root, 'orgsync'), ORG_A, hub.url, FAST);
    const r = await a.json(['org', 'sync']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.result).toMatchObject({ added: 2, updated: 0, total: 2 });
    const list = await a.json(['org', 'list']);
    expect(list.doc.result.organisations).toEqual([
      { organId: ORG_A.organId, organName: ORG_A.organName },
      { organId: ORG_B.organId, organName: ORG_B.organName },
    ]);
  }, 120_000);
});

describe('revoke, update, replace and recall between two organisations', () => {
  it('each is linked to the original on receipt, never answered 01 automatically, and the clerk answers 15/16', async () => {
    const a = await makeParty(path.join(root, 'biz'), ORG_A, hub.url, FAST);
    const b = await makeParty(path.join(root, 'biz'), ORG_B, hub.url, FAST);
    // the directory fills the To block
    expect((await a.run(['org', 'add', ORG_B.organId, '--name', 'Sở Nội vụ B', '--email', 'vt@b.example.vn', '--address', 'Số 2 đường B'])).code).toBe(0);
    const orig = await send(a, '10/BIZ');
    expect(orig.code, orig.stderr).toBe(0);
    const documentId = orig.doc.result.documentId as string;

    // (B also receives what the other tests sent to it: only this test's documents are looked at)
    const recv1 = await b.json(['receive', '--revocation', 'off']);
    expect(recv1.code, recv1.stderr).toBe(0);
    const d0 = (recv1.doc.result.documents as any[]).find((d) => d.documentId === documentId);
    expect(d0).toMatchObject({ documentId, statusCode: '01' });
    const message = (await import('node:fs')).readFileSync(path.join(d0.dir, 'message.edxml'), 'utf8');
    expect(message).toContain('<edXML:OrganName>Sở Nội vụ B</edXML:OrganName>');
    expect(message).toContain('<edXML:Email>vt@b.example.vn</edXML:Email>');

    // update: same DocumentId, corrected subject, ResponseFor the original
    const up = await a.json(['send', pdf, '--update-of', documentId, '--subject', 'V/v kế hoạch (bản sửa)', '--reason', 'Sửa trích yếu']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.doc.result.businessType).toBe(2);
    // revoke
    const rv = await a.json(['send', '--revoke', documentId, '--reason', 'Ban hành nhầm']);
    expect(rv.code, rv.stderr).toBe(0);
    // replace: a new number replacing the original
    const rp = await a.json(['send', pdf, '--replace', documentId, '--code', '11/BIZ', '--subject', 'V/v kế hoạch (thay thế)']);
    expect(rp.code, rp.stderr).toBe(0);
    expect(rp.doc.result.businessType).toBe(3);
    // recall request (13) from the sender
    const rc = await a.json(['status', documentId, '13', '--description', 'Đề nghị trả lại văn bản']);
    expect(rc.code, rc.stderr).toBe(0);

    const recv2 = await b.json(['receive', '--revocation', 'off']);
    expect(recv2.code, recv2.stderr).toBe(0);
    const docs = recv2.doc.result.documents as any[];
    expect(docs.map((d) => d.business?.type)).toEqual([2, 1, 3]);
    for (const d of docs) {
      expect(d.business.original).toBe(d0.docId);
      expect(d.statusCode).toBeUndefined();
      expect(d.flagged).toBe(true);
    }
    const recall = (recv2.doc.result.statuses as any[]).find((st) => st.statusCode === '13');
    expect(recall).toMatchObject({ from: ORG_A.organId, recallOf: d0.docId });
    // no status was queued by B for the three change messages
    expect((recv2.doc.result.outbox as any[]).length).toBe(0);

    // the clerk answers: update accepted (15), revocation refused (16, with a reason), replacement accepted, recall accepted
    expect((await b.json(['status', docs[0].docId, '15'])).code).toBe(0);
    expect((await b.run(['status', docs[1].docId, '16'])).code).toBe(2);
    expect((await b.json(['status', docs[1].docId, '16', '--description', 'Văn bản đã xử lý xong'])).code).toBe(0);
    expect((await b.json(['status', docs[2].docId, '15'])).code).toBe(0);
    expect((await b.json(['status', d0.docId, '15'])).code).toBe(0);

    const back = await a.json(['receive', '--revocation', 'off']);
    expect(back.code, back.stderr).toBe(0);
    const ours = new Set([documentId, rp.doc.result.documentId]);
    const codes = (back.doc.result.statuses as any[]).filter((s) => ours.has(s.documentId)).map((s) => s.statusCode);
    expect(codes).toEqual(['01', '15', '16', '15', '15']);
    const items = (await a.json(['outbox', 'list'])).doc.result.items as any[];
    const replacement = items.find((it) => it.businessType === 3);
    expect(replacement.statusHistory.map((h: any) => h.statusCode)).toEqual(['15']);
  }, 240_000);
});
