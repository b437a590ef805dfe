/**
 * An in-memory PKCS#11 module behind kyso's Pkcs11Binding interface, for the branches SoftHSM cannot reach:
 * locked PIN, final try, count low, PIN pad, unplugging mid-batch, missing mechanisms. RSA keys sign for
 * real (node:crypto) so CMS built on them verifies; ECDSA output has the right shape (r||s) but does not
 * verify (node cannot ECDSA-sign a pre-computed digest; the real ECDSA path is tested on SoftHSM).
 */
import { constants, createPrivateKey, privateEncrypt, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Pkcs11CallError, type Pkcs11Attribute, type Pkcs11Binding, type Pkcs11Handle, type Pkcs11Mechanism } from '../../src/crypto/pkcs11-binding.js';
import {
  CKA_CLASS,
  CKA_ID,
  CKA_KEY_TYPE,
  CKA_LABEL,
  CKA_VALUE,
  CKF_LOGIN_REQUIRED,
  CKF_PROTECTED_AUTHENTICATION_PATH,
  CKF_TOKEN_INITIALIZED,
  CKF_USER_PIN_COUNT_LOW,
  CKF_USER_PIN_FINAL_TRY,
  CKF_USER_PIN_INITIALIZED,
  CKF_USER_PIN_LOCKED,
  CKK_EC,
  CKK_RSA,
  CKM_ECDSA,
  CKM_RSA_PKCS,
  CKM_SHA256_RSA_PKCS,
  CKM_SHA384_RSA_PKCS,
  CKM_SHA512_RSA_PKCS,
  CKO_CERTIFICATE,
  CKO_PRIVATE_KEY,
  CKR,
} from '../../src/crypto/pkcs11-constants.js';
import type { Leaf } from '../helpers/pki.js';

export interface FakeToken {
  label: string;
  serial: string;
  /** extra token flags: CKF_USER_PIN_LOCKED, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_COUNT_LOW, CKF_PROTECTED_AUTHENTICATION_PATH */
  flags?: number;
  pin: string;
  mechanisms?: number[];
  certs: { der: Buffer; id: string; label: string }[];
  keys: { id: string; label: string; key: KeyObject; type: 'rsa' | 'ec' }[];
  /** C_Sign fails with CKR_DEVICE_REMOVED from the (n+1)-th signature on */
  removeAfterSigns?: number;
  /** certificates are private objects: visible only after login (some VN tokens do this) */
  hiddenCerts?: boolean;
  /** unplugged right after the slot was listed (first object search fails) */
  removeBeforeSearch?: boolean;
}

export interface FakeCalls {
  log: string[];
  logins: { pin: string | null }[];
  signs: { mechanism: number; input: Buffer }[];
}

export function tokenFromLeaves(label: string, leaves: { leaf: Leaf; id: string }[], extra: Partial<FakeToken> = {}): FakeToken {
  return {
    label,
    serial: extra.serial ?? `SN-${label}`,
    pin: '1234',
    certs: leaves.map(({ leaf, id }) => ({ der: readFileSync(leaf.certDer), id, label: leaf.name })),
    keys: leaves.map(({ leaf, id }) => ({ id, label: leaf.name, key: createPrivateKey(readFileSync(leaf.key)), type: leaf.keyType })),
    ...extra,
  };
}

const DEFAULT_MECHS = [CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, CKM_ECDSA];
const HASH_OF: Record<number, string> = { [CKM_SHA256_RSA_PKCS]: 'sha256', [CKM_SHA384_RSA_PKCS]: 'sha384', [CKM_SHA512_RSA_PKCS]: 'sha512' };

const h = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const n = (b: Pkcs11Handle) => Number(b.readBigUInt64LE(0));
const fail = (fn: string, code: number) => new Pkcs11CallError(fn, code);

