import { credentialError, KysoError, msg, usageError, type Msg } from '../core/errors.js';
import type { HashAlgorithm, Lang, Warning } from '../core/types.js';
import { checkSigningCertificate } from './certificate-checks.js';
import { completeChain, type AiaFetcher } from './chain-completion.js';
import { loadRealBinding, Pkcs11CallError, traceBinding, type Pkcs11Binding, type Pkcs11BindingLoader, type Pkcs11Handle, type Pkcs11Mechanism } from './pkcs11-binding.js';
import {
  CK_PARAMS_RSA_PSS,
  CKF_SERIAL_SESSION,
  CKG_MGF1_SHA256,
  CKG_MGF1_SHA384,
  CKG_MGF1_SHA512,
  CKM_ECDSA,
  CKM_RSA_PKCS,
  CKM_RSA_PKCS_PSS,
  CKM_SHA256,
  CKM_SHA256_RSA_PKCS,
  CKM_SHA256_RSA_PKCS_PSS,
  CKM_SHA384,
  CKM_SHA384_RSA_PKCS,
  CKM_SHA384_RSA_PKCS_PSS,
  CKM_SHA512,
  CKM_SHA512_RSA_PKCS,
  CKM_SHA512_RSA_PKCS_PSS,
  ckmName,
} from './pkcs11-constants.js';
import { resolveModuleByDiscovery } from './pkcs11-probe.js';
import { errName, loginOnce, tokenCallError } from './token-login.js';
import type { ModuleDiscoveryOptions } from './pkcs11-modules.js';
import type { KeyAlgorithm, SignatureScheme, Signer, SignRequest } from './signer.js';
import { canSign, describeTokenCertificate, type TokenCertInfo } from './token-cert-info.js';
import {
  listTokenSlots,
  readTokenCertificates,
  readTokenPrivateKeys,
  tokenName,
  type SlotEntry,
  type TokenCertObject,
} from './token-inventory.js';

export interface Pkcs11SignerOptions {
  /** Path of the PKCS#11 library (--pkcs11-module or config); absent: the one p11-kit module with a token. */
  module?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  keyLabel?: string;
  /** CKA_ID in hex (colons and a 0x prefix are accepted) */
  keyId?: string;
  certSha256?: string;
  /** --chain <pem|p7b>: certificates to complete the chain */
  chainFile?: string;
  /** Called at most once, only when a PIN must be typed (not for PIN-pad tokens, not when no login is needed). */
  pin: (token: { label: string; serial: string }) => Promise<string>;
  /** stdin is a TTY: ambiguous choices are asked instead of failing. */
  interactive: boolean;
  /** Asks the person to pick one of `items`; returns its index. Needed only when interactive. */
  choose?: (question: string, items: string[]) => Promise<number>;
  /** language of the `choose` question (both languages when absent) */
  lang?: Lang;
  /** Signature scheme the caller will ask for; checked against the token's mechanisms before login. */
  scheme?: SignatureScheme;
  hash?: HashAlgorithm;
}

export interface Pkcs11SignerDeps {
  loadBinding?: Pkcs11BindingLoader;
  /** KYSO_PKCS11_TRACE: append one line per C_Login / C_Sign … (timings, never arguments). */
  tracePath?: string;
  warn?: (w: Warning) => void;
  /** Information for the person at the keyboard (e.g. "type the PIN on the token's PIN pad"). */
  notice?: (m: Msg) => void;
  /** Chain completion effects (tests pass a local fetcher / bundled folder). */
  fetch?: AiaFetcher;
  bundledDir?: string;
  aia?: boolean;
  now?: () => Date;
  /** Registers cleanup for Ctrl-C (Context.onInterrupt): the signer logs out when interrupted. */
  onInterrupt?: (fn: () => void | Promise<void>) => () => void;
  /** Where to look for modules when opts.module is absent. */
  discovery?: ModuleDiscoveryOptions;
}

