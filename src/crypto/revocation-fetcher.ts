/**
 * Online revocation data over HTTP (undici) with timeouts, a size cap, and an on-disk cache keyed by
 * URL (+ which certificate, for OCSP) that honours nextUpdate. Callers validate what they get; when a
 * cached answer fails validation they call invalidate() so the next run fetches again.
 */
import { createHash } from 'node:crypto';
import { sweepStaleTempsSync, writeBytesAtomicSync } from '../io/atomic-write.js';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { crlNextUpdate } from './crl-check.js';
import { ocspNextUpdate } from './ocsp-check.js';

export interface FetchedRevocation {
  der: Uint8Array;
  source: 'network' | 'cache';
}

export interface RevocationFetcher {
  /** POSTs `requestDer` (application/ocsp-request) to `url`; `key` identifies the certificate for the cache. */
  ocsp(url: string, requestDer: Uint8Array, key: string): Promise<FetchedRevocation>;
  crl(url: string): Promise<FetchedRevocation>;
  /** GETs a CA certificate (AIA caIssuers: DER certificate or PKCS#7 certs-only); cached for a day. */
  certificate?(url: string): Promise<FetchedRevocation>;
  /** Forgets a cached answer that turned out unusable. */
  invalidate(kind: 'ocsp' | 'crl', url: string, key?: string): void;
  /**
   * The same fetcher (cache, stats) that may also contact exactly these URLs even when their hosts are not on
   * the allow-list. Path validation passes the OCSP/CRL URLs of the certificates of a path it has verified,
   * signature by signature, up to a trust anchor: a CA the user trusts vouched for them (issue 12).
   */
  vouchedFor?(urls: readonly string[]): RevocationFetcher;
  readonly stats: { network: number; cacheHits: number; errors: number };
}

/** The HTTP part, replaceable in tests. Returns the body; throws on network errors and non-2xx. */
export type HttpTransport = (req: { url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: Uint8Array; timeoutMs: number; maxBytes: number }) => Promise<Uint8Array>;

export interface RevocationFetcherOptions {
  /** Directory for cached answers; undefined = memory only. */
  cacheDir?: string;
  timeoutMs?: number;
  now: () => Date;
  transport?: HttpTransport;
  /** Largest response accepted (CRLs of big CAs run to a few MB). */
  maxBytes?: number;
  /** How long an answer without nextUpdate may be reused (default 0: not cached on disk). */
  ttlWithoutNextUpdateMs?: number;
  /**
   * When set, only these hosts (lowercase) are ever contacted; any other URL fails before a connection is
   * made (so a received document cannot make this machine call an arbitrary address: SSRF, read receipts),
   * except the URLs a view made by vouchedFor() adds.
   */
  allowHosts?: readonly string[];
}

/** Thrown for a URL whose host is not on the allow-list (no connection was attempted). */
export class HostNotAllowedError extends Error {
  readonly code = 'FETCH_HOST_NOT_ALLOWED';
}

/** `$XDG_CACHE_HOME/kyso/revocation`, else `~/.cache/kyso/revocation` (env passed in by the CLI). */
export function defaultRevocationCacheDir(env: Record<string, string | undefined>): string | undefined {
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : undefined);
  return base ? path.join(base, 'kyso', 'revocation') : undefined;
}

