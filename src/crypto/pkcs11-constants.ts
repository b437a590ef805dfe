/**
 * The PKCS#11 (Cryptoki 2.40) numbers kyso uses. Defined here rather than read from pkcs11js so that the
 * signer logic, the fake binding in tests and error messages work where the native module cannot load.
 */

// Object classes, certificate types, user types
export const CKO_CERTIFICATE = 0x1;
export const CKO_PUBLIC_KEY = 0x2;
export const CKO_PRIVATE_KEY = 0x3;
export const CKC_X_509 = 0x0;
export const CKU_USER = 1;

// Attributes
export const CKA_CLASS = 0x0;
export const CKA_TOKEN = 0x1;
export const CKA_PRIVATE = 0x2;
export const CKA_LABEL = 0x3;
export const CKA_VALUE = 0x11;
export const CKA_CERTIFICATE_TYPE = 0x80;
export const CKA_KEY_TYPE = 0x100;
export const CKA_ID = 0x102;
export const CKA_SIGN = 0x108;

// Key types
export const CKK_RSA = 0x0;
export const CKK_EC = 0x3;

// Session flags
export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;

// Slot flags
export const CKF_TOKEN_PRESENT = 0x1;
export const CKF_REMOVABLE_DEVICE = 0x2;
export const CKF_HW_SLOT = 0x4;

// Token flags
export const CKF_LOGIN_REQUIRED = 0x4;
export const CKF_USER_PIN_INITIALIZED = 0x8;
export const CKF_PROTECTED_AUTHENTICATION_PATH = 0x100;
export const CKF_TOKEN_INITIALIZED = 0x400;
export const CKF_USER_PIN_COUNT_LOW = 0x10000;
export const CKF_USER_PIN_FINAL_TRY = 0x20000;
export const CKF_USER_PIN_LOCKED = 0x40000;
export const CKF_USER_PIN_TO_BE_CHANGED = 0x80000;

// Mechanisms
export const CKM_RSA_PKCS = 0x1;
export const CKM_RSA_PKCS_PSS = 0xd;
export const CKM_SHA256_RSA_PKCS = 0x40;
export const CKM_SHA384_RSA_PKCS = 0x41;
export const CKM_SHA512_RSA_PKCS = 0x42;
export const CKM_SHA256_RSA_PKCS_PSS = 0x43;
export const CKM_SHA384_RSA_PKCS_PSS = 0x44;
export const CKM_SHA512_RSA_PKCS_PSS = 0x45;
export const CKM_SHA256 = 0x250;
export const CKM_SHA384 = 0x260;
export const CKM_SHA512 = 0x270;
export const CKM_ECDSA = 0x1041;

// MGF1 generators for PSS
export const CKG_MGF1_SHA256 = 0x2;
export const CKG_MGF1_SHA384 = 0x3;
export const CKG_MGF1_SHA512 = 0x4;

/** pkcs11js' CK_PARAMS_RSA_PSS discriminator for a CK_RSA_PKCS_PSS_PARAMS parameter object. */
export const CK_PARAMS_RSA_PSS = 5;

// Return values that kyso treats specially
export const CKR = {
  OK: 0x0,
  GENERAL_ERROR: 0x5,
  FUNCTION_FAILED: 0x6,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  DEVICE_ERROR: 0x30,
  DEVICE_MEMORY: 0x31,
  DEVICE_REMOVED: 0x32,
  FUNCTION_CANCELED: 0x50,
  KEY_FUNCTION_NOT_PERMITTED: 0x68,
  MECHANISM_INVALID: 0x70,
  MECHANISM_PARAM_INVALID: 0x71,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  USER_PIN_NOT_INITIALIZED: 0x102,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const;

const CKR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CKR).map(([k, v]) => [v, `CKR_${k}`]));

export function ckrName(code: number): string {
  return CKR_NAMES[code] ?? `CKR_0x${code.toString(16).padStart(8, '0')}`;
}

const CKM_NAMES: Record<number, string> = {
  [CKM_RSA_PKCS]: 'CKM_RSA_PKCS',
  [CKM_RSA_PKCS_PSS]: 'CKM_RSA_PKCS_PSS',
  [CKM_SHA256_RSA_PKCS]: 'CKM_SHA256_RSA_PKCS',
  [CKM_SHA384_RSA_PKCS]: 'CKM_SHA384_RSA_PKCS',
  [CKM_SHA512_RSA_PKCS]: 'CKM_SHA512_RSA_PKCS',
  [CKM_SHA256_RSA_PKCS_PSS]: 'CKM_SHA256_RSA_PKCS_PSS',
  [CKM_SHA384_RSA_PKCS_PSS]: 'CKM_SHA384_RSA_PKCS_PSS',
  [CKM_SHA512_RSA_PKCS_PSS]: 'CKM_SHA512_RSA_PKCS_PSS',
  [CKM_ECDSA]: 'CKM_ECDSA',
};

export function ckmName(m: number): string {
  return CKM_NAMES[m] ?? `CKM_0x${m.toString(16)}`;
}

/** Return values meaning the token went away under us (unplugged, reset): stop the batch. */
export const TOKEN_GONE_CODES: ReadonlySet<number> = new Set([
  CKR.DEVICE_REMOVED,
  CKR.TOKEN_NOT_PRESENT,
  CKR.SESSION_HANDLE_INVALID,
  CKR.SESSION_CLOSED,
  CKR.DEVICE_ERROR,
  CKR.TOKEN_NOT_RECOGNIZED,
]);
