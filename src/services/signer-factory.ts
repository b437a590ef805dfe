/**
 * Chooses and opens the Signer for a run: a PKCS#12 file or a PKCS#11 token. The token signer (helper C's
 * src/crypto/pkcs11-signer.ts) is imported lazily so the native binding loads only when a token is used.
 * Secrets are obtained through callbacks, so a prompt happens only when (and after) it is needed.
 */
import { accessSync } from 'node:fs';
import { isKysoError, msg, usageError } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import { openPkcs12Signer } from '../crypto/pkcs12-signer.js';
import type { Signer } from '../crypto/signer.js';
import { orderChain } from '../crypto/der-cert.js';

export interface CredentialOptions {
  p12?: string;
  pkcs11Module?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  keyLabel?: string;
  keyId?: string;
  certSha256?: string;
  /** extra certificates (PEM / DER / p7b) to complete the signer's chain */
  chain?: string;
  /** what will be asked of the key, so a token lacking the mechanism is refused before the PIN prompt */
  rsaPss?: boolean;
  hash?: 'sha256' | 'sha384' | 'sha512';
}

export interface SignerFactoryDeps {
  /** the PKCS#12 passphrase for `file` (env, file, or prompt) */
  passphrase(file: string): Promise<string>;
  /**
   * After a wrong passphrase: asks again (attempt 2, 3) when it was typed at a terminal; undefined when it
   * came from the environment or a file (asking again would give the same answer).
   */
  retryPassphrase?(file: string, attempt: number): Promise<string> | undefined;
  /** the token PIN (env, file, or prompt); `token` describes which token is asked for */
  pin(token: string): Promise<string>;
  /** true when a person can answer questions on a terminal */
  interactive: boolean;
  /** lets the person pick one of several certificates/tokens on a TTY */
  choose?(question: string, options: string[]): Promise<number>;
  warn(w: Warning): void;
  now(): Date;
  /** registers cleanup for Ctrl-C; returns an unregister function */
  onInterrupt?(fn: () => void | Promise<void>): () => void;
  /** KYSO_PKCS11_TRACE: file the token binding appends one line per C_Login/C_Sign … to (timings only) */
  pkcs11Trace?: string;
  /** language of questions asked on the terminal */
  lang?: 'en' | 'vi';
}

/** What helper C's module exports; typed here because the module is loaded by a computed specifier. */
export interface Pkcs11SignerModule {
  openPkcs11Signer(
    opts: {
      module?: string;
      tokenLabel?: string;
      tokenSerial?: string;
      keyLabel?: string;
      keyId?: string;
      certSha256?: string;
      chainFile?: string;
      scheme?: 'rsa-pss';
      hash?: 'sha256' | 'sha384' | 'sha512';
      pin: (token?: { label: string; serial: string }) => Promise<string>;
      interactive: boolean;
      choose?: (question: string, options: string[]) => Promise<number>;
      lang?: 'en' | 'vi';
    },
    deps: { warn(w: Warning): void; now(): Date; onInterrupt?(fn: () => void | Promise<void>): () => void; tracePath?: string },
  ): Promise<Signer>;
}

export function usesToken(c: CredentialOptions): boolean {
  return Boolean(c.pkcs11Module || c.tokenLabel || c.tokenSerial || c.keyLabel || c.keyId || c.certSha256);
}

/** A person at a terminal gets three tries at the passphrase; a script gets one (its answer cannot change). */
const PASSPHRASE_TRIES = 3;

async function openP12WithRetries(file: string, deps: SignerFactoryDeps): Promise<Signer> {
  let passphrase = await deps.passphrase(file);
  for (let attempt = 2; ; attempt++) {
    try {
      return await openPkcs12Signer(file, passphrase);
    } catch (e) {
      const again = isKysoError(e) && e.code === 'P12_BAD_PASSWORD' && attempt <= PASSPHRASE_TRIES ? deps.retryPassphrase?.(file, attempt) : undefined;
      if (!again) throw e;
      deps.warn({ code: 'P12_BAD_PASSWORD_RETRY', ...msg(`${file}: wrong passphrase, try again (${attempt}/${PASSPHRASE_TRIES})`, `${file}: sai mật khẩu, nhập lại (${attempt}/${PASSPHRASE_TRIES})`) });
      passphrase = await again;
    }
  }
}

