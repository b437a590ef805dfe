import path from 'node:path';
import { credentialError, KysoError, msg, usageError } from './errors.js';
import { PROJECT_CONFIG, userConfigPath, type ConfigSources } from './config.js';

/**
 * Remote-signing profiles (`kyso sign --remote <name>`), kept apart from the exchange profiles of config.ts.
 *
 * Trust rule (shared/architecture.md): a remote profile names endpoints and where secrets come from, so it is
 * read ONLY from the user file ($XDG_CONFIG_HOME/kyso/config.json) or from an explicit file (`--config FILE`
 * or KYSO_CONFIG), never from a project `kyso.config.json` that anyone can drop into a folder. A project file
 * that carries "remoteProfiles" is ignored (and the caller is told, so it can warn).
 *
 * This module does no I/O itself: reading files is a parameter.
 */

export type RemoteAdapterName = 'vnpt-smartca' | 'viettel-mysign' | 'csc';
export const REMOTE_ADAPTERS: readonly RemoteAdapterName[] = ['vnpt-smartca', 'viettel-mysign', 'csc'];

/** One profile as written under "remoteProfiles" in a config file. */
export interface RemoteProfileConfig {
  adapter?: RemoteAdapterName;
  /** base URL: SP769 `…/sca/sp769`, MySign `https://remotesigning.viettel.vn`, CSC `…/csc/v2` */
  endpoint?: string;
  /** the signer: SP769 `user_id` (CCCD/MST), MySign `user_id` (e.g. CMT_…), CSC user name for auth/login */
  userId?: string;
  /** integrator id: SP769 `sp_id`, MySign/CSC `client_id` */
  clientId?: string;
  /** environment variable / 0600 file holding the integrator secret (SP769 `sp_password`, `client_secret`) */
  secretEnv?: string;
  secretFile?: string;
  /** environment variable / 0600 file holding the user's password (CSC `auth/login`) */
  userSecretEnv?: string;
  userSecretFile?: string;
  /** which certificate: SP769 `serial_number`, MySign/CSC `credentialID` (default: the only / first valid one) */
  serialNumber?: string;
  credentialId?: string;
  /** SP769: prefer certificates of this `service_type` (default SMARTCA) */
  serviceType?: string;
  /** MySign `profile_id` (default adss:ras:profile:001) */
  profileId?: string;
  /** CSC service authorization: "client-credentials" (oauth2/token, scope service) or "basic" (auth/login) */
  cscAuth?: 'client-credentials' | 'basic';
  /** CSC OAuth2 token URL (default {endpoint}/oauth2/token) */
  tokenUrl?: string;
  /** how long the signer has to approve, seconds (default 300; no provider documents its window) */
  approvalTimeoutSec?: number;
  /** status polling interval in ms (default 2000) */
  pollIntervalMs?: number;
  /** per-request timeout in ms (default 30 000) */
  timeoutMs?: number;
  /** most digests in one transaction (default: SP769 none, MySign none, CSC the credential's `multisign`) */
  maxBatch?: number;
  /** SP769: `{tranId}` of the status URL: "transaction_id" (official sample, default) or "tran_code" */
  statusId?: 'transaction_id' | 'tran_code';
  /** SP769 (undocumented states): `message` / `status_code` values meaning declined and expired */
  declinedStates?: string[];
  expiredStates?: string[];
  /** PEM bundle of CA certificates trusted for the endpoint's TLS (replaces the system store) */
  caFile?: string;
  /** name of the provider's approval app shown to the clerk (default per adapter) */
  appName?: string;
}

export interface ResolvedRemoteProfile extends RemoteProfileConfig {
  name: string;
  adapter: RemoteAdapterName;
  endpoint: string;
  approvalTimeoutSec: number;
  pollIntervalMs: number;
  timeoutMs: number;
  /** the file it came from */
  file: string;
}

export interface RemoteConfigResult {
  profiles: Record<string, RemoteProfileConfig & { file: string }>;
  files: string[];
  /** a project file that holds "remoteProfiles", which were ignored */
  ignoredProjectFile?: string;
}

const SECRET_KEYS = ['secret', 'password', 'clientSecret', 'spPassword', 'sp_password', 'client_secret', 'userPassword'];

