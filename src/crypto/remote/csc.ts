/**
 * Cloud Signature Consortium API v2 (shared spec sheet §4.1), written against the specification:
 * service authorization (OAuth2 client credentials with scope "service", or `auth/login` with HTTP Basic),
 * `credentials/list` + `credentials/info` (certificates: "chain"), `credentials/authorize` for all digests of
 * the batch at once (numSignatures + hashes, so the signer approves once; 202 + handle while a mobile-app
 * approval is pending, polled with `credentials/authorizeCheck`), then `signatures/signHash` with the SAD.
 * The credential's `multisign` bounds one authorization; larger batches are split (maxBatch).
 * OAuth2 "credential" scope through a browser (authorization code + PKCE) is not implemented: a CLI cannot
 * receive the redirect without a local web server; profiles whose credential needs it are refused.
 */
import { X509Certificate } from 'node:crypto';
import type { ResolvedRemoteProfile } from '../../core/config-remote.js';
import { HASH_OID } from '../cades.js';
import { OID } from '../oids.js';
import { b64, obj, remoteAuthError, remoteProtocolError, str, type RemoteFetch, type RemoteResponse } from './http.js';
import type { DigestItem, PollResult, RemoteAdapter, RemoteCredential, RemoteTransaction } from './types.js';

const DECLINED = new Set(['access_denied', 'authorization_declined', 'user_declined', 'consent_required', 'rejected']);
const EXPIRED = new Set(['expired_token', 'authorization_expired', 'expired', 'timeout']);