const DIGEST_INFO_PREFIX: Record<HashAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};
const HASHED_RSA: Record<HashAlgorithm, number> = { sha256: CKM_SHA256_RSA_PKCS, sha384: CKM_SHA384_RSA_PKCS, sha512: CKM_SHA512_RSA_PKCS };
const HASHED_PSS: Record<HashAlgorithm, number> = { sha256: CKM_SHA256_RSA_PKCS_PSS, sha384: CKM_SHA384_RSA_PKCS_PSS, sha512: CKM_SHA512_RSA_PKCS_PSS };
const PSS_HASH: Record<HashAlgorithm, [number, number, number]> = {
  sha256: [CKM_SHA256, CKG_MGF1_SHA256, 32],
  sha384: [CKM_SHA384, CKG_MGF1_SHA384, 48],
  sha512: [CKM_SHA512, CKG_MGF1_SHA512, 64],
};

/**
 * Opens a token, picks its signing key and logs in exactly once. The returned Signer signs any number of
 * documents in that one session and logs out / closes / finalizes on close() (call it on every path,
 * Ctrl-C included: the sign service registers it with the interrupt handler).
 */
export async function openPkcs11Signer(opts: Pkcs11SignerOptions, deps: Pkcs11SignerDeps = {}): Promise<Signer> {
  const load = deps.loadBinding ?? loadRealBinding;
  const ask = opts.interactive && opts.choose ? (m: Msg, items: string[]) => opts.choose!(opts.lang ? m[opts.lang] : `${m.en} / ${m.vi}`, items) : undefined;
  const modulePath = opts.module ?? (await resolveModuleByDiscovery({ tokenLabel: opts.tokenLabel, tokenSerial: opts.tokenSerial }, deps.discovery ?? {}, load, ask));
  let b = load(modulePath);
  if (deps.tracePath) b = traceBinding(b, deps.tracePath);
  const warn = deps.warn ?? (() => {});
  const notice = deps.notice ?? ((m: Msg) => warn({ code: 'TOKEN_NOTICE', ...m }));
  const now = deps.now ?? (() => new Date());

  try {
    b.C_Initialize();
  } catch (e) {
    throw credentialError('PKCS11_INIT_FAILED', msg(`${modulePath}: the token driver failed to start (${errName(e)})`, `${modulePath}: trình điều khiển token không khởi động được (${errName(e)})`), { cause: e });
  }
  let session: Pkcs11Handle | undefined;
  let loggedIn = false;
  let closed = false;
  let unregister: (() => void) | undefined;
  const close = async () => {
    if (closed) return;
    closed = true;
    unregister?.();
    if (session && loggedIn) tryCall(() => b.C_Logout(session!));
    if (session) tryCall(() => b.C_CloseSession(session!));
    tryCall(() => b.C_Finalize());
  };

  unregister = deps.onInterrupt?.(close);
  let tNameSeen: string | undefined;
  try {
    const slot = await selectToken(b, opts, ask);
    const token = slot.token!;
    const tName = tokenName(token);
    tNameSeen = tName;
    try {
      session = b.C_OpenSession(slot.slot, CKF_SERIAL_SESSION);
    } catch (e) {
      throw tokenCallError(e, tName, 'C_OpenSession');
    }
    const mechanisms = readMechanisms(b, slot.slot);

    // Certificates are usually public: choose before asking for the PIN.
    let certs = readTokenCertificates(b, session);
    const login = async () => {
      await loginOnce(b, session!, slot.slot, token, opts, warn, notice);
      loggedIn = true;
    };
    if (certs.length === 0 && token.loginRequired) {
      await login();
      certs = readTokenCertificates(b, session);
    }
    const described = certs.map((c) => ({ obj: c, info: describeTokenCertificate(c.der, `token ${tName}`) }));
    let chosen = await chooseCertificate(described, opts, tName, now(), !loggedIn && token.loginRequired, ask);
    // Everything that can fail without the key is checked BEFORE the PIN is asked: a PIN try is precious.
    let pre = chosen ? await preflight(chosen, described, opts, deps, mechanisms, tName, now()) : undefined;
    if (!loggedIn && token.loginRequired) await login();
    const keys = readTokenPrivateKeys(b, session);
    if (!chosen && opts.keyLabel) {
      // --key-label may name the private key rather than the certificate: match it after login.
      const k = keys.find((k) => k.label === opts.keyLabel);
      const byId = k ? described.filter((d) => d.obj.id === k.id && d.obj.id !== '') : [];
      if (byId.length === 1) chosen = byId[0];
      else chosen = await chooseCertificate(described, opts, tName, now(), false, ask); // throws TOKEN_KEY_NOT_FOUND
    }
    if (!chosen) {
      if (described.filter((d) => !d.info.isCA).length === 0 && keys.length > 0) {
        throw credentialError(
          'TOKEN_KEY_WITHOUT_CERT',
          msg(`token ${tName}: has a private key but no certificate for it, so it cannot sign documents`, `token ${tName}: có khoá bí mật nhưng không có chứng thư số đi kèm nên không ký được văn bản`),
          { hint: msg('Ask your CA to load the certificate onto the token.', 'Hãy đề nghị nhà cung cấp chứng thư số nạp chứng thư vào token.') },
        );
      }
      throw credentialError('TOKEN_NO_SIGNING_KEY', msg(`token ${tName}: no signing certificate with a private key found`, `token ${tName}: không có chứng thư ký số nào kèm khoá bí mật`));
    }
    pre ??= await preflight(chosen, described, opts, deps, mechanisms, tName, now());
    const certObj = chosen.obj;
    const info = chosen.info;
    const key = keys.find((k) => k.id !== '' && k.id === certObj.id) ?? (keys.length === 1 && certObj.id === '' ? keys[0] : undefined);
    if (!key) {
      throw credentialError(
        'TOKEN_CERT_WITHOUT_KEY',
        msg(
          `token ${tName}: certificate "${info.subject}" (key id ${certObj.id || 'none'}) has no matching private key on the token`,
          `token ${tName}: chứng thư "${info.subject}" (mã khoá ${certObj.id || 'không có'}) không có khoá bí mật tương ứng trên token`,
        ),
      );
    }
    const { keyAlgorithm, chain } = pre;

    const keyHandle = key.handle;
    const outLen = keyAlgorithm === 'rsa' ? Math.ceil(info.keyBits / 8) + 16 : 2 * Math.ceil(info.keyBits / 8) + 16;
    const signer: Signer = {
      certificate: new Uint8Array(certObj.der),
      chain,
      keyAlgorithm,
      keyBits: info.keyBits,
      description: `token ${token.label}${token.serial ? ` ${token.serial}` : ''}/key ${certObj.id || certObj.label || '?'}`,
      async signDigest(req: SignRequest): Promise<Uint8Array> {
        if (closed) throw new KysoError('TOKEN_SESSION_CLOSED', 'internal', msg('the token session is already closed', 'phiên làm việc với token đã đóng'));
        const plan = pickMechanism(mechanisms, keyAlgorithm, req.scheme, req.hash, tName);
        const input = plan.input === 'data' ? Buffer.from(req.data) : plan.input === 'digest-info' ? Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[req.hash], 'hex'), Buffer.from(req.digest)]) : Buffer.from(req.digest);
        let sig: Buffer;
        try {
          b.C_SignInit(session!, plan.mechanism, keyHandle);
          sig = Buffer.from(b.C_Sign(session!, input, Buffer.alloc(Math.max(outLen, 1040))));
        } catch (e) {
          throw tokenCallError(e, tName, 'C_Sign');
        }
        return keyAlgorithm === 'ec' ? rawEcdsaToDer(sig) : new Uint8Array(sig);
      },
      close,
    };
    return signer;
  } catch (e) {
    await close();
    // A PKCS#11 failure outside the named steps (object search, attributes …) is still the token's.
    if (e instanceof Pkcs11CallError) throw tokenCallError(e, tNameSeen ?? modulePath, e.fn);
    throw e;
  }
}

