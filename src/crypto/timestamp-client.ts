/**
 * RFC 3161 time-stamp client over HTTP (undici). Used for PAdES B-T: the signature value of the CMS is
 * time-stamped and the token goes into the SignerInfo's unsigned attributes. Each URL is tried in turn;
 * the response must be granted, carry our nonce and our message imprint.
 */
import { randomBytes } from 'node:crypto';
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { asn1, pki } from './asn1-lazy.js';
import { KysoError, msg, usageError } from '../core/errors.js';
import { assertTransportAllowed, redactUrl, redactUrls } from '../core/url-safety.js';
import type { HashAlgorithm } from '../core/types.js';
import { HASH_OID } from './cades.js';
import { OID, toArrayBuffer } from './x509.js';

/** POSTs a DER query and returns the status code and body (injectable for tests). */
export type TimestampPost = (url: string, body: Uint8Array, timeoutMs: number) => Promise<{ status: number; body: Uint8Array }>;

export interface TimestampOptions {
  timeoutMs?: number;
  /** TSA policy OID to ask for */
  policy?: string;
  post?: TimestampPost;
}

const TSA_REPLY_CAP = 1024 * 1024;

export const undiciPost: TimestampPost = async (url, body, timeoutMs) => {
  // undici is loaded on first use: B-B signing should not pay its start-up cost.
  const { request } = await import('undici');
  // user:password@ in the URL becomes HTTP Basic authentication and never reaches a message (issue 12)
  const u = new URL(url);
  const auth = u.username || u.password ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
  u.username = '';
  u.password = '';
  const res = await request(u, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply', ...(auth ? { authorization: auth } : {}) },
    body: Buffer.from(body),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  // a time-stamp reply is a few KB: anything past 1 MiB is refused rather than buffered
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += (c as Buffer).length;
    if (size > TSA_REPLY_CAP) {
      res.body.destroy();
      throw Object.assign(new Error(`answer larger than ${TSA_REPLY_CAP} bytes`), { code: 'TSA_REPLY_TOO_LARGE' });
    }
    parts.push(c as Buffer);
  }
  return { status: res.statusCode, body: new Uint8Array(Buffer.concat(parts)) };
};

const PKI_STATUS = ['granted', 'grantedWithMods', 'rejection', 'waiting', 'revocationWarning', 'revocationNotification'];

function intHex(i: asn1js.Integer | undefined): string {
  if (!i) return '';
  return Buffer.from(i.valueBlock.valueHexView).toString('hex').replace(/^(00)+/, '');
}

class TsaAttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Builds the DER TimeStampReq; returned with the nonce so the answer can be matched. */
export function buildTimestampRequest(imprint: Uint8Array, hash: HashAlgorithm, policy?: string): { der: Uint8Array; nonceHex: string } {
  const nonce = randomBytes(16);
  nonce[0]! &= 0x7f; // positive INTEGER
  nonce[0]! |= 0x01; // and no leading zero byte to strip
  const A = asn1();
  const P = pki(); // loaded only when a time-stamp is asked for (asn1-lazy.ts)
  const req = new P.TimeStampReq({
    version: 1,
    messageImprint: new P.MessageImprint({
      hashAlgorithm: new P.AlgorithmIdentifier({ algorithmId: HASH_OID[hash] }),
      hashedMessage: new A.OctetString({ valueHex: toArrayBuffer(imprint) }),
    }),
    nonce: new A.Integer({ valueHex: toArrayBuffer(nonce) }),
    certReq: true,
    ...(policy ? { reqPolicy: policy } : {}),
  });
  return { der: new Uint8Array(req.toSchema().toBER(false)), nonceHex: nonce.toString('hex') };
}

