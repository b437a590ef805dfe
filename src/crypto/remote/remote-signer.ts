/**
 * A Signer whose key lives at a remote-signing provider (VNPT SmartCA, Viettel MySign, a CSC service).
 * Only digests of the CMS signed attributes leave the machine, never the document. `signDigests` sends a
 * whole batch as one transaction (split only where the provider has a maximum), waits for the signer's
 * approval on the phone, and checks every returned value against the certificate's public key: a value that
 * does not verify is never handed back, so it can never be embedded.
 */
import { constants, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { credentialError, KysoError, msg, usageError, type Msg } from '../../core/errors.js';
import type { HashAlgorithm } from '../../core/types.js';
import { completeChain } from '../chain-completion.js';
import type { KeyAlgorithm, SignRequest, Signer } from '../signer.js';
import type { DigestItem, RemoteAdapter, RemoteTransaction } from './types.js';

export type RemoteTxState = 'pending' | 'confirmed' | 'signed' | 'declined' | 'expired' | 'failed' | 'cancelled';

export interface RemoteTxReport {
  id: string;
  code?: string;
  documents: number;
  state: RemoteTxState;
}

export interface RemoteWaitInfo {
  provider: string;
  app: Msg;
  transactions: RemoteTxReport[];
  /** documents in the whole batch */
  count: number;
  deadline: Date;
}

export interface RemoteSignerOptions {
  /** profile name, for messages */
  profile: string;
  approvalTimeoutSec: number;
  pollIntervalMs: number;
  /** --chain file completing the provider's chain */
  chainFile?: string;
  /** which certificate when the provider holds several (matched against the credential id) */
  credentialId?: string;
}

export interface RemoteSignerDeps {
  now(): Date;
  sleep?(ms: number): Promise<void>;
  /** called after each poll round while the signer has not approved yet (countdown on a TTY) */
  onWaiting?(info: RemoteWaitInfo): void;
  /** called once the wait ends, whatever the outcome */
  onWaitEnd?(): void;
  bundledDir?: string;
  aia?: boolean;
}

export interface BatchSigner extends Signer {
  readonly provider: string;
  /** the batch: one approval for all; signatures in the order of `reqs` */
  signDigests(reqs: SignRequest[], labels: string[]): Promise<Uint8Array[]>;
  /** transactions made so far (for --json) */
  readonly transactions: RemoteTxReport[];
  readonly hashes: readonly HashAlgorithm[];
}

export function isBatchSigner(s: Signer): s is BatchSigner {
  return typeof (s as Partial<BatchSigner>).signDigests === 'function';
}

export async function openRemoteSigner(adapter: RemoteAdapter, opts: RemoteSignerOptions, deps: RemoteSignerDeps): Promise<BatchSigner> {
  const provider = adapter.provider;
  const all = await adapter.listCredentials();
  const now = deps.now();
  const usable = all.filter((c) => !opts.credentialId || c.id === opts.credentialId);
  const valid = usable.filter((c) => {
    try {
      const x = new X509Certificate(c.certificate);
      return new Date(x.validFrom) <= now && now <= new Date(x.validTo);
    } catch {
      return false;
    }
  });
  const cred = valid[0] ?? usable[0];
  if (!cred) {
    throw credentialError(
      'REMOTE_NO_CERTIFICATE',
      msg(`${provider}: no signing certificate for remote profile "${opts.profile}"${opts.credentialId ? ` with id ${opts.credentialId}` : ''}`, `${provider}: hồ sơ ký từ xa "${opts.profile}" không có chứng thư ký${opts.credentialId ? ` mang mã ${opts.credentialId}` : ''}`),
    );
  }
  const x = new X509Certificate(cred.certificate);
  const keyType = x.publicKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') {
    throw credentialError('REMOTE_KEY_UNSUPPORTED', msg(`${provider}: the key of "${x.subject}" is neither RSA nor EC`, `${provider}: khóa của "${x.subject}" không phải RSA hay EC`));
  }
  const keyAlgorithm: KeyAlgorithm = keyType;
  const details = x.publicKey.asymmetricKeyDetails ?? {};
  const keyBits = keyType === 'rsa' ? (details.modulusLength ?? 2048) : curveBits(details.namedCurve);
  const { chain } = await completeChain({ leaf: cred.certificate, tokenCerts: cred.chain, chainFile: opts.chainFile, bundledDir: deps.bundledDir, aia: deps.aia });
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const transactions: RemoteTxReport[] = [];

  const signDigests = async (reqs: SignRequest[], labels: string[]): Promise<Uint8Array[]> => {
    if (!reqs.length) return [];
    for (const r of reqs) {
      if (!adapter.hashes.includes(r.hash)) {
        throw usageError('REMOTE_HASH_UNSUPPORTED', msg(`${provider} signs only ${adapter.hashes.join(', ')} digests; use --hash ${adapter.hashes[0]}`, `${provider} chỉ ký giá trị băm ${adapter.hashes.join(', ')}; hãy dùng --hash ${adapter.hashes[0]}`));
      }
      if (r.scheme === 'rsa-pss') throw usageError('REMOTE_PSS_UNSUPPORTED', msg(`${provider}: --rsa-pss is not available with remote signing`, `${provider}: không dùng được --rsa-pss khi ký từ xa`));
    }
    const items: DigestItem[] = reqs.map((r, i) => ({ digest: r.digest, hash: r.hash, label: labels[i] ?? `document-${i + 1}` }));
    const max = adapter.maxBatch(cred);
    const chunks: DigestItem[][] = [];
    for (let i = 0; i < items.length; i += max && max > 0 ? max : items.length) chunks.push(items.slice(i, i + (max && max > 0 ? max : items.length)));
    const description = items.length === 1 ? `kyso: ${items[0]!.label}` : `kyso: ${items.length} documents`;
    // every transaction is submitted before waiting, so the signer approves them together
    const txs: { tx: RemoteTransaction; items: DigestItem[]; report: RemoteTxReport; sigs?: Uint8Array[] }[] = [];
    for (const chunk of chunks) {
      const tx = await adapter.submit(cred, chunk, description);
      const report: RemoteTxReport = { id: tx.id, code: tx.code, documents: chunk.length, state: 'pending' };
      transactions.push(report);
      txs.push({ tx, items: chunk, report });
    }
    const deadline = new Date(deps.now().getTime() + opts.approvalTimeoutSec * 1000);
    const info = (): RemoteWaitInfo => ({ provider, app: adapter.app, transactions: txs.map((t) => t.report), count: items.length, deadline });
    try {
      deps.onWaiting?.(info()); // the code to look for in the app, before the first poll
      for (;;) {
        for (const t of txs) {
          if (t.sigs) continue;
          const r = await adapter.poll(cred, t.tx, t.items);
          if (r.state === 'signed') {
            t.sigs = r.signatures;
            t.report.state = 'signed';
          } else if (r.state === 'pending') {
            if (r.confirmed) t.report.state = 'confirmed';
          } else {
            t.report.state = r.state;
            for (const o of txs) if (o !== t && !o.sigs) o.report.state = 'cancelled';
            throw outcomeError(provider, r.state, t.report, r.detail, adapter.app);
          }
        }
        if (txs.every((t) => t.sigs)) break;
        if (deps.now() >= deadline) {
          for (const t of txs) if (!t.sigs) t.report.state = 'expired';
          throw outcomeError(provider, 'expired', txs.find((t) => !t.sigs)!.report, `no approval within ${opts.approvalTimeoutSec} s`, adapter.app);
        }
        deps.onWaiting?.(info());
        await sleep(opts.pollIntervalMs);
      }
    } finally {
      deps.onWaitEnd?.();
    }
    const sigs = txs.flatMap((t) => t.sigs!);
    // Never embed a value that is not a signature of exactly what we asked for with this certificate's key.
    return sigs.map((s, i) => checkSignature(x, keyAlgorithm, reqs[i]!, s, provider, labels[i] ?? ''));
  };

  return {
    certificate: cred.certificate,
    chain,
    keyAlgorithm,
    keyBits,
    description: `${provider} (${opts.profile})`,
    provider,
    transactions,
    hashes: adapter.hashes,
    signDigests,
    async signDigest(req: SignRequest) {
      return (await signDigests([req], ['document']))[0]!;
    },
    async close() {
      /* nothing held open: tokens of the provider expire by themselves */
    },
  };
}

