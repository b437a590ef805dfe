import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { inputError, isKysoError, msg, usageError } from '../core/errors.js';
import { commitTemp, tempPathFor, trackTemp, untrackTemp } from '../io/atomic-write.js';
import { isValidOrganId } from '../exchange/edxml-format.js';
import { codeString } from '../exchange/edxml-format.js';
import { parseEdxml } from '../exchange/edxml-parse.js';
import { strictRuleViolations } from '../exchange/edxml-rules.js';
import { javaHexQuirk, nonSdkHeaders, verifyVdxpHeaders } from '../exchange/vdxp-auth.js';
import { decideFault, parseFaults, type FaultRule } from './hub-faults.js';
import { HubStore } from './hub-store.js';

/**
 * `kyso hub serve`: a local exchange speaking the vdxp API (the national SDK's headers and HMAC), for
 * training rooms, the demo and tests. Systems (systemId → organId + secret) come from a JSON file or
 * the caller; messages are stored under dataDir (SQLite + files); duplicates (same sender, DocumentId
 * and SHA-256) get the existing docId unless dedup is off; faults can be injected (see hub-faults.ts).
 */
export interface HubSystem {
  systemId: string;
  organId: string;
  secret: string;
  organName?: string;
}

export interface HubOptions {
  dataDir: string;
  systems: HubSystem[];
  host?: string;
  port?: number;
  faults?: string;
  dedup?: boolean;
  /** one line per request (method, path, status); default silent */
  log?: (line: string) => void;
  /** largest accepted message, bytes (default 2 GiB) */
  maxBytes?: number;
  /** strict: refuse documents as the strictest provincial platform does (see edxml-rules.ts) */
  platformRules?: 'strict' | 'lenient';
  /** randomness of the fault injection (tests pass a seeded one so a failing run can be replayed) */
  random?: () => number;
}

export interface HubStats {
  requests: Record<string, number>;
  sendEdoc: { requests: number; accepted: number; duplicates: number; rejected: number; unauthorized: number };
  faultsInjected: Record<string, number>;
  /** accepted (stored) messages per DocumentId; status messages are counted under "status:<DocumentId>" */
  accepted: Record<string, number>;
  dedup: boolean;
}

export interface RunningHub {
  url: string;
  port: number;
  host: string;
  setFaults(spec: string): void;
  stats(): HubStats;
  close(): Promise<void>;
}

/** Reads `[{systemId, organId, secret, organName?}]` from a JSON file. */
export function loadHubSystems(file: string): HubSystem[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw inputError('HUB_SYSTEMS', msg(`cannot read the systems file ${file} (JSON array of {systemId, organId, secret})`, `không đọc được tệp hệ thống ${file} (mảng JSON {systemId, organId, secret})`), { cause: e });
  }
  return validateSystems(raw, file);
}

export function validateSystems(raw: unknown, where: string): HubSystem[] {
  const list = Array.isArray(raw) ? raw : (raw as { systems?: unknown })?.systems;
  if (!Array.isArray(list) || list.length === 0) {
    throw inputError('HUB_SYSTEMS', msg(`${where}: expected a non-empty JSON array of {systemId, organId, secret}`, `${where}: cần một mảng JSON {systemId, organId, secret} không rỗng`));
  }
  return list.map((s: Record<string, unknown>, i) => {
    const systemId = String(s.systemId ?? '');
    const organId = String(s.organId ?? '');
    const secret = String(s.secret ?? '');
    if (!systemId || !secret || !isValidOrganId(organId)) {
      throw inputError('HUB_SYSTEMS', msg(`${where}: entry ${i + 1} needs systemId, a valid organId and secret`, `${where}: mục ${i + 1} cần systemId, organId hợp lệ và secret`));
    }
    return { systemId, organId, secret, ...(s.organName ? { organName: String(s.organName) } : {}) };
  });
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
const API = new Set(['sendEdoc', 'getReceivedEdocList', 'getSentEdocList', 'getEdoc', 'downloadEdoc', 'updateStatus', 'countReceiveEdoc', 'countReceiveStatus', 'getAgenciesList']);

/** "dd/MM/yyyy HH:mm:ss", Vietnam time, as the axis writes times */
function vnTime(iso: string): string {
  const d = new Date(Date.parse(iso) + 7 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(b.length), ...extra });
  res.end(b);
}