export const undiciTransport: HttpTransport = async (r) => {
  const u = new URL(r.url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported URL scheme ${u.protocol}`);
  const res = await request(r.url, {
    method: r.method,
    headers: r.headers,
    body: r.body ? Buffer.from(r.body) : undefined,
    headersTimeout: r.timeoutMs,
    bodyTimeout: r.timeoutMs,
    signal: AbortSignal.timeout(r.timeoutMs),
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    await res.body.dump().catch(() => undefined);
    throw new Error(`HTTP ${res.statusCode} from ${r.url}`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > r.maxBytes) {
      res.body.destroy();
      throw new Error(`the answer from ${r.url} is larger than ${r.maxBytes} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
};

interface MemEntry {
  der: Uint8Array;
  expires: number;
}

export function createRevocationFetcher(opts: RevocationFetcherOptions): RevocationFetcher {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
  const transport = opts.transport ?? undiciTransport;
  const ttl0 = opts.ttlWithoutNextUpdateMs ?? 0;
  const mem = new Map<string, MemEntry>();
  const inflight = new Map<string, Promise<FetchedRevocation>>();
  const stats = { network: 0, cacheHits: 0, errors: 0 };
  let dirReady = false;

  const keyOf = (kind: string, url: string, k = '') => createHash('sha256').update(`${kind}\n${url}\n${k}`).digest('hex');
  const fileOf = (key: string) => (opts.cacheDir ? path.join(opts.cacheDir, `${key}.der`) : undefined);
  const metaOf = (key: string) => (opts.cacheDir ? path.join(opts.cacheDir, `${key}.json`) : undefined);

  const lookup = (key: string): Uint8Array | undefined => {
    const now = opts.now().getTime();
    const m = mem.get(key);
    if (m && m.expires > now) return m.der;
    const meta = metaOf(key);
    if (!meta) return undefined;
    try {
      const info = JSON.parse(readFileSync(meta, 'utf8')) as { expires: number };
      if (!(info.expires > now)) return undefined;
      const der = new Uint8Array(readFileSync(fileOf(key)!));
      mem.set(key, { der, expires: info.expires });
      return der;
    } catch {
      return undefined;
    }
  };

  const store = (key: string, url: string, der: Uint8Array, next: Date | undefined) => {
    const now = opts.now().getTime();
    const expires = next ? next.getTime() : ttl0 > 0 ? now + ttl0 : 0;
    if (!(expires > now)) return;
    mem.set(key, { der, expires });
    if (!opts.cacheDir) return;
    try {
      if (!dirReady) {
        mkdirSync(opts.cacheDir, { recursive: true, mode: 0o700 });
        dirReady = true;
        pruneExpired(opts.cacheDir, now);
        sweepStaleTempsSync(opts.cacheDir);
      }
      atomicWrite(fileOf(key)!, der);
      atomicWrite(metaOf(key)!, Buffer.from(JSON.stringify({ url, expires, stored: now })));
    } catch {
      /* the cache is an optimisation: a read-only home must not break verification */
    }
  };

  const allow = opts.allowHosts ? new Set(opts.allowHosts.map((h) => h.toLowerCase())) : undefined;
  const get = (
    kind: 'ocsp' | 'crl' | 'cert',
    url: string,
    k: string,
    fetchIt: () => Promise<Uint8Array>,
    next: (d: Uint8Array) => Date | undefined,
    vouched?: ReadonlySet<string>,
  ) => {
    if (allow && !vouched?.has(url)) {
      let host = '';
      try {
        host = new URL(url).hostname.toLowerCase();
      } catch {
        /* not a URL: refused below */
      }
      if (!allow.has(host)) {
        stats.errors++;
        return Promise.reject(new HostNotAllowedError(`${host || url}: not on the fetch allow-list (fetchAllowHosts)`));
      }
    }
    const key = keyOf(kind, url, k);
    const hit = lookup(key);
    if (hit) {
      stats.cacheHits++;
      return Promise.resolve<FetchedRevocation>({ der: hit, source: 'cache' });
    }
    let p = inflight.get(key);
    if (!p) {
      p = (async () => {
        stats.network++;
        try {
          const der = await fetchIt();
          store(key, url, der, next(der));
          return { der, source: 'network' as const };
        } catch (e) {
          stats.errors++;
          throw e;
        } finally {
          inflight.delete(key);
        }
      })();
      inflight.set(key, p);
    }
    return p;
  };

  const invalidate = (kind: 'ocsp' | 'crl', url: string, k = '') => {
    const key = keyOf(kind, url, k);
    mem.delete(key);
    for (const f of [fileOf(key), metaOf(key)]) if (f) rmSync(f, { force: true });
  };
  const view = (vouched?: ReadonlySet<string>): RevocationFetcher => ({
    stats,
    ocsp: (url, requestDer, k) =>
      get(
        'ocsp',
        url,
        k,
        () => transport({ url, method: 'POST', headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' }, body: requestDer, timeoutMs, maxBytes }),
        ocspNextUpdate,
        vouched,
      ),
    certificate: (url) =>
      get(
        'cert',
        url,
        '',
        () => transport({ url, method: 'GET', headers: { accept: 'application/pkix-cert' }, timeoutMs, maxBytes: 1024 * 1024 }),
        () => new Date(opts.now().getTime() + 86_400_000),
        vouched,
      ),
    crl: (url) => get('crl', url, '', () => transport({ url, method: 'GET', headers: { accept: 'application/pkix-crl' }, timeoutMs, maxBytes }), crlNextUpdate, vouched),
    invalidate,
    // without an allow-list every URL may be fetched already: the view is the fetcher itself
    vouchedFor: (urls) => (allow ? view(new Set([...(vouched ?? []), ...urls])) : view(vouched)),
  });
  return view();
}

/** Once per process, before the first write: drop entries expired for more than a day (the cache stays small). */
function pruneExpired(dir: string, now: number): void {
  try {
    for (const f of readdirSync(dir)) {
      const full = path.join(dir, f);
      if (f.endsWith('.tmp')) {
        if (now - statSync(full).mtimeMs > 3_600_000) rmSync(full, { force: true });
        continue;
      }
      if (!f.endsWith('.json')) continue;
      let expires = 0;
      try {
        expires = (JSON.parse(readFileSync(full, 'utf8')) as { expires: number }).expires;
      } catch {
        /* unreadable meta: remove */
      }
      if (!(expires > now - 86_400_000)) {
        rmSync(full, { force: true });
        rmSync(full.replace(/\.json$/, '.der'), { force: true });
      }
    }
  } catch {
    /* best effort */
  }
}

function atomicWrite(file: string, data: Uint8Array): void {
  writeBytesAtomicSync(file, data);
}
