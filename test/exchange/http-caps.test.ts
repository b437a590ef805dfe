import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/exchange/http-client.js';

let server: Server;
let base = '';
let dir: string;
let bytesSent = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-httpcap-'));
  server = createServer((req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    if (req.url?.startsWith('/declared')) {
      // declares 2 GB, then trickles: a client that believed it would wait or buffer
      res.writeHead(200, { 'content-length': String(2 * 1024 ** 3) });
      res.write(chunk);
      bytesSent += chunk.length;
      return;
    }
    // chunked, no length: keeps sending until the client hangs up
    res.writeHead(200, { 'content-type': 'application/json' });
    const pump = () => {
      while (res.write(chunk)) {
        bytesSent += chunk.length;
        if (bytesSent > 64 * 1024 * 1024) return res.end();
      }
      res.once('drain', pump);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('response caps', () => {
  it('a 2 GB-declared document is refused at once, nothing written', async () => {
    const c = new HttpClient({ label: 't', endpoint: base, timeoutMs: 5000 });
    const out = path.join(dir, 'msg.edxml');
    await expect(c.requestToFile({ method: 'GET', path: 'declared' }, out)).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE', category: 'input' });
    expect(await readdir(dir)).toEqual([]);
    await c.close();
  });
  it('an endless JSON answer is cut at the json cap (and a document at its own cap)', async () => {
    const c = new HttpClient({ label: 't', endpoint: base, timeoutMs: 5000, maxResponseBytes: { json: 1024 * 1024, document: 2 * 1024 * 1024 } });
    await expect(c.request({ method: 'GET', path: 'endless' })).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE', details: { cap: 1024 * 1024 } });
    await expect(c.request({ method: 'GET', path: 'endless', kind: 'document' })).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE', details: { cap: 2 * 1024 * 1024 } });
    await expect(c.requestToFile({ method: 'GET', path: 'endless' }, path.join(dir, 'x'))).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect(await readdir(dir)).toEqual([]);
    expect(process.resourceUsage().maxRSS / 1024).toBeLessThan(1024); // sanity: nothing near 2 GB was buffered
    await c.close();
  });
  it('refuses http:// to another host before connecting (exit 2 category)', () => {
    expect(() => new HttpClient({ label: 't', endpoint: 'http://192.0.2.1/' })).toThrow(expect.objectContaining({ code: 'URL_INSECURE', category: 'usage' }));
    expect(() => new HttpClient({ label: 't', endpoint: 'http://192.0.2.1/', insecureHosts: ['192.0.2.1'] })).not.toThrow();
    const c = new HttpClient({ label: 't', endpoint: base });
    expect(() => c.url('http://192.0.2.1/token')).toThrow(expect.objectContaining({ code: 'URL_INSECURE' }));
  });
});
