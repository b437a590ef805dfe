import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { mulberry32, seededRandom } from '../helpers/seeded-random.js';
import { BIN, makeParty, META, ORG_A, ORG_B, startTestHub, tmpRoot, type Party } from './flow-helpers.js';

/**
 * Reliability loops through the real CLI (issue 5 "Done when"), each >= 20 runs with millisecond retry
 * settings. Runs go in 4 parallel lanes (each its own data folder, and for the kill loop its own hub, so
 * that the hub's counters tell which lane's request arrived) to keep the file within about a minute.
 */
const LANES = 4;
const PER_LANE = 5;
const RUNS = LANES * PER_LANE;
const FAST = { baseMs: 2, maxMs: 20, maxAttempts: 6 };

let root: string;
let pdf: string;
const hubs: RunningHub[] = [];

beforeAll(async () => {
  root = await tmpRoot();
  pdf = (await makeSamplePdfs(root)).simple;
});
afterAll(async () => {
  for (const h of hubs) await h.close().catch(() => {});
  if (root) await rm(root, { recursive: true, force: true });
});

async function hub(opts: Parameters<typeof startTestHub>[1] = {}) {
  const h = await startTestHub(root, opts);
  hubs.push(h);
  return h;
}

function lanes<T>(fn: (lane: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: LANES }, (_, l) => fn(l)));
}

const sendArgs = (code: string) => ['send', pdf, '--to', ORG_B.organId, '--code', code, ...META];
const docIdOf = (code: string) => (stats: Record<string, number>) => Object.entries(stats).filter(([k]) => k.startsWith(`${ORG_A.organId},`) && k.endsWith(`,${code}`));

