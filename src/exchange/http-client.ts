import type { ExchangeProfile } from './profile.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Readable } from 'node:stream';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { KysoError, inputError, msg, type ErrorCategory } from '../core/errors.js';
import { assertTransportAllowed } from '../core/url-safety.js';

export interface HttpClientOptions {
  /** profile name, used in messages */
  label: string;
  endpoint: string;
  caFile?: string;
  clientCert?: string;
  clientKey?: string;
  proxy?: string;
  timeoutMs?: number;
  /** environment for HTTPS_PROXY / HTTP_PROXY / NO_PROXY (default: none) */
  env?: Record<string, string | undefined>;
  /** replaces the agent (tests) */
  dispatcher?: Dispatcher;
  /** hosts allowed over plain http:// besides loopback (from the user configuration) */
  insecureHosts?: string[];
  /** caps on response bodies per request kind (defaults: RESPONSE_CAPS) */
  maxResponseBytes?: Partial<Record<ResponseKind, number>>;
}

/** What a request fetches: JSON/XML answers are small; documents (edXML messages) can be large. */
export type ResponseKind = 'json' | 'document';

/** Default caps on response bodies, by kind. A body past its cap is refused (input/RESPONSE_TOO_LARGE). */
export const RESPONSE_CAPS: Record<ResponseKind, number> = {
  json: 16 * 1024 * 1024,
  document: 512 * 1024 * 1024,
};

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** path relative to the endpoint (e.g. "sendEdoc" or "/v1/getEdoc") or an absolute URL */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array | string | Readable;
  /** true for requests that change server state (a dropped connection may then have reached it) */
  sending?: boolean;
  /** which response cap applies (default: json for request(), document for requestToFile()) */
  kind?: ResponseKind;
}

/** A connection that went away under the request: for https possibly a TLS refusal that raced it (see tlsAlert). */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNABORTED']);
const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER|ERR_SSL|EPROTO/;

function errCode(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string' && c !== 'UND_ERR' && !c.startsWith('UND_ERR_SOCKET') && c !== 'UND_ERR_REQ_RETRY') return c;
    if (typeof c === 'string' && c.startsWith('UND_ERR_SOCKET')) {
      const inner = (cur as { cause?: unknown }).cause;
      const ic = (inner as { code?: unknown } | undefined)?.code;
      return typeof ic === 'string' ? ic : c;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'UNKNOWN';
}

/** When NO_PROXY lists the host (exact, suffix with leading dot, or "*"), no proxy from the environment. */
export function noProxyMatches(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((e) => {
      const entry = e.toLowerCase().replace(/:\d+$/, '');
      if (entry === '*') return true;
      const bare = entry.replace(/^\*?\./, '');
      return h === bare || h.endsWith('.' + bare);
    });
}

/** The proxy to use: the profile's, or HTTPS_PROXY/HTTP_PROXY from the environment unless NO_PROXY matches. */
export function chooseProxy(endpoint: string, proxy: string | undefined, env: Record<string, string | undefined> = {}): string | undefined {
  if (proxy) return proxy;
  const u = new URL(endpoint);
  const fromEnv = u.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!fromEnv) return undefined;
  if (noProxyMatches(u.hostname, env.NO_PROXY ?? env.no_proxy)) return undefined;
  return fromEnv;
}

function readPem(file: string, what: { en: string; vi: string }): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw inputError('EXCHANGE_TLS_FILE', msg(`cannot read ${what.en} ${file}`, `không đọc được ${what.vi} ${file}`), { cause: e });
  }
}

/**
 * One keep-alive HTTP client per exchange profile, over undici (Agent, or ProxyAgent tunnelling with
 * CONNECT), with the profile's CA bundle and client certificate. Maps transport failures to KysoError
 * as the ExchangeTransport contract says.
 */
/** The HTTP client of one exchange profile (every adapter builds its own the same way). */
export function httpClientFor(profile: ExchangeProfile, deps: { env?: Record<string, string | undefined>; dispatcher?: Dispatcher }): HttpClient {
  return new HttpClient({
    label: profile.name,
    endpoint: profile.endpoint,
    caFile: profile.caFile,
    clientCert: profile.clientCert,
    clientKey: profile.clientKey,
    proxy: profile.proxy,
    timeoutMs: profile.timeoutMs,
    env: deps.env,
    dispatcher: deps.dispatcher,
    insecureHosts: profile.insecureHosts,
  });
}

