import { credentialError, KysoError, msg, type Msg } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import { ckrOf, type Pkcs11Binding, type Pkcs11Handle } from './pkcs11-binding.js';
import { CKR, CKU_USER, TOKEN_GONE_CODES, ckrName } from './pkcs11-constants.js';
import { pinState, pinStateText, summarizeToken, tokenName, type TokenSummary } from './token-inventory.js';

/** What a login needs besides the session: the PIN source and where warnings/notices go. */
export interface LoginOptions {
  /** Called at most once, only when a PIN must be typed. */
  pin: (token: { label: string; serial: string }) => Promise<string>;
}

export function errName(e: unknown): string {
  const c = ckrOf(e);
  return c !== undefined ? ckrName(c) : e instanceof Error ? e.message : String(e);
}

/** Failures of the token during a session: unplugged → TOKEN_REMOVED (stops a batch), others named. */
export function tokenCallError(e: unknown, tName: string, fn: string): KysoError {
  if (e instanceof KysoError) return e;
  const c = ckrOf(e);
  if (c !== undefined && TOKEN_GONE_CODES.has(c)) {
    return credentialError(
      'TOKEN_REMOVED',
      msg(`token ${tName} was removed or stopped responding (${ckrName(c)})`, `token ${tName} đã bị rút ra hoặc ngừng phản hồi (${ckrName(c)})`),
      { cause: e, hint: msg('Plug the token in again and sign the remaining files.', 'Hãy cắm lại token và ký các tệp còn lại.') },
    );
  }
  if (c === CKR.MECHANISM_INVALID || c === CKR.MECHANISM_PARAM_INVALID) {
    return credentialError('TOKEN_MECHANISM_UNSUPPORTED', msg(`token ${tName}: refused the signing mechanism (${ckrName(c)})`, `token ${tName}: từ chối cơ chế ký (${ckrName(c)})`), { cause: e });
  }
  if (c === CKR.USER_NOT_LOGGED_IN) {
    return credentialError('TOKEN_NOT_LOGGED_IN', msg(`token ${tName}: the login was lost (${ckrName(c)})`, `token ${tName}: phiên đăng nhập đã mất (${ckrName(c)})`), { cause: e });
  }
  return credentialError('TOKEN_CALL_FAILED', msg(`token ${tName}: ${fn} failed (${errName(e)})`, `token ${tName}: lệnh ${fn} thất bại (${errName(e)})`), { cause: e });
}

/** Reads the flags, refuses a locked PIN, warns when tries run low, logs in ONCE and never retries. */
export async function loginOnce(
  b: Pkcs11Binding,
  session: Pkcs11Handle,
  slot: Pkcs11Handle,
  token: TokenSummary,
  opts: LoginOptions,
  warn: (w: Warning) => void,
  notice: (m: Msg) => void,
): Promise<void> {
  let t = token;
  try {
    t = summarizeToken(b.C_GetTokenInfo(slot));
  } catch {
    /* keep what the selection read */
  }
  const tName = tokenName(t);
  if (t.pinState === 'locked') {
    throw credentialError('TOKEN_PIN_LOCKED', msg(`token ${tName}: the PIN is locked; kyso will not try to log in`, `token ${tName}: PIN đã bị khoá; kyso sẽ không thử đăng nhập`), {
      hint: msg('Unlock it with the PUK / SO PIN using your CA\'s tool, or ask your CA.', 'Hãy mở khoá bằng PUK / SO PIN với công cụ của nhà cung cấp, hoặc liên hệ nhà cung cấp chứng thư số.'),
    });
  }
  if (t.pinState === 'final-try') {
    warn({ code: 'TOKEN_PIN_FINAL_TRY', en: `token ${tName}: only ONE PIN try is left; a wrong PIN will lock the token`, vi: `token ${tName}: chỉ còn MỘT lần nhập PIN; nhập sai sẽ khoá token` });
  } else if (t.pinState === 'count-low') {
    warn({ code: 'TOKEN_PIN_COUNT_LOW', en: `token ${tName}: a wrong PIN was entered before; few tries are left`, vi: `token ${tName}: đã có lần nhập sai PIN; số lần thử còn ít` });
  }
  let pin: string | null = null;
  if (t.pinPad) {
    notice(msg(`Type the PIN on the PIN pad of token ${tName}.`, `Hãy nhập PIN trên bàn phím của token ${tName}.`));
  } else {
    try {
      pin = await opts.pin({ label: t.label, serial: t.serial });
    } catch (e) {
      // Ctrl-C at the masked prompt arrives as an error (raw mode), not as SIGINT: exit 130, not "a bug".
      if (!(e instanceof KysoError) && (e as { code?: unknown })?.code === 'INTERRUPTED') {
        throw new KysoError('INTERRUPTED', 'interrupted', msg('interrupted at the PIN prompt; nothing was signed', 'đã dừng khi đang nhập PIN; chưa ký gì'), { cause: e });
      }
      throw e;
    }
    if (pin === '') {
      // An empty PIN would cost a try on most tokens: refuse before calling C_Login.
      throw credentialError('TOKEN_PIN_EMPTY', msg(`token ${tName}: the PIN given is empty; nothing was sent to the token`, `token ${tName}: PIN để trống; chưa gửi gì tới token`));
    }
  }
  try {
    b.C_Login(session, CKU_USER, pin);
  } catch (e) {
    const c = ckrOf(e);
    if (c === CKR.USER_ALREADY_LOGGED_IN) return;
    let after: TokenSummary | undefined;
    try {
      after = summarizeToken(b.C_GetTokenInfo(slot));
    } catch {
      /* state unknown */
    }
    const state = after ? pinStateText(pinState(after.flags)) : { en: 'PIN state unknown', vi: 'không rõ trạng thái PIN' };
    if (c === CKR.PIN_INCORRECT || c === CKR.PIN_INVALID || c === CKR.PIN_LEN_RANGE) {
      throw credentialError('TOKEN_PIN_INCORRECT', msg(`token ${tName}: wrong PIN (now: ${state.en}); not retried`, `token ${tName}: sai PIN (hiện tại: ${state.vi}); kyso không thử lại`), {
        details: { token: t.label, serial: t.serial, pinState: after ? pinState(after.flags) : 'unknown' },
        hint: msg('Check the PIN before trying again: repeated wrong PINs lock the token.', 'Hãy kiểm tra lại PIN trước khi thử tiếp: nhập sai nhiều lần sẽ khoá token.'),
      });
    }
    if (c === CKR.PIN_LOCKED) {
      throw credentialError('TOKEN_PIN_LOCKED', msg(`token ${tName}: the PIN is locked`, `token ${tName}: PIN đã bị khoá`));
    }
    if (c === CKR.PIN_EXPIRED) {
      throw credentialError('TOKEN_PIN_EXPIRED', msg(`token ${tName}: the PIN has expired; change it with your CA's tool`, `token ${tName}: PIN đã hết hạn; hãy đổi PIN bằng công cụ của nhà cung cấp`));
    }
    if (c === CKR.FUNCTION_CANCELED) {
      throw credentialError('TOKEN_LOGIN_CANCELLED', msg(`token ${tName}: PIN entry was cancelled on the device`, `token ${tName}: việc nhập PIN trên thiết bị đã bị huỷ`));
    }
    throw tokenCallError(e, tName, 'C_Login');
  }
}