export function cscAdapter(p: ResolvedRemoteProfile, secrets: { clientSecret?: string; password?: string }, fetch: RemoteFetch): RemoteAdapter {
  const provider = `CSC ${new URL(p.endpoint).host}`;
  let token: string | undefined;

  const errorOf = (body: unknown) => {
    const b = obj(body);
    return { error: (str(b.error) ?? '').toLowerCase(), description: str(b.error_description) ?? str(b.message) ?? '' };
  };
  const serviceToken = async () => {
    if (token) return token;
    let res: RemoteResponse;
    if ((p.cscAuth ?? 'client-credentials') === 'basic') {
      const basic = Buffer.from(`${p.userId ?? ''}:${secrets.password ?? ''}`).toString('base64');
      res = await fetch({ method: 'POST', url: `${p.endpoint}/auth/login`, headers: { authorization: `Basic ${basic}` }, json: {} });
    } else {
      res = await fetch({
        method: 'POST',
        url: p.tokenUrl ?? `${p.endpoint}/oauth2/token`,
        form: { grant_type: 'client_credentials', client_id: p.clientId ?? '', client_secret: secrets.clientSecret ?? '', scope: 'service' },
      });
    }
    const t = str(obj(res.body).access_token);
    if (res.status >= 400 || !t) {
      const e = errorOf(res.body);
      throw remoteAuthError(provider, `service authorization: HTTP ${res.status} ${e.error} ${e.description}`.trim());
    }
    token = t;
    return t;
  };
  const call = async (path: string, json: unknown) => {
    const res = await fetch({ method: 'POST', url: `${p.endpoint}/${path}`, json, headers: { authorization: `Bearer ${await serviceToken()}` } });
    if (res.status === 401 || res.status === 403) {
      const e = errorOf(res.body);
      throw remoteAuthError(provider, `${path}: HTTP ${res.status} ${e.error} ${e.description}`.trim());
    }
    return res;
  };
  const ok = (path: string, res: { status: number; body: unknown }) => {
    if (res.status >= 300) {
      const e = errorOf(res.body);
      throw remoteProtocolError(provider, `${path}: HTTP ${res.status} ${e.error} ${e.description}`.trim());
    }
    return obj(res.body);
  };
  const credentialFrom = (id: string, info: Record<string, unknown>): RemoteCredential | undefined => {
    const cert = obj(info.cert);
    const certs = (Array.isArray(cert.certificates) ? cert.certificates : []).map(str).filter((x): x is string => Boolean(x)).map(b64);
    if (!certs.length) return undefined;
    const auth = obj(info.auth);
    if (str(auth.mode) === 'oauth2code') return undefined; // needs a browser: not supported (see above)
    const key = obj(info.key);
    return {
      id,
      certificate: certs[0]!,
      chain: certs.slice(1),
      status: str(cert.status),
      multisign: Number(info.multisign) || undefined,
      algorithms: Array.isArray(key.algo) ? key.algo.map(String) : undefined,
    };
  };

  const signHash = async (cred: RemoteCredential, items: DigestItem[], sad: string): Promise<PollResult> => {
    const hash = items[0]!.hash;
    const ec = new X509Certificate(cred.certificate).publicKey.asymmetricKeyType === 'ec';
    const signAlgo = ec ? ({ sha256: OID.ecdsaWithSha256, sha384: OID.ecdsaWithSha384, sha512: OID.ecdsaWithSha512 } as const)[hash] : OID.rsaEncryption;
    const res = await call('signatures/signHash', {
      credentialID: cred.id,
      SAD: sad,
      hashes: items.map((it) => Buffer.from(it.digest).toString('base64')),
      hashAlgorithmOID: HASH_OID[hash],
      signAlgo,
      operationMode: 'S',
    });
    if (res.status >= 300) {
      const e = errorOf(res.body);
      if (EXPIRED.has(e.error) || /expired/i.test(e.description)) return { state: 'expired', detail: e.description, code: e.error };
      return { state: 'failed', detail: `signHash: HTTP ${res.status} ${e.error} ${e.description}`.trim(), code: e.error };
    }
    const sigs = (Array.isArray(obj(res.body).signatures) ? (obj(res.body).signatures as unknown[]) : []).map(str);
    if (sigs.length !== items.length || sigs.some((s) => !s)) return { state: 'failed', detail: `signHash returned ${sigs.length} signatures for ${items.length} hashes` };
    return { state: 'signed', signatures: sigs.map((s) => b64(s!)) };
  };

  return {
    provider,
    app: { en: p.appName ?? 'authenticator', vi: p.appName ?? 'xác thực' },
    hashes: ['sha256', 'sha384', 'sha512'],
    maxBatch: (cred) => p.maxBatch ?? cred.multisign,
    async listCredentials() {
      let ids: string[];
      if (p.credentialId) ids = [p.credentialId];
      else {
        const body = ok('credentials/list', await call('credentials/list', { ...(p.userId ? { userID: p.userId } : {}), credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true }));
        ids = (Array.isArray(body.credentialIDs) ? body.credentialIDs : []).map(String);
        const infos = Array.isArray(body.credentialInfos) ? body.credentialInfos.map(obj) : [];
        if (infos.length === ids.length && infos.length) {
          return ids.map((id, i) => credentialFrom(id, infos[i]!)).filter((c): c is RemoteCredential => Boolean(c));
        }
      }
      const out: RemoteCredential[] = [];
      for (const id of ids) {
        const info = ok('credentials/info', await call('credentials/info', { credentialID: id, certificates: 'chain', certInfo: true, authInfo: true }));
        const c = credentialFrom(id, info);
        if (c) out.push(c);
      }
      return out;
    },
    async submit(cred: RemoteCredential, items: DigestItem[], description: string): Promise<RemoteTransaction> {
      const res = await call('credentials/authorize', {
        credentialID: cred.id,
        numSignatures: items.length,
        hashes: items.map((it) => Buffer.from(it.digest).toString('base64')),
        hashAlgorithmOID: HASH_OID[items[0]!.hash],
        description: description.slice(0, 500),
      });
      const body = ok('credentials/authorize', res);
      const sad = str(body.SAD);
      const handle = str(body.handle);
      if (!sad && !handle) throw remoteProtocolError(provider, 'credentials/authorize: neither SAD nor handle');
      return { id: handle ?? `sad-${cred.id}`, code: handle, count: items.length, state: { sad } };
    },
    async poll(cred, tx, items): Promise<PollResult> {
      let sad = str(tx.state?.sad);
      if (!sad) {
        const res = await call('credentials/authorizeCheck', { handle: tx.id });
        if (res.status === 202) return { state: 'pending' };
        if (res.status >= 300) {
          const e = errorOf(res.body);
          if (DECLINED.has(e.error)) return { state: 'declined', detail: e.description, code: e.error };
          if (EXPIRED.has(e.error)) return { state: 'expired', detail: e.description, code: e.error };
          return { state: 'failed', detail: `authorizeCheck: HTTP ${res.status} ${e.error} ${e.description}`.trim(), code: e.error };
        }
        sad = str(obj(res.body).SAD);
        if (!sad) return { state: 'pending' };
        tx.state = { ...tx.state, sad };
      }
      return signHash(cred, items, sad);
    },
  };
}
