/** What `kyso trust list` shows: every anchor and bundled intermediate, with dates and SHA-256. */
import { getChainCert } from './chain-cert.js';
import type { TrustStore } from './trust-store.js';

export interface TrustEntry {
  role: 'root' | 'anchor' | 'intermediate';
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  source: string;
  bundled: boolean;
  /** not valid at `now` */
  expired: boolean;
}

export function listTrustStore(store: TrustStore, now: Date): TrustEntry[] {
  const entry = (der: Uint8Array, role: TrustEntry['role'], source: string, bundled: boolean): TrustEntry => {
    const c = getChainCert(der);
    return {
      role,
      subject: c.subject,
      issuer: c.issuer,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      sha256: c.sha256,
      source,
      bundled,
      expired: !c.validAt(now),
    };
  };
  return [
    ...store.anchors.map((a) => entry(a.der, getChainCert(a.der).selfIssued ? 'root' : 'anchor', a.source, a.bundled)),
    ...store.extraIntermediates.map((d, i) => entry(d, 'intermediate', store.intermediateSources?.[i] ?? '', true)),
  ];
}

/** Loads the store the way `kyso verify` would and lists it (the one call of `kyso trust list`). */
export async function trustListing(opts: { defaultTrust: boolean; extra: string[]; assetsDir?: string; now: Date }): Promise<{ entries: TrustEntry[] }> {
  const { loadTrustStore } = await import('./trust-store.js');
  const store = await loadTrustStore(opts);
  return { entries: listTrustStore(store, opts.now) };
}
