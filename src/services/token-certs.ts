/**
 * `kyso token certs`: the certificates on the plugged-in tokens (subject, issuer, validity, key usage,
 * key id, SHA-256). No login unless a token hides its certificates and a PIN source exists; then exactly
 * one C_Login per token, with the same PIN safety as signing (locked → refuse, wrong PIN → stop).
 */
import { credentialError, isKysoError, msg, type Msg } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import { loadRealBinding, Pkcs11CallError, traceBinding, type Pkcs11Binding, type Pkcs11BindingLoader } from '../crypto/pkcs11-binding.js';
import { CKF_SERIAL_SESSION } from '../crypto/pkcs11-constants.js';
import { discoverModules, type ModuleDiscoveryOptions } from '../crypto/pkcs11-modules.js';
import { completeChain } from '../crypto/chain-completion.js';
import { describeTokenCertificate } from '../crypto/token-cert-info.js';
import { listTokenSlots, readTokenCertificates, readTokenPrivateKeys, tokenName, type PinState } from '../crypto/token-inventory.js';
import { errName, loginOnce, tokenCallError } from '../crypto/token-login.js';

export interface TokenCertsOptions {
  module?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  discovery?: ModuleDiscoveryOptions;
}

export interface TokenCertsDeps {
  loadBinding?: Pkcs11BindingLoader;
  /** present only when a PIN can be obtained (KYSO_PIN, --pin-file, or a TTY) */
  pin?: (token: { label: string; serial: string }) => Promise<string>;
  warn?: (w: Warning) => void;
  notice?: (m: Msg) => void;
  tracePath?: string;
  /** bundled CA certificates for the offline chain (default: the package's assets/trust/vn) */
  bundledDir?: string;
}

export interface TokenCertificateRow {
  label: string;
  keyId: string;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  keyUsage: string[];
  isCA: boolean;
  sha256: string;
  keyAlgorithm: string;
  keyBits: number;
  /** known only after a login (private keys are hidden before) */
  hasPrivateKey?: boolean;
  /**
   * Issuers up to the root (subjects, nearest first) built from the token's own CA certificates and the
   * bundled Vietnamese CA certificates, without network: this identifies the CA, the module name does not.
   * Absent when the chain cannot be completed offline.
   */
  chain?: string[];
}

export interface TokenCertsEntry {
  module: string;
  slotId: string;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  pinState: PinState;
  loggedIn: boolean;
  certificates: TokenCertificateRow[];
  /** e.g. "certificates hidden until login; set KYSO_PIN or use --pin-file" */
  note?: Msg;
}

export interface TokenCertsResult {
  tokens: TokenCertsEntry[];
}

export async function listTokenCertificates(opts: TokenCertsOptions, deps: TokenCertsDeps = {}): Promise<TokenCertsResult> {
  const loader = deps.loadBinding ?? loadRealBinding;
  const modules = opts.module ? [opts.module] : discoverModules(opts.discovery ?? {}).flatMap((m) => (m.path ? [m.path] : []));
  const tokens: TokenCertsEntry[] = [];
  let presentAnywhere = 0;
  for (const modulePath of modules) {
    let b: Pkcs11Binding;
    try {
      b = loader(modulePath);
    } catch (e) {
      if (opts.module) throw e;
      continue; // discovery: a broken registered module is shown by `token list`, not here
    }
    if (deps.tracePath) b = traceBinding(b, deps.tracePath);
    try {
      b.C_Initialize();
    } catch (e) {
      if (opts.module) throw credentialError('PKCS11_INIT_FAILED', msg(`${modulePath}: the token driver failed to start (${errName(e)})`, `${modulePath}: trình điều khiển token không khởi động được (${errName(e)})`));
      continue;
    }
    try {
      const slots = listTokenSlots(b).filter((s) => s.tokenPresent && s.token?.initialized);
      presentAnywhere += slots.length;
      for (const s of slots) {
        const t = s.token!;
        if (opts.tokenLabel !== undefined && t.label !== opts.tokenLabel.trim()) continue;
        if (opts.tokenSerial !== undefined && t.serial !== opts.tokenSerial.trim()) continue;
        try {
          tokens.push(await readOne(b, modulePath, s.slot, s.slotId, t, deps));
        } catch (e) {
          if (e instanceof Pkcs11CallError) throw tokenCallError(e, tokenName(t), e.fn);
          throw e;
        }
      }
    } finally {
      try {
        b.C_Finalize();
      } catch {
        /* ignore */
      }
    }
  }
  if (tokens.length === 0) {
    if (presentAnywhere > 0) {
      const wanted = [opts.tokenLabel !== undefined ? `label "${opts.tokenLabel}"` : '', opts.tokenSerial !== undefined ? `serial ${opts.tokenSerial}` : ''].filter(Boolean).join(', ');
      throw credentialError('TOKEN_NOT_FOUND', msg(`no token with ${wanted} is plugged in`, `không có token nào có ${wanted.replace('label', 'nhãn').replace('serial', 'số sê-ri')}`));
    }
    throw credentialError(
      'TOKEN_NOT_PRESENT',
      modules.length === 0
        ? msg('no PKCS#11 module is registered on this system (p11-kit) and --pkcs11-module was not given', 'hệ thống chưa đăng ký thư viện PKCS#11 nào (p11-kit) và chưa có --pkcs11-module')
        : msg(`no token is plugged in (modules searched: ${modules.join(', ')})`, `không có token nào được cắm vào (đã tìm qua: ${modules.join(', ')})`),
    );
  }
  return { tokens };
}

