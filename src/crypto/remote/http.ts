/**
 * The small JSON-over-HTTPS client of the remote signers. Not src/exchange's client: crypto must not depend
 * on exchange, and these providers need far less (no proxy negotiation, no streaming bodies).
 * Failures become KysoErrors with the exit-code categories of docs/remote-signing.md:
 * unreachable / dropped / 5xx / 429 → 'exchange-retry' (6, nothing written, safe to run again).
 */
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import { KysoError, msg, usageError } from '../../core/errors.js';
import { checkRemoteUrl } from '../../core/config-remote.js';

export interface RemoteRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** JSON body */
  json?: unknown;
  /** application/x-www-form-urlencoded body (OAuth2) */
  form?: Record<string, string>;
}

export interface RemoteResponse {
  status: number;
  /** parsed JSON, or undefined when the body was empty or not JSON */
  body: unknown;
}

export type RemoteFetch = (req: RemoteRequest) => Promise<RemoteResponse>;

const MAX_BODY = 8 << 20;

export function remoteUnreachable(provider: string, detail: string, cause?: unknown): KysoError {
  return new KysoError(
    'REMOTE_UNREACHABLE',
    'exchange-retry',
    msg(`${provider}: the remote signing service could not be reached (${detail}); nothing was written, run the command again later`, `${provider}: không kết nối được dịch vụ ký số từ xa (${detail}); chưa ghi tệp nào, hãy chạy lại lệnh sau`),
    { cause },
  );
}

export function createRemoteFetch(opts: { provider: string; timeoutMs: number; caFile?: string; dispatcher?: Dispatcher }): RemoteFetch {
  let dispatcher = opts.dispatcher;
  if (!dispatcher && opts.caFile) {
    let ca: string;
    try {
      ca = readFileSync(opts.caFile, 'utf8');
    } catch (e) {
      throw usageError('REMOTE_CA_UNREADABLE', msg(`${opts.caFile}: cannot read the CA bundle of the remote profile`, `${opts.caFile}: không đọc được tệp CA của hồ sơ ký từ xa`), { cause: e });
    }
    dispatcher = new Agent({ connect: { ca } });
  }
  return async (req) => {
    checkRemoteUrl(req.url, opts.provider); // every URL, also ones a server hands back
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    }
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await request(req.url, {
        method: req.method,
        headers,
        body,
        dispatcher,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of res.body) {
        n += (c as Buffer).length;
        if (n > MAX_BODY) throw new Error('response larger than 8 MB');
        chunks.push(c as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).message;
      const path = new URL(req.url).pathname;
      throw remoteUnreachable(opts.provider, `${path}: ${code}`, e);
    }
    if (res.statusCode >= 500 || res.statusCode === 429) {
      throw new KysoError(
        'REMOTE_SERVER_ERROR',
        'exchange-retry',
        msg(
          `${opts.provider}: the remote signing service answered HTTP ${res.statusCode} (${new URL(req.url).pathname}); nothing was written, run the command again later`,
          `${opts.provider}: dịch vụ ký số từ xa trả về HTTP ${res.statusCode} (${new URL(req.url).pathname}); chưa ghi tệp nào, hãy chạy lại lệnh sau`,
        ),
        { details: { status: res.statusCode } },
      );
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed };
  };
}

/** 401/403 (or a provider's equivalent in the body): the integrator or the user was refused → exit 4. */
export function remoteAuthError(provider: string, detail: string): KysoError {
  return new KysoError(
    'REMOTE_AUTH_REJECTED',
    'credentials',
    msg(`${provider}: the remote signing service refused the credentials (${detail}); check the profile's client id, secret and user id`, `${provider}: dịch vụ ký số từ xa từ chối thông tin xác thực (${detail}); hãy kiểm tra client id, khóa bí mật và mã người dùng trong hồ sơ`),
  );
}

/** A 2xx/4xx answer the adapter did not expect. */
export function remoteProtocolError(provider: string, detail: string): KysoError {
  return new KysoError(
    'REMOTE_PROTOCOL',
    'exchange-rejected',
    msg(`${provider}: unexpected answer from the remote signing service: ${detail}`, `${provider}: dịch vụ ký số từ xa trả lời không như mong đợi: ${detail}`),
  );
}

export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
export function b64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'base64'));
}
