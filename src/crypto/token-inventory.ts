import type { Pkcs11Binding, Pkcs11Handle, Pkcs11TokenInfo } from './pkcs11-binding.js';
import {
  CKA_CLASS,
  CKA_ID,
  CKA_KEY_TYPE,
  CKA_LABEL,
  CKA_VALUE,
  CKA_CERTIFICATE_TYPE,
  CKC_X_509,
  CKF_LOGIN_REQUIRED,
  CKF_PROTECTED_AUTHENTICATION_PATH,
  CKF_TOKEN_INITIALIZED,
  CKF_TOKEN_PRESENT,
  CKF_USER_PIN_COUNT_LOW,
  CKF_USER_PIN_FINAL_TRY,
  CKF_USER_PIN_INITIALIZED,
  CKF_USER_PIN_LOCKED,
  CKO_CERTIFICATE,
  CKO_PRIVATE_KEY,
  CKR,
} from './pkcs11-constants.js';
import { ckrOf } from './pkcs11-binding.js';

/** PIN state from the token flags, worst first. */
export type PinState = 'locked' | 'final-try' | 'count-low' | 'not-initialized' | 'ok';

export function pinState(flags: number): PinState {
  if (flags & CKF_USER_PIN_LOCKED) return 'locked';
  if (flags & CKF_USER_PIN_FINAL_TRY) return 'final-try';
  if (flags & CKF_USER_PIN_COUNT_LOW) return 'count-low';
  if (!(flags & CKF_USER_PIN_INITIALIZED) || !(flags & CKF_TOKEN_INITIALIZED)) return 'not-initialized';
  return 'ok';
}

export interface TokenSummary {
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  flags: number;
  pinState: PinState;
  loginRequired: boolean;
  pinPad: boolean;
  /** CKF_TOKEN_INITIALIZED: an uninitialised token (e.g. SoftHSM's spare slot) cannot sign */
  initialized: boolean;
}

export interface SlotEntry {
  slot: Pkcs11Handle;
  /** slot id as a decimal string (from the 8-byte little-endian handle pkcs11js gives) */
  slotId: string;
  description: string;
  tokenPresent: boolean;
  token?: TokenSummary;
  /** set when the slot's token could not be read */
  error?: string;
}

const trimPad = (s: string | undefined) => (s ?? '').replace(/[\s\0]+$/, '');

export function summarizeToken(info: Pkcs11TokenInfo): TokenSummary {
  return {
    label: trimPad(info.label),
    serial: trimPad(info.serialNumber),
    manufacturer: trimPad(info.manufacturerID),
    model: trimPad(info.model),
    flags: info.flags,
    pinState: pinState(info.flags),
    loginRequired: (info.flags & CKF_LOGIN_REQUIRED) !== 0,
    pinPad: (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) !== 0,
    initialized: (info.flags & CKF_TOKEN_INITIALIZED) !== 0,
  };
}

export function slotIdOf(slot: Pkcs11Handle): string {
  if (slot.length >= 8) return slot.readBigUInt64LE(0).toString();
  if (slot.length >= 4) return String(slot.readUInt32LE(0));
  return slot.toString('hex');
}

/** Every slot with a token, read without logging in (C_GetSlotList(true) + C_GetTokenInfo). */
export function listTokenSlots(b: Pkcs11Binding, includeEmpty = false): SlotEntry[] {
  const out: SlotEntry[] = [];
  for (const slot of b.C_GetSlotList(!includeEmpty)) {
    let description = '';
    let present = true;
    try {
      const si = b.C_GetSlotInfo(slot);
      description = trimPad(si.slotDescription);
      present = (si.flags & CKF_TOKEN_PRESENT) !== 0;
    } catch {
      /* slot info is informative only */
    }
    const entry: SlotEntry = { slot, slotId: slotIdOf(slot), description, tokenPresent: present };
    if (present) {
      try {
        entry.token = summarizeToken(b.C_GetTokenInfo(slot));
      } catch (e) {
        const c = ckrOf(e);
        if (c === CKR.TOKEN_NOT_PRESENT) entry.tokenPresent = false;
        else entry.error = e instanceof Error ? e.message : String(e);
      }
    }
    out.push(entry);
  }
  return out;
}