export async function openSigner(cred: CredentialOptions, deps: SignerFactoryDeps): Promise<Signer> {
  if (cred.p12 && usesToken(cred)) {
    throw usageError(
      'CREDENTIALS_CONFLICT',
      msg('give either --p12 or the token options (--pkcs11-module, --token-label …), not both', 'chỉ dùng --p12 hoặc các tùy chọn token (--pkcs11-module, --token-label …), không dùng cả hai'),
    );
  }
  if (cred.p12) {
    const file = cred.p12;
    // Fail on a missing file before asking for a passphrase nobody can use.
    try {
      accessSync(file);
    } catch {
      /* openPkcs12Signer reports it */
      return openPkcs12Signer(file, '');
    }
    const signer = await openP12WithRetries(file, deps);
    if (!cred.chain) return signer;
    const { readCertificatesFile } = await import('../crypto/x509.js'); // pkijs: only when --chain is used
    const extra = await readCertificatesFile(cred.chain);
    const chain = orderChain(signer.certificate, [...signer.chain, ...extra]);
    return { ...signer, chain, signDigest: signer.signDigest.bind(signer), close: signer.close.bind(signer) };
  }
  if (usesToken(cred)) {
    let mod: Pkcs11SignerModule;
    try {
      mod = (await import('../crypto/pkcs11-signer.js')) as Pkcs11SignerModule;
    } catch (e) {
      throw usageError('PKCS11_UNAVAILABLE', msg('signing with a USB token is not available in this build', 'bản cài đặt này chưa hỗ trợ ký bằng USB token'), {
        cause: e,
      });
    }
    return mod.openPkcs11Signer(
      {
        module: cred.pkcs11Module,
        tokenLabel: cred.tokenLabel,
        tokenSerial: cred.tokenSerial,
        keyLabel: cred.keyLabel,
        keyId: cred.keyId,
        certSha256: cred.certSha256,
        chainFile: cred.chain,
        ...(cred.rsaPss ? { scheme: 'rsa-pss' as const } : {}),
        hash: cred.hash,
        // the signer names the token it selected, so the prompt does too
        pin: (t) => deps.pin(t ? `token "${t.label}"` : (cred.tokenLabel ?? cred.tokenSerial ?? 'token')),
        interactive: deps.interactive,
        choose: deps.choose,
        lang: deps.lang,
      },
      { warn: deps.warn, now: deps.now, onInterrupt: deps.onInterrupt, tracePath: deps.pkcs11Trace },
    );
  }
  throw usageError('CREDENTIALS_MISSING', msg('no signing key given: use --p12 <file> or --pkcs11-module <lib>', 'chưa chỉ định khóa ký: dùng --p12 <tệp> hoặc --pkcs11-module <thư viện>'));
}

export interface RemoteSignerFactoryDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  homeDir: string;
  /** returns a config file's text, or undefined when it does not exist */
  readConfigFile(p: string): string | undefined;
  now(): Date;
  warn(w: Warning): void;
  onWaiting?(info: import('../crypto/remote/remote-signer.js').RemoteWaitInfo): void;
  onWaitEnd?(): void;
  /** the HTTP client (tests); default: undici, https only (http for loopback) */
  fetch?: import('../crypto/remote/http.js').RemoteFetch;
}

/**
 * `--remote <profile>`: the profile from the user config or an explicit --config/KYSO_CONFIG file (never a
 * project kyso.config.json), secrets from the env / 0600 files it names, then the provider's certificate.
 */
export async function openRemoteSignerFor(
  profileName: string,
  opts: { chain?: string; configFile?: string },
  deps: RemoteSignerFactoryDeps,
): Promise<import('../crypto/remote/remote-signer.js').BatchSigner> {
  const { openRemoteSigner } = await import('../crypto/remote/remote-signer.js');
  const { profile, adapter } = await remoteAdapterFor(profileName, opts, deps);
  return openRemoteSigner(
    adapter,
    {
      profile: profile.name,
      approvalTimeoutSec: profile.approvalTimeoutSec,
      pollIntervalMs: profile.pollIntervalMs,
      chainFile: opts.chain,
      credentialId: profile.adapter === 'vnpt-smartca' ? profile.serialNumber : profile.credentialId,
    },
    { now: deps.now, onWaiting: deps.onWaiting, onWaitEnd: deps.onWaitEnd },
  );
}

/** The profile and its provider adapter (shared by `kyso sign --remote` and `kyso remote certs`). */
export async function remoteAdapterFor(
  profileName: string,
  opts: { configFile?: string },
  deps: Pick<RemoteSignerFactoryDeps, 'env' | 'cwd' | 'homeDir' | 'readConfigFile' | 'warn' | 'fetch'>,
): Promise<{ profile: import('../core/config-remote.js').ResolvedRemoteProfile; adapter: import('../crypto/remote/types.js').RemoteAdapter }> {
  const { loadRemoteProfiles, resolveRemoteProfile } = await import('../core/config-remote.js');
  const { adapterFor } = await import('../crypto/remote/adapters.js');
  const { statSync, readFileSync } = await import('node:fs');
  const cfg = loadRemoteProfiles({ cwd: deps.cwd, env: deps.env, homeDir: deps.homeDir, readFile: deps.readConfigFile }, opts.configFile);
  if (cfg.ignoredProjectFile) {
    deps.warn({
      code: 'REMOTE_PROFILE_PROJECT_IGNORED',
      ...msg(
        `${cfg.ignoredProjectFile}: "remoteProfiles" in a project file are ignored; put them in your user configuration`,
        `${cfg.ignoredProjectFile}: "remoteProfiles" trong tệp của thư mục dự án bị bỏ qua; hãy đặt chúng trong cấu hình người dùng`,
      ),
    });
  }
  const profile = resolveRemoteProfile(cfg, profileName);
  const adapter = adapterFor(profile, deps.env, { mode: (p) => statSync(p).mode, read: (p) => readFileSync(p, 'utf8') }, deps.fetch);
  return { profile, adapter };
}
