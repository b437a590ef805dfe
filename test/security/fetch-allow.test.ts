import { describe, expect, it } from 'vitest';
import { createRevocationFetcher, type HttpTransport } from '../../src/crypto/revocation-fetcher.js';
import { loadTrustStore, trustHosts } from '../../src/crypto/trust-store.js';

describe('fetch allow-list (verification started by kyso receive)', () => {
  it('contacts only allowed hosts; others fail before any connection', async () => {
    const calls: string[] = [];
    const transport: HttpTransport = async (r) => {
      calls.push(r.url);
      throw new Error('offline');
    };
    const f = createRevocationFetcher({ now: () => new Date(), transport, allowHosts: ['ocsp.ca.example'] });
    await expect(f.crl('http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({ code: 'FETCH_HOST_NOT_ALLOWED' });
    await expect(f.certificate!('http://attacker.example/read-receipt?doc=1')).rejects.toMatchObject({ code: 'FETCH_HOST_NOT_ALLOWED' });
    await expect(f.ocsp('http://OCSP.ca.example/', new Uint8Array([1]), 'k')).rejects.toThrow('offline');
    expect(calls).toEqual(['http://OCSP.ca.example/']);
    // without an allow-list (kyso verify of one's own files) nothing changes
    const open = createRevocationFetcher({ now: () => new Date(), transport });
    await expect(open.crl('http://attacker.example/x.crl')).rejects.toThrow('offline');
  });

  it('a view vouched for by path validation may contact exactly those URLs, and only through that view', async () => {
    const calls: string[] = [];
    const transport: HttpTransport = async (r) => {
      calls.push(r.url);
      throw new Error('offline');
    };
    const f = createRevocationFetcher({ now: () => new Date(), transport, allowHosts: ['ocsp.ca.example'] });
    const v = f.vouchedFor!(['http://ocsp.issuing.example/ocsp']);
    await expect(v.ocsp('http://ocsp.issuing.example/ocsp', new Uint8Array([1]), 'k')).rejects.toThrow('offline');
    // another path on the same host, and the base fetcher, stay refused
    await expect(v.crl('http://ocsp.issuing.example/other.crl')).rejects.toMatchObject({ code: 'FETCH_HOST_NOT_ALLOWED' });
    await expect(f.ocsp('http://ocsp.issuing.example/ocsp', new Uint8Array([1]), 'k')).rejects.toMatchObject({ code: 'FETCH_HOST_NOT_ALLOWED' });
    expect(calls).toEqual(['http://ocsp.issuing.example/ocsp']);
    expect(v.stats).toBe(f.stats);
  });

  it('the default list is the hosts named in the bundled anchors and intermediates', async () => {
    const hosts = trustHosts(await loadTrustStore({ defaultTrust: true, extra: [] }));
    expect(hosts.length).toBeGreaterThan(0);
    for (const h of hosts) expect(h).toMatch(/^[a-z0-9.-]+$/);
  });
});
