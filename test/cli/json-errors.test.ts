/**
 * One error model (issue 14): with `--json`, every error object anywhere in the output, the envelope's `error`
 * and every per-file / per-item one, is exactly `{ code, message, messageVi }`: `message` an English string and
 * `messageVi` a Vietnamese one, whatever LANG is (plus `details` when the error carries facts for scripts). Each command is run in several failing ways under
 * LANG=vi_VN.UTF-8 (so a message chosen by LANG would show) and every key that names an error is checked.
 */
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeParty, ORG_A, ORG_B, startTestHub, type Party } from '../flow/flow-helpers.js';
import { runKyso } from '../helpers/cli.js';
import { getPki } from '../helpers/pki.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';

/** A key that holds an error: error, errors, lastError, signatureError … */
const ERRORISH = /error/i;
/** letters only Vietnamese uses (an English message never has them unless a file name does; ours do not) */
const VI_LETTERS = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i;

interface Found {
  where: string;
  value: unknown;
}

/** Every value under an error-ish key, anywhere in the document (arrays under `errors` count element-wise). */
export function errorObjects(doc: unknown, where = '$'): Found[] {
  const out: Found[] = [];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...errorObjects(v, `${where}[${i}]`)));
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'details') continue; // facts of an error, passed through as they are
      if (ERRORISH.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'number') {
        if (Array.isArray(v)) v.forEach((e, i) => out.push({ where: `${where}.${k}[${i}]`, value: e }));
        else out.push({ where: `${where}.${k}`, value: v });
      }
      out.push(...errorObjects(v, `${where}.${k}`));
    }
  }
  return out;
}

/** What is wrong with one error object (empty when it has exactly the one shape). */
export function shapeProblems(e: unknown): string[] {
  if (!e || typeof e !== 'object' || Array.isArray(e)) return [`not an object: ${JSON.stringify(e)}`];
  const o = e as Record<string, unknown>;
  const bad: string[] = [];
  const keys = Object.keys(o).sort();
  // `details`: facts a script needs (the certificates to choose from, the HTTP status), never a second message
  if (keys.filter((k) => k !== 'details').join(',') !== 'code,message,messageVi') bad.push(`keys ${keys.join(',')}`);
  if ('details' in o && (!o.details || typeof o.details !== 'object' || Array.isArray(o.details))) bad.push(`details ${JSON.stringify(o.details)}`);
  if (typeof o.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(o.code)) bad.push(`code ${JSON.stringify(o.code)}`);
  if (typeof o.message !== 'string' || !o.message) bad.push(`message ${JSON.stringify(o.message)}`);
  else if (VI_LETTERS.test(o.message)) bad.push(`message is not English: ${o.message}`);
  if (typeof o.messageVi !== 'string' || !o.messageVi) bad.push(`messageVi ${JSON.stringify(o.messageVi)}`);
  return bad;
}

let root: string;
let pdf: string;
let notPdf: string;
let hub: RunningHub;
let a: Party;
let b: Party;
/** a party whose exchange endpoint is a closed port on 127.0.0.1: sends stay queued with an error */
let dead: Party;
/** a party with the wrong secret: the exchange refuses it */
let wrong: Party;
const VI = { LANG: 'vi_VN.UTF-8' };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kyso-json-errors-'));
  await mkdir(path.join(root, 'pdfs'));
  const samples = await makeSamplePdfs(path.join(root, 'pdfs'));
  pdf = path.join(root, 'doc.pdf');
  await copyFile(samples.simple, pdf);
  notPdf = path.join(root, 'note.pdf');
  await writeFile(notPdf, 'not a pdf at all\n');
  hub = await startTestHub(root);
  a = await makeParty(root, ORG_A, hub.url);
  b = await makeParty(root, ORG_B, hub.url);
  await mkdir(path.join(root, 'empty'), { recursive: true });
  const closed = createServer();
  await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((res) => closed.close(res));
  dead = await makeParty(path.join(root, 'dead'), ORG_A, `http://127.0.0.1:${port}/`, { baseMs: 1, maxMs: 2, maxAttempts: 1 });
  wrong = await makeParty(path.join(root, 'wrong'), ORG_A, hub.url, undefined, 'not-the-secret-0123456789');
});
afterAll(async () => {
  await hub?.close();
});

