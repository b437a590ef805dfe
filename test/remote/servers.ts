/**
 * Loopback stand-ins for the remote-signing providers, written from the request/response shapes of
 * shared/spec/remote-signing.md (copied into docs/remote-signing.md): VNPT SmartCA SP769, Viettel MySign
 * (VTSS gateway) and a CSC API v2 service. Each holds a real test key (from the test PKI) and signs the
 * digests it receives with RSA PKCS#1 v1.5, so the signatures kyso embeds are real.
 * An admin endpoint approves, declines or expires a pending transaction:
 *   GET  /admin/transactions           → [{ id, state, count }]
 *   POST /admin/{approve|decline|expire} { id? } (default: the newest pending one)
 *   POST /admin/fault { fault }        → 'wrong-digest' | 'poll-5xx' | 'poll-drop' | null
 * Every request body is recorded (`bodies`) so tests can assert that no PDF bytes were sent.
 */
import { createHash, privateEncrypt, constants, randomUUID, createPrivateKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'wrong-digest' | 'poll-5xx' | 'poll-drop' | null;

export interface SignerKey {
  /** PEM private key file */
  key: string;
  /** DER certificate files: leaf, then chain */
  certs: string[];
}

interface Tx {
  id: string;
  code: string;
  state: 'pending' | 'approved' | 'declined' | 'expired';
  digests: Buffer[];
  hash: 'sha256' | 'sha384' | 'sha512';
  docIds: string[];
  sad?: string;
}

export interface FakeProvider {
  url: string;
  bodies: string[];
  paths: string[];
  txs: Map<string, Tx>;
  fault: Fault;
  close(): Promise<void>;
}

const DIGEST_INFO_PREFIX: Record<Tx['hash'], string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function signDigest(keyPem: string, hash: Tx['hash'], digest: Buffer, fault: Fault, ecFormat: 'der' | 'p1363' = 'der'): Buffer {
  const d = fault === 'wrong-digest' ? createHash(hash).update(digest).digest() : digest;
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType === 'ec') {
    // Node cannot sign a ready digest with ECDSA; openssl pkeyutl does (DER Ecdsa-Sig-Value)
    const tmp = mkdtempSync(path.join(tmpdir(), 'kyso-fake-ec-'));
    try {
      writeFileSync(path.join(tmp, 'k.pem'), keyPem);
      writeFileSync(path.join(tmp, 'd.bin'), d);
      const sig = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', path.join(tmp, 'k.pem'), '-in', path.join(tmp, 'd.bin')]);
      return ecFormat === 'der' ? sig : derToP1363(sig, Math.ceil((key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 384 : 256) / 8));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const info = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex'), d]);
  return privateEncrypt({ key: createPrivateKey(keyPem), padding: constants.RSA_PKCS1_PADDING }, info);
}

function derToP1363(der: Buffer, n: number): Buffer {
  let i = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const ints: Buffer[] = [];
  for (let k = 0; k < 2; k++) {
    const len = der[i + 1]!;
    let v = der.subarray(i + 2, i + 2 + len);
    while (v.length > n && v[0] === 0) v = v.subarray(1);
    ints.push(Buffer.concat([Buffer.alloc(n - v.length), v]));
    i += 2 + len;
  }
  return Buffer.concat(ints);
}

type Handler = (path: string, body: string, req: http.IncomingMessage, res: http.ServerResponse, p: FakeProvider) => void | Promise<void>;

async function start(handler: Handler): Promise<FakeProvider> {
  const p: FakeProvider = { url: '', bodies: [], paths: [], txs: new Map(), fault: null, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/admin/')) return admin(path, body, res, p);
      p.bodies.push(body);
      p.paths.push(path);
      Promise.resolve(handler(path, body, req, res, p)).catch((e) => json(res, 500, { error: String(e) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  p.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return p;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function admin(path: string, body: string, res: http.ServerResponse, p: FakeProvider): void {
  const action = path.slice('/admin/'.length);
  if (action === 'transactions') return json(res, 200, [...p.txs.values()].map((t) => ({ id: t.id, state: t.state, count: t.digests.length })));
  const b = body ? (JSON.parse(body) as { id?: string; fault?: Fault }) : {};
  if (action === 'fault') {
    p.fault = b.fault ?? null;
    return json(res, 200, { fault: p.fault });
  }
  const tx = b.id ? p.txs.get(b.id) : [...p.txs.values()].reverse().find((t) => t.state === 'pending');
  if (!tx) return json(res, 404, { error: 'no such pending transaction' });
  tx.state = action === 'approve' ? 'approved' : action === 'decline' ? 'declined' : 'expired';
  json(res, 200, { id: tx.id, state: tx.state });
}

/** Polling-time faults shared by all fakes; true when the request was answered. */
function pollFault(p: FakeProvider, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (p.fault === 'poll-5xx') {
    json(res, 503, { error: 'service unavailable' });
    return true;
  }
  if (p.fault === 'poll-drop') {
    req.socket.destroy();
    return true;
  }
  return false;
}

const der = (f: string) => readFileSync(f).toString('base64');

/** VNPT SmartCA SP769 (spec sheet §1.2–1.7), base path /sca/sp769. */
export function startVnpt(k: SignerKey, creds: { spId: string; spPassword: string; userId: string }): Promise<FakeProvider> {
  const keyPem = readFileSync(k.key, 'utf8');
  return start((path, body, req, res, p) => {
    const b = body ? JSON.parse(body) : {};
    const base = '/sca/sp769/v1';
    const authOk = () => b.sp_id === creds.spId && b.sp_password === creds.spPassword && b.user_id === creds.userId;
    if (path === `${base}/credentials/get_certificate`) {
      if (!authOk()) return json(res, 200, { status_code: 401, message: 'SP_CREDENTIAL_INVALID', data: null });
      return json(res, 200, {
        status_code: 200,
        message: 'SUCCESS',
        data: {
          user_certificates: [
            {
              service_type: 'SMARTCA',
              service_name: 'SmartCA cá nhân',
              cert_id: 'c-1',
              cert_status: 'Đang hoạt động',
              serial_number: 'serial-1',
              cert_subject: 'CN=test',
              cert_data: der(k.certs[0]!),
              chain_data: { ca_cert: k.certs[1] ? der(k.certs[1]) : null, root_cert: k.certs[2] ? der(k.certs[2]) : null },
            },
          ],
          transaction_id: b.transaction_id,
        },
      });
    }
    if (path === `${base}/signatures/sign`) {
      if (!authOk()) return json(res, 200, { status_code: 401, message: 'SP_CREDENTIAL_INVALID', data: null });
      const files = b.sign_files as { data_to_be_signed: string; doc_id: string; sign_type: string }[];
      const tx: Tx = { id: randomUUID(), code: randomUUID(), state: 'pending', hash: 'sha256', digests: files.map((f) => Buffer.from(f.data_to_be_signed, 'hex')), docIds: files.map((f) => f.doc_id) };
      p.txs.set(tx.id, tx);
      return json(res, 200, { status_code: 200, message: 'sig_wait_for_user_confirm', data: { transaction_id: tx.id, tran_code: tx.code } });
    }
    const m = /^\/sca\/sp769\/v1\/signatures\/sign\/([^/]+)\/status$/.exec(path);
    if (m) {
      if (pollFault(p, req, res)) return;
      const tx = p.txs.get(decodeURIComponent(m[1]!));
      if (!tx) return json(res, 200, { status_code: 400, message: 'TRANSACTION_NOT_FOUND', data: null });
      if (tx.state === 'pending') return json(res, 200, { status_code: 200, message: 'sig_wait_for_user_confirm', data: { transaction_id: tx.id, signatures: null } });
      if (tx.state === 'declined') return json(res, 200, { status_code: 200, message: 'SIGNER_REJECTED', data: { transaction_id: tx.id, signatures: null } });
      if (tx.state === 'expired') return json(res, 200, { status_code: 200, message: 'EXPIRED', data: { transaction_id: tx.id, signatures: null } });
      return json(res, 200, {
        status_code: 200,
        message: 'SUCCESS',
        data: {
          transaction_id: tx.id,
          signatures: tx.digests.map((d, i) => ({ doc_id: tx.docIds[i], signature_value: signDigest(keyPem, 'sha256', d, p.fault).toString('base64'), timestamp_signature: null })),
        },
      });
    }
    json(res, 404, { status_code: 404, message: 'NOT_FOUND' });
  });
}

/** Viettel MySign VTSS gateway (spec sheet §2.3). */
export function startViettel(k: SignerKey, creds: { clientId: string; clientSecret: string; userId: string }): Promise<FakeProvider> {
  const keyPem = readFileSync(k.key, 'utf8');
  const tokens = new Set<string>();
  return start((path, body, req, res, p) => {
    const b = body ? JSON.parse(body) : {};
    if (path === '/vtss/service/ras/v1/login') {
      if (b.client_id !== creds.clientId) return json(res, 400, { code: '58007', message: 'client id does not exist' });
      if (b.client_secret !== creds.clientSecret) return json(res, 400, { code: '86024', message: 'client secret invalid' });
      if (b.user_id !== creds.userId) return json(res, 400, { code: '58008', message: 'user id does not exist' });
      const t = randomUUID();
      tokens.add(t);
      return json(res, 200, { access_token: t, refresh_token: '', token_type: 'Bearer', expires_in: '3600' });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return json(res, 401, { code: '401', message: 'unauthorized' });
    if (path === '/vtss/service/certificates/info') {
      return json(res, 200, [
        {
          credential_id: 'cred-vt-1',
          description: 'MySign',
          key: { status: 'enabled', algo: ['1.2.840.113549.1.1.1'], len: 2048 },
          cert: { status: 'valid', certificates: k.certs.map(der), subjectDN: 'CN=test' },
          authMode: 'implicit',
          multisign: 100,
          scal: '2',
        },
      ]);
    }
    if (path === '/vtss/service/signHash') {
      const hashes = b.hash as string[];
      if (b.numSignatures !== hashes.length || b.documents.length !== hashes.length) return json(res, 400, { code: '400', message: 'numSignatures mismatch' });
      if (b.hashAlgo !== '2.16.840.1.101.3.4.2.1') return json(res, 400, { code: '400', message: 'Only SHA256 hash converted to base64 is accepted' });
      const tx: Tx = { id: randomUUID(), code: '', state: 'pending', hash: 'sha256', digests: hashes.map((h) => Buffer.from(h, 'base64')), docIds: b.documents.map((d: { document_id: string }) => d.document_id) };
      tx.code = tx.id;
      p.txs.set(tx.id, tx);
      return json(res, 200, { transactionId: tx.id });
    }
    if (path === '/vtss/service/requests/status') {
      if (pollFault(p, req, res)) return;
      const tx = p.txs.get(b.transactionId);
      if (!tx) return json(res, 200, { status: '50000', description: 'not found' });
      if (tx.state === 'pending') return json(res, 200, { status: '4000', description: 'waiting for user confirmation' });
      if (tx.state === 'declined') return json(res, 200, { status: '4002', description: 'user declined' });
      if (tx.state === 'expired') return json(res, 200, { status: '4001', description: 'request timed out' });
      // base64 with CRLF every 76 characters, as the spec sheet warns
      const sigs = tx.digests.map((d) => signDigest(keyPem, 'sha256', d, p.fault).toString('base64').replace(/(.{76})/g, '$1\r\n'));
      return json(res, 200, { status: '1', signatures: sigs, description: 'success' });
    }
    json(res, 404, { code: '404' });
  });
}

/** CSC API v2 (spec sheet §4.1), base path /csc/v2. */
export function startCsc(k: SignerKey, creds: { clientId: string; clientSecret: string; multisign: number; ecFormat?: 'der' | 'p1363' }): Promise<FakeProvider> {
  const keyPem = readFileSync(k.key, 'utf8');
  const tokens = new Set<string>();
  const HASH_OIDS: Record<string, Tx['hash']> = { '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
  return start((path, body, req, res, p) => {
    const base = '/csc/v2';
    if (path === `${base}/oauth2/token`) {
      const f = new URLSearchParams(body);
      if (f.get('grant_type') !== 'client_credentials' || f.get('scope') !== 'service') return json(res, 400, { error: 'invalid_request' });
      if (f.get('client_id') !== creds.clientId || f.get('client_secret') !== creds.clientSecret) return json(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
      const t = randomUUID();
      tokens.add(t);
      return json(res, 200, { access_token: t, token_type: 'Bearer', expires_in: 3600 });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return json(res, 401, { error: 'invalid_token' });
    const b = body ? JSON.parse(body) : {};
    if (path === `${base}/credentials/list`) return json(res, 200, { credentialIDs: ['csc-cred-1'] });
    if (path === `${base}/credentials/info`) {
      if (b.credentialID !== 'csc-cred-1') return json(res, 400, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' });
      return json(res, 200, {
        key: { status: 'enabled', algo: [createPrivateKey(keyPem).asymmetricKeyType === 'ec' ? '1.2.840.10045.2.1' : '1.2.840.113549.1.1.1'] },
        cert: { status: 'valid', certificates: (b.certificates === 'chain' ? k.certs : k.certs.slice(0, 1)).map(der) },
        auth: { mode: 'explicit' },
        SCAL: '2',
        multisign: creds.multisign,
      });
    }
    if (path === `${base}/credentials/authorize`) {
      const hashes = b.hashes as string[];
      if (hashes.length !== b.numSignatures || hashes.length > creds.multisign) return json(res, 400, { error: 'invalid_request', error_description: 'numSignatures' });
      const tx: Tx = { id: randomUUID(), code: '', state: 'pending', hash: HASH_OIDS[b.hashAlgorithmOID]!, digests: hashes.map((h) => Buffer.from(h, 'base64')), docIds: [] };
      tx.code = tx.id;
      p.txs.set(tx.id, tx);
      return json(res, 202, { handle: tx.id });
    }
    if (path === `${base}/credentials/authorizeCheck`) {
      if (pollFault(p, req, res)) return;
      const tx = p.txs.get(b.handle);
      if (!tx) return json(res, 400, { error: 'invalid_request', error_description: 'unknown handle' });
      if (tx.state === 'pending') return json(res, 202, {});
      if (tx.state === 'declined') return json(res, 400, { error: 'access_denied', error_description: 'the user declined the authorization' });
      if (tx.state === 'expired') return json(res, 400, { error: 'expired_token', error_description: 'the authorization request expired' });
      tx.sad = tx.sad ?? randomUUID();
      return json(res, 200, { SAD: tx.sad, expiresIn: 300 });
    }
    if (path === `${base}/signatures/signHash`) {
      const tx = [...p.txs.values()].find((t) => t.sad && t.sad === b.SAD);
      if (!tx) return json(res, 400, { error: 'invalid_request', error_description: 'SAD expired' });
      const hashes = (b.hashes as string[]).map((h) => Buffer.from(h, 'base64'));
      if (hashes.length !== tx.digests.length || hashes.some((h, i) => !h.equals(tx.digests[i]!))) return json(res, 400, { error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' });
      return json(res, 200, { signatures: hashes.map((h) => signDigest(keyPem, tx.hash, h, p.fault, creds.ecFormat).toString('base64')) });
    }
    json(res, 404, { error: 'not_found' });
  });
}

/**
 * Through the admin endpoint: waits until the provider has pending transactions holding at least `count`
 * digests (default: any), then approves / declines / expires every pending one.
 */
export async function act(
  p: FakeProvider,
  action: 'approve' | 'decline' | 'expire',
  opts: { count?: number; timeoutMs?: number; stop?: () => boolean } = {},
): Promise<boolean> {
  const until = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const list = (await (await fetch(`${p.url}/admin/transactions`)).json()) as { id: string; state: string; count: number }[];
    const pending = list.filter((t) => t.state === 'pending');
    const n = pending.reduce((s, t) => s + t.count, 0);
    if (pending.length && (opts.count === undefined || n >= opts.count)) {
      for (const t of pending) {
        const r = await fetch(`${p.url}/admin/${action}`, { method: 'POST', body: JSON.stringify({ id: t.id }) });
        if (!r.ok) throw new Error(`admin ${action}: HTTP ${r.status}`);
      }
      return true;
    }
    if (opts.stop?.()) return false;
    if (Date.now() > until) throw new Error(`no pending transaction at ${p.url}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function setFault(p: FakeProvider, fault: Fault): Promise<void> {
  await fetch(`${p.url}/admin/fault`, { method: 'POST', body: JSON.stringify({ fault }) });
}