async function readOne(
  b: Pkcs11Binding,
  modulePath: string,
  slot: Buffer,
  slotId: string,
  t: NonNullable<ReturnType<typeof listTokenSlots>[number]['token']>,
  deps: TokenCertsDeps,
): Promise<TokenCertsEntry> {
  const entry: TokenCertsEntry = { module: modulePath, slotId, label: t.label, serial: t.serial, manufacturer: t.manufacturer, model: t.model, pinState: t.pinState, loggedIn: false, certificates: [] };
  let session: Buffer;
  try {
    session = b.C_OpenSession(slot, CKF_SERIAL_SESSION);
  } catch (e) {
    throw tokenCallError(e, tokenName(t), 'C_OpenSession');
  }
  try {
    let certs = readTokenCertificates(b, session);
    if (certs.length === 0 && t.loginRequired) {
      if (deps.pin || t.pinPad) {
        await loginOnce(b, session, slot, t, { pin: deps.pin ?? (async () => '') }, deps.warn ?? (() => {}), deps.notice ?? (() => {}));
        entry.loggedIn = true;
        certs = readTokenCertificates(b, session);
      } else {
        entry.note = msg(
          `token ${tokenName(t)} shows no certificate without a login; set KYSO_PIN or use --pin-file to look inside`,
          `token ${tokenName(t)} không hiện chứng thư khi chưa đăng nhập; hãy đặt KYSO_PIN hoặc dùng --pin-file để xem`,
        );
      }
    }
    const keyIds = entry.loggedIn ? new Set(readTokenPrivateKeys(b, session).map((k) => k.id)) : undefined;
    const offlineChain = async (der: Buffer): Promise<string[] | undefined> => {
      try {
        const r = await completeChain({ leaf: der, tokenCerts: certs.filter((o) => o.der !== der).map((o) => o.der), bundledDir: deps.bundledDir, aia: false });
        return r.chain.map((c) => describeTokenCertificate(c).subject);
      } catch {
        return undefined;
      }
    };
    for (const c of certs) {
      try {
        const d = describeTokenCertificate(c.der, `token ${tokenName(t)}`);
        entry.certificates.push({
          label: c.label,
          keyId: c.id,
          subject: d.subject,
          issuer: d.issuer,
          serial: d.serial,
          notBefore: d.notBefore,
          notAfter: d.notAfter,
          keyUsage: d.keyUsage,
          isCA: d.isCA,
          sha256: d.sha256,
          keyAlgorithm: d.keyAlgorithm === 'other' ? 'other' : `${d.keyAlgorithm.toUpperCase()} ${d.keyBits}`,
          keyBits: d.keyBits,
          ...(keyIds ? { hasPrivateKey: c.id !== '' && keyIds.has(c.id) } : {}),
        });
        if (!d.isCA) {
          const chain = await offlineChain(c.der);
          if (chain) entry.certificates[entry.certificates.length - 1]!.chain = chain;
        }
      } catch (e) {
        if (!isKysoError(e)) throw e;
        /* an unparsable object is skipped */
      }
    }
    if (entry.certificates.length === 0 && !entry.note) {
      entry.note = msg(`token ${tokenName(t)} holds no certificate`, `token ${tokenName(t)} không chứa chứng thư nào`);
    }
  } finally {
    if (entry.loggedIn) {
      try {
        b.C_Logout(session);
      } catch {
        /* ignore */
      }
    }
    try {
      b.C_CloseSession(session);
    } catch {
      /* ignore */
    }
  }
  return entry;
}