/** Runs `kyso …args --json` under LANG=vi and returns the parsed document; it must fail (exit ≠ 0). */
async function failing(args: string[], opts: { cwd?: string; env?: Record<string, string>; party?: Party; succeeds?: boolean } = {}) {
  const r = opts.party ? await opts.party.run([...args, '--json'], { ...VI, ...opts.env }) : await runKyso([...args, '--json'], { cwd: opts.cwd ?? root, env: { ...VI, ...opts.env } });
  if (opts.succeeds) expect(r.code, `kyso ${args.join(' ')}: ${r.stderr}`).toBe(0);
  else expect(r.code, `kyso ${args.join(' ')}: ${r.stderr}`).not.toBe(0);
  let doc: any;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`kyso ${args.join(' ')} → exit ${r.code}, stdout not JSON:\n${r.stdout}\n${r.stderr}`);
  }
  expect(doc.schemaVersion).toBe(1);
  expect(doc.ok).toBe(Boolean(opts.succeeds));
  return doc;
}

function expectOneShape(doc: unknown, label: string): Found[] {
  const found = errorObjects(doc);
  const bad = found.flatMap((f) => shapeProblems(f.value).map((p) => `${label} ${f.where}: ${p}`));
  expect(bad).toEqual([]);
  return found;
}

