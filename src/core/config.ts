import path from 'node:path';
import { KysoError, msg, usageError } from './errors.js';

/**
 * kyso configuration (exchange profiles, data folder). Precedence, highest first:
 * flags > environment (KYSO_*) > project file `kyso.config.json` (cwd) > user file
 * `$XDG_CONFIG_HOME/kyso/config.json` > defaults. Schema documented in docs/config.md.
 *
 * This module does no I/O itself: file reading is a parameter (`readFile`), so it stays in src/core.
 */

export type AdapterName = 'vdxp' | 'lgsp-bearer' | 'lgsp-oauth2';
export const ADAPTERS: readonly AdapterName[] = ['vdxp', 'lgsp-bearer', 'lgsp-oauth2'];

export interface RetrySettings {
  /** first back-off delay in ms */
  baseMs: number;
  /** largest back-off delay in ms */
  maxMs: number;
  /** attempts made within one run before the item is left queued */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetrySettings = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5 };

/** Optional description of the sending organisation, written into edXML `From`. */
export interface OrganInfo {
  name?: string;
  inCharge?: string;
  address?: string;
  email?: string;
  phone?: string;
  fax?: string;
  website?: string;
  /** default promulgation place, e.g. "Hà Nội" */
  place?: string;
}

/** One profile as written in a config file (every field optional until validated). */
export interface ProfileConfig {
  adapter?: AdapterName;
  endpoint?: string;
  systemId?: string;
  organId?: string;
  secretEnv?: string;
  secretFile?: string;
  caFile?: string;
  clientCert?: string;
  clientKey?: string;
  proxy?: string;
  timeoutMs?: number;
  retry?: Partial<RetrySettings>;
  username?: string;
  tokenUrl?: string;
  clientId?: string;
  organ?: OrganInfo;
}

export interface ConfigFile {
  defaultProfile?: string;
  dataDir?: string;
  /** PKCS#11 library of the USB token used by `kyso sign` / `kyso token` when no --pkcs11-module is given */
  pkcs11Module?: string;
  profiles?: Record<string, ProfileConfig>;
  /** looks of visible signatures (src/core/config-appearance.ts) */
  appearance?: unknown;
}

/** A validated profile (the shape the exchange layer's transport factory takes, plus our extras). */
export interface ResolvedProfile {
  name: string;
  adapter: AdapterName;
  /** base URL, e.g. https://lgsp.example.gov.vn/vdxp (http:// only for loopback training hubs) */
  endpoint: string;
  systemId: string;
  organId: string;
  /** name of the environment variable holding the secret */
  secretEnv?: string;
  /** file holding the secret (must not be readable by group/others) */
  secretFile?: string;
  /** PEM bundle of CA certificates trusted for the endpoint (replaces the system store) */
  caFile?: string;
  /** PEM client certificate (+ chain) for mTLS */
  clientCert?: string;
  /** PEM private key of clientCert (unencrypted) */
  clientKey?: string;
  /** http://host:port of an HTTP CONNECT proxy; when absent HTTPS_PROXY / HTTP_PROXY (with NO_PROXY) apply */
  proxy?: string;
  /** per-request timeout (connect, headers, body idle); default 30 000 ms */
  timeoutMs?: number;
  retry: RetrySettings;
  /** lgsp-bearer: login user name (default: systemId) */
  username?: string;
  /** lgsp-oauth2: token endpoint (default: {endpoint}/oauth2/token) */
  tokenUrl?: string;
  /** lgsp-oauth2: client id (default: systemId) */
  clientId?: string;
  organ: OrganInfo;
}

export interface ConfigSources {
  cwd: string;
  env: Record<string, string | undefined>;
  /** returns the file's text, or undefined when it does not exist; throws for other errors */
  readFile: (p: string) => string | undefined;
  homeDir: string;
}

export interface ConfigFlags {
  profile?: string;
  dataDir?: string;
  /** explicit config file (`--config`), replaces the project file */
  configFile?: string;
}

export interface LoadedConfig {
  /** files that were read, highest precedence first */
  files: string[];
  defaultProfile?: string;
  profiles: Record<string, ProfileConfig>;
  dataDir: string;
  pkcs11Module?: string;
  /** the "appearance" sections, lowest precedence first, each with the file it came from */
  appearance?: { file: string; value: unknown }[];
}

export const PROJECT_CONFIG = 'kyso.config.json';
export const DEFAULT_SECRET_ENV = 'KYSO_EXCHANGE_SECRET';
/** Organ ids (mã định danh, QĐ 20/2020/QĐ-TTg): at most 35 characters of 0-9 A-Z and '.' */
export const ORGAN_ID_RE = /^[0-9A-Z.]{1,35}$/;

