import { appendFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { KysoError, msg, usageError } from '../core/errors.js';
import { CKR, ckrName } from './pkcs11-constants.js';

/**
 * The narrow slice of PKCS#11 kyso uses, shaped like pkcs11js (Buffer handles, C_* names) so the real
 * implementation is a thin pass-through. Tests inject a fake behind this same interface to reach the
 * branches SoftHSM cannot (locked PIN, PIN pad, unplugged token …).
 */
export type Pkcs11Handle = Buffer;

export interface Pkcs11Version {
  major: number;
  minor: number;
}
export interface Pkcs11ModuleInfo {
  cryptokiVersion: Pkcs11Version;
  manufacturerID: string;
  flags: number;
  libraryDescription: string;
  libraryVersion: Pkcs11Version;
}
export interface Pkcs11SlotInfo {
  slotDescription: string;
  manufacturerID: string;
  flags: number;
}
export interface Pkcs11TokenInfo {
  label: string;
  manufacturerID: string;
  model: string;
  serialNumber: string;
  flags: number;
}
export interface Pkcs11Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}
export interface Pkcs11Mechanism {
  mechanism: number;
  parameter?: Buffer | { type: number; hashAlg: number; mgf: number; saltLen: number };
}

export interface Pkcs11Binding {
  /** The library file this binding talks to (for messages). */
  readonly modulePath: string;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetInfo(): Pkcs11ModuleInfo;
  C_GetSlotList(tokenPresent: boolean): Pkcs11Handle[];
  C_GetSlotInfo(slot: Pkcs11Handle): Pkcs11SlotInfo;
  C_GetTokenInfo(slot: Pkcs11Handle): Pkcs11TokenInfo;
  C_GetMechanismList(slot: Pkcs11Handle): number[];
  C_OpenSession(slot: Pkcs11Handle, flags: number): Pkcs11Handle;
  C_CloseSession(session: Pkcs11Handle): void;
  /** `pin` null = protected authentication path (PIN pad). */
  C_Login(session: Pkcs11Handle, userType: number, pin: string | null): void;
  C_Logout(session: Pkcs11Handle): void;
  C_FindObjectsInit(session: Pkcs11Handle, template: Pkcs11Attribute[]): void;
  C_FindObjects(session: Pkcs11Handle, maxObjectCount: number): Pkcs11Handle[];
  C_FindObjectsFinal(session: Pkcs11Handle): void;
  /** Values in the order asked; pkcs11js returns Buffers for byte attributes. */
  C_GetAttributeValue(session: Pkcs11Handle, object: Pkcs11Handle, template: Pkcs11Attribute[]): Pkcs11Attribute[];
  C_SignInit(session: Pkcs11Handle, mechanism: Pkcs11Mechanism, key: Pkcs11Handle): void;
  C_Sign(session: Pkcs11Handle, data: Buffer, out: Buffer): Buffer;
}

/** Opens a binding for one module file; tests replace it. */
export type Pkcs11BindingLoader = (modulePath: string) => Pkcs11Binding;

/** What a failed call carries: the function and the CKR_ return value (0 when not a PKCS#11 code). */
export class Pkcs11CallError extends Error {
  readonly fn: string;
  readonly ckr: number;
  constructor(fn: string, ckr: number, detail?: string) {
    super(`${fn}: ${ckr ? ckrName(ckr) : (detail ?? 'failed')}`);
    this.name = 'Pkcs11CallError';
    this.fn = fn;
    this.ckr = ckr;
  }
}

export function ckrOf(e: unknown): number | undefined {
  if (e instanceof Pkcs11CallError) return e.ckr;
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'number') {
    const name = (e as { name?: unknown }).name;
    if (name === 'Pkcs11Error') return (e as { code: number }).code;
  }
  return undefined;
}

interface Pkcs11jsModule {
  PKCS11: new () => Record<string, (...args: unknown[]) => unknown> & { load(path: string): void };
}

let cachedModule: Pkcs11jsModule | undefined;

/** Loads the native pkcs11js addon only when a token is actually used. */
function loadPkcs11js(): Pkcs11jsModule {
  if (cachedModule) return cachedModule;
  try {
    const require = createRequire(import.meta.url);
    cachedModule = require('pkcs11js') as Pkcs11jsModule;
    return cachedModule;
  } catch (e) {
    // Not a bug of kyso but of this installation: a usage-class error (exit 2) with the way out.
    throw new KysoError(
      'PKCS11_BINDING_UNAVAILABLE',
      'usage',
      msg(
        'the PKCS#11 support (native module pkcs11js) cannot be loaded on this machine, so USB tokens cannot be used here',
        'không nạp được thành phần PKCS#11 (mô-đun pkcs11js) trên máy này nên không dùng được USB token',
      ),
      {
        cause: e,
        hint: msg('Reinstall kyso with a C++ compiler available (npm rebuild pkcs11js), or sign with a .p12 file.', 'Cài lại kyso khi có trình biên dịch C++ (npm rebuild pkcs11js), hoặc ký bằng tệp .p12.'),
      },
    );
  }
}

