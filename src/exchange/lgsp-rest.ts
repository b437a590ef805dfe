import { randomBytes } from 'node:crypto';
import { KysoError, msg } from '../core/errors.js';
import { checkHttpStatus, httpClientFor, type HttpClient, parseJsonBody, type HttpRequest, type HttpResponse } from './http-client.js';
import type { ExchangeProfile } from './profile.js';
import type { Agency, ExchangeTransport, MessageType, ReceivedItem, SendMeta, SentItem } from './transport.js';
import type { TransportDeps } from './vdxp-client.js';

/**
 * Provincial LGSP REST shape (spec §1.10a, Lạng Sơn "Trục EDOC"): /v1/sendEdoc (multipart edocFile),
 * /v1/syncReceivedEdocList, /v1/getEdoc, /v1/updateStatus, /v1/getAgenciesList, answers
 * {success, message, data}. Authentication differs per province and is plugged in by a subclass:
 * lgsp-bearer (login → Bearer + X-SystemId/X-SecretKey) and lgsp-oauth2 (client credentials →
 * `lgspaccesstoken`). A 401 refreshes the token once, then is a credentials error.
 */
export abstract class LgspRestClient implements ExchangeTransport {
  abstract readonly name: string;
  protected readonly http: HttpClient;
  protected readonly now: () => Date;
  private token: string | undefined;
  private tokenExpires = 0;

  constructor(
    protected readonly profile: ExchangeProfile,
    protected readonly deps: TransportDeps,
  ) {
    this.http = httpClientFor(profile, deps);
    this.now = deps.now ?? (() => new Date());
  }

  get proxyUrl(): string | undefined {
    return this.http.proxyUrl;
  }

  /** Obtains a fresh token: { token, expiresInSec } */
  protected abstract login(): Promise<{ token: string; expiresInSec?: number }>;
  /** Headers carrying the token (and any static credentials). */
  protected abstract authHeaders(token: string): Record<string, string>;

  private async ensureToken(force: boolean): Promise<string> {
    if (!force && this.token && this.now().getTime() < this.tokenExpires) return this.token;
    const t = await this.login();
    this.token = t.token;
    // refresh a minute early; default lifetime 30 min (Lạng Sơn)
    this.tokenExpires = this.now().getTime() + Math.max(0, ((t.expiresInSec ?? 1800) - 60) * 1000);
    return t.token;
  }

