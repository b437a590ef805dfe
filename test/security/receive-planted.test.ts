/**
 * Issue 12, end to end through `kyso receive` and a local hub: what a received message carries cannot run
 * code or exhaust the machine.
 *  - A message whose attachments are named kyso.config.json (pkcs11Module: ./x.so) and x.so (built with cc
 *    here; its constructor writes a marker file): `kyso sign` with a token in the received folder, with
 *    --pkcs11-module unset, never loads it and warns naming the ignored key. The receiving party's own
 *    folder is trusted in its user file: trust does not reach the inbox below it.
 *  - A zip bomb attachment (1 GiB of zeros in about 1 MB) is refused within the caps, quarantined with its
 *    reason on the first run and acknowledged, leaving nothing big on disk; the next message is processed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdoc } from '../../src/exchange/edxml-build.js';
import type { AttachmentInput } from '../../src/exchange/edxml-types.js';
import { createTransport } from '../../src/exchange/transport-factory.js';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { makeParty, ORG_A, ORG_B, startTestHub, tmpRoot, type Party } from '../flow/flow-helpers.js';
import { runKyso } from '../helpers/cli.js';
import { buildZip } from '../helpers/zip-build.js';

let root: string;
let hub: RunningHub;
let b: Party;
let pdf: string;
let n = 0;

/** Sends one edoc from A to B straight through the hub's API, with whatever attachments (names included). */
async function deliver(attachments: AttachmentInput[]): Promise<void> {
  const code = String(++n);
  const bytes = await buildEdoc({
    from: { organId: ORG_A.organId },
    to: [{ organId: ORG_B.organId }],
    code: { number: code, notation: 'UBND-VP' },
    promulgation: { place: 'Hà Nội', date: '2026-11-27' },
    documentType: { type: 1, typeName: 'Công văn' },
    subject: 'Thử nghiệm',
    signer: { position: 'Chủ tịch', fullName: 'A' },
    documentId: `${ORG_A.organId},2026/11/27,${code}/UBND-VP`,
    businessDocType: 0,
    attachments,
  });
  const t = createTransport({ name: 'a', adapter: 'vdxp', endpoint: hub.url, systemId: ORG_A.systemId, organId: ORG_A.organId }, { secret: ORG_A.secret });
  try {
    await t.sendEdoc(bytes, { from: ORG_A.organId, to: [ORG_B.organId], messageType: 'edoc', sha256: createHash('sha256').update(bytes).digest('hex') });
  } finally {
    await t.close();
  }
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

beforeAll(async () => {
  root = await tmpRoot();
  hub = await startTestHub(root);
  b = await makeParty(root, ORG_B, hub.url);
  await mkdir(path.join(root, 'samples'));
  pdf = path.join(root, 'doc.pdf');
  await copyFile((await makeSamplePdfs(path.join(root, 'samples'))).simple, pdf);
});
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

describe('received content cannot run code or exhaust the machine (kyso receive, real CLI)', () => {
  it('a received kyso.config.json + shared object: kyso sign in that folder never loads it; the warning names the key', async () => {
    const marker = path.join(root, 'PWNED');
    const src = path.join(root, 'evil.c');
    const so = path.join(root, 'evil.so');
    await writeFile(src, `#include <stdio.h>\n__attribute__((constructor)) static void pwn(void) { FILE *f = fopen(${JSON.stringify(marker)}, "w"); if (f) { fputs("loaded", f); fclose(f); } }\n`);
    execFileSync('cc', ['-shared', '-fPIC', '-o', so, src]);
    await deliver([
      { contentId: 'c1', name: 'cong-van.pdf', contentType: 'application/pdf', bytes: await readFile(pdf) },
      { contentId: 'c2', name: 'kyso.config.json', contentType: 'application/json', bytes: Buffer.from(JSON.stringify({ pkcs11Module: './x.so' })) },
      { contentId: 'c3', name: 'x.so', contentType: 'application/octet-stream', bytes: await readFile(so) },
    ]);
    const r = await b.json(['receive', '--revocation', 'off', '--lang', 'en']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.doc.result.documents[0];
    expect(doc.outcome).toBe('new');
    // both files arrived under their own names, beside each other (the attack's precondition)
    expect(existsSync(path.join(doc.dir, 'kyso.config.json'))).toBe(true);
    expect(existsSync(path.join(doc.dir, 'x.so'))).toBe(true);

    // the clerk signs with a token in the received folder; B's own folder is trusted, this one is not
    const env = { XDG_CONFIG_HOME: path.join(b.dir, 'xdg-config'), XDG_DATA_HOME: path.join(b.dir, 'xdg-data'), XDG_CACHE_HOME: path.join(b.dir, 'xdg-cache'), KYSO_PKCS11_MODULE: undefined, KYSO_CONFIG: undefined, KYSO_PIN: '1234' };
    const sign = () => runKyso(['sign', 'cong-van.pdf', '-o', path.join(root, 'signed.pdf'), '--token-label', 'Nope', '--lang', 'en'], { cwd: doc.dir, env });
    const s = await sign();
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/"pkcs11Module" ignored/);
    expect(s.stderr).toContain(path.join(doc.dir, 'kyso.config.json'));
    expect(existsSync(marker)).toBe(false);

    // control: the same folder listed in trustedProjectDirs loads the module (the marker does work)
    const userFile = path.join(b.dir, 'xdg-config', 'kyso', 'config.json');
    const user = JSON.parse(await readFile(userFile, 'utf8'));
    await writeFile(userFile, JSON.stringify({ ...user, trustedProjectDirs: [...user.trustedProjectDirs, doc.dir] }));
    try {
      await sign();
      expect(existsSync(marker)).toBe(true);
    } finally {
      await writeFile(userFile, JSON.stringify(user));
    }
  }, 120_000);

  it('a zip bomb attachment is refused within the caps, quarantined on the first run and acked; the next message is processed', async () => {
    const bomb = buildZip([{ name: 'phu-luc.pdf', bombMiB: 1024 }]);
    expect(bomb.length).toBeLessThan(1.2e6);
    await deliver([
      { contentId: 'c1', name: 'cong-van.pdf', contentType: 'application/pdf', bytes: await readFile(pdf) },
      { contentId: 'c2', name: 'phu-luc.zip', contentType: 'application/zip', bytes: bomb },
    ]);
    const r = await b.json(['receive', '--revocation', 'off', '--lang', 'en']);
    expect(r.code, r.stderr).toBe(0);
    const q = r.doc.result.documents[0];
    expect(q).toMatchObject({ outcome: 'quarantined', acked: true });
    expect(q.error.code).toBe('ZIP_CAP_EXCEEDED');
    expect(r.doc.result.quarantined.find((x: { docId: string }) => x.docId === q.docId)).toMatchObject({ code: 'ZIP_CAP_EXCEEDED' });
    const reason = JSON.parse(await readFile(path.join(q.dir, 'reason.json'), 'utf8'));
    expect(reason.code).toBe('ZIP_CAP_EXCEEDED');
    expect(existsSync(path.join(b.dir, 'data', 'inbox', q.docId))).toBe(false);
    // nothing inflated was left behind: the whole data folder holds the messages, not a GiB of zeros
    expect(await du(path.join(b.dir, 'data'))).toBeLessThan(20 * 1024 * 1024);
    // acked: the hub no longer lists it, and the next message goes through
    await deliver([{ contentId: 'c1', name: 'cong-van.pdf', contentType: 'application/pdf', bytes: await readFile(pdf) }]);
    const next = await b.json(['receive', '--revocation', 'off', '--lang', 'en']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc.result.documents.map((d: { outcome: string }) => d.outcome)).toEqual(['new']);
  }, 120_000);
});