export function makeFakeModule(tokens: FakeToken[], calls: FakeCalls = { log: [], logins: [], signs: [] }) {
  const state = tokens.map((t) => ({ t, signs: 0, loggedIn: false, present: true }));
  const sessions = new Map<number, { slot: number; find?: number[]; signMech?: Pkcs11Mechanism; signKey?: number }>();
  let nextSession = 1;
  // object handles: slot*1000 + index; certs 1..99, keys 101..199
  const objectsOf = (slot: number, cls: number) => {
    const t = state[slot]!.t;
    const loggedIn = state[slot]!.loggedIn;
    if (cls === CKO_CERTIFICATE) return t.hiddenCerts && !loggedIn ? [] : t.certs.map((_, i) => slot * 1000 + 1 + i);
    if (cls === CKO_PRIVATE_KEY) return loggedIn ? t.keys.map((_, i) => slot * 1000 + 101 + i) : [];
    return [];
  };
  const sessionOf = (s: Pkcs11Handle, fn: string) => {
    const x = sessions.get(n(s));
    if (!x) throw fail(fn, CKR.SESSION_HANDLE_INVALID);
    if (!state[x.slot]!.present) throw fail(fn, CKR.DEVICE_REMOVED);
    return x;
  };
  const tokenFlags = (t: FakeToken) => CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED | (t.flags ?? 0);

  const binding = (modulePath: string): Pkcs11Binding => ({
    modulePath,
    C_Initialize: () => void calls.log.push('C_Initialize'),
    C_Finalize: () => void calls.log.push('C_Finalize'),
    C_GetInfo: () => ({ cryptokiVersion: { major: 2, minor: 40 }, manufacturerID: 'Fake', flags: 0, libraryDescription: 'Fake PKCS#11', libraryVersion: { major: 1, minor: 0 } }),
    C_GetSlotList: () => state.map((_, i) => h(i)).filter((_, i) => state[i]!.present),
    C_GetSlotInfo: (slot) => ({ slotDescription: `fake slot ${n(slot)}`, manufacturerID: 'Fake', flags: state[n(slot)]!.present ? 1 : 0 }),
    C_GetTokenInfo: (slot) => {
      const st = state[n(slot)]!;
      if (!st.present) throw fail('C_GetTokenInfo', CKR.TOKEN_NOT_PRESENT);
      return { label: st.t.label.padEnd(32), manufacturerID: 'Fake CA'.padEnd(32), model: 'FakeKey'.padEnd(16), serialNumber: st.t.serial.padEnd(16), flags: tokenFlags(st.t) };
    },
    C_GetMechanismList: (slot) => state[n(slot)]!.t.mechanisms ?? DEFAULT_MECHS,
    C_OpenSession: (slot) => {
      calls.log.push('C_OpenSession');
      const id = nextSession++;
      sessions.set(id, { slot: n(slot) });
      return h(id);
    },
    C_CloseSession: (s) => {
      calls.log.push('C_CloseSession');
      sessions.delete(n(s));
    },
    C_Login: (s, _u, pin) => {
      calls.log.push('C_Login');
      calls.logins.push({ pin });
      const x = sessionOf(s, 'C_Login');
      const st = state[x.slot]!;
      if ((st.t.flags ?? 0) & CKF_USER_PIN_LOCKED) throw fail('C_Login', CKR.PIN_LOCKED);
      if (pin !== null && !((st.t.flags ?? 0) & CKF_PROTECTED_AUTHENTICATION_PATH) && pin !== st.t.pin) {
        st.t.flags = (st.t.flags ?? 0) | CKF_USER_PIN_COUNT_LOW;
        throw fail('C_Login', CKR.PIN_INCORRECT);
      }
      st.loggedIn = true;
    },
    C_Logout: (s) => {
      calls.log.push('C_Logout');
      const x = sessionOf(s, 'C_Logout');
      state[x.slot]!.loggedIn = false;
    },
    C_FindObjectsInit: (s, template) => {
      const x = sessionOf(s, 'C_FindObjectsInit');
      if (state[x.slot]!.t.removeBeforeSearch) {
        state[x.slot]!.present = false;
        throw fail('C_FindObjectsInit', CKR.DEVICE_REMOVED);
      }
      const cls = template.find((a) => a.type === CKA_CLASS)?.value as number;
      x.find = objectsOf(x.slot, cls);
    },
    C_FindObjects: (s, max) => {
      const x = sessionOf(s, 'C_FindObjects');
      const out = (x.find ?? []).splice(0, max);
      return out.map(h);
    },
    C_FindObjectsFinal: (s) => void (sessionOf(s, 'C_FindObjectsFinal').find = undefined),
    C_GetAttributeValue: (s, o, template): Pkcs11Attribute[] => {
      const x = sessionOf(s, 'C_GetAttributeValue');
      const t = state[x.slot]!.t;
      const idx = n(o) % 1000;
      return template.map((a) => {
        if (idx < 100) {
          const c = t.certs[idx - 1]!;
          if (a.type === CKA_VALUE) return { type: a.type, value: c.der };
          if (a.type === CKA_ID) return { type: a.type, value: Buffer.from(c.id, 'hex') };
          if (a.type === CKA_LABEL) return { type: a.type, value: Buffer.from(c.label) };
        } else {
          const k = t.keys[idx - 101]!;
          if (a.type === CKA_ID) return { type: a.type, value: Buffer.from(k.id, 'hex') };
          if (a.type === CKA_LABEL) return { type: a.type, value: Buffer.from(k.label) };
          if (a.type === CKA_KEY_TYPE) return { type: a.type, value: h(k.type === 'rsa' ? CKK_RSA : CKK_EC) };
        }
        throw fail('C_GetAttributeValue', CKR.ATTRIBUTE_TYPE_INVALID);
      });
    },
    C_SignInit: (s, mech, key) => {
      const x = sessionOf(s, 'C_SignInit');
      calls.log.push('C_SignInit');
      if (!state[x.slot]!.loggedIn) throw fail('C_SignInit', CKR.USER_NOT_LOGGED_IN);
      x.signMech = mech;
      x.signKey = n(key) % 1000 - 101;
    },
    C_Sign: (s, data) => {
      const x = sessionOf(s, 'C_Sign');
      const st = state[x.slot]!;
      calls.log.push('C_Sign');
      if (st.t.removeAfterSigns !== undefined && st.signs >= st.t.removeAfterSigns) {
        st.present = false; // "unplugged"
        throw fail('C_Sign', CKR.DEVICE_REMOVED);
      }
      st.signs++;
      const k = st.t.keys[x.signKey!]!;
      const mech = x.signMech!.mechanism;
      calls.signs.push({ mechanism: mech, input: Buffer.from(data) });
      if (mech === CKM_RSA_PKCS) return privateEncrypt({ key: k.key, padding: constants.RSA_PKCS1_PADDING }, data);
      if (HASH_OF[mech]) return cryptoSign(HASH_OF[mech]!, data, k.key);
      if (mech === CKM_ECDSA) return cryptoSign(null, data, { key: k.key, dsaEncoding: 'ieee-p1363' });
      throw fail('C_Sign', CKR.MECHANISM_INVALID);
    },
  });
  return { binding, calls, state };
}

export { CKF_USER_PIN_LOCKED, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_COUNT_LOW, CKF_PROTECTED_AUTHENTICATION_PATH };