/** Starts `kyso send` as a child and SIGKILLs it at a chosen moment. */
function sendAndKill(party: Party, code: string, killWhen: (child: ReturnType<typeof spawn>) => Promise<void>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, LANG: 'C.UTF-8', TEST_EXCHANGE_SECRET: ORG_A.secret, XDG_CACHE_HOME: path.join(party.dir, 'c') })) if (v !== undefined) env[k] = v;
    const child = spawn(process.execPath, [BIN, ...sendArgs(code)], { cwd: party.dir, env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
    void killWhen(child).then(() => child.kill('SIGKILL'));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability (real CLI, hub on loopback)', () => {
  it(`SIGKILL at random points of a send, then restart: exactly one accepted sendEdoc per document (dedup OFF), ${RUNS} runs`, async () => {
    const { seed } = seededRandom(); // kill points are replayable: the seed is printed on failure
    // calibrate: how long does one uninterrupted send take on this machine right now?
    const calHub = await hub({ dedup: false });
    const cal = await makeParty(root, { ...ORG_A, systemId: 'SYS-A' }, calHub.url, FAST);
    const t0 = Date.now();
    expect((await cal.run(sendArgs('0/CAL'))).code).toBe(0);
    const typical = Date.now() - t0;

    const phases: Record<string, number> = {};
    const results = await lanes(async (lane) => {
      const random = mulberry32(seed + lane); // one stream per lane: lanes interleave
      const h = await hub({ dedup: false, faults: 'slow:120ms:path=sendEdoc,drop-after-receive:0.2:path=sendEdoc' });
      const party = await makeParty(path.join(root, `kill-${lane}`), ORG_A, h.url, FAST);
      const out: { code: string; accepted: number }[] = [];
      for (let i = 0; i < PER_LANE; i++) {
        const code = `${lane * 100 + i + 1}/KILL`;
        const before = h.stats().requests.sendEdoc ?? 0;
        const targeted = i % 2 === 0;
        const killed = await sendAndKill(party, code, async (child) => {
          if (targeted) {
            // right when the hub sees our sendEdoc: in flight, stored-but-unanswered, or just answered
            const deadline = Date.now() + 20_000;
            while ((h.stats().requests.sendEdoc ?? 0) === before && Date.now() < deadline && child.exitCode === null) await sleep(3);
            await sleep(random() * 200);
          } else {
            await sleep(random() * typical * 1.1);
          }
        });
        // what the killed run left behind
        const store = OutboxStore.open(path.join(party.dir, 'data'));
        const item = store.list().find((it) => it.documentId.endsWith(`,${code}`));
        store.close();
        const phase = killed.signal !== 'SIGKILL' ? 'finished' : item ? item.state : 'before-queue';
        phases[phase] = (phases[phase] ?? 0) + 1;
        // restart: odd runs `kyso outbox retry`, even runs run the same `kyso send` again (it resumes)
        let r;
        if (item && i % 2 === 1) r = await party.run(['outbox', 'retry', item.id]);
        else r = await party.run(sendArgs(code));
        expect(r.code, r.stderr).toBe(0);
        const hits = docIdOf(code)(h.stats().accepted);
        out.push({ code, accepted: hits.length === 1 ? hits[0]![1] : -hits.length });
      }
      expect(h.stats().dedup).toBe(false);
      return out;
    });
    const all = results.flat();
    console.log(`kill loop: ${all.length} runs, typical send ${typical} ms, killed in phase: ${JSON.stringify(phases)}`);
    expect(all).toHaveLength(RUNS);
    for (const r of all) expect(r, r.code).toMatchObject({ accepted: 1 });
  }, 240_000);

  it(`hub dropping connections / 500 / 429: delivered after retries, never twice, ${RUNS} runs`, async () => {
    const h = await hub({ dedup: false, faults: 'drop-after-receive:0.3,500:0.2,429:0.1:retry-after=1' });
    const results = await lanes(async (lane) => {
      const party = await makeParty(path.join(root, `faults-${lane}`), ORG_A, h.url, { baseMs: 2, maxMs: 20, maxAttempts: 40 });
      const out: { code: string; exit: number | null; attempts: number }[] = [];
      for (let i = 0; i < PER_LANE; i++) {
        const code = `${lane * 100 + i + 1}/FAULT`;
        const r = await party.json(sendArgs(code));
        out.push({ code, exit: r.code, attempts: r.doc.result?.item?.attempts ?? -1 });
      }
      return out;
    });
    const all = results.flat();
    const st = h.stats();
    console.log(`fault loop: ${all.length} sends, attempts per send ${all.map((r) => r.attempts).join(',')}, faults injected ${JSON.stringify(st.faultsInjected)}, requests ${JSON.stringify(st.requests)}`);
    for (const r of all) {
      expect(r.exit, r.code).toBe(0);
      const hits = docIdOf(r.code)(st.accepted);
      expect(hits, r.code).toHaveLength(1);
      expect(hits[0]![1], r.code).toBe(1);
    }
    expect(Object.values(st.faultsInjected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 240_000);

  it(`hub down: kyso send exits 6, kyso outbox retry delivers once the hub is up, ${RUNS} runs`, async () => {
    const h1 = await hub();
    const port = h1.port;
    await h1.close();
    const parties = await lanes((lane) => makeParty(path.join(root, `down-${lane}`), ORG_A, `http://127.0.0.1:${port}/`, { baseMs: 1, maxMs: 5, maxAttempts: 3 }));
    const sent = await lanes(async (lane) => {
      const out: { code: string; exit: number | null; state: string }[] = [];
      for (let i = 0; i < PER_LANE; i++) {
        const code = `${lane * 100 + i + 1}/DOWN`;
        const r = await parties[lane]!.json(sendArgs(code));
        out.push({ code, exit: r.code, state: r.doc.result?.item?.state });
      }
      return out;
    });
    for (const r of sent.flat()) expect(r, r.code).toMatchObject({ exit: 6, state: 'queued' });
    const h2 = await hub({ port });
    const retried = await lanes(async (lane) => {
      // first the queued items are visible in the outbox, then a retry delivers them all
      const list = await parties[lane]!.run(['outbox', 'list', '--state', 'queued']);
      expect(list.stdout.trim().split('\n')).toHaveLength(PER_LANE);
      return parties[lane]!.json(['outbox', 'retry']);
    });
    for (const r of retried) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.doc.result.items).toHaveLength(PER_LANE);
      for (const it of r.doc.result.items) expect(it.state).toBe('delivered');
    }
    const st = h2.stats();
    for (const r of sent.flat()) expect(docIdOf(r.code)(st.accepted).map(([, n]) => n)).toEqual([1]);
  }, 240_000);

  it(`wrong secret: exit 4 and nothing retried (the hub saw exactly one request per run), ${RUNS} runs`, async () => {
    const h = await hub();
    const results = await lanes(async (lane) => {
      const party = await makeParty(path.join(root, `secret-${lane}`), ORG_A, h.url, FAST, 'not-the-secret');
      const out: { exit: number | null; state: string; stderr: string }[] = [];
      for (let i = 0; i < PER_LANE; i++) {
        const r = await party.json(sendArgs(`${lane * 100 + i + 1}/AUTH`));
        out.push({ exit: r.code, state: r.doc.result?.item?.state, stderr: r.stderr });
      }
      return out;
    });
    for (const r of results.flat()) {
      expect(r.exit, r.stderr).toBe(4);
      expect(r.state).toBe('failed');
      expect(r.stderr).not.toContain('not-the-secret');
    }
    const st = h.stats();
    expect(st.requests.sendEdoc).toBe(RUNS);
    expect(st.sendEdoc.accepted).toBe(0);
    expect(st.requests.getSentEdocList ?? 0).toBe(0);
  }, 240_000);
});

