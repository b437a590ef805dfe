/**
 * VNPT SmartCA, the SP769 API (shared spec sheet §1.2–1.8): integrator `sp_id`/`sp_password` in every body,
 * signer by `user_id`, hex digests in `sign_files[]` (one transaction for a batch), approval in the VNPT
 * SmartCA app, result by polling `v1/signatures/sign/{tranId}/status`. The API has no hash-algorithm field
 * (SHA-256 assumed, as VNPT's sample does) and documents no pending/declined/expired states: pending is
 * "no signatures yet", and the values meaning declined/expired are configurable (declinedStates/expiredStates).
 */
import { randomUUID } from 'node:crypto';
import { credentialError, msg } from '../../core/errors.js';
import type { ResolvedRemoteProfile } from '../../core/config-remote.js';
import { b64, obj, remoteAuthError, remoteProtocolError, str, type RemoteFetch } from './http.js';
import type { DigestItem, PollResult, RemoteAdapter, RemoteCredential, RemoteTransaction } from './types.js';

const DEFAULT_DECLINED = ['4002', 'SIGNER_REJECTED', 'sig_rejected', 'REJECTED', 'CANCELED', 'CANCELLED', 'sig_user_reject'];
const DEFAULT_EXPIRED = ['4001', 'EXPIRED', 'sig_expired', 'TIMEOUT', 'sig_timeout'];

export function vnptSmartcaAdapter(p: ResolvedRemoteProfile, spPassword: string, fetch: RemoteFetch): RemoteAdapter {
  const provider = 'VNPT SmartCA';
  const creds = () => ({ sp_id: p.clientId!, sp_password: spPassword, user_id: p.userId! });
  const declined = new Set((p.declinedStates ?? DEFAULT_DECLINED).map((s) => s.toLowerCase()));
  const expired = new Set((p.expiredStates ?? DEFAULT_EXPIRED).map((s) => s.toLowerCase()));

  /** SP769 carries its own status in the body (`status_code`, HTTP-style, §1.7). */
  const call = async (path: string, json: unknown) => {
    const res = await fetch({ method: 'POST', url: `${p.endpoint}${path}`, json });
    const body = obj(res.body);
    const code = Number(body.status_code ?? res.status);
    const message = str(body.message) ?? '';
    if (res.status === 401 || res.status === 403 || code === 401) throw remoteAuthError(provider, `${code} ${message}`.trim());
    if (code === 403) {
      throw credentialError('REMOTE_CERTIFICATE_INVALID', msg(`${provider}: the signer's certificate is not usable (${message || 'CREDENTIAL_STATUS_INVALID'})`, `${provider}: chứng thư của người ký không sử dụng được (${message || 'CREDENTIAL_STATUS_INVALID'})`));
    }
    return { code, message, data: obj(body.data), httpStatus: res.status };
  };

  return {
    provider,
    app: { en: p.appName ?? 'VNPT SmartCA', vi: p.appName ?? 'VNPT SmartCA' },
    hashes: ['sha256'],
    maxBatch: () => p.maxBatch,
    async listCredentials() {
      const r = await call('/v1/credentials/get_certificate', { ...creds(), ...(p.serialNumber ? { serial_number: p.serialNumber } : {}), transaction_id: `kyso-${randomUUID()}` });
      if (r.code !== 200) throw remoteProtocolError(provider, `get_certificate: ${r.code} ${r.message}`);
      const list = Array.isArray(r.data.user_certificates) ? r.data.user_certificates : [];
      const out: RemoteCredential[] = [];
      for (const item of list) {
        const c = obj(item);
        const der = str(c.cert_data);
        if (!der) continue;
        const chainData = obj(c.chain_data);
        const chain = [str(chainData.ca_cert), str(chainData.root_cert)].filter((x): x is string => Boolean(x)).map(b64);
        out.push({ id: str(c.serial_number) ?? str(c.cert_id) ?? '', certificate: b64(der), chain, status: str(c.cert_status), kind: str(c.service_type) });
      }
      // prefer personal SMARTCA certificates over seals unless the profile says otherwise
      const kind = (p.serviceType ?? 'SMARTCA').toUpperCase();
      return [...out.filter((c) => (c.kind ?? '').toUpperCase() === kind), ...out.filter((c) => (c.kind ?? '').toUpperCase() !== kind)];
    },
    async submit(cred: RemoteCredential, items: DigestItem[], description: string): Promise<RemoteTransaction> {
      const transactionId = `kyso-${randomUUID()}`;
      const r = await call('/v1/signatures/sign', {
        ...creds(),
        transaction_id: transactionId,
        transaction_desc: description,
        serial_number: cred.id,
        sign_files: items.map((it, i) => ({ data_to_be_signed: Buffer.from(it.digest).toString('hex'), doc_id: docId(i, it.label), file_type: 'pdf', sign_type: 'hash' })),
      });
      if (r.code !== 200) throw remoteProtocolError(provider, `signatures/sign: ${r.code} ${r.message}`);
      const id = str(r.data.transaction_id) ?? transactionId;
      const code = str(r.data.tran_code);
      const pollId = p.statusId === 'tran_code' && code ? code : id;
      return { id: pollId, code: code ?? id, count: items.length };
    },
    async poll(_cred, tx, items): Promise<PollResult> {
      // official sample: empty JSON body, id in the path (§1.5)
      const r = await call(`/v1/signatures/sign/${encodeURIComponent(tx.id)}/status`, {});
      const sigs = Array.isArray(r.data.signatures) ? r.data.signatures : undefined;
      const state = [r.message, String(r.code), str(r.data.status), str(r.data.tran_status)].filter((x): x is string => Boolean(x)).map((s) => s.toLowerCase());
      if (state.some((s) => declined.has(s))) return { state: 'declined', detail: r.message, code: state.find((s) => declined.has(s)) };
      if (state.some((s) => expired.has(s))) return { state: 'expired', detail: r.message, code: state.find((s) => expired.has(s)) };
      if (sigs && sigs.length) {
        const byId = new Map<string, string>();
        for (const s of sigs) {
          const o = obj(s);
          const v = str(o.signature_value);
          if (v) byId.set(str(o.doc_id) ?? '', v);
        }
        const values = items.map((it, i) => byId.get(docId(i, it.label)) ?? str(obj(sigs[i]).signature_value));
        if (values.some((v) => !v)) return { state: 'failed', detail: 'the status answer lacks a signature for some documents' };
        return { state: 'signed', signatures: values.map((v) => b64(v!)) };
      }
      if (r.code !== 200) {
        if (r.code >= 500) return { state: 'failed', detail: `${r.code} ${r.message}` };
        return { state: 'failed', detail: `${r.code} ${r.message}` };
      }
      return { state: 'pending' };
    },
  };
}

/** `doc_id` is shown in the app: the file's number and name (unique within the batch). */
function docId(i: number, label: string): string {
  return `${i + 1}-${label}`.slice(0, 100);
}