export interface TokenCertObject {
  handle: Pkcs11Handle;
  der: Buffer;
  /** CKA_ID, lowercase hex ('' when absent) */
  id: string;
  label: string;
}

export interface TokenKeyObject {
  handle: Pkcs11Handle;
  id: string;
  label: string;
  keyType?: number;
}

export function findObjects(b: Pkcs11Binding, session: Pkcs11Handle, template: { type: number; value: number | Buffer | boolean | string }[]): Pkcs11Handle[] {
  b.C_FindObjectsInit(session, template);
  const out: Pkcs11Handle[] = [];
  try {
    for (let guard = 0; guard < 1000; guard++) {
      const batch = b.C_FindObjects(session, 64);
      if (!batch || batch.length === 0) break;
      out.push(...batch);
    }
  } finally {
    b.C_FindObjectsFinal(session);
  }
  return out;
}

/** One attribute as bytes; undefined when the token does not have it (CKR_ATTRIBUTE_TYPE_INVALID …). */
function attr(b: Pkcs11Binding, session: Pkcs11Handle, obj: Pkcs11Handle, type: number): Buffer | number | undefined {
  try {
    const [a] = b.C_GetAttributeValue(session, obj, [{ type }]);
    const v = a?.value;
    if (Buffer.isBuffer(v) || typeof v === 'number') return v;
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    if (typeof v === 'boolean') return v ? 1 : 0;
    return undefined;
  } catch {
    return undefined;
  }
}

const asBuf = (v: Buffer | number | undefined) => (Buffer.isBuffer(v) ? v : undefined);

/** X.509 certificate objects visible in this session (public ones before login, all after). */
export function readTokenCertificates(b: Pkcs11Binding, session: Pkcs11Handle): TokenCertObject[] {
  const handles = findObjects(b, session, [
    { type: CKA_CLASS, value: CKO_CERTIFICATE },
    { type: CKA_CERTIFICATE_TYPE, value: CKC_X_509 },
  ]);
  const out: TokenCertObject[] = [];
  for (const h of handles) {
    const der = asBuf(attr(b, session, h, CKA_VALUE));
    if (!der || der.length === 0) continue;
    out.push({ handle: h, der, id: asBuf(attr(b, session, h, CKA_ID))?.toString('hex') ?? '', label: asBuf(attr(b, session, h, CKA_LABEL))?.toString('utf8') ?? '' });
  }
  return out;
}

/** Private key objects (visible after login on most tokens). */
export function readTokenPrivateKeys(b: Pkcs11Binding, session: Pkcs11Handle): TokenKeyObject[] {
  const handles = findObjects(b, session, [{ type: CKA_CLASS, value: CKO_PRIVATE_KEY }]);
  return handles.map((h) => {
    const kt = attr(b, session, h, CKA_KEY_TYPE);
    return {
      handle: h,
      id: asBuf(attr(b, session, h, CKA_ID))?.toString('hex') ?? '',
      label: asBuf(attr(b, session, h, CKA_LABEL))?.toString('utf8') ?? '',
      keyType: typeof kt === 'number' ? kt : Buffer.isBuffer(kt) && kt.length >= 4 ? kt.readUInt32LE(0) : undefined,
    };
  });
}

/** "VNPT-CA (serial 5440…)" for messages. */
export function tokenName(t: Pick<TokenSummary, 'label' | 'serial'>): string {
  return t.serial ? `"${t.label}" (serial ${t.serial})` : `"${t.label}"`;
}

export function pinStateText(s: PinState): { en: string; vi: string } {
  switch (s) {
    case 'locked':
      return { en: 'PIN locked', vi: 'PIN đã bị khoá' };
    case 'final-try':
      return { en: 'one PIN try left', vi: 'chỉ còn một lần nhập PIN' };
    case 'count-low':
      return { en: 'PIN tries running low', vi: 'số lần nhập PIN còn ít' };
    case 'not-initialized':
      return { en: 'PIN not initialised', vi: 'PIN chưa được khởi tạo' };
    case 'ok':
      return { en: 'PIN ok', vi: 'PIN bình thường' };
  }
}
