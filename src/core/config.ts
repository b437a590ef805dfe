import path from 'node:path';
import { KysoError, msg, usageError } from './errors.js';
import type { Warning } from './types.js';
import { assertTransportAllowed, redactUrls } from './url-safety.js';

/**
 * kyso configuration (exchange profiles, data folder). Precedence, highest first:
 * flags > environment (KYSO_*) > project file `kyso.config.json` (cwd) > user file
 * `$XDG_CONFIG_HOME/kyso/config.json` > defaults. Schema documented in docs/config.md.
 *
 * Trust (like git's safe.directory): a project file is data anyone can drop into a folder (a received
 * attachment, a shared drive). Keys that load code or direct secrets and trust (SENSITIVE_KEYS; other
 * modules add theirs with registerSensitiveKeys) are taken from a project file only when its folder is
 * listed in the user file's `trustedProjectDirs`; otherwise they are dropped with a warning naming the key.
 * The user file, an explicit `--config FILE` / KYSO_CONFIG and the environment are trusted.
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
  /** user file only: project folders whose kyso.config.json may set sensitive keys */
  trustedProjectDirs?: string[];
  /** hosts that may be reached over plain http:// besides loopback (e.g. a training hub on the office LAN) */
  insecureHosts?: string[];
  /** extra hosts `kyso receive` verification may fetch AIA/OCSP/CRL from (besides the built-in anchors' hosts) */
  fetchAllowHosts?: string[];
  dataDir?: string;
  /** PKCS#11 library of the USB token used by `kyso sign` / `kyso token` when no --pkcs11-module is given */
  pkcs11Module?: string;
  profiles?: Record<string, ProfileConfig>;
}

/** A validated profile (the shape the exchange layer's transport factory takes, plus our extras). */
export interface ResolvedProfile {
  name: string;
  adapter: AdapterName;
  /** base URL, e.g. https://lgsp.example.gov.vn/vdxp (http:// only for loopback and `insecureHosts`) */
  endpoint: string;
  /** hosts the user configuration allows over plain http:// besides loopback */
  insecureHosts?: string[];
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
  /** canonical path of a folder (symlinks resolved) for the trustedProjectDirs check; default path.resolve */
  realpath?: (p: string) => string;
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
  /** hosts allowed over http:// besides loopback (trusted sources only) */
  insecureHosts: string[];
  /** extra hosts receive-time verification may fetch from (trusted sources only) */
  fetchAllowHosts: string[];
  /** other top-level sections (added by other features), merged section by section (higher wins per key) */
  sections: Record<string, unknown>;
  /** the "appearance" sections, lowest precedence first, each with the file it came from (relative image paths) */
  appearance?: { file: string; value: unknown }[];
  /** where every effective key came from: dotted key -> origin ("user file /x", "project file /y", "env KYSO_Z", "flag --data-dir", "default") */
  origins: Record<string, string>;
  /** sensitive keys dropped from an untrusted project file */
  ignored: Array<{ key: string; file: string }>;
  /** one warning per ignored key, to be printed by the CLI */
  warnings: Warning[];
}

/**
 * Keys that load code or direct secrets and trust, as dotted patterns: `*` matches within one segment,
 * a leading `**.` matches at any depth. A pattern also covers everything below the key it names.
 */
export const SENSITIVE_KEYS: string[] = [
  'pkcs11Module',
  '**.pkcs11Module',
  '**.endpoint',
  '**.tokenUrl',
  '**.secret*',
  '**.password*',
  '**.credential*',
  '**.caFile',
  '**.clientCert',
  '**.clientKey',
  '**.proxy',
  '**.trustAnchors',
  '**.tsa',
  '**.tsaUser*',
  '**.tsaPassword*',
  'trustedProjectDirs',
  'insecureHosts',
  'fetchAllowHosts',
];

/** Lets other modules (remote signing, appearance, ...) declare their own sensitive keys. */
export function registerSensitiveKeys(...patterns: string[]): void {
  for (const p of patterns) if (!SENSITIVE_KEYS.includes(p)) SENSITIVE_KEYS.push(p);
}

