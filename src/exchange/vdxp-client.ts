import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { KysoError, inputError, msg } from '../core/errors.js';
import { writeBytesAtomic } from '../io/atomic-write.js';
import { checkHttpStatus, httpClientFor, type HttpClient, parseJsonBody, type HttpResponse } from './http-client.js';
import type { ExchangeProfile } from './profile.js';
import type { Agency, ExchangeTransport, MessageType, ReceivedItem, SendMeta, SentItem } from './transport.js';
import { hashFile, javaHexQuirk, signVdxpHeaders } from './vdxp-auth.js';
import type { Dispatcher } from 'undici';

export interface TransportDeps {
  secret: string;
  /** environment for proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) */
  env?: Record<string, string | undefined>;
  /** replaces the undici agent (tests) */
  dispatcher?: Dispatcher;
  now?: () => Date;
}

/** National axis (VPCP VXP) API as the Java SDK speaks it: parameters in headers, HMAC-signed. */
export class VdxpClient implements ExchangeTransport {
  readonly name = 'vdxp';
  private readonly http: HttpClient;
  private readonly now: () => Date;

  constructor(
    private readonly profile: ExchangeProfile,
    private readonly deps: TransportDeps,
  ) {
    this.http = httpClientFor(profile, deps);
    this.now = deps.now ?? (() => new Date());
  }

  /** the proxy in use, if any (for diagnostics) */
  get proxyUrl(): string | undefined {
    return this.http.proxyUrl;
  }

  private async call(
    method: 'GET' | 'POST',
    what: string,
    call: Record<string, string>,
    body: Uint8Array | (() => NodeJS.ReadableStream) | undefined,
    sending: boolean,
    extraHeaders: Record<string, string> = {},
  ): Promise<Record<string, unknown>> {
    const headers = { ...signVdxpHeaders(call, this.profile.systemId, this.deps.secret, this.now()), ...extraHeaders };
    const res: HttpResponse = await this.http.request({
      method,
      path: what,
      headers,
      body: typeof body === 'function' ? (body() as import('node:stream').Readable) : body,
      sending,
      // a whole message may come back inside getEdoc's JSON: the document cap applies, not the JSON one
      kind: what === 'getEdoc' ? 'document' : 'json',
    });
    return this.answer(what, res, sending);
  }

  private answer(what: string, res: HttpResponse, sending: boolean): Record<string, unknown> {
    checkHttpStatus(this.profile.name, what, res, sending);
    const j = parseJsonBody(this.profile.name, what, res);
    if (String(j.status ?? '').toUpperCase() === 'FAIL') {
      const code = String(j.ErrorCode ?? j.errorCode ?? '');
      const desc = String(j.ErrorDesc ?? j.errorDesc ?? '');
      throw new KysoError(
        'EXCHANGE_FAIL',
        'exchange-rejected',
        msg(`${this.profile.name} ${what}: the exchange answered FAIL (${code}: ${desc})`, `${this.profile.name} ${what}: trục liên thông trả lời FAIL (${code}: ${desc})`),
        { details: { status: res.status, errorCode: code, errorDesc: desc } },
      );
    }
    return j;
  }

