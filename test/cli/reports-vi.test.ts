/**
 * Under `--lang vi` the reports speak Vietnamese too (issue 14): the values of verify's verdict (ok, trusted,
 * allowed, whole), table headers, outbox and receive states, status history, sign's table and summary. Every
 * scenario runs twice, in English and in Vietnamese, on its own exchange hub; an English word of the English
 * run that shows up in the Vietnamese one is an offence unless it is on the allow-list, a code (TOTAL_PASSED),
 * or data (file names, ids, names from the documents). Times: Vietnam time in text (+07:00), and every time in
 * the JSON output is ISO 8601 with +07:00.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeParty, ORG_A, ORG_B, startTestHub } from '../flow/flow-helpers.js';
import { KYSO_BIN, runKyso } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { getPki } from '../helpers/pki.js';
import { ALLOWED_ENGLISH, VIETNAMESE_SYLLABLES } from '../helpers/vi-words.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';

type Lang = 'en' | 'vi';
interface Step {
  label: string;
  text: string;
}

const hubs: RunningHub[] = [];
afterAll(async () => {
  for (const h of hubs) await h.close();
});

/** The words a person reads in one output, without codes, paths, ids, hex, URLs and quoted values. */
function words(text: string): string[] {
  const cleaned = text
    .replace(/^\s*[\w.]+ = .*$/gm, ' ') // `config show`: key = value lines are names and data
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\S*[/\\.@:]\S*/g, ' ') // paths, file names, ids with dots or slashes, times
    .replace(/\S*\d\S*/g, ' ') // anything with a digit: ids, field names (Signature1), counts
    .replace(/\b[A-Z][A-Z_-]{1,}\b/g, ' ') // codes: TOTAL_PASSED, INDETERMINATE, P12_BAD_PASSWORD
    .replace(/--?[a-z][a-z0-9-]*/g, ' '); // flags
  return [...cleaned.matchAll(/[\p{L}][\p{L}']*/gu)].map((m) => m[0].toLowerCase()).filter((w) => /^[a-z']{2,}$/.test(w));
}

/** English words of `en` that show up in `vi`. */
function leftovers(vi: string, en: string, data: Set<string>): string[] {
  const english = new Set(words(en));
  return [...new Set(words(vi).filter((w) => english.has(w) && !ALLOWED_ENGLISH.has(w) && !VIETNAMESE_SYLLABLES.has(w) && !data.has(w)))];
}

/** Every string that looks like a date-time (`2026-12-07T03:22:28…`) anywhere in a JSON document. */
function times(doc: unknown, where = '$', out: { where: string; value: string }[] = []): { where: string; value: string }[] {
  if (typeof doc === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(doc)) out.push({ where, value: doc });
  else if (Array.isArray(doc)) doc.forEach((v, i) => times(v, `${where}[${i}]`, out));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) if (k !== 'details') times(v, `${where}.${k}`, out);
  return out;
}