/** Key type, certificate validity, token mechanism and chain: all knowable before any login. */
async function preflight(
  chosen: Described,
  described: Described[],
  opts: Pkcs11SignerOptions,
  deps: Pkcs11SignerDeps,
  mechanisms: Set<number> | undefined,
  tName: string,
  now: Date,
): Promise<{ keyAlgorithm: KeyAlgorithm; chain: Uint8Array[] }> {
  const info = chosen.info;
  if (info.keyAlgorithm === 'other') {
    throw credentialError('TOKEN_KEY_UNSUPPORTED', msg(`token ${tName}: the key of "${info.subject}" is neither RSA nor EC`, `token ${tName}: khoá của "${info.subject}" không phải RSA hay EC`));
  }
  // Expired / not yet valid / not for signing: refuse now rather than after a PIN was typed.
  checkSigningCertificate(chosen.obj.der, { now, source: `token ${tName}` });
  const keyAlgorithm: KeyAlgorithm = info.keyAlgorithm;
  const planScheme: SignatureScheme = opts.scheme ?? (keyAlgorithm === 'ec' ? 'ecdsa' : 'rsa-pkcs1');
  pickMechanism(mechanisms, keyAlgorithm, planScheme, opts.hash ?? 'sha256', tName);
  const { chain } = await completeChain({
    leaf: chosen.obj.der,
    tokenCerts: described.filter((d) => d !== chosen).map((d) => d.obj.der),
    chainFile: opts.chainFile,
    bundledDir: deps.bundledDir,
    aia: deps.aia,
    fetch: deps.fetch,
  });
  return { keyAlgorithm, chain };
}