  async sendEdoc(edxml: Uint8Array, meta: SendMeta): Promise<{ docId: string }> {
    const call: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      from: meta.from,
      servicetype: 'eDoc',
      messagetype: meta.messageType,
    };
    if (meta.messageType === 'edoc') call.to = JSON.stringify(meta.to);
    call['hash-file'] = hashFile(edxml).quirk;
    const j = await this.call('POST', 'sendEdoc', call, edxml, true);
    const docId = String(j.DocId ?? j.docId ?? '');
    if (!docId) {
      throw new KysoError('EXCHANGE_BAD_ANSWER', 'exchange-retry', msg(`${this.profile.name} sendEdoc: answer without DocId`, `${this.profile.name} sendEdoc: câu trả lời thiếu DocId`), {
        details: { mayHaveReached: true },
      });
    }
    return { docId };
  }

  /** Streams the edXML stored at `path` as the sendEdoc body (large documents never sit in memory). */
  async sendEdocFile(path: string, meta: SendMeta): Promise<{ docId: string }> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      throw inputError('EXCHANGE_READ', msg(`cannot read ${path}`, `không đọc được ${path}`), { cause: e });
    }
    const call: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      from: meta.from,
      servicetype: 'eDoc',
      messagetype: meta.messageType,
    };
    if (meta.messageType === 'edoc') call.to = JSON.stringify(meta.to);
    call['hash-file'] = javaHexQuirk(Buffer.from(meta.sha256, 'hex'));
    const j = await this.call('POST', 'sendEdoc', call, () => createReadStream(path), true, { 'Content-Length': String(size) });
    const docId = String(j.DocId ?? j.docId ?? '');
    if (!docId) {
      throw new KysoError('EXCHANGE_BAD_ANSWER', 'exchange-retry', msg(`${this.profile.name} sendEdoc: answer without DocId`, `${this.profile.name} sendEdoc: câu trả lời thiếu DocId`), {
        details: { mayHaveReached: true },
      });
    }
    return { docId };
  }

  /** GET downloadEdoc streamed into outPath; falls back to getEdoc when the server lacks downloadEdoc (404). */
  async getEdocToFile(docId: string, outPath: string): Promise<{ size: number; sha256: string }> {
    const headers = signVdxpHeaders({ docId }, this.profile.systemId, this.deps.secret, this.now());
    const res = await this.http.requestToFile({ method: 'GET', path: 'downloadEdoc', headers }, outPath);
    const ctype = String(res.headers?.['content-type'] ?? '').toLowerCase();
    if (res.file && /json|html/.test(ctype)) {
      // a 200 whose body is an error document, not the message: never stored as the message
      const { readFile, unlink } = await import('node:fs/promises');
      const text = (await readFile(outPath)).subarray(0, 4096).toString('utf8');
      await unlink(outPath).catch(() => {});
      let desc = text.slice(0, 200);
      try {
        const j = JSON.parse(text) as Record<string, unknown>;
        desc = `${String(j.ErrorCode ?? j.errorCode ?? '')} ${String(j.ErrorDesc ?? j.errorDesc ?? '')}`.trim() || desc;
      } catch {
        /* not JSON */
      }
      throw new KysoError('EXCHANGE_DOWNLOAD_NOT_EDXML', 'exchange-retry', msg(
        `${this.profile.name} downloadEdoc ${docId}: the answer is ${ctype}, not the message (${desc})`,
        `${this.profile.name} downloadEdoc ${docId}: câu trả lời là ${ctype}, không phải gói tin (${desc})`,
      ));
    }
    if (res.file) return res.file;
    if (res.status === 404 || res.status === 405) {
      const bytes = await this.getEdoc(docId);
      return writeBytesAtomic(outPath, bytes);
    }
    this.answer('downloadEdoc', res, false);
    throw new KysoError('EXCHANGE_BAD_ANSWER', 'exchange-retry', msg(`${this.profile.name} downloadEdoc ${docId}: unexpected answer`, `${this.profile.name} downloadEdoc ${docId}: câu trả lời không mong đợi`));
  }

  async listReceived(messageType: MessageType): Promise<ReceivedItem[]> {
    const j = await this.call('POST', 'getReceivedEdocList', { 'Content-Type': 'application/json', servicetype: 'eDoc', messagetype: messageType }, undefined, false);
    const data = Array.isArray(j.data) ? (j.data as Record<string, unknown>[]) : [];
    return data.map((d) => {
      const item: ReceivedItem = {
        docId: String(d.docId ?? d.DocId ?? ''),
        from: String(d.from ?? ''),
        messageType: String(d.messageType ?? messageType).toLowerCase() === 'status' ? 'status' : 'edoc',
      };
      const to = parseTo(d.to);
      if (to) item.to = to;
      if (d.created_time !== undefined) item.createdTime = String(d.created_time);
      if (d.status !== undefined) item.status = String(d.status);
      return item;
    });
  }

  async getEdoc(docId: string): Promise<Uint8Array> {
    const j = await this.call('POST', 'getEdoc', { 'Content-Type': 'application/json', docId }, undefined, false);
    if (typeof j.data !== 'string') {
      throw new KysoError('EXCHANGE_BAD_ANSWER', 'exchange-retry', msg(`${this.profile.name} getEdoc ${docId}: answer without data`, `${this.profile.name} getEdoc ${docId}: câu trả lời thiếu dữ liệu`), {
        details: { mayHaveReached: false },
      });
    }
    return new Uint8Array(Buffer.from(j.data, 'base64'));
  }

  async ack(docId: string, status: 'done' | 'fail'): Promise<void> {
    await this.call('POST', 'updateStatus', { 'Content-Type': 'application/json', docid: docId, status }, undefined, true);
  }

  async listSent(): Promise<SentItem[]> {
    const j = await this.call('POST', 'getSentEdocList', { 'Content-Type': 'application/json', servicetype: 'eDoc', messagetype: 'edoc' }, undefined, false);
    const data = Array.isArray(j.data) ? (j.data as Record<string, unknown>[]) : [];
    const byId = new Map<string, SentItem>();
    for (const d of data) {
      const docId = String(d.senderDocId ?? d.docId ?? '');
      if (!docId) continue;
      let it = byId.get(docId);
      if (!it) {
        it = { docId };
        if (d.documentId !== undefined) it.documentId = String(d.documentId);
        const sha = d.sha256 ?? d.hashFile;
        if (sha !== undefined) it.sha256 = String(sha).toLowerCase();
        if (d.messageType !== undefined) it.messageType = String(d.messageType).toLowerCase() === 'status' ? 'status' : 'edoc';
        if (d.sentTime !== undefined) it.sentTime = String(d.sentTime);
        if (d.notation !== undefined && d.notation !== null) it.notation = String(d.notation);
        if (d.title !== undefined && d.title !== null) it.title = String(d.title);
        if (d.receiveStatus !== undefined) it.receiveStatus = String(d.receiveStatus);
        byId.set(docId, it);
      }
      const to = parseTo(d.toCode) ?? [];
      if (to.length) it.to = [...(it.to ?? []), ...to];
    }
    return [...byId.values()];
  }

  async listAgencies(): Promise<Agency[]> {
    const j = await this.call('POST', 'getAgenciesList', { 'Content-Type': 'application/json' }, undefined, false);
    const data = Array.isArray(j.data) ? (j.data as Record<string, unknown>[]) : [];
    return data.map((d) => ({ code: String(d.code ?? ''), name: String(d.name ?? ''), ...(d.mail ? { mail: String(d.mail) } : {}) }));
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

function parseTo(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    const a = JSON.parse(v) as unknown;
    if (Array.isArray(a)) return a.map(String);
  } catch {
    /* plain string */
  }
  return v.split(/[,;]/).map((s) => s.trim()).filter(Boolean);
}