export class HttpClient {
  readonly dispatcher: Dispatcher;
  readonly proxyUrl: string | undefined;
  private readonly timeoutMs: number;
  private readonly base: URL;
  private readonly caps: Record<ResponseKind, number>;
  private tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};

  constructor(private readonly opts: HttpClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    let base: URL;
    try {
      base = new URL(opts.endpoint.endsWith('/') ? opts.endpoint : opts.endpoint + '/');
    } catch {
      throw inputError('EXCHANGE_ENDPOINT', msg(`profile "${opts.label}": invalid endpoint URL "${opts.endpoint}"`, `hồ sơ "${opts.label}": địa chỉ endpoint không hợp lệ "${opts.endpoint}"`));
    }
    // https only, except loopback and the user's insecureHosts: refused before any connection (exit 2)
    assertTransportAllowed(base, `profile "${opts.label}" endpoint`, opts.insecureHosts);
    this.base = base;
    this.caps = { ...RESPONSE_CAPS, ...opts.maxResponseBytes };
    const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    this.tls = tls;
    if (opts.caFile) tls.ca = readPem(opts.caFile, { en: 'CA bundle', vi: 'tệp chứng thư CA' });
    if (opts.clientCert) tls.cert = readPem(opts.clientCert, { en: 'client certificate', vi: 'chứng thư máy khách' });
    if (opts.clientKey) tls.key = readPem(opts.clientKey, { en: 'client key', vi: 'khóa máy khách' });
    this.proxyUrl = chooseProxy(base.href, opts.proxy, opts.env);
    // undici's own maxResponseSize is the backstop; the per-kind caps are checked while reading (readCapped)
    const common = { keepAliveTimeout: 10_000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, maxResponseSize: Math.max(...Object.values(this.caps)) };
    if (opts.dispatcher) this.dispatcher = opts.dispatcher;
    else if (this.proxyUrl) {
      this.dispatcher = new ProxyAgent({ uri: this.proxyUrl, ...common, requestTls: { ...tls, timeout: this.timeoutMs }, proxyTls: { timeout: this.timeoutMs } });
    } else {
      this.dispatcher = new Agent({ ...common, connect: { ...tls, timeout: this.timeoutMs } });
    }
  }

  url(p: string, query?: Record<string, string>): URL {
    const u = /^[a-z][a-z0-9+.-]*:/i.test(p) ? assertTransportAllowed(p, `profile "${this.opts.label}"`, this.opts.insecureHosts) : new URL(p.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  async request(r: HttpRequest): Promise<HttpResponse> {
    return this.exchange(r, (res) => this.readCapped(r, res, r.kind ?? 'json'));
  }

  /** Reads a whole body, refusing it as soon as it declares or reaches more than the kind's cap. */
  private async readCapped(r: HttpRequest, res: Dispatcher.ResponseData, kind: ResponseKind): Promise<Buffer> {
    const cap = this.caps[kind];
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      res.body.destroy();
      throw this.tooLarge(r, cap, declared);
    }
    const parts: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > cap) {
        res.body.destroy();
        throw this.tooLarge(r, cap);
      }
      parts.push(c as Buffer);
    }
    return Buffer.concat(parts);
  }

  private tooLarge(r: HttpRequest, cap: number, declared?: number): KysoError {
    const what = `${this.opts.label} ${r.path.split('?')[0]!.split('/').pop()}`;
    return inputError(
      'RESPONSE_TOO_LARGE',
      msg(
        `${what}: the server's answer is larger than ${cap} bytes${declared !== undefined ? ` (it declares ${declared})` : ''}; refused`,
        `${what}: câu trả lời của máy chủ lớn hơn ${cap} byte${declared !== undefined ? ` (khai báo ${declared})` : ''}; bị từ chối`,
      ),
      { details: { cap, declared } },
    );
  }

  /**
   * Streams a 2xx answer's body into outPath (temp file in the same folder, fsync, rename); other answers
   * are buffered (they are small JSON errors) and returned with `file` undefined.
   */
  async requestToFile(r: HttpRequest, outPath: string): Promise<HttpResponse & { file?: { size: number; sha256: string } }> {
    let file: { size: number; sha256: string } | undefined;
    const res = await this.exchange(r, async (res) => {
      if (res.statusCode < 200 || res.statusCode >= 300) return this.readCapped(r, res, 'json');
      const cap = this.caps[r.kind ?? 'document'];
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > cap) {
        res.body.destroy();
        throw this.tooLarge(r, cap, declared);
      }
      file = await writeFileAtomic(outPath, async (write) => {
        let size = 0;
        for await (const c of res.body) {
          size += (c as Buffer).length;
          if (size > cap) {
            res.body.destroy();
            throw this.tooLarge(r, cap);
          }
          await write(c as Buffer);
        }
      });
      return Buffer.alloc(0);
    });
    return { ...res, file };
  }

  private async exchange(r: HttpRequest, read: (res: Dispatcher.ResponseData) => Promise<Buffer>): Promise<HttpResponse> {
    const u = this.url(r.path, r.query);
    const where = `${this.opts.label} ${u.pathname.split('/').pop()}`;
    try {
      const res = await request(u, {
        method: r.method,
        headers: r.headers,
        body:
          r.body === undefined || typeof r.body === 'string' || !(r.body instanceof Uint8Array)
            ? r.body
            : Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength),
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const body = await read(res);
      return { status: res.statusCode, headers: res.headers, body };
    } catch (e) {
      if (e instanceof KysoError) throw e;
      const code = errCode(e);
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw this.tooLarge(r, Math.max(...Object.values(this.caps)));
      // A server that refuses the TLS session (no or wrong client certificate under TLS 1.3) sends its alert after
      // the client's handshake is done; when the request was already on its way the alert races a reset and the
      // client may see either. A reset of a direct https connection is asked once more without a request: the
      // alert then arrives alone, and both outcomes are classified alike (EXCHANGE_TLS).
      const tlsCode = TLS_TRUST.test(code) ? code : RESET.has(code) && this.base.protocol === 'https:' && !this.proxyUrl && !this.opts.dispatcher ? await this.tlsAlert(u) : undefined;
      if (tlsCode) {
        const code = tlsCode;
        throw new KysoError(
          'EXCHANGE_TLS',
          'credentials',
          msg(`${where}: TLS failure with the exchange server (${code})`, `${where}: lỗi TLS với máy chủ liên thông (${code})`),
          { cause: e, details: { code }, hint: msg('check caFile / clientCert / clientKey of the profile', 'kiểm tra caFile / clientCert / clientKey của hồ sơ') },
        );
      }
      const mayHaveReached = r.sending === true && !NOT_REACHED.has(code);
      throw new KysoError(
        'EXCHANGE_NETWORK',
        'exchange-retry',
        msg(`${where}: network error (${code}); will retry`, `${where}: lỗi mạng (${code}); sẽ gửi lại`),
        { cause: e, details: { code, mayHaveReached } },
      );
    }
  }

  /**
   * Opens a bare TLS session to the endpoint with the profile's certificates and sends nothing: the TLS error
   * code when the server refuses it (an alert during or right after the handshake), else undefined.
   */
  private tlsAlert(u: URL): Promise<string | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: string | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(v);
      };
      const sock = tlsConnect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443), servername: isIP(u.hostname) ? undefined : u.hostname, ...this.tls, timeout: this.timeoutMs });
      // a server content with the session says nothing; one that refuses it sends its alert within a round trip
      const timer = setTimeout(() => finish(undefined), Math.min(this.timeoutMs, 2000));
      sock.on('error', (err) => finish(TLS_TRUST.test(errCode(err)) ? errCode(err) : undefined));
      sock.on('close', () => finish(undefined));
    });
  }

  async close(): Promise<void> {
    if (!this.opts.dispatcher) await this.dispatcher.close().catch(() => {});
  }
}

