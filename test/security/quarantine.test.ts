/**
 * Issue 12 through the real CLI and a local hub: a received PDF whose verification times out (a 1 ms
 * budget stands in for a hostile PDF) is retried, quarantined on the 3rd run with its reason and acked,
 * and the inbox moves on: the next message is processed.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { makeParty, META, ORG_A, ORG_B, startTestHub, tmpRoot, type Party } from '../flow/flow-helpers.js';

describe('quarantine', () => {
  let root: string;
  let hub: RunningHub;
  let a: Party;
  let b: Party;
  let pdf: string;
  beforeAll(async () => {
    root = await tmpRoot();
    hub = await startTestHub(root);
    a = await makeParty(root, ORG_A, hub.url);
    b = await makeParty(root, ORG_B, hub.url);
    await mkdir(path.join(root, 'samples'));
    pdf = path.join(a.dir, 'doc.pdf');
    await copyFile((await makeSamplePdfs(path.join(root, 'samples'))).simple, pdf);
  });
  afterAll(async () => {
    await hub?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('a PDF whose verification times out is quarantined after 3 runs and acked; the next message is processed', async () => {
    const s1 = await a.json(['send', pdf, '--to', ORG_B.organId, '--code', '1/UBND-VP', ...META]);
    expect(s1.code, s1.stderr).toBe(0);
    const recv = (timeout: string) => b.json(['receive', '--timeout', timeout, '--revocation', 'off', '--lang', 'en']);
    for (const run of [1, 2]) {
      const r = await recv('0.001');
      expect(r.doc.result.documents[0].outcome, `run ${run}`).toBe('error');
      expect(r.doc.result.documents[0].error.code).toBe('VERIFY_TIMEOUT');
      expect(r.doc.result.quarantined).toEqual([]);
    }
    const third = await recv('0.001');
    expect(third.code, third.stderr).toBe(0);
    const q = third.doc.result.documents[0];
    expect(q.outcome).toBe('quarantined');
    expect(q.acked).toBe(true);
    expect(third.doc.result.quarantined).toHaveLength(1);
    expect(third.doc.result.quarantined[0]).toMatchObject({ code: 'VERIFY_TIMEOUT', attempts: 3 });
    const reason = JSON.parse(await readFile(path.join(q.dir, 'reason.json'), 'utf8'));
    expect(reason.reason.en).toMatch(/did not finish 3 times/);
    expect(existsSync(path.join(b.dir, 'data', 'inbox', q.docId))).toBe(false);
    // the text output shows it to the clerk
    const text = await b.run(['receive', '--revocation', 'off', '--lang', 'en']);
    expect(text.stdout).toMatch(/Quarantined \(1/);
    // the inbox moves on: a new message is received normally
    const s2 = await a.json(['send', pdf, '--to', ORG_B.organId, '--code', '2/UBND-VP', ...META]);
    expect(s2.code, s2.stderr).toBe(0);
    const next = await recv('60');
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc.result.documents.map((d: { outcome: string }) => d.outcome)).toEqual(['new']);
  }, 240_000);
});
