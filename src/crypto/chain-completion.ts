import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { credentialError, inputError, msg } from '../core/errors.js';
import { describeTokenCertificate } from './token-cert-info.js';
import { assetPath } from '../core/package-root.js';

/** Fetches the body of an AIA caIssuers URL (injected in tests; default: undici with a short timeout). */
export type AiaFetcher = (url: string, timeoutMs: number) => Promise<Uint8Array>;

export interface ChainCompletionOptions {
  /** DER of the signer's certificate. */
  leaf: Uint8Array;
  /** Certificates found on the token besides the leaf (tokens sometimes carry their CA certificates). */
  tokenCerts?: Uint8Array[];
  /** `--chain <pem|p7b|der>` */
  chainFile?: string;
  /** Folder of bundled intermediates/roots (PEM); default: the package's assets/trust/vn. Empty string = none. */
  bundledDir?: string;
  /** Follow AIA caIssuers over HTTP when nothing local has the issuer (default true). */
  aia?: boolean;
  fetch?: AiaFetcher;
  timeoutMs?: number;
}

export interface ChainCompletionResult {
  /** Nearest issuer first, up to and including the root (self-signed). */
  chain: Uint8Array[];
  /** Where each chain element came from, same order. */
  sources: ('token' | 'chain-file' | 'bundled' | 'aia')[];
}

interface Candidate {
  der: Uint8Array;
  x: X509Certificate;
  source: ChainCompletionResult['sources'][number];
}

/** The package's own copy of the Vietnamese CA certificates (shipped in assets/trust/vn). */
export function defaultBundledDir(): string {
  // dist/crypto/chain-completion.js and src/crypto/chain-completion.ts are both two levels below the root.
  return assetPath('trust', 'vn');
}

/**
 * Completes the signer's chain so the CMS carries it up to the root, because tokens often hold only the
 * leaf. Order of sources: token, --chain file, bundled certificates, AIA caIssuers. The issuer is
 * identified by signature verification (not by name alone, and never by which driver was loaded).
 * Written here because no installed library builds a chain from these mixed sources.
 */