/** Reads "remoteProfiles" from the explicit file (--config / KYSO_CONFIG) and the user file; the explicit wins. */
export function loadRemoteProfiles(src: ConfigSources, configFile?: string): RemoteConfigResult {
  const explicit = configFile ?? src.env.KYSO_CONFIG;
  const candidates: string[] = [];
  if (explicit) candidates.push(path.resolve(src.cwd, explicit));
  candidates.push(userConfigPath(src));
  const out: RemoteConfigResult = { profiles: {}, files: [] };
  for (const f of [...candidates].reverse()) {
    const text = read(src, f);
    if (text === undefined) {
      if (f === candidates[0] && explicit) throw usageError('CONFIG_MISSING', msg(`${f}: configuration file not found`, `${f}: không tìm thấy tệp cấu hình`));
      continue;
    }
    out.files.unshift(f);
    const doc = parse(f, text);
    const dir = path.dirname(f);
    const abs = (p?: string) => (p === undefined || path.isAbsolute(p) ? p : path.resolve(dir, p));
    for (const [name, p] of Object.entries(doc)) {
      out.profiles[name] = { ...out.profiles[name], ...p, secretFile: abs(p.secretFile), userSecretFile: abs(p.userSecretFile), caFile: abs(p.caFile), file: f };
    }
  }
  if (!explicit) {
    const project = path.join(src.cwd, PROJECT_CONFIG);
    const text = read(src, project, true);
    if (text && /"remoteProfiles"/.test(text)) out.ignoredProjectFile = project;
  }
  return out;
}

function read(src: ConfigSources, f: string, quiet = false): string | undefined {
  try {
    return src.readFile(f);
  } catch (e) {
    if (quiet) return undefined;
    throw usageError('CONFIG_UNREADABLE', msg(`${f}: cannot read the configuration file`, `${f}: không đọc được tệp cấu hình`), { cause: e });
  }
}

function parse(file: string, text: string): Record<string, RemoteProfileConfig> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw usageError('CONFIG_INVALID', msg(`${file}: not valid JSON (${(e as Error).message})`, `${file}: không phải JSON hợp lệ (${(e as Error).message})`));
  }
  const rp = (doc as { remoteProfiles?: unknown } | null)?.remoteProfiles;
  if (rp === undefined) return {};
  if (!rp || typeof rp !== 'object' || Array.isArray(rp)) {
    throw usageError('CONFIG_INVALID', msg(`${file}: "remoteProfiles" must be an object of named profiles`, `${file}: "remoteProfiles" phải là đối tượng chứa các hồ sơ có tên`));
  }
  for (const [name, p] of Object.entries(rp as Record<string, unknown>)) {
    if (!p || typeof p !== 'object' || Array.isArray(p)) {
      throw usageError('CONFIG_INVALID', msg(`${file}: remote profile "${name}" must be an object`, `${file}: hồ sơ ký từ xa "${name}" phải là một đối tượng`));
    }
    const inline = SECRET_KEYS.find((k) => k in p);
    if (inline) {
      throw usageError(
        'CONFIG_SECRET_INLINE',
        msg(
          `${file}: remote profile "${name}" holds a secret in clear text ("${inline}"); use "secretEnv"/"userSecretEnv" (an environment variable name) or "secretFile"/"userSecretFile" (a file readable only by you)`,
          `${file}: hồ sơ ký từ xa "${name}" chứa mật khẩu dạng rõ ("${inline}"); hãy dùng "secretEnv"/"userSecretEnv" (tên biến môi trường) hoặc "secretFile"/"userSecretFile" (tệp chỉ bạn đọc được)`,
        ),
      );
    }
  }
  return rp as Record<string, RemoteProfileConfig>;
}

