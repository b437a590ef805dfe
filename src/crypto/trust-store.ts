/**
 * The trust store of `kyso verify`: anchors from the bundled Vietnamese roots (assets/trust/vn: adding a
 * root = dropping a PEM there) and from `--trust` files/folders. Bundled certificates that are not
 * self-signed are intermediates: helpers for chain building, never anchors. Everything a user names
 * with --trust is an anchor (explicit trust). Anchors never come from the file being verified.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { inputError, msg } from '../core/errors.js';
import { getChainCert } from './chain-cert.js';
import { readCertificatesFile } from './x509.js';
import { assetPath } from '../core/package-root.js';

export interface TrustAnchor {
  der: Uint8Array;
  sha256: string;
  /** The file it came from. */
  source: string;
  bundled: boolean;
}

export interface TrustStore {
  anchors: TrustAnchor[];
  /** Bundled (or otherwise known) intermediates: chain-building helpers, never anchors. */
  extraIntermediates: Uint8Array[];
  /** Where each intermediate came from (same order as extraIntermediates). */
  intermediateSources?: string[];
}

/** assets/trust/vn of the package (works from src/crypto and dist/crypto alike). */
export const BUNDLED_TRUST_DIR = assetPath('trust', 'vn');

const CERT_EXT = /\.(pem|crt|cer|der|p7b|p7c)$/i;

/** The certificate files of a trust file or folder (read in place: a few small local files, issue 16). */
function filesOf(p: string): string[] {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw inputError('TRUST_NOT_FOUND', msg(`${p}: trust file or folder not found`, `${p}: không tìm thấy tệp hoặc thư mục tin cậy`));
  }
  if (!st.isDirectory()) return [p];
  const out: string[] = [];
  const entries = readdirSync(p, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(p, e.name);
    if (e.isDirectory()) out.push(...filesOf(full));
    else if (CERT_EXT.test(e.name)) out.push(full);
  }
  return out;
}

export async function loadTrustStore(opts: { defaultTrust: boolean; extra: string[]; assetsDir?: string }): Promise<TrustStore> {
  const store: TrustStore = { anchors: [], extraIntermediates: [], intermediateSources: [] };
  const seen = new Set<string>();
  const addAnchor = (der: Uint8Array, source: string, bundled: boolean) => {
    const c = getChainCert(der);
    if (seen.has(c.sha256)) return;
    seen.add(c.sha256);
    store.anchors.push({ der: c.der, sha256: c.sha256, source, bundled });
  };
  if (opts.defaultTrust) {
    const dir = opts.assetsDir ?? BUNDLED_TRUST_DIR;
    for (const f of filesOf(dir)) {
      for (const der of await readCertificatesFile(f)) {
        const c = parseOrThrow(der, f);
        if (c.selfIssued && c.isSignedBy(c)) addAnchor(der, f, true);
        else if (!seen.has(c.sha256)) {
          seen.add(c.sha256);
          store.extraIntermediates.push(c.der);
          store.intermediateSources!.push(f);
        }
      }
    }
  }
  for (const p of opts.extra) {
    const files = filesOf(p);
    if (files.length === 0) throw inputError('TRUST_EMPTY', msg(`${p}: no certificate file in this folder`, `${p}: thư mục không có tệp chứng thư nào`));
    for (const f of files) for (const der of await readCertificatesFile(f)) {
      parseOrThrow(der, f);
      addAnchor(der, f, false);
    }
  }
  return store;
}

function parseOrThrow(der: Uint8Array, file: string) {
  try {
    return getChainCert(der);
  } catch (e) {
    throw inputError('TRUST_MALFORMED', msg(`${file}: not a valid X.509 certificate`, `${file}: không phải chứng thư số X.509 hợp lệ`), { cause: e });
  }
}

/**
 * Hosts named in the AIA (caIssuers, OCSP) and CRL distribution points of the anchors and known
 * intermediates: the default fetch allow-list of verification started by `kyso receive` (issue 12).
 */
export function trustHosts(store: TrustStore): string[] {
  const hosts = new Set<string>();
  for (const der of [...store.anchors.map((a) => a.der), ...store.extraIntermediates]) {
    try {
      const c = getChainCert(der);
      for (const u of [...c.ocspUrls, ...c.caIssuersUrls, ...c.crlUrls]) {
        try {
          hosts.add(new URL(u).hostname.toLowerCase());
        } catch {
          /* not a URL */
        }
      }
    } catch {
      /* unparseable certificate: contributes nothing */
    }
  }
  return [...hosts].sort();
}