/** The same scenario in one language: sign, verify, fields, send, outbox, receive, status, config, token. */
async function scenario(lang: Lang): Promise<{ steps: Step[]; json: { label: string; doc: unknown }[] }> {
  const pki = getPki();
  const root = await mkdtemp(path.join(tmpdir(), `kyso-reports-${lang}-`));
  await mkdir(path.join(root, 'pdfs'));
  const samples = await makeSamplePdfs(path.join(root, 'pdfs'));
  const hub = await startTestHub(root);
  hubs.push(hub);
  const a = await makeParty(root, ORG_A, hub.url);
  const b = await makeParty(root, ORG_B, hub.url);
  const doc = path.join(a.dir, 'cong-van.pdf');
  await copyFile(samples.simple, doc);
  await writeFile(path.join(a.dir, 'note.pdf'), 'not a pdf\n');
  const L = ['--lang', lang];
  const signEnv = { KYSO_P12_PASSWORD: pki.password };
  const steps: Step[] = [];
  const json: { label: string; doc: unknown }[] = [];
  const add = (label: string, r: { stdout: string; stderr: string }) => steps.push({ label, text: `${r.stdout}\n${r.stderr}` });
  const trust = ['--trust', pki.root.cert, '--no-default-trust', '--revocation', 'off'];

  add('sign', await runKyso(['sign', doc, '-o', path.join(a.dir, 'cong-van.signed.pdf'), '--p12', pki.leaves['leader-rsa'].p12, ...L], { env: signEnv, cwd: a.dir }));
  add('sign batch with a failure', await runKyso(['sign', doc, path.join(a.dir, 'note.pdf'), '--out-dir', path.join(a.dir, 'out'), '--p12', pki.leaves['leader-rsa'].p12, ...L], { env: signEnv, cwd: a.dir }));
  const signed = path.join(a.dir, 'cong-van.signed.pdf');
  add('verify signed', await runKyso(['verify', signed, ...trust, ...L], { cwd: a.dir }));
  add('verify unsigned and unreadable', await runKyso(['verify', doc, path.join(a.dir, 'note.pdf'), ...trust, ...L], { cwd: a.dir }));
  const v = await runKyso(['verify', signed, ...trust, '--json', ...L], { cwd: a.dir });
  json.push({ label: 'verify --json', doc: JSON.parse(v.stdout) });
  add('fields', await runKyso(['fields', signed, ...L], { cwd: a.dir }));
  const send = await a.run(['send', signed, '--to', ORG_B.organId, '--code', '12/UBND-VP', '--subject', 'Kế hoạch', '--signer-name', 'Nguyễn Thúy Hằng', '--signer-position', 'Chủ tịch', ...L]);
  add('send', send);
  add('outbox list', await a.run(['outbox', 'list', ...L]));
  const list = JSON.parse((await a.run(['outbox', 'list', '--json'])).stdout);
  const id = list.result.items[0].id as string;
  const recv = await b.run(['receive', ...trust, ...L]);
  add('receive documents', recv);
  const got = JSON.parse((await b.run(['outbox', 'list', '--json'])).stdout);
  const docId = (list.result.items[0].docId ?? '') as string;
  add('status 03', await b.run(['status', docId, '03', ...L]));
  add('receive status', await a.run(['receive', ...trust, ...L]));
  add('outbox show', await a.run(['outbox', 'show', id, ...L]));
  add('outbox list on a terminal (table with headers)', await onTerminal(a.dir, ['outbox', 'list', ...L]));
  add('outbox retry (nothing to do)', await a.run(['outbox', 'retry', ...L]));
  json.push({ label: 'outbox list --json (sender)', doc: JSON.parse((await a.run(['outbox', 'list', '--json'])).stdout) });
  json.push({ label: 'outbox list --json (receiver)', doc: got });
  add('config show', await a.run(['config', 'show', ...L]));
  add('token list with a module that does not load', await runKyso(['token', 'list', '--pkcs11-module', path.join(root, 'nope.so'), ...L], { cwd: a.dir }));
  return { steps, json };
}

/** Runs kyso on a pseudo-terminal (`script` from util-linux), where tables have their headers. */
function onTerminal(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, KYSO_BIN, ...args].map((x) => `'${x.replace(/'/g, `'\\''`)}'`).join(' ');
    const env = cleanEnv({ TERM: 'dumb', XDG_CONFIG_HOME: path.join(cwd, 'xdg-config'), XDG_DATA_HOME: path.join(cwd, 'xdg-data'), XDG_CACHE_HOME: path.join(cwd, 'xdg-cache') });
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', () => resolve({ stdout: stdout.replace(/\r/g, ''), stderr: '' }));
  });
}

let en: Awaited<ReturnType<typeof scenario>>;
let vi: Awaited<ReturnType<typeof scenario>>;
beforeAll(async () => {
  [en, vi] = await Promise.all([scenario('en'), scenario('vi')]);
}, 180_000);

/** Names that come from the test's data (signer, organisations), not from kyso. */
const DATA = new Set(words(`${ORG_A.organName} ${ORG_B.organName} Nguyễn Thúy Hằng Kế hoạch Chủ tịch UBND huyện Phú Lương`));

describe('reports under --lang vi', () => {
  it('contain no English word outside the allow-list', () => {
    const offences: string[] = [];
    for (const [i, s] of vi.steps.entries()) {
      const w = leftovers(s.text, en.steps[i]!.text, DATA);
      if (w.length) offences.push(`${s.label}: ${w.join(', ')}\n${s.text}`);
    }
    expect(offences).toEqual([]);
  });

  it('the scenario reached every report it means to check (the check above is not vacuous)', () => {
    const all = vi.steps.map((s) => s.text).join('\n');
    for (const must of ['nguyên vẹn', 'tin cậy', 'toàn bộ', 'đã gửi', 'Trạng thái từ bên nhận', 'tình trạng', 'HỢP LỆ']) expect(all).toContain(must);
    const english = en.steps.map((s) => s.text).join('\n');
    for (const must of ['integrity ok', 'trust trusted', 'coverage whole', 'delivered', 'Status from the receiver', 'STATE', 'ATTEMPTS']) expect(english).toContain(must);
  });

  it('show times in Vietnam time, never as UTC', () => {
    for (const s of [...vi.steps, ...en.steps]) expect(s.text, s.label).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z\b/);
    expect(vi.steps.find((s) => s.label === 'outbox show')!.text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+07:00/);
  });

  it('JSON: every time is ISO 8601 with +07:00, whatever the language', () => {
    for (const run of [en, vi])
      for (const j of run.json) {
        const found = times(j.doc);
        expect(found.length, `${j.label}: no time at all`).toBeGreaterThan(0);
        for (const t of found) expect(t.value, `${j.label} ${t.where}`).toMatch(/\+07:00$/);
      }
  });
});