/** Checks a TimeStampResp and returns its token (DER ContentInfo). Throws TsaAttemptError. */
export function parseTimestampResponse(der: Uint8Array, imprint: Uint8Array, hash: HashAlgorithm, nonceHex: string): Uint8Array {
  const A = asn1();
  const P = pki();
  const asn = A.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new TsaAttemptError('the answer is not a DER TimeStampResp', false);
  let resp: pkijs.TimeStampResp;
  try {
    resp = new P.TimeStampResp({ schema: asn.result });
  } catch {
    throw new TsaAttemptError('the answer is not a TimeStampResp', false);
  }
  const st = resp.status.status as number;
  if (st !== 0 && st !== 1) {
    const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join('; ');
    throw new TsaAttemptError(`the TSA refused: ${PKI_STATUS[st] ?? st}${text ? ` (${text})` : ''}`, st === 3);
  }
  const token = resp.timeStampToken;
  if (!token || token.contentType !== OID.signedData) throw new TsaAttemptError('granted but no time-stamp token in the answer', false);
  let tst: pkijs.TSTInfo;
  try {
    const sd = new P.SignedData({ schema: token.content });
    if (sd.encapContentInfo.eContentType !== OID.tstInfo || !sd.encapContentInfo.eContent) throw new Error('no TSTInfo');
    const inner = A.fromBER(sd.encapContentInfo.eContent.getValue());
    tst = new P.TSTInfo({ schema: inner.result });
  } catch {
    throw new TsaAttemptError('the time-stamp token cannot be read', false);
  }
  if (intHex(tst.nonce) !== nonceHex.replace(/^(00)+/, '')) throw new TsaAttemptError('the token does not carry our nonce', false);
  const got = Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (tst.messageImprint.hashAlgorithm.algorithmId !== HASH_OID[hash] || !got.equals(Buffer.from(imprint))) {
    throw new TsaAttemptError('the token time-stamps something else (message imprint differs)', false);
  }
  return new Uint8Array(token.toSchema().toBER(false));
}

/**
 * Asks each URL in turn for a time-stamp token over `messageImprint` (already hashed with `hash`).
 * Errors: bad URL → usage (2); every TSA unreachable or failing → TSA_UNAVAILABLE (category
 * 'exchange-retry', exit 6: a network service is down, try later); a TSA that answers but refuses or
 * answers wrongly, and no other TSA helped → TSA_REJECTED ('exchange-rejected', exit 7).
 */
export async function requestTimestamp(
  urls: string | string[],
  messageImprint: Uint8Array,
  hash: HashAlgorithm,
  opts: TimestampOptions = {},
): Promise<Uint8Array> {
  const list = Array.isArray(urls) ? urls : [urls];
  if (list.length === 0) throw usageError('TSA_MISSING', msg('no time-stamp authority given (--tsa <url>)', 'chưa chỉ định máy chủ cấp dấu thời gian (--tsa <url>)'));
  for (const u of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(u);
    } catch {
      /* below */
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw usageError('TSA_URL_INVALID', msg(`--tsa ${redactUrls(u)}: not an http(s) URL`, `--tsa ${redactUrls(u)}: không phải địa chỉ http(s)`));
    }
    // TSA credentials travel over https only (loopback excepted); a plain time-stamp request may use http
    if (parsed.username || parsed.password) assertTransportAllowed(parsed, '--tsa');
  }
  const post = opts.post ?? undiciPost;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const failures: string[] = [];
  let anyRetryable = false;
  for (const url of list) {
    const { der, nonceHex } = buildTimestampRequest(messageImprint, hash, opts.policy);
    try {
      let res: { status: number; body: Uint8Array };
      try {
        res = await post(url, der, timeoutMs);
      } catch (e) {
        const code = (e as { code?: string }).code;
        throw new TsaAttemptError(code ? `${code}` : e instanceof Error ? e.message : String(e), true);
      }
      if (res.status !== 200) throw new TsaAttemptError(`HTTP ${res.status}`, res.status >= 500 || res.status === 429);
      return parseTimestampResponse(res.body, messageImprint, hash, nonceHex);
    } catch (e) {
      if (!(e instanceof TsaAttemptError)) throw e;
      anyRetryable ||= e.retryable;
      failures.push(redactUrls(`${redactUrl(url)}: ${e.message}`));
    }
  }
  const detail = failures.join('; ');
  if (anyRetryable) {
    throw new KysoError('TSA_UNAVAILABLE', 'exchange-retry', msg(`no time-stamp authority answered: ${detail}`, `không máy chủ cấp dấu thời gian nào phản hồi: ${detail}`), {
      hint: msg('Try again later, or give another --tsa.', 'Hãy thử lại sau, hoặc chỉ định --tsa khác.'),
    });
  }
  throw new KysoError('TSA_REJECTED', 'exchange-rejected', msg(`the time-stamp authority did not give a usable token: ${detail}`, `máy chủ cấp dấu thời gian không trả về dấu thời gian dùng được: ${detail}`));
}
