/**
 * Loopback test servers for the exchange adapters: a small LGSP (bearer or oauth2 flavour, over HTTP or
 * HTTPS with a required client certificate), an HTTP CONNECT proxy that counts its tunnels, and openssl
 * generated TLS material for 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';

export interface TlsMaterial {
  dir: string;
  caPem: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  otherCaPem: string;
}

export function makeTls(dir: string): TlsMaterial {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => path.join(dir, f);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=kyso test TLS CA');
  ossl('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=kyso other CA');
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  ossl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=000.00.00.H41 system');
  ossl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext');
  return { dir, caPem: p('ca.pem'), serverKey: p('server.key'), serverCert: p('server.pem'), clientKey: p('client.key'), clientCert: p('client.pem'), otherCaPem: p('other-ca.pem') };
}

export interface LgspMock {
  url: string;
  logins: number;
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  sent: { docId: string; edxml: Buffer; messageType: string; to: string }[];
  /** items returned by syncReceivedEdocList / getEdoc */
  inbox: { docId: string; from: string; edxml: Buffer; messageType: string }[];
  acks: { docId: string; status: string }[];
  /** tokens become invalid after this many uses (to force a refresh) */
  tokenUses: number;
  clientCertSubjects: string[];
  close(): Promise<void>;
}

export interface LgspMockOptions {
  flavour: 'bearer' | 'oauth2';
  systemId: string;
  secret: string;
  username?: string;
  tls?: TlsMaterial;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function send(res: ServerResponse, status: number, j: unknown) {
  const b = Buffer.from(JSON.stringify(j));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': b.length });
  res.end(b);
}

function multipart(b: Buffer, contentType: string): Record<string, Buffer> {
  const m = /boundary=([^;]+)/.exec(contentType);
  if (!m) return {};
  const sep = Buffer.from(`--${m[1]}`);
  const out: Record<string, Buffer> = {};
  let pos = b.indexOf(sep);
  while (pos >= 0) {
    const next = b.indexOf(sep, pos + sep.length);
    if (next < 0) break;
    const part = b.subarray(pos + sep.length + 2, next - 2);
    const headEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headEnd).toString();
    const name = /name="([^"]+)"/.exec(head)?.[1];
    if (name) out[name] = Buffer.from(part.subarray(headEnd + 4));
    pos = next;
  }
  return out;
}