const fail = (res: ServerResponse, status: number, code: string, desc: string, extra: Record<string, string> = {}) =>
  json(res, status, { status: 'FAIL', ErrorCode: code, ErrorDesc: desc }, extra);

async function drain(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n <= 1 << 20) parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

/** A call parameter: the official SDK sends only the XroadVnpt-* copies; plain headers are a fallback. */
const header = (req: IncomingMessage, k: string): string | undefined => {
  const v = req.headers[`xroadvnpt-${k.toLowerCase()}`] ?? req.headers[k.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const host = opts.host ?? '127.0.0.1';
  const dedup = opts.dedup ?? true;
  const maxBytes = opts.maxBytes ?? 2 * 1024 ** 3;
  const systems = new Map(opts.systems.map((s) => [s.systemId, s]));
  const organs = new Set(opts.systems.map((s) => s.organId));
  let store: HubStore;
  try {
    store = new HubStore(opts.dataDir);
  } catch (e) {
    throw inputError('HUB_DATA_DIR', msg(`cannot open the hub storage in ${opts.dataDir} (${(e as Error).message})`, `không mở được kho dữ liệu của trục tại ${opts.dataDir} (${(e as Error).message})`), { cause: e });
  }
  let faults: FaultRule[] = opts.faults ? parseFaults(opts.faults) : [];
  const counters: HubStats = {
    requests: {},
    sendEdoc: { requests: 0, accepted: 0, duplicates: 0, rejected: 0, unauthorized: 0 },
    faultsInjected: {},
    accepted: {},
    dedup,
  };
  const log = opts.log ?? (() => {});
  const now = () => new Date().toISOString();

  /**
   * Streams the request body into a temp file of the one atomic writer (src/io/atomic-write.ts), beside
   * `final` in docs/: created exclusively, 0600, registered for removal on SIGINT/SIGTERM/SIGHUP, swept at
   * the next start after a kill -9. The caller publishes it with commitTemp once accepted (so a message
   * file is whole or absent) and removes it otherwise.
   */
  async function receiveBody(req: IncomingMessage, final: string): Promise<{ tmp: string; sha256: string; size: number }> {
    const tmp = tempPathFor(final);
    const hash = createHash('sha256');
    let size = 0;
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    trackTemp(tmp);
    try {
      await pipeline(
        req,
        async function* (src: AsyncIterable<Buffer>) {
          for await (const c of src) {
            size += c.length;
            if (size > maxBytes) throw Object.assign(new Error('too large'), { code: 'HUB_TOO_LARGE' });
            hash.update(c);
            yield c;
          }
        },
        out,
      );
      // fsynced here (the parse reads it back) and again by commitTemp before the rename
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      await rm(tmp, { force: true });
      untrackTemp(tmp);
      throw e;
    }
    return { tmp, sha256: hash.digest('hex'), size };
  }

  async function sendEdoc(req: IncomingMessage, res: ServerResponse, organ: string): Promise<void> {
    counters.sendEdoc.requests++;
    const reject = (code: string, desc: string, status = 400) => {
      counters.sendEdoc.rejected++;
      fail(res, status, code, desc);
    };
    const from = header(req, 'from');
    const messageType = (header(req, 'messagetype') ?? 'edoc').toLowerCase() === 'status' ? 'status' : 'edoc';
    if (from !== organ) return reject('19', `from "${from ?? ''}" is not the organisation of this system (${organ})`, 403);
    const docId = randomUUID();
    const final = path.join(store.docsDir, `${docId}.edxml`);
    let body;
    try {
      body = await receiveBody(req, final);
    } catch (e) {
      return reject('10', (e as { code?: string }).code === 'HUB_TOO_LARGE' ? 'message too large' : 'could not read the message', 413);
    }
    try {
      const hf = header(req, 'hash-file');
      const digest = Buffer.from(body.sha256, 'hex');
      if (hf && hf.toLowerCase() !== body.sha256 && hf.toLowerCase() !== javaHexQuirk(digest)) return reject('21', 'hash-file does not match the message');
      let parsed;
      try {
        parsed = await parseEdxml({ kind: 'file', path: body.tmp }, 'message');
      } catch (e) {
        return reject('22', isKysoError(e) ? e.msg.en : 'edXML format error');
      }
      if (parsed.message.from.organId !== organ) return reject('22', `edXML From/OrganId ${parsed.message.from.organId} is not ${organ}`);
      let documentId: string;
      let to: string[];
      let statKey: string;
      let notation: string | null = null;
      let title: string | null = null;
      if (messageType === 'edoc') {
        if (parsed.kind !== 'edoc') return reject('22', 'messagetype edoc but the edXML is a status message');
        if (opts.platformRules === 'strict') {
          const bad = strictRuleViolations(parsed, new Date());
          // the provincial platform answers "9999 Fail" and names nothing; the hub names the fields for the tests
          if (bad.length) return reject('9999', `Fail: ${bad.map((b) => `${b.field}: ${b.en}`).join('; ')}`);
        }
        documentId = parsed.message.documentId;
        notation = codeString(parsed.message.code);
        title = parsed.message.subject;
        let hdrTo: unknown;
        try {
          hdrTo = JSON.parse(header(req, 'to') ?? '[]');
        } catch {
          hdrTo = (header(req, 'to') ?? '').split(',');
        }
        to = Array.isArray(hdrTo) ? hdrTo.map(String).filter(Boolean) : [];
        if (to.length === 0) to = parsed.message.to.map((t) => t.organId);
        const unknown = to.filter((t) => !organs.has(t));
        if (unknown.length) return reject('18', `unknown recipient ${unknown.join(', ')}`);
        statKey = documentId;
      } else {
        if (parsed.kind !== 'status') return reject('22', 'messagetype status but the edXML is not a status message');
        documentId = parsed.message.responseFor.documentId;
        const original = store.db
          .prepare("SELECT from_organ, recipients FROM docs WHERE document_id = ? AND message_type = 'edoc' ORDER BY created_at LIMIT 1")
          .get(documentId) as { from_organ: string; recipients: string } | undefined;
        if (original && original.from_organ === organ) {
          // the original's sender speaks (13, a recall request): to the recipient ResponseFor names, else all
          const rcpt = JSON.parse(original.recipients) as string[];
          const named = parsed.message.responseFor.organId;
          to = rcpt.includes(named) ? [named] : rcpt;
        } else {
          to = [original?.from_organ ?? parsed.message.responseFor.organId];
        }
        statKey = `status:${documentId}:${parsed.message.statusCode}`;
      }
      if (dedup) {
        const existing = store.findDuplicate(organ, documentId, body.sha256, messageType);
        if (existing) {
          counters.sendEdoc.duplicates++;
          return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: 'duplicate: already received', DocId: existing });
        }
      }
      // whole, fsynced and accepted: published by rename (and the folder fsynced), then listed by the insert
      await commitTemp(body.tmp, final, { overwrite: false });
      store.insert(
        { doc_id: docId, from_organ: organ, message_type: messageType, document_id: documentId, sha256: body.sha256, size: body.size, path: final, created_at: now(), recipients: JSON.stringify(to), notation, title },
        to,
      );
      counters.sendEdoc.accepted++;
      counters.accepted[statKey] = (counters.accepted[statKey] ?? 0) + 1;
      json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '', DocId: docId });
    } finally {
      await rm(body.tmp, { force: true });
      untrackTemp(body.tmp);
    }
  }

  async function api(endpoint: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = verifyVdxpHeaders(req.headers, (id) => systems.get(id)?.secret);
    if (!auth.ok) {
      if (endpoint === 'sendEdoc') counters.sendEdoc.unauthorized++;
      await drain(req);
      return fail(res, 401, '15', `authentication failed: ${auth.reason}`);
    }
    if (opts.platformRules === 'strict') {
      // the real axis is spoken to by the official SDK: XroadVnpt-* headers only (plus Content-Type)
      const extra = nonSdkHeaders(req.headers);
      if (extra.length) {
        if (endpoint === 'sendEdoc') counters.sendEdoc.rejected++;
        await drain(req);
        return fail(res, 400, '15', `headers the official SDK does not send: ${extra.join(', ')} (only XroadVnpt-${extra[0]})`);
      }
    }
    const organ = systems.get(auth.systemId)!.organId;
    if (endpoint === 'sendEdoc') return sendEdoc(req, res, organ);
    await drain(req);
    switch (endpoint) {
      case 'getReceivedEdocList': {
        const mt = (header(req, 'messagetype') ?? 'edoc').toLowerCase() === 'status' ? 'status' : 'edoc';
        const data = store.inbox(organ, mt).map((d) => ({
          docId: d.doc_id,
          serviceType: 'eDoc',
          messageType: d.message_type,
          created_time: d.created_at,
          updated_time: d.updated_at,
          from: d.from_organ,
          to: d.recipients,
          status: 'initial',
          status_desc: 'Chưa nhận',
        }));
        return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '', data });
      }
      case 'countReceiveEdoc':
      case 'countReceiveStatus': {
        const n = store.inbox(organ, endpoint === 'countReceiveEdoc' ? 'edoc' : 'status').length;
        return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '', count: n });
      }
      case 'getEdoc':
      case 'downloadEdoc': {
        const docId = header(req, 'docid') ?? '';
        const d = store.get(docId);
        if (!d || (d.from_organ !== organ && !store.isRecipient(docId, organ))) return fail(res, 404, '404', `no document ${docId} for ${organ}`);
        if (endpoint === 'downloadEdoc') {
          const st = await stat(d.path);
          res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': String(st.size) });
          await pipeline(createReadStream(d.path), res);
          return;
        }
        return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '', data: readFileSync(d.path).toString('base64') });
      }
      case 'updateStatus': {
        const docId = header(req, 'docid') ?? '';
        const st = (header(req, 'status') ?? '').toLowerCase();
        if (st !== 'done' && st !== 'fail') return fail(res, 400, '400', `status must be done or fail, not "${st}"`);
        if (!store.setState(docId, organ, st, now())) return fail(res, 404, '404', `no document ${docId} for ${organ}`);
        return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '' });
      }
      case 'getSentEdocList': {
        // the row shape of the real axis: senderDocId, toCode, notation, title, sentTime, receiveStatus…,
        // no content hash and no edXML DocumentId (clients must reconcile with what the real one gives)
        const mt = (header(req, 'messagetype') ?? 'edoc').toLowerCase() === 'status' ? 'status' : 'edoc';
        const data = store
          .sent(organ)
          .filter((d) => d.message_type === mt)
          .map((d) => ({
            serviceType: 'eDoc',
            senderDocId: d.doc_id,
            receiverDocId: d.doc_id,
            fromCode: d.from_organ,
            toCode: d.to_organ,
            notation: d.notation ?? '',
            title: d.title ?? '',
            sentTime: vnTime(d.created_at),
            receiveStatus: d.state === 'done' ? 1 : d.state === 'fail' ? 2 : 0,
            receiveStatusDesc: d.state === 'done' ? 'Đã nhận' : d.state === 'fail' ? 'Lỗi' : 'Chưa nhận',
            sendStatus: 'OK',
          }));
        return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '', data });
      }
      case 'getAgenciesList': {
        const data = [...new Map(opts.systems.map((s) => [s.organId, { code: s.organId, name: s.organName ?? s.organId, mail: '' }])).values()];
        return json(res, 200, { status: 'OK', ErrorCode: '0', ErrorDesc: '', data });
      }
    }
  }

  function stats(): HubStats {
    const accepted: Record<string, number> = {};
    for (const r of store.acceptedByDocument()) {
      const k = r.message_type === 'edoc' ? r.document_id : `status:${r.document_id}`;
      accepted[k] = (accepted[k] ?? 0) + r.n;
    }
    return { ...counters, accepted: { ...accepted } };
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    const endpoint = url.pathname.split('/').filter(Boolean).pop() ?? '';
    void (async () => {
      try {
        if (url.pathname.startsWith('/_admin/')) {
          if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) return fail(res, 403, '403', 'admin endpoints answer loopback only');
          const body = await drain(req);
          if (endpoint === 'stats' && req.method === 'GET') return json(res, 200, stats());
          if (endpoint === 'faults' && req.method === 'POST') {
            let spec = body.toString('utf8').trim();
            if (spec.startsWith('{')) spec = String((JSON.parse(spec) as { spec?: string }).spec ?? '');
            try {
              faults = spec ? parseFaults(spec) : [];
            } catch (e) {
              return fail(res, 400, '400', isKysoError(e) ? e.msg.en : 'bad spec');
            }
            return json(res, 200, { faults });
          }
          return fail(res, 404, '404', 'unknown admin endpoint');
        }
        if (!API.has(endpoint)) {
          await drain(req);
          return fail(res, 404, '404', `unknown endpoint ${url.pathname}`);
        }
        counters.requests[endpoint] = (counters.requests[endpoint] ?? 0) + 1;
        const d = decideFault(faults, endpoint, opts.random);
        if (d.delayMs) {
          counters.faultsInjected.slow = (counters.faultsInjected.slow ?? 0) + 1;
          await new Promise((r) => setTimeout(r, d.delayMs));
        }
        const f = d.fault;
        if (f) counters.faultsInjected[f.kind] = (counters.faultsInjected[f.kind] ?? 0) + 1;
        if (f?.kind === 'drop-before-receive') {
          req.socket.destroy();
          return;
        }
        if (f && (f.kind === '500' || f.kind === '503' || f.kind === '429')) {
          await drain(req);
          const extra: Record<string, string> = f.retryAfterSec !== undefined ? { 'Retry-After': String(f.retryAfterSec) } : {};
          return fail(res, Number(f.kind), f.kind, `injected fault ${f.kind}`, extra);
        }
        if (f?.kind === 'drop-after-receive') {
          // process the request for real (store it), then drop the connection instead of answering
          res.writeHead = (() => res) as typeof res.writeHead;
          res.end = (() => {
            req.socket.destroy();
            return res;
          }) as typeof res.end;
        }
        await api(endpoint, req, res);
      } catch (e) {
        if (!res.headersSent) fail(res, 500, '500', 'internal hub error');
        else res.destroy();
        log(`error: ${(e as Error).message}`);
      } finally {
        log(`${req.method} ${url.pathname} ${res.statusCode}`);
      }
    })();
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      store.close();
      reject(
        e.code === 'EADDRINUSE'
          ? usageError('HUB_PORT', msg(`port ${opts.port} is already in use`, `cổng ${opts.port} đang được dùng`))
          : usageError('HUB_LISTEN', msg(`cannot listen on ${host}:${opts.port ?? 0} (${e.code ?? e.message})`, `không mở được cổng ${host}:${opts.port ?? 0} (${e.code ?? e.message})`)),
      );
    });
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${urlHost}:${addr.port}/`,
    port: addr.port,
    host: addr.address,
    setFaults(spec: string) {
      faults = spec ? parseFaults(spec) : [];
    },
    stats,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}