function segMatch(pat: string, seg: string): boolean {
  if (!pat.includes('*')) return pat === seg;
  const re = new RegExp(`^${pat.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(seg);
}

/** Does a dotted key (e.g. profiles.hub.endpoint) fall under a sensitive pattern? */
export function isSensitiveKey(key: string, patterns: readonly string[] = SENSITIVE_KEYS): boolean {
  const segs = key.split('.');
  return patterns.some((pat) => {
    if (pat.startsWith('**.')) {
      const ps = pat.slice(3).split('.');
      for (let i = 0; i + ps.length <= segs.length; i++) if (ps.every((p, j) => segMatch(p, segs[i + j]!))) return true;
      return false;
    }
    const ps = pat.split('.');
    return ps.length <= segs.length && ps.every((p, j) => segMatch(p, segs[j]!));
  });
}

/** Removes sensitive keys from a parsed JSON object (in place); returns the dotted keys removed. */
function dropSensitive(obj: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isSensitiveKey(key)) {
      delete obj[k];
      out.push(key);
    } else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...dropSensitive(v as Record<string, unknown>, key));
  }
  return out;
}

/** Dotted keys of the leaves of an object (arrays are leaves). */
function leaves(obj: unknown, prefix = ''): string[] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return prefix ? [prefix] : [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (v === undefined) continue;
    out.push(...leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return out;
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

const KNOWN_TOP = new Set(['defaultProfile', 'dataDir', 'pkcs11Module', 'profiles', 'trustedProjectDirs', 'insecureHosts', 'fetchAllowHosts']);

function parseJson(file: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw usageError('CONFIG_INVALID', msg(`${file}: not valid JSON (${(e as Error).message})`, `${file}: không phải JSON hợp lệ (${(e as Error).message})`));
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw usageError('CONFIG_INVALID', msg(`${file}: the configuration must be a JSON object`, `${file}: tệp cấu hình phải là một đối tượng JSON`));
  }
  return doc as Record<string, unknown>;
}

function stringList(file: string, key: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw usageError('CONFIG_INVALID', msg(`${file}: "${key}" must be a list of strings`, `${file}: "${key}" phải là danh sách chuỗi`));
  }
  return v as string[];
}

/** A secret written in clear in any file is refused outright (not merely ignored). */
function refuseInlineSecrets(file: string, c: ConfigFile): void {
  for (const [name, p] of Object.entries(c.profiles ?? {})) {
    if (p && typeof p === 'object' && ('secret' in p || 'password' in p || 'secretKey' in p)) {
      throw usageError('CONFIG_SECRET_INLINE', msg(
        `${file}: profile "${name}" holds a secret in clear text; use "secretEnv" (an environment variable name) or "secretFile" (a file readable only by you)`,
        `${file}: hồ sơ "${name}" chứa khóa bí mật dạng rõ; hãy dùng "secretEnv" (tên biến môi trường) hoặc "secretFile" (tệp chỉ bạn đọc được)`,
      ));
    }
  }
}

function parseFile(file: string, doc: Record<string, unknown>): ConfigFile & { sections: Record<string, unknown> } {
  const c = doc as ConfigFile;
  if (c.profiles !== undefined && (typeof c.profiles !== 'object' || Array.isArray(c.profiles))) {
    throw usageError('CONFIG_INVALID', msg(`${file}: "profiles" must be an object of named profiles`, `${file}: "profiles" phải là đối tượng chứa các hồ sơ có tên`));
  }
  /* paths inside a file are relative to that file's folder */
  const dir = path.dirname(file);
  const abs = (p?: string) => (p === undefined || path.isAbsolute(p) ? p : path.resolve(dir, p));
  const profiles: Record<string, ProfileConfig> = {};
  for (const [name, p] of Object.entries(c.profiles ?? {})) {
    profiles[name] = { ...p, secretFile: abs(p.secretFile), caFile: abs(p.caFile), clientCert: abs(p.clientCert), clientKey: abs(p.clientKey) };
  }
  const sections: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!KNOWN_TOP.has(k)) sections[k] = v;
  return {
    defaultProfile: c.defaultProfile,
    dataDir: abs(c.dataDir),
    profiles,
    pkcs11Module: abs(c.pkcs11Module),
    trustedProjectDirs: stringList(file, 'trustedProjectDirs', c.trustedProjectDirs)?.map((d) => abs(d)!),
    insecureHosts: stringList(file, 'insecureHosts', c.insecureHosts)?.map((h) => h.toLowerCase()),
    fetchAllowHosts: stringList(file, 'fetchAllowHosts', c.fetchAllowHosts)?.map((h) => h.toLowerCase()),
    sections,
  };
}

function ignoredWarning(key: string, file: string, dir: string, userFile: string): Warning {
  return {
    code: 'CONFIG_KEY_IGNORED',
    en: `${file}: "${key}" ignored: a project file may not set it (it loads code or directs secrets); set it in ${userFile}, pass --config, or add "${dir}" to "trustedProjectDirs" in ${userFile}`,
    vi: `${file}: bỏ qua "${key}": tệp cấu hình trong thư mục dự án không được đặt khóa này (nạp mã hoặc điều hướng khóa bí mật); hãy đặt trong ${userFile}, dùng --config, hoặc thêm "${dir}" vào "trustedProjectDirs" trong ${userFile}`,
  };
}

/**
 * Reads and merges the config files; profiles of the same name merge field by field (higher wins).
 * Sensitive keys of an untrusted project file are dropped (listed in `ignored`/`warnings`).
 */
export function loadConfig(src: ConfigSources, flags: ConfigFlags = {}): LoadedConfig {
  const realpath = src.realpath ?? ((p: string) => path.resolve(p));
  const explicitFlag = flags.configFile;
  const explicit = explicitFlag ?? src.env.KYSO_CONFIG;
  const userFile = userConfigPath(src);
  const read = (f: string): Record<string, unknown> | undefined => {
    let text: string | undefined;
    try {
      text = src.readFile(f);
    } catch (e) {
      throw usageError('CONFIG_UNREADABLE', msg(`${f}: cannot read the configuration file`, `${f}: không đọc được tệp cấu hình`), { cause: e });
    }
    if (text === undefined) return undefined;
    const doc = parseJson(f, text);
    refuseInlineSecrets(f, doc as ConfigFile);
    return doc;
  };
  // lowest precedence first
  const layers: Array<{ file: string; origin: string; doc: Record<string, unknown> }> = [];
  const userDoc = read(userFile);
  if (userDoc) layers.push({ file: userFile, origin: `user file ${userFile}`, doc: userDoc });
  const ignored: LoadedConfig['ignored'] = [];
  const warnings: Warning[] = [];
  if (explicit) {
    const f = path.resolve(src.cwd, explicit);
    const doc = read(f);
    if (!doc) throw usageError('CONFIG_MISSING', msg(`${f}: configuration file not found`, `${f}: không tìm thấy tệp cấu hình`));
    layers.push({ file: f, origin: `${explicitFlag ? '--config' : 'KYSO_CONFIG'} ${f}`, doc });
  } else {
    const f = path.join(src.cwd, PROJECT_CONFIG);
    const doc = read(f);
    if (doc) {
      const trustedDirs = (stringList(userFile, 'trustedProjectDirs', userDoc?.trustedProjectDirs) ?? []).map((d) => {
        const a = path.resolve(path.dirname(userFile), d);
        try {
          return realpath(a);
        } catch {
          return a;
        }
      });
      let here: string;
      try {
        here = realpath(src.cwd);
      } catch {
        here = path.resolve(src.cwd);
      }
      const trusted = trustedDirs.includes(here);
      if (!trusted) {
        for (const key of dropSensitive(doc)) {
          ignored.push({ key, file: f });
          warnings.push(ignoredWarning(key, f, here, userFile));
        }
      } else delete doc.trustedProjectDirs; // only the user file lists trusted folders
      layers.push({ file: f, origin: `project file ${f}${trusted ? ' (trusted folder)' : ''}`, doc });
    }
  }
  const merged: LoadedConfig = {
    files: layers.map((l) => l.file).reverse(),
    profiles: {},
    dataDir: defaultDataDir(src),
    insecureHosts: [],
    fetchAllowHosts: [],
    sections: {},
    origins: { dataDir: 'default' },
    ignored,
    warnings,
  };
  for (const layer of layers) {
    const c = parseFile(layer.file, layer.doc);
    const userOnly = layer.file === userFile;
    for (const k of leaves(layer.doc)) {
      if (k === 'trustedProjectDirs' && !userOnly) continue;
      merged.origins[k] = layer.origin;
    }
    if (c.defaultProfile) merged.defaultProfile = c.defaultProfile;
    if (c.dataDir) merged.dataDir = c.dataDir;
    if (c.pkcs11Module) merged.pkcs11Module = c.pkcs11Module;
    if (c.insecureHosts) merged.insecureHosts = [...new Set([...merged.insecureHosts, ...c.insecureHosts])];
    if (c.fetchAllowHosts) merged.fetchAllowHosts = [...new Set([...merged.fetchAllowHosts, ...c.fetchAllowHosts])];
    for (const [name, p] of Object.entries(c.profiles ?? {})) {
      const prev = merged.profiles[name] ?? {};
      merged.profiles[name] = { ...prev, ...stripUndefined(p), retry: { ...prev.retry, ...p.retry }, organ: { ...prev.organ, ...p.organ } };
    }
    if (layer.doc.appearance !== undefined) (merged.appearance ??= []).push({ file: layer.file, value: layer.doc.appearance });
    for (const [k, v] of Object.entries(c.sections)) {
      const prev = merged.sections[k];
      merged.sections[k] =
        prev && v && typeof prev === 'object' && typeof v === 'object' && !Array.isArray(prev) && !Array.isArray(v) ? { ...prev, ...v } : v;
    }
  }
  if (src.env.KYSO_DATA_DIR) {
    merged.dataDir = path.resolve(src.cwd, src.env.KYSO_DATA_DIR);
    merged.origins.dataDir = 'env KYSO_DATA_DIR';
  }
  if (flags.dataDir) {
    merged.dataDir = path.resolve(src.cwd, flags.dataDir);
    merged.origins.dataDir = 'flag --data-dir';
  }
  if (src.env.KYSO_PKCS11_MODULE) {
    merged.pkcs11Module = src.env.KYSO_PKCS11_MODULE;
    merged.origins.pkcs11Module = 'env KYSO_PKCS11_MODULE';
  }
  return merged;
}

/** Every effective key with its value and origin, for `kyso config show --origin` (sorted by key). */
export function effectiveEntries(cfg: LoadedConfig, env: Record<string, string | undefined>): Array<{ key: string; value: unknown; origin: string }> {
  const view: Record<string, unknown> = {
    ...cfg.sections,
    ...(cfg.defaultProfile ? { defaultProfile: cfg.defaultProfile } : {}),
    dataDir: cfg.dataDir,
    ...(cfg.pkcs11Module ? { pkcs11Module: cfg.pkcs11Module } : {}),
    ...(cfg.insecureHosts.length ? { insecureHosts: cfg.insecureHosts } : {}),
    ...(cfg.fetchAllowHosts.length ? { fetchAllowHosts: cfg.fetchAllowHosts } : {}),
    profiles: cfg.profiles,
  };
  const get = (key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), view);
  const out: Array<{ key: string; value: unknown; origin: string }> = [];
  for (const key of leaves(view)) {
    const value = get(key);
    if (value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value))) continue;
    out.push({ key, value, origin: cfg.origins[key] ?? 'default' });
  }
  for (const [v, what] of [['KYSO_PROFILE', 'profile'], ['KYSO_ENDPOINT', 'endpoint'], ['KYSO_SYSTEM_ID', 'systemId'], ['KYSO_ORGAN_ID', 'organId'], ['KYSO_ADAPTER', 'adapter']] as const) {
    if (env[v]) out.push({ key: `(selected profile).${what}`, value: env[v], origin: `env ${v}` });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
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
    throw bad('endpoint', `"${redactUrls(endpoint)}" is not an http(s) URL`, `"${redactUrls(endpoint)}" không phải URL http(s)`);
  }
  // https only, except loopback and the user's insecureHosts: refused here, before any connection
  assertTransportAllowed(endpoint, `profile "${name}" endpoint`, cfg.insecureHosts ?? []);
  if (p.tokenUrl) assertTransportAllowed(p.tokenUrl, `profile "${name}" tokenUrl`, cfg.insecureHosts ?? []);
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
    insecureHosts: cfg.insecureHosts ?? [],
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