export function userConfigPath(src: Pick<ConfigSources, 'env' | 'homeDir'>): string {
  const base = src.env.XDG_CONFIG_HOME || path.join(src.homeDir, '.config');
  return path.join(base, 'kyso', 'config.json');
}

export function defaultDataDir(src: Pick<ConfigSources, 'env' | 'homeDir'>): string {
  const base = src.env.XDG_DATA_HOME || path.join(src.homeDir, '.local', 'share');
  return path.join(base, 'kyso');
}

function parseFile(file: string, text: string): Omit<ConfigFile, 'appearance'> & { appearance?: { file: string; value: unknown } } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw usageError('CONFIG_INVALID', msg(`${file}: not valid JSON (${(e as Error).message})`, `${file}: không phải JSON hợp lệ (${(e as Error).message})`));
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw usageError('CONFIG_INVALID', msg(`${file}: the configuration must be a JSON object`, `${file}: tệp cấu hình phải là một đối tượng JSON`));
  }
  const c = doc as ConfigFile;
  if (c.profiles !== undefined && (typeof c.profiles !== 'object' || Array.isArray(c.profiles))) {
    throw usageError('CONFIG_INVALID', msg(`${file}: "profiles" must be an object of named profiles`, `${file}: "profiles" phải là đối tượng chứa các hồ sơ có tên`));
  }
  for (const [name, p] of Object.entries(c.profiles ?? {})) {
    if (p && typeof p === 'object' && ('secret' in p || 'password' in p || 'secretKey' in p)) {
      throw usageError('CONFIG_SECRET_INLINE', msg(
        `${file}: profile "${name}" holds a secret in clear text; use "secretEnv" (an environment variable name) or "secretFile" (a file readable only by you)`,
        `${file}: hồ sơ "${name}" chứa khóa bí mật dạng rõ; hãy dùng "secretEnv" (tên biến môi trường) hoặc "secretFile" (tệp chỉ bạn đọc được)`,
      ));
    }
  }
  /* paths inside a file are relative to that file's folder */
  const dir = path.dirname(file);
  const abs = (p?: string) => (p === undefined || path.isAbsolute(p) ? p : path.resolve(dir, p));
  const profiles: Record<string, ProfileConfig> = {};
  for (const [name, p] of Object.entries(c.profiles ?? {})) {
    profiles[name] = { ...p, secretFile: abs(p.secretFile), caFile: abs(p.caFile), clientCert: abs(p.clientCert), clientKey: abs(p.clientKey) };
  }
  return { defaultProfile: c.defaultProfile, dataDir: abs(c.dataDir), profiles, pkcs11Module: abs(c.pkcs11Module), appearance: c.appearance === undefined ? undefined : { file, value: c.appearance } };
}