  protected async call(what: string, r: Omit<HttpRequest, 'path'> & { path: string }): Promise<Record<string, unknown>> {
    let res: HttpResponse | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.ensureToken(attempt > 0);
      res = await this.http.request({ ...r, headers: { ...r.headers, ...this.authHeaders(token) } });
      if (res.status !== 401) break;
    }
    checkHttpStatus(this.profile.name, what, res!, r.sending === true);
    const j = parseJsonBody(this.profile.name, what, res!);
    if (j.success === false || String(j.status ?? '').toUpperCase() === 'FAIL') {
      const data = (j.data ?? {}) as Record<string, unknown>;
      const code = String(data.errorCode ?? j.errorCode ?? j.ErrorCode ?? '');
      const desc = String(j.message ?? data.errorDesc ?? j.ErrorDesc ?? '');
      const auth = code === '15';
      throw new KysoError(
        auth ? 'EXCHANGE_AUTH' : 'EXCHANGE_FAIL',
        auth ? 'credentials' : 'exchange-rejected',
        msg(`${this.profile.name} ${what}: the exchange answered failure (${code}: ${desc})`, `${this.profile.name} ${what}: trục liên thông trả lời lỗi (${code}: ${desc})`),
        { details: { status: res!.status, errorCode: code, errorDesc: desc } },
      );
    }
    return j;
  }

  async sendEdoc(edxml: Uint8Array, meta: SendMeta): Promise<{ docId: string }> {
    // Built by hand into one buffer: the province's server needs a Content-Length (a streamed form-data
    // body gave "Unexpected end of Stream" there, spec §1.10a); undici's FormData would stream it.
    const boundary = `----kyso${randomBytes(12).toString('hex')}`;
    const head = (name: string, extra = '') => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n`;
    const body = Buffer.concat([
      Buffer.from(`${head('edocFile', `; filename="${meta.sha256.slice(0, 16)}.edxml"`)}Content-Type: application/xml\r\n\r\n`),
      Buffer.from(edxml.buffer, edxml.byteOffset, edxml.byteLength),
      Buffer.from(`\r\n${head('messageType')}\r\n${meta.messageType}\r\n`),
      Buffer.from(`${head('to')}\r\n${JSON.stringify(meta.to)}\r\n--${boundary}--\r\n`),
    ]);
    const j = await this.call('sendEdoc', {
      method: 'POST',
      path: 'v1/sendEdoc',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
      sending: true,
    });
    const data = (j.data ?? {}) as Record<string, unknown>;
    const docId = String(j.docId ?? data.docId ?? '');
    if (!docId) {
      throw new KysoError('EXCHANGE_BAD_ANSWER', 'exchange-retry', msg(`${this.profile.name} sendEdoc: answer without docId`, `${this.profile.name} sendEdoc: câu trả lời thiếu docId`), {
        details: { mayHaveReached: true },
      });
    }
    return { docId };
  }

  async listReceived(messageType: MessageType): Promise<ReceivedItem[]> {
    const d = this.now();
    const day = (x: Date) => `${x.getUTCFullYear()}/${String(x.getUTCMonth() + 1).padStart(2, '0')}/${String(x.getUTCDate()).padStart(2, '0')}`;
    const j = await this.call('syncReceivedEdocList', {
      method: 'GET',
      path: 'v1/syncReceivedEdocList',
      query: { messageType, fromDate: day(new Date(d.getTime() - 30 * 86400_000)), toDate: day(new Date(d.getTime() + 86400_000)) },
    });
    const data = Array.isArray(j.data) ? (j.data as Record<string, unknown>[]) : [];
    return data.map((x) => {
      const it: ReceivedItem = {
        docId: String(x.docId ?? ''),
        from: String(x.from ?? ''),
        messageType: String(x.messageType ?? messageType).toLowerCase() === 'status' ? 'status' : 'edoc',
      };
      if (Array.isArray(x.to)) it.to = x.to.map(String);
      else if (typeof x.to === 'string' && x.to) it.to = x.to.split(/[,;]/).map((s) => s.trim());
      if (x.createdTime !== undefined) it.createdTime = String(x.createdTime);
      if (x.status !== undefined) it.status = String(x.status);
      return it;
    });
  }

  async getEdoc(docId: string): Promise<Uint8Array> {
    const j = await this.call('getEdoc', { method: 'GET', path: 'v1/getEdoc', query: { docId }, kind: 'document' });
    const data = (j.data ?? {}) as Record<string, unknown>;
    const edxml = data.edxml ?? data.content;
    if (typeof edxml !== 'string' || edxml === '') {
      throw new KysoError('EXCHANGE_BAD_ANSWER', 'exchange-retry', msg(`${this.profile.name} getEdoc ${docId}: answer without edxml`, `${this.profile.name} getEdoc ${docId}: câu trả lời thiếu edxml`), {
        details: { mayHaveReached: false },
      });
    }
    // some axes return the XML text, others its base64
    return new Uint8Array(edxml.trimStart().startsWith('<') ? Buffer.from(edxml, 'utf8') : Buffer.from(edxml, 'base64'));
  }

  async ack(docId: string, status: 'done' | 'fail'): Promise<void> {
    await this.call('updateStatus', {
      method: 'POST',
      path: 'v1/updateStatus',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ docId, status }),
      sending: true,
    });
  }

  /**
   * Not documented by the province; kyso asks /v1/getSentEdocList. A 404 or FAIL is an error, never an
   * empty list: "not in the sent list" would make the outbox send again (a duplicate); an error leaves the
   * item `unknown` for the clerk instead.
   */
  async listSent(): Promise<SentItem[]> {
    const j = await this.call('getSentEdocList', { method: 'GET', path: 'v1/getSentEdocList' });
    const data = Array.isArray(j.data) ? (j.data as Record<string, unknown>[]) : [];
    return data.map((x) => {
      const it: SentItem = { docId: String(x.docId ?? x.senderDocId ?? '') };
      if (x.documentId !== undefined) it.documentId = String(x.documentId);
      if (x.sha256 !== undefined) it.sha256 = String(x.sha256).toLowerCase();
      if (Array.isArray(x.to)) it.to = x.to.map(String);
      if (x.messageType !== undefined) it.messageType = String(x.messageType) === 'status' ? 'status' : 'edoc';
      else if (typeof x.toCode === 'string' && x.toCode) it.to = x.toCode.split(/[,;]/).map((t) => t.trim()).filter(Boolean);
      if (x.sentTime !== undefined) it.sentTime = String(x.sentTime);
      if (x.notation !== undefined && x.notation !== null) it.notation = String(x.notation);
      if (x.title !== undefined && x.title !== null) it.title = String(x.title);
      return it;
    });
  }

  async listAgencies(): Promise<Agency[]> {
    const j = await this.call('getAgenciesList', { method: 'GET', path: 'v1/getAgenciesList' });
    const data = Array.isArray(j.data) ? (j.data as Record<string, unknown>[]) : [];
    return data.map((x) => ({ code: String(x.orgCode ?? x.code ?? ''), name: String(x.orgName ?? x.name ?? '') }));
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