export async function startLgspMock(o: LgspMockOptions): Promise<LgspMock> {
  const tokens = new Map<string, number>();
  const state: Omit<LgspMock, 'url' | 'close'> = { logins: 0, requests: [], sent: [], inbox: [], acks: [], tokenUses: 1000, clientCertSubjects: [] };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const b = await body(req);
      state.requests.push({ path: u.pathname, headers: req.headers });
      const sock = req.socket as unknown as { getPeerCertificate?: () => { subject?: { CN?: string } } };
      if (sock.getPeerCertificate) state.clientCertSubjects.push(sock.getPeerCertificate().subject?.CN ?? '');
      // --- token issuing
      if (o.flavour === 'bearer' && u.pathname === '/v1/auth/login') {
        const j = JSON.parse(b.toString() || '{}') as { username?: string; password?: string };
        if (j.username !== (o.username ?? o.systemId) || j.password !== o.secret) return send(res, 401, { code: 401, message: 'Sai tên đăng nhập hoặc mật khẩu' });
        state.logins++;
        const t = `tok-${randomUUID()}`;
        tokens.set(t, 0);
        return send(res, 200, { code: 0, message: 'OK', data: { token: t, expiresIn: 1800 } });
      }
      if (o.flavour === 'oauth2' && u.pathname === '/oauth2/token') {
        const f = new URLSearchParams(b.toString());
        if (f.get('grant_type') !== 'client_credentials' || f.get('client_id') !== o.systemId || f.get('client_secret') !== o.secret) {
          return send(res, 400, { error: 'invalid_client' });
        }
        state.logins++;
        const t = `acc-${randomUUID()}`;
        tokens.set(t, 0);
        return send(res, 200, { access_token: t, token_type: 'bearer', expires_in: 3600 });
      }
      // --- every API call
      const token = o.flavour === 'bearer' ? /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] : String(req.headers.lgspaccesstoken ?? '');
      const uses = token ? tokens.get(token) : undefined;
      if (uses === undefined || uses >= state.tokenUses) return send(res, 401, { success: false, message: 'licenseInfo:invalid' });
      tokens.set(token!, uses + 1);
      if (o.flavour === 'bearer' && (req.headers['x-systemid'] !== o.systemId || req.headers['x-secretkey'] !== o.secret)) {
        return send(res, 200, { success: false, message: 'Sai SystemId/SecretKey', data: { errorCode: '15' } });
      }
      switch (u.pathname) {
        case '/v1/sendEdoc': {
          const parts = multipart(b, String(req.headers['content-type']));
          if (!parts.edocFile) return send(res, 200, { success: false, message: 'thiếu edocFile', data: { errorCode: '10' } });
          if (!parts.edocFile.subarray(0, 200).toString().includes('QCVN_102_2016')) return send(res, 200, { success: false, message: 'format edXML sai', data: { errorCode: '22' } });
          const docId = String(1000 + state.sent.length);
          state.sent.push({ docId, edxml: parts.edocFile, messageType: parts.messageType?.toString() ?? '', to: parts.to?.toString() ?? '' });
          return send(res, 200, { success: true, message: 'OK', docId });
        }
        case '/v1/syncReceivedEdocList': {
          const mt = u.searchParams.get('messageType') ?? 'edoc';
          if (!u.searchParams.get('fromDate') || !u.searchParams.get('toDate')) return send(res, 400, { success: false, message: 'fromDate/toDate' });
          const data = state.inbox.filter((i) => i.messageType === mt).map((i) => ({ serviceType: 'eDoc', createdTime: '2026/11/27', messageType: i.messageType, docId: i.docId, from: i.from, to: 'x', status: 'initial', statusDesc: '' }));
          return send(res, 200, { success: true, message: 'OK', count: data.length, data });
        }
        case '/v1/getEdoc': {
          const it = state.inbox.find((i) => i.docId === u.searchParams.get('docId'));
          if (!it) return send(res, 404, { success: false, message: 'not found' });
          return send(res, 200, { success: true, message: 'OK', data: { docId: it.docId, from: it.from, edxml: it.edxml.toString('base64'), attachments: [] } });
        }
        case '/v1/updateStatus': {
          const j = JSON.parse(b.toString()) as { docId: string; status: string };
          state.acks.push(j);
          return send(res, 200, { success: true, message: 'OK' });
        }
        case '/v1/getAgenciesList':
          return send(res, 200, { success: true, data: [{ orgCode: '000.00.00.G22', orgName: 'Văn phòng Chính phủ', parentCode: '' }] });
        default:
          return send(res, 404, { success: false, message: 'no such endpoint' });
      }
    })();
  };
  const server = o.tls
    ? createHttpsServer({ key: readFileSync(o.tls.serverKey), cert: readFileSync(o.tls.serverCert), ca: readFileSync(o.tls.caPem), requestCert: true, rejectUnauthorized: true }, handler)
    : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const mock = state as LgspMock;
  mock.url = `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}/`;
  mock.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return mock;
}

export interface ConnectProxy {
  url: string;
  tunnels: string[];
  close(): Promise<void>;
}

/** An HTTP CONNECT proxy on 127.0.0.1 that only tunnels to 127.0.0.1 and records each tunnel. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connect', (req: IncomingMessage, client: import('node:net').Socket, head: Buffer) => {
    const [host, port] = String(req.url).split(':');
    sockets.add(client);
    if (host !== '127.0.0.1' && host !== 'localhost') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels.push(String(req.url));
    const up = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export type { Server };
