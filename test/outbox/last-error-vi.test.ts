/**
 * The outbox keeps its last error in both languages (issue 14): `outbox show` under --lang vi says it in
 * Vietnamese, and the JSON's lastError carries a Vietnamese messageVi, not an English copy.
 */
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { makeParty, META, ORG_A, ORG_B, tmpRoot } from '../flow/flow-helpers.js';

let root: string;
let pdf: string;
beforeAll(async () => {
  root = await tmpRoot();
  pdf = (await makeSamplePdfs(root)).simple;
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A loopback port nothing listens on (taken, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('the last error of an outbox item, in both languages', () => {
  it('a send to a hub that is down: exit 6; outbox show --lang vi and the JSON say why in Vietnamese', async () => {
    const a = await makeParty(path.join(root, 'a'), ORG_A, `http://127.0.0.1:${await deadPort()}/`, { baseMs: 1, maxMs: 2, maxAttempts: 1 });
    const sent = await a.json(['send', pdf, '--to', ORG_B.organId, '--code', '1/LOI', ...META]);
    expect(sent.code, sent.stderr).toBe(6);
    const list = await a.json(['outbox', 'list']);
    const item = list.doc.result.items[0];
    expect(item.lastError.code).toMatch(/^EXCHANGE_/);
    expect(item.lastError.messageVi).not.toBe(item.lastError.message);
    expect(item.lastError.messageVi).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/);
    const show = await a.run(['outbox', 'show', item.id, '--lang', 'vi']);
    expect(show.code, show.stderr).toBe(0);
    const line = show.stdout.split('\n').find((l) => l.startsWith('lỗi gần nhất'));
    expect(line).toContain(item.lastError.messageVi);
  });
});