function curveBits(curve: string | undefined): number {
  return curve === 'secp384r1' ? 384 : curve === 'secp521r1' ? 521 : 256;
}

function outcomeError(provider: string, state: 'declined' | 'expired' | 'failed', tx: RemoteTxReport, detail: string | undefined, app: Msg): KysoError {
  const d = detail ? ` (${detail})` : '';
  const details = { transactionId: tx.id, transactionCode: tx.code, state };
  if (state === 'declined') {
    return new KysoError('REMOTE_DECLINED', 'credentials', msg(`${provider}: the signer declined transaction ${tx.code ?? tx.id}${d}; nothing was written`, `${provider}: người ký đã từ chối giao dịch ${tx.code ?? tx.id}${d}; chưa ghi tệp nào`), { details });
  }
  if (state === 'expired') {
    return new KysoError(
      'REMOTE_EXPIRED',
      'exchange-retry',
      msg(`${provider}: transaction ${tx.code ?? tx.id} was not approved in time${d}; nothing was written, run the command again`, `${provider}: giao dịch ${tx.code ?? tx.id} không được xác nhận kịp thời${d}; chưa ghi tệp nào, hãy chạy lại lệnh`),
      { details, hint: msg(`Approve the request in the ${app.en} app before the countdown ends.`, `Hãy xác nhận yêu cầu trong ứng dụng ${app.vi} trước khi hết giờ.`) },
    );
  }
  return new KysoError('REMOTE_SIGN_FAILED', 'exchange-retry', msg(`${provider}: transaction ${tx.code ?? tx.id} failed${d}; nothing was written`, `${provider}: giao dịch ${tx.code ?? tx.id} không thành công${d}; chưa ghi tệp nào`), { details });
}

