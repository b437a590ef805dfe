import { readRemoteSecret, type ResolvedRemoteProfile, type SecretFs } from '../../core/config-remote.js';
import { createRemoteFetch, type RemoteFetch } from './http.js';
import { cscAdapter } from './csc.js';
import type { RemoteAdapter } from './types.js';
import { viettelMysignAdapter } from './viettel-mysign.js';
import { vnptSmartcaAdapter } from './vnpt-smartca.js';

export const PROVIDER_NAMES: Record<ResolvedRemoteProfile['adapter'], string> = {
  'vnpt-smartca': 'VNPT SmartCA',
  'viettel-mysign': 'Viettel MySign',
  csc: 'CSC',
};

/** The adapter of a profile; secrets come from the env / 0600 files the profile names (never argv). */
export function adapterFor(p: ResolvedRemoteProfile, env: Record<string, string | undefined>, fs: SecretFs, fetch?: RemoteFetch): RemoteAdapter {
  const f = fetch ?? createRemoteFetch({ provider: PROVIDER_NAMES[p.adapter], timeoutMs: p.timeoutMs, caFile: p.caFile });
  switch (p.adapter) {
    case 'vnpt-smartca':
      return vnptSmartcaAdapter(p, readRemoteSecret(p, 'integrator', env, fs), f);
    case 'viettel-mysign':
      return viettelMysignAdapter(p, readRemoteSecret(p, 'integrator', env, fs), f);
    case 'csc':
      return cscAdapter(
        p,
        (p.cscAuth ?? 'client-credentials') === 'basic' ? { password: readRemoteSecret(p, 'user', env, fs) } : { clientSecret: readRemoteSecret(p, 'integrator', env, fs) },
        f,
      );
  }
}