/** Reads and merges the config files; profiles of the same name merge field by field (higher wins). */
export function loadConfig(src: ConfigSources, flags: ConfigFlags = {}): LoadedConfig {
  const candidates: string[] = [];
  const explicit = flags.configFile ?? src.env.KYSO_CONFIG;
  if (explicit) candidates.push(path.resolve(src.cwd, explicit));
  else candidates.push(path.join(src.cwd, PROJECT_CONFIG));
  candidates.push(userConfigPath(src));
  const files: string[] = [];
  const parsed: ReturnType<typeof parseFile>[] = [];
  for (const f of candidates) {
    let text: string | undefined;
    try {
      text = src.readFile(f);
    } catch (e) {
      throw usageError('CONFIG_UNREADABLE', msg(`${f}: cannot read the configuration file`, `${f}: không đọc được tệp cấu hình`), { cause: e });
    }
    if (text === undefined) {
      if (f === candidates[0] && explicit) {
        throw usageError('CONFIG_MISSING', msg(`${f}: configuration file not found`, `${f}: không tìm thấy tệp cấu hình`));
      }
      continue;
    }
    files.push(f);
    parsed.push(parseFile(f, text));
  }
  // lowest precedence first, so later ones override
  const merged: LoadedConfig = { files, profiles: {}, dataDir: defaultDataDir(src) };
  for (const c of [...parsed].reverse()) {
    if (c.defaultProfile) merged.defaultProfile = c.defaultProfile;
    if (c.dataDir) merged.dataDir = c.dataDir;
    if (c.pkcs11Module) merged.pkcs11Module = c.pkcs11Module;
    if (c.appearance) (merged.appearance ??= []).push(c.appearance);
    for (const [name, p] of Object.entries(c.profiles ?? {})) {
      const prev = merged.profiles[name] ?? {};
      merged.profiles[name] = { ...prev, ...stripUndefined(p), retry: { ...prev.retry, ...p.retry }, organ: { ...prev.organ, ...p.organ } };
    }
  }
  if (src.env.KYSO_DATA_DIR) merged.dataDir = path.resolve(src.cwd, src.env.KYSO_DATA_DIR);
  if (flags.dataDir) merged.dataDir = path.resolve(src.cwd, flags.dataDir);
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Picks and validates one profile: `--profile` > KYSO_PROFILE > defaultProfile > the only profile.
 * Environment overrides of single fields: KYSO_ENDPOINT, KYSO_SYSTEM_ID, KYSO_ORGAN_ID, KYSO_ADAPTER.
 */
export function resolveProfile(cfg: LoadedConfig, env: Record<string, string | undefined>, flagProfile?: string): ResolvedProfile {
  const names = Object.keys(cfg.profiles);
  const name = flagProfile ?? env.KYSO_PROFILE ?? cfg.defaultProfile ?? (names.length === 1 ? names[0] : undefined);
  const where = cfg.files.length ? cfg.files.join(', ') : 'kyso.config.json';
  if (!name) {
    throw usageError(
      'PROFILE_MISSING',
      names.length
        ? msg(`several exchange profiles in ${where} (${names.join(', ')}): choose one with --profile or "defaultProfile"`, `có nhiều hồ sơ liên thông trong ${where} (${names.join(', ')}): chọn một bằng --profile hoặc "defaultProfile"`)
        : msg(`no exchange profile configured: create ${PROJECT_CONFIG} (see docs/config.md)`, `chưa cấu hình hồ sơ liên thông: hãy tạo ${PROJECT_CONFIG} (xem docs/config.md)`),
    );
  }
  const p = cfg.profiles[name];
  if (!p) {
    throw usageError('PROFILE_UNKNOWN', msg(`exchange profile "${name}" not found in ${where}`, `không tìm thấy hồ sơ liên thông "${name}" trong ${where}`));
  }
  const adapter = (env.KYSO_ADAPTER ?? p.adapter ?? 'vdxp') as AdapterName;
  const endpoint = env.KYSO_ENDPOINT ?? p.endpoint;
  const systemId = env.KYSO_SYSTEM_ID ?? p.systemId;
  const organId = env.KYSO_ORGAN_ID ?? p.organId;
  const bad = (field: string, en: string, vi: string) =>
    new KysoError('PROFILE_INVALID', 'usage', msg(`profile "${name}" (${where}): ${field} ${en}`, `hồ sơ "${name}" (${where}): ${field} ${vi}`));
  if (!ADAPTERS.includes(adapter)) throw bad('adapter', `must be one of ${ADAPTERS.join(', ')}`, `phải là một trong ${ADAPTERS.join(', ')}`);
  if (!endpoint) throw bad('endpoint', 'is missing', 'bị thiếu');
  try {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw bad('endpoint', `"${endpoint}" is not an http(s) URL`, `"${endpoint}" không phải URL http(s)`);
  }
  if (!systemId) throw bad('systemId', 'is missing', 'bị thiếu');
  if (!organId) throw bad('organId', 'is missing', 'bị thiếu');
  if (!ORGAN_ID_RE.test(organId)) throw bad('organId', `"${organId}" is not a valid organ id (≤ 35 characters of 0-9 A-Z .)`, `"${organId}" không phải mã định danh hợp lệ (≤ 35 ký tự 0-9 A-Z .)`);
  const retry: RetrySettings = { ...DEFAULT_RETRY, ...stripUndefined(p.retry ?? {}) };
  for (const k of ['baseMs', 'maxMs', 'maxAttempts'] as const) {
    if (!Number.isFinite(retry[k]) || retry[k] < (k === 'maxAttempts' ? 1 : 0)) throw bad(`retry.${k}`, 'must be a non-negative number', 'phải là số không âm');
  }
  return {
    name,
    adapter,
    endpoint,
    systemId,
    organId,
    secretEnv: p.secretEnv,
    secretFile: p.secretFile,
    caFile: p.caFile,
    clientCert: p.clientCert,
    clientKey: p.clientKey,
    proxy: p.proxy,
    timeoutMs: p.timeoutMs,
    retry,
    username: p.username,
    tokenUrl: p.tokenUrl,
    clientId: p.clientId,
    organ: p.organ ?? {},
  };
}