function tryCall(fn: () => void): void {
  try {
    fn();
  } catch {
    /* cleanup is best effort: the token may be gone */
  }
}


function readMechanisms(b: Pkcs11Binding, slot: Pkcs11Handle): Set<number> | undefined {
  try {
    return new Set(b.C_GetMechanismList(slot));
  } catch {
    return undefined; // a token that cannot list mechanisms: try and let C_SignInit answer
  }
}

interface MechanismPlan {
  mechanism: Pkcs11Mechanism;
  input: 'data' | 'digest' | 'digest-info';
}

/** Mechanism for (key, scheme, hash) among those the token advertises; names what is missing otherwise. */
export function pickMechanism(mechs: Set<number> | undefined, key: KeyAlgorithm, scheme: SignatureScheme, hash: HashAlgorithm, tName: string): MechanismPlan {
  const has = (m: number) => mechs === undefined || mechs.has(m);
  const missing = (names: string[]) =>
    credentialError(
      'TOKEN_MECHANISM_UNSUPPORTED',
      msg(`token ${tName}: does not support ${names.join(' or ')} needed for this signature`, `token ${tName}: không hỗ trợ ${names.join(' hoặc ')} cần cho chữ ký này`),
      { details: { missing: names } },
    );
  if (key === 'ec') {
    if (scheme !== 'ecdsa') throw usageError('TOKEN_SCHEME_MISMATCH', msg(`token ${tName}: the key is EC; only ECDSA signatures are possible`, `token ${tName}: khoá là EC nên chỉ ký được ECDSA`));
    if (!has(CKM_ECDSA)) throw missing(['CKM_ECDSA']);
    return { mechanism: { mechanism: CKM_ECDSA }, input: 'digest' };
  }
  if (scheme === 'ecdsa') throw usageError('TOKEN_SCHEME_MISMATCH', msg(`token ${tName}: the key is RSA, not EC`, `token ${tName}: khoá là RSA, không phải EC`));
  if (scheme === 'rsa-pss') {
    const [hashAlg, mgf, saltLen] = PSS_HASH[hash];
    const parameter = { type: CK_PARAMS_RSA_PSS, hashAlg, mgf, saltLen };
    if (mechs && mechs.has(HASHED_PSS[hash])) return { mechanism: { mechanism: HASHED_PSS[hash], parameter }, input: 'data' };
    if (has(CKM_RSA_PKCS_PSS)) return { mechanism: { mechanism: CKM_RSA_PKCS_PSS, parameter }, input: 'digest' };
    throw missing([ckmName(HASHED_PSS[hash]), 'CKM_RSA_PKCS_PSS']);
  }
  if (mechs && mechs.has(HASHED_RSA[hash])) return { mechanism: { mechanism: HASHED_RSA[hash] }, input: 'data' };
  if (has(CKM_RSA_PKCS)) return { mechanism: { mechanism: CKM_RSA_PKCS }, input: 'digest-info' };
  throw missing([ckmName(HASHED_RSA[hash]), 'CKM_RSA_PKCS']);
}