/** The real binding: pkcs11js, loaded lazily; maps its exceptions to Pkcs11CallError. */
export const loadRealBinding: Pkcs11BindingLoader = (modulePath) => {
  if (!existsSync(modulePath)) {
    throw usageError(
      'PKCS11_MODULE_NOT_FOUND',
      msg(`${modulePath}: PKCS#11 module (token driver library) not found`, `${modulePath}: không tìm thấy thư viện PKCS#11 (trình điều khiển token)`),
      { hint: msg('Install the token driver from your CA, or run "kyso token list" to see the modules found.', 'Hãy cài trình điều khiển token của nhà cung cấp chứng thư số, hoặc chạy "kyso token list" để xem các thư viện tìm thấy.') },
    );
  }
  const mod = loadPkcs11js();
  const lib = new mod.PKCS11();
  try {
    lib.load(modulePath);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw usageError(
      'PKCS11_MODULE_NOT_LOADABLE',
      msg(`${modulePath}: cannot load this PKCS#11 module (${why})`, `${modulePath}: không nạp được thư viện PKCS#11 này (${why})`),
      { cause: e },
    );
  }
  const call =
    (fn: string) =>
    (...args: unknown[]): unknown => {
      try {
        return (lib[fn] as (...a: unknown[]) => unknown).apply(lib, args);
      } catch (e) {
        const ckr = ckrOf(e);
        throw new Pkcs11CallError(fn, ckr ?? 0, e instanceof Error ? e.message : String(e));
      }
    };
  const b: Pkcs11Binding = {
    modulePath,
    C_Initialize: () => {
      try {
        call('C_Initialize')();
      } catch (e) {
        if (ckrOf(e) !== CKR.CRYPTOKI_ALREADY_INITIALIZED) throw e;
      }
    },
    C_Finalize: () => void call('C_Finalize')(),
    C_GetInfo: () => call('C_GetInfo')() as Pkcs11ModuleInfo,
    C_GetSlotList: (present) => call('C_GetSlotList')(present) as Pkcs11Handle[],
    C_GetSlotInfo: (slot) => call('C_GetSlotInfo')(slot) as Pkcs11SlotInfo,
    C_GetTokenInfo: (slot) => call('C_GetTokenInfo')(slot) as Pkcs11TokenInfo,
    C_GetMechanismList: (slot) => call('C_GetMechanismList')(slot) as number[],
    C_OpenSession: (slot, flags) => call('C_OpenSession')(slot, flags) as Pkcs11Handle,
    C_CloseSession: (s) => void call('C_CloseSession')(s),
    // pkcs11js 2.1 requires a string; '' gives ulPinLen 0, which PIN-pad tokens accept as "ask on the device"
    // (the spec's NULL_PTR cannot be expressed through pkcs11js).
    C_Login: (s, userType, pin) => void call('C_Login')(s, userType, pin ?? ''),
    C_Logout: (s) => void call('C_Logout')(s),
    C_FindObjectsInit: (s, t) => void call('C_FindObjectsInit')(s, t),
    C_FindObjects: (s, max) => call('C_FindObjects')(s, max) as Pkcs11Handle[],
    C_FindObjectsFinal: (s) => void call('C_FindObjectsFinal')(s),
    C_GetAttributeValue: (s, o, t) => call('C_GetAttributeValue')(s, o, t) as Pkcs11Attribute[],
    C_SignInit: (s, m, k) => void call('C_SignInit')(s, m, k),
    C_Sign: (s, data, out) => call('C_Sign')(s, data, out) as Buffer,
  };
  return b;
};

/**
 * Wraps a binding so that every call that matters for PIN safety and timing appends one line to `file`:
 * `<function>\t<milliseconds>\t<CKR_… or OK>`. Never records arguments (no PIN can reach the file).
 * Enabled by KYSO_PKCS11_TRACE (read by the CLI layer and passed down).
 */
export function traceBinding(inner: Pkcs11Binding, file: string): Pkcs11Binding {
  const traced = new Set(['C_Initialize', 'C_Finalize', 'C_OpenSession', 'C_CloseSession', 'C_Login', 'C_Logout', 'C_SignInit', 'C_Sign']);
  const out: Record<string, unknown> = { modulePath: inner.modulePath };
  for (const key of Object.keys(inner) as (keyof Pkcs11Binding)[]) {
    const v = inner[key];
    if (typeof v !== 'function') continue;
    const fn = v as (...a: unknown[]) => unknown;
    out[key] = traced.has(key)
      ? (...args: unknown[]) => {
          const t0 = performance.now();
          let rv = 'OK';
          try {
            return fn.apply(inner, args);
          } catch (e) {
            const c = ckrOf(e);
            rv = c !== undefined ? ckrName(c) : 'ERROR';
            throw e;
          } finally {
            try {
              appendFileSync(file, `${key}\t${(performance.now() - t0).toFixed(3)}\t${rv}\n`);
            } catch {
              /* tracing must never break signing */
            }
          }
        }
      : fn.bind(inner);
  }
  return out as unknown as Pkcs11Binding;
}
