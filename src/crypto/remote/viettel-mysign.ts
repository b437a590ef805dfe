/**
 * Viettel MySign, the current "VTSS" gateway API (shared spec sheet §2.3): per-user login
 * (`/vtss/service/ras/v1/login` → Bearer), `certificates/info` (chain returned), one `signHash` call with
 * `numSignatures` for a batch (base64 SHA-256 digests, `hashAlgo` OID), then `requests/status` polling with
 * the documented codes: 1 success, 4000 waiting, 6000 confirmed/signing, 4001 timed out, 4002 declined,
 * 4004 failed, 4005 quota, 13004 certificate expired or revoked.
 */
import { credentialError, msg } from '../../core/errors.js';
import type { ResolvedRemoteProfile } from '../../core/config-remote.js';
import { OID } from '../oids.js';
import { b64, obj, remoteAuthError, remoteProtocolError, str, type RemoteFetch } from './http.js';
import type { DigestItem, PollResult, RemoteAdapter, RemoteCredential, RemoteTransaction } from './types.js';

const AUTH_CODES = new Set(['58007', '58008', '59033', '86024', '86002']);

export function viettelMysignAdapter(p: ResolvedRemoteProfile, clientSecret: string, fetch: RemoteFetch): RemoteAdapter {
  const provider = 'Viettel MySign';
  const profileId = p.profileId ?? 'adss:ras:profile:001';
  let token: string | undefined;

  const check = (path: string, status: number, body: Record<string, unknown>) => {
    const code = str(body.code) ?? str(body.error) ?? '';
    if (status === 401 || status === 403 || AUTH_CODES.has(code)) throw remoteAuthError(provider, `${path}: ${status} ${code} ${str(body.error_description) ?? str(body.message) ?? ''}`.trim());
    if (status >= 400) throw remoteProtocolError(provider, `${path}: HTTP ${status} ${code} ${str(body.message) ?? str(body.error_description) ?? ''}`.trim());
  };
  const login = async () => {
    if (token) return token;
    const path = '/vtss/service/ras/v1/login';
    const res = await fetch({ method: 'POST', url: `${p.endpoint}${path}`, json: { client_id: p.clientId, client_secret: clientSecret, profile_id: profileId, user_id: p.userId } });
    const body = obj(res.body);
    check(path, res.status, body);
    const t = str(body.access_token);
    if (!t) throw remoteAuthError(provider, `${path}: ${str(body.error) ?? 'no access_token'} ${str(body.error_description) ?? ''}`.trim());
    token = t;
    return t;
  };
  const call = async (path: string, json: unknown) => {
    const t = await login();
    const res = await fetch({ method: 'POST', url: `${p.endpoint}${path}`, json, headers: { authorization: `Bearer ${t}` } });
    check(path, res.status, obj(res.body));
    return res.body;
  };

  return {
    provider,
    app: { en: p.appName ?? 'Viettel MySign', vi: p.appName ?? 'Viettel MySign' },
    hashes: ['sha256'],
    maxBatch: () => p.maxBatch,
    async listCredentials() {
      const body = await call('/vtss/service/certificates/info', {
        client_id: p.clientId,
        client_secret: clientSecret,
        profile_id: profileId,
        user_id: p.userId,
        certificates: 'chain',
        certInfo: true,
        authInfo: true,
      });
      const list = Array.isArray(body) ? body : Array.isArray(obj(body).data) ? (obj(body).data as unknown[]) : [];
      const out: RemoteCredential[] = [];
      for (const item of list) {
        const c = obj(item);
        const cert = obj(c.cert);
        const certs = (Array.isArray(cert.certificates) ? cert.certificates : []).map(str).filter((x): x is string => Boolean(x)).map(b64);
        if (!certs.length) continue;
        const id = str(c.credential_id) ?? str(c.credentialID) ?? '';
        if (p.credentialId && id !== p.credentialId) continue;
        const key = obj(c.key);
        out.push({
          id,
          certificate: certs[0]!,
          chain: certs.slice(1),
          status: str(cert.status),
          multisign: Number(c.multisign) || undefined,
          algorithms: Array.isArray(key.algo) ? key.algo.map(String) : undefined,
        });
      }
      return out;
    },
    async submit(cred: RemoteCredential, items: DigestItem[], description: string): Promise<RemoteTransaction> {
      // document_name/description: base64 of text limited to [a-zA-Z0-9_\- ] (spec sheet §2.3)
      const safe = (s: string, n: number) => Buffer.from(ascii(s).slice(0, n), 'utf8').toString('base64');
      const body = obj(
        await call('/vtss/service/signHash', {
          client_id: p.clientId,
          client_secret: clientSecret,
          credentialID: cred.id,
          numSignatures: items.length,
          description: safe(description, 60),
          documents: items.map((it, i) => ({ document_id: String(i + 1), document_name: safe(it.label, 60) })),
          hash: items.map((it) => Buffer.from(it.digest).toString('base64')),
          hashAlgo: OID.sha256,
          signAlgo: cred.algorithms?.find((a) => a === OID.rsaEncryption) ?? OID.rsaEncryption,
          async: 1,
        }),
      );
      const id = str(body.transactionId) ?? str(body.transaction_id);
      if (!id) throw remoteProtocolError(provider, `signHash: no transactionId (${str(body.message) ?? str(body.status) ?? ''})`);
      return { id, code: id, count: items.length };
    },
    async poll(_cred, tx): Promise<PollResult> {
      const body = obj(await call('/vtss/service/requests/status', { transactionId: tx.id }));
      const status = str(body.status) ?? '';
      const detail = str(body.description) ?? str(body.message);
      switch (status) {
        case '1': {
          const sigs = Array.isArray(body.signatures) ? body.signatures.map(str) : [];
          if (sigs.length !== tx.count || sigs.some((s) => !s)) return { state: 'failed', detail: `expected ${tx.count} signatures, got ${sigs.length}` };
          return { state: 'signed', signatures: sigs.map((s) => b64(s!)) };
        }
        case '4000':
          return { state: 'pending' };
        case '6000':
          return { state: 'pending', confirmed: true };
        case '4001':
          return { state: 'expired', detail, code: status };
        case '4002':
          return { state: 'declined', detail, code: status };
        case '13004':
          throw credentialError('REMOTE_CERTIFICATE_INVALID', msg(`${provider}: the signer's certificate is expired or revoked (13004)`, `${provider}: chứng thư của người ký đã hết hạn hoặc bị thu hồi (13004)`));
        case '4005':
          throw credentialError('REMOTE_QUOTA', msg(`${provider}: the signing quota is exhausted (4005)`, `${provider}: đã hết lượt ký của gói dịch vụ (4005)`));
        default:
          return { state: 'failed', detail: `${status} ${detail ?? ''}`.trim(), code: status };
      }
    },
  };
}

function ascii(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^a-zA-Z0-9_\- ]/g, '_');
}