/** Raw r||s (PKCS#11 CKM_ECDSA output) → DER Ecdsa-Sig-Value; tiny, so written here. */
export function rawEcdsaToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new KysoError('TOKEN_BAD_SIGNATURE', 'internal', msg('the token returned a malformed ECDSA signature', 'token trả về chữ ký ECDSA sai định dạng'));
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02]), derLen(v.length), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLen(body.length), body]));
}

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

type Ask = ((m: Msg, items: string[]) => Promise<number>) | undefined;

async function selectToken(b: Pkcs11Binding, opts: Pkcs11SignerOptions, ask: Ask): Promise<SlotEntry> {
  let slots: SlotEntry[];
  try {
    slots = listTokenSlots(b).filter((s) => s.tokenPresent && s.token?.initialized);
  } catch (e) {
    throw credentialError('TOKEN_LIST_FAILED', msg(`${b.modulePath}: cannot list the tokens (${errName(e)})`, `${b.modulePath}: không liệt kê được token (${errName(e)})`), { cause: e });
  }
  if (slots.length === 0) {
    throw credentialError('TOKEN_NOT_PRESENT', msg(`no token is plugged in (module ${b.modulePath})`, `không có token nào được cắm vào (thư viện ${b.modulePath})`), {
      hint: msg('Plug the USB token in, wait for its light, and try again.', 'Hãy cắm USB token, chờ đèn sáng rồi thử lại.'),
    });
  }
  const matching = slots.filter(
    (s) => (opts.tokenLabel === undefined || s.token!.label === opts.tokenLabel.trim()) && (opts.tokenSerial === undefined || s.token!.serial === opts.tokenSerial.trim()),
  );
  const list = slots.map((s) => tokenName(s.token!)).join(', ');
  if (matching.length === 0) {
    const wanted = [opts.tokenLabel !== undefined ? `label "${opts.tokenLabel}"` : '', opts.tokenSerial !== undefined ? `serial ${opts.tokenSerial}` : ''].filter(Boolean).join(', ');
    throw credentialError('TOKEN_NOT_FOUND', msg(`no token with ${wanted} is plugged in; present: ${list}`, `không có token nào có ${wanted.replace('label', 'nhãn').replace('serial', 'số sê-ri')}; đang cắm: ${list}`));
  }
  if (matching.length === 1) return matching[0]!;
  // Several tokens: if only one of them can hold the wanted signing certificate, that is the one.
  const possible = matching.filter((s) => mayHoldSigningCert(b, s, opts));
  if (possible.length === 1) return possible[0]!;
  if (ask) {
    const i = await ask(msg('Several tokens are plugged in; which one?', 'Có nhiều token đang cắm; dùng token nào?'), matching.map((s) => `${tokenName(s.token!)} — ${s.token!.manufacturer} ${s.token!.model}`));
    const s = matching[i];
    if (s) return s;
  }
  throw usageError('TOKEN_AMBIGUOUS', msg(`several tokens are plugged in (${list}); choose one with --token-label or --token-serial`, `có nhiều token đang cắm (${list}); hãy chọn bằng --token-label hoặc --token-serial`), {
    details: { tokens: matching.map((s) => ({ label: s.token!.label, serial: s.token!.serial })) },
  });
}

/**
 * Whether a token may hold a certificate matching the options, judged from its public objects (no login).
 * A token that shows no certificate at all may hide them until login: it stays a candidate.
 */