export async function completeChain(opts: ChainCompletionOptions): Promise<ChainCompletionResult> {
  const pool: Candidate[] = [];
  const add = (ders: Uint8Array[], source: Candidate['source']) => {
    for (const der of ders) {
      try {
        pool.push({ der, x: new X509Certificate(der), source });
      } catch {
        /* ignore objects that are not certificates */
      }
    }
  };
  add(opts.tokenCerts ?? [], 'token');
  if (opts.chainFile) add(readCertificateFile(opts.chainFile), 'chain-file');
  const bundled = opts.bundledDir ?? defaultBundledDir();
  if (bundled) add(readBundled(bundled), 'bundled');

  const chain: Uint8Array[] = [];
  const sources: Candidate['source'][] = [];
  let cur = new X509Certificate(opts.leaf);
  let curDer = opts.leaf;
  const seen = new Set<string>([cur.fingerprint256]);
  for (let depth = 0; depth < 12; depth++) {
    if (isSelfIssued(cur)) break;
    let issuer = pool.find((c) => issued(cur, c.x));
    if (!issuer && opts.aia !== false) {
      const info = describeTokenCertificate(curDer);
      for (const url of info.caIssuers) {
        if (!/^https?:\/\//i.test(url)) continue;
        try {
          const body = await (opts.fetch ?? undiciFetch)(url, opts.timeoutMs ?? 5000);
          const found: Candidate[] = [];
          for (const der of parseCertificates(body, url)) {
            try {
              found.push({ der, x: new X509Certificate(der), source: 'aia' });
            } catch {
              /* skip */
            }
          }
          issuer = found.find((c) => issued(cur, c.x));
          if (issuer) break;
        } catch {
          /* unreachable URL: try the next one, then report the missing issuer */
        }
      }
    }
    if (!issuer) {
      const missing = describeTokenCertificate(curDer).issuer;
      throw credentialError(
        'CHAIN_INCOMPLETE',
        msg(
          `cannot complete the certificate chain: the issuer "${missing}" of "${describeTokenCertificate(curDer).subject}" was found neither on the token, nor in --chain, nor in the bundled CA certificates, nor at its AIA address`,
          `không dựng được chuỗi chứng thư: không tìm thấy tổ chức cấp "${missing}" của "${describeTokenCertificate(curDer).subject}" trên token, trong --chain, trong bộ chứng thư CA đi kèm hay tại địa chỉ AIA`,
        ),
        {
          hint: msg('Give the CA certificates with --chain <file.pem|file.p7b> (your CA publishes them).', 'Hãy chỉ ra chứng thư của CA bằng --chain <tệp.pem|tệp.p7b> (CA của bạn công bố các tệp này).'),
          details: { missingIssuer: missing },
        },
      );
    }
    if (seen.has(issuer.x.fingerprint256)) break;
    seen.add(issuer.x.fingerprint256);
    chain.push(issuer.der);
    sources.push(issuer.source);
    cur = issuer.x;
    curDer = issuer.der;
  }
  return { chain, sources };
}

function isSelfIssued(x: X509Certificate): boolean {
  return x.subject === x.issuer && issued(x, x);
}

function issued(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function readBundled(dir: string): Uint8Array[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Uint8Array[] = [];
  for (const n of names.sort()) {
    if (!/\.(pem|crt|cer|der)$/i.test(n)) continue;
    try {
      out.push(...parseCertificates(readFileSync(path.join(dir, n)), n));
    } catch {
      /* a damaged bundled file must not stop signing */
    }
  }
  return out;
}

/** Reads a `--chain` file: PEM (one or more certificates or a PKCS#7), DER certificate or DER .p7b. */
export function readCertificateFile(file: string): Uint8Array[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE',
      code === 'ENOENT' ? msg(`${file}: file not found`, `${file}: không tìm thấy tệp`) : msg(`${file}: cannot read the file`, `${file}: không đọc được tệp`),
      { cause: e },
    );
  }
  const certs = parseCertificates(buf, file);
  if (certs.length === 0) {
    throw inputError('CHAIN_FILE_MALFORMED', msg(`${file}: no certificate found (expected PEM, DER or PKCS#7 .p7b)`, `${file}: không có chứng thư nào (cần tệp PEM, DER hoặc PKCS#7 .p7b)`));
  }
  return certs;
}

/** Certificates in a PEM text, a DER certificate or a DER/PEM PKCS#7 certs-only bundle. */
export function parseCertificates(data: Uint8Array, where: string): Uint8Array[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const head = buf.subarray(0, Math.min(buf.length, 64)).toString('latin1');
  if (head.includes('-----BEGIN')) {
    const text = buf.toString('latin1');
    const out: Uint8Array[] = [];
    for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
      const der = Buffer.from(m[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
      if (m[1] === 'CERTIFICATE' || m[1] === 'X509 CERTIFICATE' || m[1] === 'TRUSTED CERTIFICATE') out.push(der);
      else if (m[1] === 'PKCS7' || m[1] === 'CMS') out.push(...pkcs7Certs(der, where));
    }
    return out;
  }
  try {
    new X509Certificate(buf);
    return [new Uint8Array(buf)];
  } catch {
    return pkcs7Certs(buf, where);
  }
}

/** PKCS#7 certs-only bundles are rare here; pkijs is loaded only for them (it costs ~100 ms to load). */
function pkcs7Certs(der: Uint8Array, where: string): Uint8Array[] {
  try {
    const require = createRequire(import.meta.url);
    const asn1js = require('asn1js') as typeof import('asn1js');
    const pkijs = require('pkijs') as typeof import('pkijs');
    const asn = asn1js.fromBER(new Uint8Array(der).buffer);
    if (asn.offset === -1) return [];
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    const sd = new pkijs.SignedData({ schema: ci.content });
    return (sd.certificates ?? [])
      .filter((c): c is InstanceType<typeof pkijs.Certificate> => c instanceof pkijs.Certificate)
      .map((c) => new Uint8Array(c.toSchema().toBER(false)));
  } catch (e) {
    void where;
    void e;
    return [];
  }
}

const MAX_AIA_BYTES = 1 << 20;

async function undiciFetch(url: string, timeoutMs: number): Promise<Uint8Array> {
  const { request } = await import('undici');
  const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > MAX_AIA_BYTES) {
      res.body.destroy();
      throw new Error('too large');
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
