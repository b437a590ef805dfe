/**
 * Issue 12, the receive-time fetch allow-list through the real CLI and a local hub. Two chains are made
 * with openssl at test time, their addresses on two loopback servers that count requests:
 *  - root A (given with --trust) → issuing CA with an OCSP URL on port A → signer with an OCSP URL on port
 *    A: the chain reaches an anchor, so its own OCSP addresses are asked although 127.0.0.1 is on no list;
 *  - a self-made root B (not trusted) → signer whose AIA caIssuers, OCSP and CRL URLs point at port B,
 *    embedded alone: `kyso receive` never calls port B (`kyso verify` of one's own file does: the control).
 * The receiving party's user file has no fetchAllowHosts.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/services/hub-server.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';
import { makeParty, META, ORG_A, ORG_B, startTestHub, tmpRoot, type Party } from '../flow/flow-helpers.js';
import { runKyso } from '../helpers/cli.js';

const run = promisify(execFile);
const PASS = 'pass-1234';

interface Counter {
  server: Server;
  port: number;
  hits: string[];
}

async function counter(): Promise<Counter> {
  const c: Counter = { server: createServer(), port: 0, hits: [] };
  c.server.on('request', (req, res) => {
    c.hits.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => c.server.listen(0, '127.0.0.1', r));
  c.port = (c.server.address() as AddressInfo).port;
  return c;
}

/** An EC P-256 certificate signed by `ca` (self-signed without), with the given X.509v3 extensions. */
async function cert(dir: string, name: string, subject: string, ext: string[], ca?: string): Promise<void> {
  const key = path.join(dir, `${name}.key`);
  const pem = path.join(dir, `${name}.pem`);
  const cnf = path.join(dir, `${name}.ext`);
  await writeFile(cnf, `[v3]\nsubjectKeyIdentifier=hash\n${ca ? 'authorityKeyIdentifier=keyid\n' : ''}${ext.join('\n')}\n`);
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  if (!ca) {
    await run('openssl', ['req', '-new', '-x509', '-key', key, '-out', pem, '-days', '30', '-subj', subject, '-config', cnf, '-extensions', 'v3', '-set_serial', '1']);
    return;
  }
  const csr = path.join(dir, `${name}.csr`);
  await run('openssl', ['req', '-new', '-key', key, '-out', csr, '-subj', subject]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', path.join(dir, `${ca}.pem`), '-CAkey', path.join(dir, `${ca}.key`), '-set_serial', String(Date.now()), '-days', '20', '-out', pem, '-extfile', cnf, '-extensions', 'v3']);
}

describe('receive-time fetch allow-list (real CLI, local hub)', () => {
  let root: string;
  let hub: RunningHub;
  let a: Party;
  let b: Party;
  let portA: Counter;
  let portB: Counter;
  let trusted: string;
  let untrusted: string;
  let pki: string;

  beforeAll(async () => {
    root = await tmpRoot();
    pki = path.join(root, 'pki');
    await mkdir(pki);
    [portA, portB] = await Promise.all([counter(), counter()]);
    const A = `http://127.0.0.1:${portA.port}`;
    const B = `http://127.0.0.1:${portB.port}`;
    const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
    const signer = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation'];
    await cert(pki, 'rootA', '/C=VN/O=Kyso Allow Test/CN=Root A', ca);
    await cert(pki, 'interA', '/C=VN/O=Kyso Allow Test/CN=Issuing CA A', [...ca, `authorityInfoAccess=OCSP;URI:${A}/ocsp-inter`], 'rootA');
    await cert(pki, 'leafA', '/C=VN/O=UBND A/CN=Nguyen Van A', [...signer, `authorityInfoAccess=OCSP;URI:${A}/ocsp-leaf`], 'interA');
    await cert(pki, 'rootB', '/C=VN/O=Made Up/CN=Root B', ca);
    await cert(pki, 'leafB', '/C=VN/O=Made Up/CN=Nguyen Van B', [...signer, `authorityInfoAccess=caIssuers;URI:${B}/ca.cer,OCSP;URI:${B}/ocsp`, `crlDistributionPoints=URI:${B}/ca.crl`], 'rootB');
    await run('openssl', ['pkcs12', '-export', '-inkey', path.join(pki, 'leafA.key'), '-in', path.join(pki, 'leafA.pem'), '-certfile', path.join(pki, 'interA.pem'), '-passout', `pass:${PASS}`, '-out', path.join(pki, 'a.p12')]);
    // the signer alone: its issuer must be looked for (AIA caIssuers on port B)
    await run('openssl', ['pkcs12', '-export', '-inkey', path.join(pki, 'leafB.key'), '-in', path.join(pki, 'leafB.pem'), '-passout', `pass:${PASS}`, '-out', path.join(pki, 'b.p12')]);

    hub = await startTestHub(root);
    a = await makeParty(root, ORG_A, hub.url);
    b = await makeParty(root, ORG_B, hub.url);
    // the receiver lists no fetchAllowHosts: only the trust material and vouched-for chains count
    await writeFile(path.join(b.dir, 'xdg-config', 'kyso', 'config.json'), JSON.stringify({ trustedProjectDirs: [b.dir] }));
    await mkdir(path.join(root, 'samples'));
    const plain = path.join(a.dir, 'plain.pdf');
    await copyFile((await makeSamplePdfs(path.join(root, 'samples'))).simple, plain);
    trusted = path.join(a.dir, 'trusted-chain.pdf');
    untrusted = path.join(a.dir, 'made-up-chain.pdf');
    for (const [p12, out] of [
      ['a.p12', trusted],
      ['b.p12', untrusted],
    ] as const) {
      const s = await runKyso(['sign', plain, '-o', out, '--p12', path.join(pki, p12), '--level', 'B-B', '--lang', 'en'], { env: { KYSO_P12_PASSWORD: PASS } });
      expect(s.code, s.stderr).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    for (const c of [portA, portB]) await new Promise((r) => c?.server.close(r));
    await rm(root, { recursive: true, force: true });
  });

  it('fetches the OCSP URLs of a chain that reaches an anchor, never the URLs of a made-up chain', async () => {
    const s = await a.json(['send', trusted, untrusted, '--to', ORG_B.organId, '--code', '7/UBND-VP', ...META]);
    expect(s.code, s.stderr).toBe(0);
    portA.hits.length = 0;
    portB.hits.length = 0;
    const r = await b.json(['receive', '--trust', path.join(pki, 'rootA.pem'), '--lang', 'en']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.doc.result.documents[0];

    expect(doc.outcome).toBe('new');
    const byName = Object.fromEntries(doc.attachments.map((x: { name: string; verdict: { indication: string; subIndication?: string } }) => [x.name, x.verdict]));
    // no responder answers: the trusted chain is INDETERMINATE (TRY_LATER), the made-up one has no chain
    expect(byName['trusted-chain.pdf'].indication).toBe('INDETERMINATE');
    expect(byName['made-up-chain.pdf'].indication).toBe('INDETERMINATE');
    expect(portA.hits.filter((h) => h.startsWith('POST /ocsp-leaf')).length).toBeGreaterThan(0);
    expect(portA.hits.filter((h) => h.startsWith('POST /ocsp-inter')).length).toBeGreaterThan(0);
    expect(portB.hits).toEqual([]);
    // control: kyso verify of one's own file has no allow-list, and does ask port B for the missing issuer
    const v = await runKyso(['verify', untrusted, '--json'], { env: { XDG_CACHE_HOME: path.join(root, 'verify-cache') } });
    expect(v.code).not.toBe(0);
    expect(portB.hits).toContain('GET /ca.cer');
  }, 120_000);
});