describe('every error object in --json output is { code, message (English), messageVi }', () => {
  it('the checker itself refuses the other shapes it was written against', () => {
    expect(shapeProblems({ code: 'X', message: { en: 'a', vi: 'b' } })).not.toEqual([]);
    expect(shapeProblems({ code: 'X', message: 'không tìm thấy tệp', messageVi: 'không tìm thấy tệp' })).not.toEqual([]);
    expect(shapeProblems({ code: 'X', category: 'input', message: 'a', messageVi: 'b' })).not.toEqual([]);
    expect(shapeProblems('file not found')).not.toEqual([]);
    expect(shapeProblems({ code: 'X', message: 'a', messageVi: 'b' })).toEqual([]);
    expect(shapeProblems({ code: 'X', message: 'a', messageVi: 'b', details: { status: 401 } })).toEqual([]);
    expect(shapeProblems({ code: 'X', message: 'a', messageVi: 'b', details: 'x' })).not.toEqual([]);
    expect(errorObjects({ result: { files: [{ error: 1 }] }, error: { code: 'A' }, errors: [{}] }).map((f) => f.where)).toEqual(['$.error', '$.errors[0]']);
  });

  const cases: [string, () => Promise<{ args: string[]; cwd?: string; env?: Record<string, string>; party?: Party }>, 'top' | 'files' | 'any' | 'listed'][] = [
    ['sign: unknown option', async () => ({ args: ['sign', pdf, '--no-such-flag'] }), 'top'],
    ['sign: --docmdp without --certify', async () => ({ args: ['sign', pdf, '--p12', getPki().leaves['leader-rsa'].p12, '--docmdp', '1'] }), 'top'],
    ['sign: missing file and a file that is not a PDF', async () => ({ args: ['sign', path.join(root, 'missing.pdf'), notPdf, '--out-dir', path.join(root, 'out-a'), '--p12', getPki().leaves['leader-rsa'].p12], env: { KYSO_P12_PASSWORD: getPki().password } }), 'any'],
    ['sign: wrong passphrase', async () => ({ args: ['sign', pdf, '-o', path.join(root, 'wrong-pass.pdf'), '--p12', getPki().leaves['leader-rsa'].p12], env: { KYSO_P12_PASSWORD: 'not-it' } }), 'top'],
    ['sign: output exists', async () => ({ args: ['sign', pdf, '-o', notPdf, '--p12', getPki().leaves['leader-rsa'].p12], env: { KYSO_P12_PASSWORD: getPki().password } }), 'any'],
    ['sign --remote: no such profile', async () => ({ args: ['sign', pdf, '-o', path.join(root, 'r.pdf'), '--remote', 'nope'] }), 'top'],
    ['verify: missing file and not a PDF', async () => ({ args: ['verify', path.join(root, 'missing.pdf'), notPdf] }), 'files'],
    ['verify: missing --trust file', async () => ({ args: ['verify', pdf, '--trust', path.join(root, 'no-such-root.pem')] }), 'top'],
    ['verify: empty folder', async () => ({ args: ['verify', path.join(root, 'empty')] }), 'top'],
    ['extend: not a PDF', async () => ({ args: ['extend', notPdf, '--level', 'B-LT', '--tsa', 'http://127.0.0.1:9/', '--out-dir', path.join(root, 'ext')] }), 'any'],
    ['extend: missing --level', async () => ({ args: ['extend', pdf] }), 'top'],
    ['send: no configuration', async () => ({ args: ['send', pdf, '--to', ORG_B.organId, '--code', '1/X', '--subject', 's'] }), 'top'],
    ['send: missing file', async () => ({ args: ['send', path.join(root, 'missing.pdf'), '--to', ORG_B.organId, '--code', '1/X', '--subject', 's', '--signer-name', 'A', '--signer-position', 'B'], party: a }), 'top'],
    ['send: the exchange cannot be reached (queued)', async () => ({ args: ['send', pdf, '--to', ORG_B.organId, '--code', '1/X', '--subject', 's', '--signer-name', 'A', '--signer-position', 'B'], party: dead }), 'any'],
    ['send: the exchange refuses the secret', async () => ({ args: ['send', pdf, '--to', ORG_B.organId, '--code', '1/X', '--subject', 's', '--signer-name', 'A', '--signer-position', 'B'], party: wrong }), 'any'],
    ['outbox list: items queued with an error', async () => ({ args: ['outbox', 'list', '--state', 'queued'], party: dead }), 'listed'],
    ['outbox retry: the exchange still cannot be reached', async () => ({ args: ['outbox', 'retry'], party: dead }), 'any'],
    ['receive: no configuration', async () => ({ args: ['receive'] }), 'top'],
    ['receive: the exchange refuses the secret', async () => ({ args: ['receive'], party: wrong }), 'any'],
    ['receive: the exchange cannot be reached', async () => ({ args: ['receive'], party: dead }), 'any'],
    ['status: bad code', async () => ({ args: ['status', 'abc', '99'], party: b }), 'top'],
    ['status: unknown document', async () => ({ args: ['status', 'no-such-doc', '03'], party: b }), 'any'],
    ['outbox show: unknown id', async () => ({ args: ['outbox', 'show', 'deadbeef'], party: a }), 'top'],
    ['outbox resend without --not-delivered', async () => ({ args: ['outbox', 'resend', 'deadbeef'], party: a }), 'top'],
    ['token list: a module that does not load', async () => ({ args: ['token', 'list', '--pkcs11-module', path.join(root, 'no-such-module.so')] }), 'any'],
    ['token certs: a module that does not load', async () => ({ args: ['token', 'certs', '--pkcs11-module', path.join(root, 'no-such-module.so')] }), 'any'],
    ['fields: not a PDF', async () => ({ args: ['fields', notPdf] }), 'top'],
    ['fields: missing file', async () => ({ args: ['fields', path.join(root, 'missing.pdf')] }), 'top'],
    ['config show: malformed configuration file', async () => ({ args: ['--config', notPdf, 'config', 'show'] }), 'top'],
    ['remote certs: no such profile', async () => ({ args: ['remote', 'certs', '--remote', 'nope'] }), 'top'],
    ['report merge: missing shard file', async () => ({ args: ['report', 'merge', path.join(root, 'no-shard.json')] }), 'top'],
    ['report merge: not a report', async () => ({ args: ['report', 'merge', notPdf] }), 'top'],
    ['demo: a port that is not a number', async () => ({ args: ['demo', '--port', 'abc', '--data-dir', path.join(root, 'demo')] }), 'top'],
  ];

  for (const [title, make, where] of cases) {
    it(title, async () => {
      const c = await make();
      // 'listed': the command itself succeeds and lists items that carry errors
      const doc = await failing(c.args, { ...c, succeeds: where === 'listed' });
      const found = expectOneShape(doc, title);
      expect(found.length, `${title}: no error object at all in ${JSON.stringify(doc).slice(0, 400)}`).toBeGreaterThan(0);
      if (where === 'top') expect(doc.error).not.toBeNull();
    });
  }
});