/** Retry-After as milliseconds (seconds or an HTTP date). */
export function retryAfterMs(h: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function bodyText(b: Buffer): string {
  const s = b.toString('utf8');
  return s.length > 500 ? s.slice(0, 500) + '…' : s;
}

/**
 * Maps an HTTP status to the contract's error categories; returns normally for 2xx.
 * `sending`: the request changes server state (a 5xx may then have been applied).
 */
export function checkHttpStatus(label: string, what: string, res: HttpResponse, sending: boolean): void {
  const s = res.status;
  if (s >= 200 && s < 300) return;
  const where = `${label} ${what}`;
  const body = bodyText(res.body);
  let category: ErrorCategory;
  let code: string;
  let m;
  const details: Record<string, unknown> = { status: s, body };
  if (s === 401 || s === 403) {
    category = 'credentials';
    code = 'EXCHANGE_AUTH';
    m = msg(`${where}: the exchange refused our credentials (HTTP ${s}); check systemId and the secret`, `${where}: trục liên thông từ chối thông tin xác thực (HTTP ${s}); kiểm tra systemId và khóa bí mật`);
  } else if (s === 429 || s >= 500) {
    category = 'exchange-retry';
    code = s === 429 ? 'EXCHANGE_BUSY' : 'EXCHANGE_SERVER';
    details.retryAfterMs = retryAfterMs(res.headers['retry-after']);
    details.mayHaveReached = sending && s !== 429 && s !== 503;
    m = msg(`${where}: the exchange answered HTTP ${s}; will retry`, `${where}: trục liên thông trả lời HTTP ${s}; sẽ gửi lại`);
  } else {
    category = 'exchange-rejected';
    code = 'EXCHANGE_REJECTED';
    m = msg(`${where}: the exchange rejected the request (HTTP ${s}): ${body}`, `${where}: trục liên thông từ chối yêu cầu (HTTP ${s}): ${body}`);
  }
  throw new KysoError(code, category, m, { details });
}

export function parseJsonBody(label: string, what: string, res: HttpResponse): Record<string, unknown> {
  try {
    const v = JSON.parse(res.body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new KysoError(
    'EXCHANGE_BAD_ANSWER',
    'exchange-retry',
    msg(`${label} ${what}: the exchange answered something that is not JSON: ${bodyText(res.body)}`, `${label} ${what}: trục liên thông trả lời không phải JSON: ${bodyText(res.body)}`),
    { details: { status: res.status, mayHaveReached: true } },
  );
}
