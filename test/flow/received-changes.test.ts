import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeParty, META, ORG_A, ORG_B, startFlowWorld, type FlowWorld } from './flow-helpers.js';

/**
 * Issue 13, through the real CLI between two organisations and the local hub (strict platform rules):
 * - the revocation / update / replacement and the recall request (13) B received are in `kyso outbox`
 *   (list and show, JSON, English and Vietnamese) with the original they concern and the clerk's answer;
 * - `kyso status <docId> 15|16` answers exactly one of them: unknown, ambiguous (a DocumentId several
 *   wait on), nothing to answer, already answered → exit 2;
 * - back at A, each 15/16 is attached to the exact message it answers (answered out of order on purpose),
 *   the receiver's 01 to the document itself.
 */
let root: string;
let hub: RunningHub;
let pdf: string;

let world: FlowWorld | undefined;

beforeAll(async () => {
  world = await startFlowWorld({ dedup: false, platformRules: 'strict' });
  ({ root, hub, pdf } = world);
});
afterAll(() => world?.close());

describe('received changes in kyso outbox, answered exactly', () => {
  it('links, lists, shows and answers each change; the sender attaches each answer to its message', async () => {
    const a = await makeParty(path.join(root, 'chg'), ORG_A, hub.url);
    const b = await makeParty(path.join(root, 'chg'), ORG_B, hub.url);
    const send = (code: string, extra: string[] = []) => a.json(['send', pdf, '--to', ORG_B.organId, '--code', code, ...META, ...extra]);
    const orig = await send('20/CHG');
    expect(orig.code, orig.stderr).toBe(0);
    const documentId = orig.doc.result.documentId as string;
    const plainSent = await send('21/CHG');
    expect(plainSent.code, plainSent.stderr).toBe(0);

    const r1 = await b.json(['receive', '--revocation', 'off']);
    expect(r1.code, r1.stderr).toBe(0);
    const d0 = (r1.doc.result.documents as any[]).find((d) => d.documentId === documentId);
    const plain = (r1.doc.result.documents as any[]).find((d) => d.documentId === plainSent.doc.result.documentId);

    expect((await a.json(['send', pdf, '--update-of', documentId, '--subject', 'V/v kế hoạch (bản sửa)', '--reason', 'Sửa trích yếu'])).code).toBe(0);
    expect((await a.json(['send', '--revoke', documentId, '--reason', 'Ban hành nhầm'])).code).toBe(0);
    const rp = await a.json(['send', pdf, '--replace', documentId, '--code', '22/CHG', '--subject', 'V/v kế hoạch (thay thế)']);
    expect(rp.code, rp.stderr).toBe(0);
    expect((await a.json(['status', documentId, '13', '--description', 'Đề nghị trả lại văn bản'])).code).toBe(0);

    const r2 = await b.json(['receive', '--revocation', 'off']);
    expect(r2.code, r2.stderr).toBe(0);
    const [up, rv, rep] = r2.doc.result.documents as any[];
    expect([up.business.type, rv.business.type, rep.business.type]).toEqual([2, 1, 3]);

    // kyso outbox list: the four questions, linked to the original, none answered
    const l1 = await b.json(['outbox', 'list']);
    expect(l1.code, l1.stderr).toBe(0);
    const byKind = (list: any[]) => Object.fromEntries(list.map((c) => [c.kind, c]));
    const q1 = byKind(l1.doc.result.received);
    expect(Object.keys(q1).sort()).toEqual(['recall', 'replace', 'revoke', 'update']);
    expect(q1.update).toMatchObject({ docId: up.docId, from: ORG_A.organId, concerns: documentId, original: d0.docId, reason: 'Sửa trích yếu', answer: null });
    expect(q1.revoke).toMatchObject({ docId: rv.docId, concerns: documentId, original: d0.docId, reason: 'Ban hành nhầm', answer: null });
    expect(q1.replace).toMatchObject({ docId: rep.docId, documentId: rp.doc.result.documentId, concerns: documentId, original: d0.docId, answer: null });
    expect(q1.recall).toMatchObject({ docId: d0.docId, concerns: documentId, original: d0.docId, reason: 'Đề nghị trả lại văn bản', answer: null });
    expect(q1.recall.requestDocId).toBeTruthy();

    const en = await b.run(['outbox', 'list', '--lang', 'en']);
    expect(en.stdout).toContain('Received revocations, updates, replacements and recall requests (4 not answered');
    expect(en.stdout).toMatch(new RegExp(`${rv.docId}\\s.*revocation\\s.*${d0.docId}\\s.*NOT ANSWERED`));
    const vi = await b.run(['outbox', 'list', '--lang', 'vi']);
    expect(vi.stdout).toContain('Yêu cầu thu hồi, cập nhật, thay thế, lấy lại đã nhận (4 chưa trả lời');
    expect(vi.stdout).toMatch(new RegExp(`${up.docId}\\s.*cập nhật\\s.*CHƯA TRẢ LỜI`));

    // kyso outbox show <docId of a received change>
    const sh = await b.json(['outbox', 'show', rv.docId]);
    expect(sh.code, sh.stderr).toBe(0);
    expect(sh.doc.result.item).toBeNull();
    expect(sh.doc.result.received).toMatchObject([{ kind: 'revoke', original: d0.docId, answer: null }]);
    const shEn = await b.run(['outbox', 'show', rv.docId, '--lang', 'en']);
    expect(shEn.stdout).toContain(`received as docId ${d0.docId}`);
    expect(shEn.stdout).toContain(`kyso status ${rv.docId} 15 | 16`);
    const shVi = await b.run(['outbox', 'show', rv.docId, '--lang', 'vi']);
    expect(shVi.stdout).toContain('thu hồi');
    expect(shVi.stdout).toContain(`docId ${d0.docId}`);

    // what the clerk may not answer
    const ambiguous = await b.run(['status', documentId, '15', '--lang', 'en']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('matches 3 received messages waiting for an answer');
    for (const id of [up.docId, rv.docId, d0.docId]) expect(ambiguous.stderr).toContain(id);
    const unknown = await b.run(['status', 'no-such-doc', '15', '--lang', 'en']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no received revocation, update, replacement or recall request');
    const nothing = await b.run(['status', plain.docId, '16', '--description', 'x', '--lang', 'en']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('no revocation, update, replacement or recall request to answer');

    // answered out of order: the revocation first, the update second; the replacement by its DocumentId
    const aRv = await b.json(['status', rv.docId, '16', '--description', 'Văn bản đã xử lý xong']);
    expect(aRv.code, aRv.stderr).toBe(0);
    expect(aRv.doc.result).toMatchObject({ docId: rv.docId, statusCode: '16', description: 'Từ chối lệnh thu hồi: Văn bản đã xử lý xong', answers: { kind: 'revoke' } });
    const aUp = await b.json(['status', up.docId, '15']);
    expect(aUp.code, aUp.stderr).toBe(0);
    expect(aUp.doc.result.description).toBe('Đồng ý lệnh cập nhật nội dung');
    const aRep = await b.json(['status', rp.doc.result.documentId, '15']);
    expect(aRep.code, aRep.stderr).toBe(0);
    expect(aRep.doc.result).toMatchObject({ docId: rep.docId, answers: { kind: 'replace' } });
    const aRc = await b.json(['status', d0.docId, '15']);
    expect(aRc.code, aRc.stderr).toBe(0);
    expect(aRc.doc.result.answers.kind).toBe('recall');
    const again = await b.run(['status', up.docId, '16', '--description', 'đổi ý', '--lang', 'en']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already answered 15');

    // kyso outbox: answered, the status item links to what it answers
    const l2 = await b.json(['outbox', 'list']);
    const q2 = byKind(l2.doc.result.received);
    expect(q2.revoke.answer).toMatchObject({ code: '16', itemId: aRv.doc.result.item.id, state: 'delivered' });
    expect(q2.update.answer).toMatchObject({ code: '15', itemId: aUp.doc.result.item.id, state: 'delivered' });
    expect(q2.replace.answer).toMatchObject({ code: '15', state: 'delivered' });
    expect(q2.recall.answer).toMatchObject({ code: '15', state: 'delivered' });
    expect((await b.run(['outbox', 'list', '--lang', 'en'])).stdout).toContain('(0 not answered');
    const item = (l2.doc.result.items as any[]).find((it) => it.id === aRv.doc.result.item.id);
    expect(item).toMatchObject({ messageType: 'status', statusCode: '16', answers: rv.docId });
    const shItem = await b.json(['outbox', 'show', aRv.doc.result.item.id.slice(0, 8)]);
    expect(shItem.doc.result.received).toMatchObject([{ docId: rv.docId, kind: 'revoke', answer: { code: '16' } }]);
    expect((await b.run(['outbox', 'show', aRv.doc.result.item.id.slice(0, 8), '--lang', 'en'])).stdout).toMatch(new RegExp(`answers\\s+revocation docId ${rv.docId}`));

    // back at A: each answer on the message it answers, the 01 on the document itself
    const back = await a.json(['receive', '--revocation', 'off']);
    expect(back.code, back.stderr).toBe(0);
    const items = (await a.json(['outbox', 'list'])).doc.result.items as any[];
    const hist = (pred: (it: any) => boolean) => items.filter(pred).map((it) => it.statusHistory.map((h: any) => h.statusCode));
    expect(hist((it) => it.documentId === documentId && it.messageType === 'edoc' && it.businessType === 0)).toEqual([['01']]);
    expect(hist((it) => it.businessType === 2)).toEqual([['15']]);
    expect(hist((it) => it.businessType === 1)).toEqual([['16']]);
    expect(hist((it) => it.businessType === 3)).toEqual([['15']]);
    expect(hist((it) => it.messageType === 'status' && it.statusCode === '13')).toEqual([['15']]);
  }, 240_000);
});
