/**
 * The test PKI's online services on 127.0.0.1: CRLs, caIssuers certificates, OCSP (openssl ocsp, one process
 * per request: `openssl ocsp -port` would listen on every interface) and an RFC 3161 TSA (openssl ts).
 * Counts requests per route at GET /_stats (POST /_stats/reset clears them) so tests can assert caching.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PkiUrls, TestPki } from '../fixtures/make-pki.js';

const run = promisify(execFile);

export interface PkiServer {
  urls: PkiUrls;
  setPki(pki: TestPki): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startPkiServer(): Promise<PkiServer> {
  let pki: TestPki | undefined;
  const stats: Record<string, number> = {};
  const work = await mkdtemp(path.join(tmpdir(), 'kyso-pki-srv-'));
  let n = 0;

  const withTmp = async <T>(fn: (a: string, b: string) => Promise<T>): Promise<T> => {
    const id = ++n;
    const a = path.join(work, `${id}.in`);
    const b = path.join(work, `${id}.out`);
    try {
      return await fn(a, b);
    } finally {
      await rm(a, { force: true });
      await rm(b, { force: true });
    }
  };

  const ocsp = (reqDer: Buffer) =>
    withTmp(async (a, b) => {
      await writeFile(a, reqDer);
      const p = pki!;
      await run('openssl', [
        'ocsp', '-index', p.interIndex, '-CA', p.inter.cert, '-rsigner', p.ocspSigner.cert, '-rkey', p.ocspSigner.key,
        '-reqin', a, '-respout', b, '-ndays', '1',
      ]);
      return readFile(b);
    });

  const tsa = (query: Buffer) =>
    withTmp(async (a, b) => {
      await writeFile(a, query);
      await run('openssl', ['ts', '-reply', '-config', pki!.tsaConfig, '-queryfile', a, '-out', b]);
      return readFile(b);
    });

  /**
   * CRLs are issued on each request (thisUpdate = now), like a CA that publishes on demand: kyso verify
   * counts embedded revocation data only when it was issued after the signature's proof of existence
   * (EN 319 102-1 freshness), so a CRL made once at PKI set-up would never make a B-LT file. One openssl
   * `ca -gencrl` at a time per CA (it rewrites the crlnumber file).
   */
  const crlQueue: Record<string, Promise<unknown>> = {};
  const freshCrl = (which: 'root' | 'inter') => {
    const run1 = async () =>
      withTmp(async (a, b) => {
        const p = pki!;
        const ca = which === 'root' ? p.root : p.inter;
        await run('openssl', ['ca', '-gencrl', '-config', path.join(p.dir, `ca-${which}`, 'ca.cnf'), '-cert', ca.cert, '-keyfile', ca.key, '-out', a]);
        await run('openssl', ['crl', '-in', a, '-outform', 'DER', '-out', b]);
        return readFile(b);
      });
    const next = (crlQueue[which] ?? Promise.resolve()).catch(() => undefined).then(run1);
    crlQueue[which] = next;
    return next;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const route = url.pathname.startsWith('/ocsp') ? '/ocsp' : url.pathname;
      stats[route] = (stats[route] ?? 0) + 1;
      try {
        if (url.pathname === '/_stats') {
          if (req.method === 'POST') for (const k of Object.keys(stats)) delete stats[k];
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(stats));
          return;
        }
        if (!pki) throw new Error('PKI not ready');
        if (url.pathname === '/crl/inter.crl') return send(res, 'application/pkix-crl', await freshCrl('inter'));
        if (url.pathname === '/crl/root.crl') return send(res, 'application/pkix-crl', await freshCrl('root'));
        if (url.pathname === '/certs/root.cer') return send(res, 'application/pkix-cert', await readFile(pki.root.certDer));
        if (url.pathname === '/certs/inter.cer') return send(res, 'application/pkix-cert', await readFile(pki.inter.certDer));
        if (url.pathname === '/ocsp' && req.method === 'POST') return send(res, 'application/ocsp-response', await ocsp(await body(req)));
        if (url.pathname.startsWith('/ocsp/') && req.method === 'GET') {
          const b64 = decodeURIComponent(url.pathname.slice('/ocsp/'.length));
          return send(res, 'application/ocsp-response', await ocsp(Buffer.from(b64, 'base64')));
        }
        if (url.pathname === '/tsa' && req.method === 'POST') return send(res, 'application/timestamp-reply', await tsa(await body(req)));
        res.statusCode = 404;
        res.end('not found');
      } catch (e) {
        res.statusCode = 500;
        res.end(String(e));
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  const dead = `http://127.0.0.1:${await freePort()}`;
  return {
    urls: {
      base,
      ocsp: `${base}/ocsp`,
      crl: `${base}/crl/inter.crl`,
      rootCrl: `${base}/crl/root.crl`,
      tsa: `${base}/tsa`,
      caIssuers: `${base}/certs`,
      dead,
    },
    setPki(p) {
      pki = p;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(work, { recursive: true, force: true });
    },
  };
}

function send(res: import('node:http').ServerResponse, type: string, data: Buffer): void {
  res.setHeader('content-type', type);
  res.setHeader('content-length', String(data.length));
  res.end(data);
}