/** Verifies the provider's value over the signed attributes; returns it in CMS form (DER for ECDSA). */
function checkSignature(cert: X509Certificate, alg: KeyAlgorithm, req: SignRequest, sig: Uint8Array, provider: string, label: string): Uint8Array {
  const key = cert.publicKey;
  let ok = false;
  let out = sig;
  try {
    if (alg === 'rsa') ok = cryptoVerify(req.hash, req.data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
    else {
      ok = cryptoVerify(req.hash, req.data, { key, dsaEncoding: 'der' }, sig);
      if (!ok && sig.length % 2 === 0 && sig[0] !== 0x30) {
        // CSC services may return ECDSA as r‖s (IEEE P1363); CMS wants DER
        ok = cryptoVerify(req.hash, req.data, { key, dsaEncoding: 'ieee-p1363' }, sig);
        if (ok) out = p1363ToDer(sig);
      }
    }
  } catch {
    ok = false;
  }
  if (!ok) {
    throw credentialError(
      'REMOTE_SIGNATURE_MISMATCH',
      msg(
        `${provider}: the signature returned for ${label} does not verify with the certificate's public key (it was made over other data or with another key); nothing was written`,
        `${provider}: chữ ký trả về cho ${label} không khớp với khóa công khai của chứng thư (ký trên dữ liệu khác hoặc bằng khóa khác); chưa ghi tệp nào`,
      ),
    );
  }
  return out;
}

function p1363ToDer(sig: Uint8Array): Uint8Array {
  const n = sig.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Uint8Array.from([0, ...v]);
    return Buffer.concat([Uint8Array.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, n)), int(sig.subarray(n))]);
  const len = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return Buffer.concat([Uint8Array.from([0x30, ...len]), body]);
}
