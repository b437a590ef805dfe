import { credentialError, isKysoError, msg, usageError, type Msg } from '../core/errors.js';
import { ckrOf, loadRealBinding, type Pkcs11Binding, type Pkcs11BindingLoader } from './pkcs11-binding.js';
import { ckrName } from './pkcs11-constants.js';
import { discoverModules, vendorHintFor, type ModuleConfigEntry, type ModuleDiscoveryOptions } from './pkcs11-modules.js';
import { listTokenSlots, tokenName, type TokenSummary } from './token-inventory.js';

export interface LibraryInfo {
  manufacturer: string;
  description: string;
  /** "2.6" */
  version: string;
  cryptokiVersion: string;
}

export interface SlotReport {
  slotId: string;
  description: string;
  tokenPresent: boolean;
  token?: Omit<TokenSummary, 'flags'> & { flags: string };
  error?: string;
}

export interface ModuleReport {
  path: string;
  /** p11-kit config name when found by discovery */
  configName?: string;
  configFile?: string;
  vendorHint?: string;
  library?: LibraryInfo;
  slots: SlotReport[];
  /** the module could not be loaded or listed */
  error?: { code: string; message: Msg };
}

const trim = (s: string) => s.replace(/[\s\0]+$/, '');

/** Loads one module, reads C_GetInfo and every slot/token (no login), finalizes. Never throws. */
export function probeModule(modulePath: string, loader: Pkcs11BindingLoader = loadRealBinding, includeEmpty = true): ModuleReport {
  const report: ModuleReport = { path: modulePath, slots: [], ...(vendorHintFor(modulePath) ? { vendorHint: vendorHintFor(modulePath) } : {}) };
  let b: Pkcs11Binding;
  try {
    b = loader(modulePath);
  } catch (e) {
    report.error = isKysoError(e) ? { code: e.code, message: e.msg } : { code: 'PKCS11_MODULE_NOT_LOADABLE', message: msg(String(e), String(e)) };
    return report;
  }
  try {
    b.C_Initialize();
  } catch (e) {
    report.error = { code: 'PKCS11_INIT_FAILED', message: msg(`C_Initialize failed (${errText(e)})`, `C_Initialize thất bại (${errText(e)})`) };
    return report;
  }
  try {
    const info = b.C_GetInfo();
    report.library = {
      manufacturer: trim(info.manufacturerID),
      description: trim(info.libraryDescription),
      version: `${info.libraryVersion.major}.${info.libraryVersion.minor}`,
      cryptokiVersion: `${info.cryptokiVersion.major}.${info.cryptokiVersion.minor}`,
    };
    for (const s of listTokenSlots(b, includeEmpty)) {
      report.slots.push({
        slotId: s.slotId,
        description: s.description,
        tokenPresent: s.tokenPresent && s.token !== undefined,
        ...(s.token ? { token: { ...s.token, flags: '0x' + s.token.flags.toString(16) } } : {}),
        ...(s.error ? { error: s.error } : {}),
      });
    }
  } catch (e) {
    report.error = { code: 'PKCS11_LIST_FAILED', message: msg(`cannot list slots (${errText(e)})`, `không liệt kê được khe cắm (${errText(e)})`) };
  } finally {
    try {
      b.C_Finalize();
    } catch {
      /* ignore */
    }
  }
  return report;
}

function errText(e: unknown): string {
  const c = ckrOf(e);
  return c !== undefined ? ckrName(c) : e instanceof Error ? e.message : String(e);
}

/** Probes every module p11-kit knows; entries whose file is missing are reported, not loaded. */
export function probeDiscoveredModules(discovery: ModuleDiscoveryOptions, loader: Pkcs11BindingLoader = loadRealBinding): ModuleReport[] {
  return discoverModules(discovery).map((m) => withConfig(m, m.path ? probeModule(m.path, loader) : missingFile(m)));
}

function withConfig(m: ModuleConfigEntry, r: ModuleReport): ModuleReport {
  return { ...r, configName: m.name, configFile: m.configFile, ...(m.vendorHint ? { vendorHint: m.vendorHint } : {}) };
}

function missingFile(m: ModuleConfigEntry): ModuleReport {
  return {
    path: m.module,
    slots: [],
    error: {
      code: 'PKCS11_MODULE_NOT_FOUND',
      message: msg(`${m.configFile} names "${m.module}", which is not installed`, `${m.configFile} chỉ tới "${m.module}" nhưng tệp này chưa được cài`),
    },
  };
}

/**
 * The module to use when none was given: the only registered module with a (matching) token plugged in.
 * Several → usage error listing them (or the caller's choice on a TTY); none → credentials error.
 */
export async function resolveModuleByDiscovery(
  want: { tokenLabel?: string; tokenSerial?: string },
  discovery: ModuleDiscoveryOptions,
  loader: Pkcs11BindingLoader = loadRealBinding,
  choose?: (question: Msg, items: string[]) => Promise<number>,
): Promise<string> {
  const reports = probeDiscoveredModules(discovery, loader);
  const matches = (t: SlotReport['token']) =>
    t !== undefined && t.initialized && (want.tokenLabel === undefined || t.label === want.tokenLabel.trim()) && (want.tokenSerial === undefined || t.serial === want.tokenSerial.trim());
  const withTokens = reports.filter((r) => !r.error && r.slots.some((s) => s.tokenPresent && matches(s.token)));
  if (withTokens.length === 1) return withTokens[0]!.path;
  if (withTokens.length === 0) {
    const searched = reports.map((r) => r.path).join(', ');
    throw credentialError(
      'TOKEN_NOT_PRESENT',
      reports.length === 0
        ? msg('no PKCS#11 module is registered on this system (p11-kit) and --pkcs11-module was not given', 'hệ thống chưa đăng ký thư viện PKCS#11 nào (p11-kit) và chưa có --pkcs11-module')
        : msg(`no token is plugged in (modules searched: ${searched})`, `không có token nào được cắm vào (đã tìm qua: ${searched})`),
      { hint: msg('Plug the token in, or give the driver with --pkcs11-module <library>; "kyso token list" shows what is found.', 'Hãy cắm token, hoặc chỉ ra trình điều khiển bằng --pkcs11-module <thư viện>; "kyso token list" cho biết những gì tìm thấy.') },
    );
  }
  const items = withTokens.map((r) => `${r.path}: ${r.slots.filter((s) => s.token).map((s) => tokenName(s.token!)).join(', ')}`);
  if (choose) {
    const i = await choose(msg('Tokens were found through several modules; which one?', 'Tìm thấy token qua nhiều thư viện; dùng thư viện nào?'), items);
    if (withTokens[i]) return withTokens[i]!.path;
  }
  throw usageError('PKCS11_MODULE_AMBIGUOUS', msg(`tokens were found through several modules (${items.join('; ')}); choose one with --pkcs11-module`, `tìm thấy token qua nhiều thư viện (${items.join('; ')}); hãy chọn bằng --pkcs11-module`));
}