function mayHoldSigningCert(b: Pkcs11Binding, s: SlotEntry, opts: Pkcs11SignerOptions): boolean {
  let session: Pkcs11Handle | undefined;
  try {
    session = b.C_OpenSession(s.slot, CKF_SERIAL_SESSION);
    const certs = readTokenCertificates(b, session);
    if (certs.length === 0) return s.token!.loginRequired;
    return certs.some((c) => {
      try {
        const info = describeTokenCertificate(c.der);
        if (!canSign(info)) return false;
        if (opts.keyId !== undefined && c.id !== normHex(opts.keyId)) return false;
        if (opts.certSha256 !== undefined && info.sha256 !== normHex(opts.certSha256)) return false;
        return true; // --key-label may name a hidden private key: not used to exclude
      } catch {
        return false;
      }
    });
  } catch {
    return true; // cannot tell: let the person choose
  } finally {
    if (session) tryCall(() => b.C_CloseSession(session!));
  }
}

interface Described {
  obj: TokenCertObject;
  info: TokenCertInfo;
}

function normHex(s: string): string {
  return s.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
}

async function chooseCertificate(all: Described[], opts: Pkcs11SignerOptions, tName: string, now: Date, keysHidden: boolean, ask: Ask): Promise<Described | undefined> {
  let cands = all.filter((d) => !d.info.isCA);
  const filtered = opts.keyId !== undefined || opts.keyLabel !== undefined || opts.certSha256 !== undefined;
  if (opts.keyId !== undefined) cands = cands.filter((d) => d.obj.id === normHex(opts.keyId!));
  if (opts.certSha256 !== undefined) cands = cands.filter((d) => d.info.sha256 === normHex(opts.certSha256!));
  if (opts.keyLabel !== undefined) {
    const byLabel = cands.filter((d) => d.obj.label === opts.keyLabel);
    if (byLabel.length === 0 && keysHidden) return undefined; // decided after login (key labels)
    cands = byLabel;
  }
  if (cands.length === 0) {
    if (!filtered) return undefined;
    const have = all.filter((d) => !d.info.isCA);
    throw credentialError(
      'TOKEN_KEY_NOT_FOUND',
      msg(
        `token ${tName}: no certificate matches the --key-label/--key-id/--cert-sha256 given; on the token: ${have.map((d) => certLine(d, 'en')).join('; ') || 'none'}`,
        `token ${tName}: không có chứng thư nào khớp --key-label/--key-id/--cert-sha256 đã cho; trên token có: ${have.map((d) => certLine(d, 'vi')).join('; ') || 'không có'}`,
      ),
    );
  }
  const signing = cands.filter((d) => canSign(d.info));
  let pool = signing.length > 0 ? signing : cands;
  if (pool.length > 1) {
    const valid = pool.filter((d) => new Date(d.info.notBefore) <= now && now <= new Date(d.info.notAfter));
    if (valid.length > 0) pool = valid;
  }
  if (pool.length === 1) return pool[0];
  if (ask) {
    const i = await ask(msg(`Token ${tName} holds several signing certificates; which one?`, `Token ${tName} có nhiều chứng thư ký số; dùng chứng thư nào?`), pool.map((d) => certLine(d, opts.lang ?? 'en')));
    const d = pool[i];
    if (d) return d;
  }
  throw usageError(
    'TOKEN_CERT_AMBIGUOUS',
    msg(
      `token ${tName} holds several signing certificates; choose one with --key-id or --cert-sha256: ${pool.map((d) => certLine(d, 'en')).join('; ')}`,
      `token ${tName} có nhiều chứng thư ký số; hãy chọn bằng --key-id hoặc --cert-sha256: ${pool.map((d) => certLine(d, 'vi')).join('; ')}`,
    ),
    { details: { certificates: pool.map((d) => ({ keyId: d.obj.id, label: d.obj.label, subject: d.info.subject, notAfter: d.info.notAfter, sha256: d.info.sha256 })) } },
  );
}

function certLine(d: Described, lang: Lang): string {
  const until = d.info.notAfter.slice(0, 10);
  const sha = d.info.sha256.slice(0, 16);
  return lang === 'vi'
    ? `mã khoá ${d.obj.id || '-'} "${d.info.subject}" hiệu lực đến ${until} sha256 ${sha}…`
    : `key id ${d.obj.id || '-'} "${d.info.subject}" valid to ${until} sha256 ${sha}…`;
}