/** Hosts for which plain http is accepted (test servers and local gateways only). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function checkRemoteUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError('REMOTE_PROFILE_INVALID', msg(`${what}: "${url}" is not a URL`, `${what}: "${url}" không phải URL`));
  }
  if (u.protocol === 'https:') return;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return;
  throw usageError('REMOTE_HTTPS_REQUIRED', msg(`${what}: "${url}" must be an https:// URL`, `${what}: "${url}" phải là URL https://`));
}

export function resolveRemoteProfile(cfg: RemoteConfigResult, name: string): ResolvedRemoteProfile {
  const p = cfg.profiles[name];
  const where = cfg.files.length ? cfg.files.join(', ') : '$XDG_CONFIG_HOME/kyso/config.json';
  if (!p) {
    const known = Object.keys(cfg.profiles);
    throw usageError(
      'REMOTE_PROFILE_UNKNOWN',
      msg(
        `remote signing profile "${name}" not found in ${where}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
        `không tìm thấy hồ sơ ký từ xa "${name}" trong ${where}${known.length ? ` (có: ${known.join(', ')})` : ''}`,
      ),
      cfg.ignoredProjectFile
        ? { hint: msg(`${cfg.ignoredProjectFile} is a project file: remote profiles are read only from your user configuration or --config (see docs/remote-signing.md)`, `${cfg.ignoredProjectFile} là tệp của thư mục dự án: hồ sơ ký từ xa chỉ được đọc từ cấu hình người dùng hoặc --config (xem docs/remote-signing.md)`) }
        : undefined,
    );
  }
  const bad = (field: string, en: string, vi: string) =>
    new KysoError('REMOTE_PROFILE_INVALID', 'usage', msg(`remote profile "${name}" (${p.file}): ${field} ${en}`, `hồ sơ ký từ xa "${name}" (${p.file}): ${field} ${vi}`));
  if (!p.adapter || !REMOTE_ADAPTERS.includes(p.adapter)) throw bad('adapter', `must be one of ${REMOTE_ADAPTERS.join(', ')}`, `phải là một trong ${REMOTE_ADAPTERS.join(', ')}`);
  if (!p.endpoint) throw bad('endpoint', 'is missing', 'bị thiếu');
  checkRemoteUrl(p.endpoint, `remote profile "${name}" endpoint`);
  if (p.tokenUrl) checkRemoteUrl(p.tokenUrl, `remote profile "${name}" tokenUrl`);
  if (p.adapter !== 'csc' && !p.userId) throw bad('userId', 'is missing', 'bị thiếu');
  if (p.adapter !== 'csc' && !p.clientId) throw bad('clientId', 'is missing', 'bị thiếu');
  const num = (v: number | undefined, dflt: number, field: string, min: number) => {
    if (v === undefined) return dflt;
    if (!Number.isFinite(v) || v < min) throw bad(field, `must be a number ≥ ${min}`, `phải là số ≥ ${min}`);
    return v;
  };
  if (p.maxBatch !== undefined) num(p.maxBatch, 0, 'maxBatch', 1);
  return {
    ...p,
    name,
    adapter: p.adapter,
    endpoint: p.endpoint.replace(/\/+$/, ''),
    approvalTimeoutSec: num(p.approvalTimeoutSec, 300, 'approvalTimeoutSec', 1),
    pollIntervalMs: num(p.pollIntervalMs, 2000, 'pollIntervalMs', 10),
    timeoutMs: num(p.timeoutMs, 30_000, 'timeoutMs', 100),
    file: p.file,
  };
}

export interface SecretFs {
  mode(p: string): number;
  read(p: string): string;
}

/** A secret named by the profile: from a 0600 file or an environment variable; never argv, never the config. */
export function readRemoteSecret(
  profile: ResolvedRemoteProfile,
  which: 'integrator' | 'user',
  env: Record<string, string | undefined>,
  fs: SecretFs,
): string {
  const file = which === 'integrator' ? profile.secretFile : profile.userSecretFile;
  const envName = which === 'integrator' ? (profile.secretEnv ?? 'KYSO_REMOTE_SECRET') : (profile.userSecretEnv ?? 'KYSO_REMOTE_PASSWORD');
  const what = which === 'integrator' ? msg('integrator secret', 'khóa bí mật tích hợp') : msg('user password', 'mật khẩu người dùng');
  if (file) {
    let mode: number;
    let text: string;
    try {
      mode = fs.mode(file);
      text = fs.read(file);
    } catch (e) {
      throw credentialError('SECRET_FILE_UNREADABLE', msg(`${file}: cannot read the ${what.en} (remote profile "${profile.name}")`, `${file}: không đọc được ${what.vi} (hồ sơ ký từ xa "${profile.name}")`), { cause: e });
    }
    if ((mode & 0o077) !== 0) {
      throw credentialError(
        'SECRET_FILE_PERMISSIONS',
        msg(`${file}: the ${what.en} file is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`, `${file}: tệp ${what.vi} bị người khác đọc được (quyền ${(mode & 0o777).toString(8)}); hãy chạy: chmod 600 ${file}`),
      );
    }
    const s = text.split(/\r?\n/)[0] ?? '';
    if (!s) throw credentialError('SECRET_EMPTY', msg(`${file}: the ${what.en} file is empty`, `${file}: tệp ${what.vi} bị trống`));
    return s;
  }
  const v = env[envName];
  if (!v) {
    throw credentialError(
      'SECRET_MISSING',
      msg(
        `no ${what.en} for remote profile "${profile.name}": set the environment variable ${envName} or "${which === 'integrator' ? 'secretFile' : 'userSecretFile'}" in the profile`,
        `chưa có ${what.vi} cho hồ sơ ký từ xa "${profile.name}": hãy đặt biến môi trường ${envName} hoặc "${which === 'integrator' ? 'secretFile' : 'userSecretFile'}" trong hồ sơ`,
      ),
    );
  }
  return v;
}
