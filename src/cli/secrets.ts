import { readFileSync } from 'node:fs';
import { credentialError, msg, type Msg } from '../core/errors.js';
import type { Context } from './context.js';
import { tr } from './i18n.js';

export interface SecretSource {
  /** environment variable, e.g. KYSO_P12_PASSWORD */
  envVar: string;
  /** `--passphrase-file` / `--pin-file` value: a path, `-` for stdin, or /dev/fd/N */
  file?: string;
  /** what is asked, e.g. "Passphrase for lanh-dao.p12" */
  prompt: Msg;
  /** error code when no source is available and there is no TTY */
  missingCode: string;
  missing: Msg;
}

/**
 * Secrets never come from argv. Order: file/fd (explicit) > environment > masked prompt on a TTY.
 * Only the first line of a file counts (a trailing newline is not part of a PIN), without a byte-order mark.
 */
export async function obtainSecret(ctx: Context, src: SecretSource): Promise<string> {
  if (src.file !== undefined) {
    let text: string;
    try {
      text = src.file === '-' ? (await ctx.readStdin()).toString('utf8') : readFileSync(src.file, 'utf8');
    } catch (e) {
      throw credentialError('SECRET_FILE_UNREADABLE', msg(`${src.file}: cannot read the secret file`, `${src.file}: không đọc được tệp chứa mật khẩu/PIN`), { cause: e });
    }
    // Notepad saves UTF-8 with a byte-order mark; it is never part of a passphrase or PIN.
    return (text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '');
  }
  const fromEnv = ctx.env[src.envVar];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (ctx.stdinIsTTY) return ctx.prompt(tr(ctx.lang, src.prompt) + ': ', { mask: true });
  throw credentialError(src.missingCode, src.missing);
}

/** Whether `obtainSecret` would ask on the terminal (so a wrong answer may be asked again). */
export function secretIsPrompted(ctx: Context, src: Pick<SecretSource, 'envVar' | 'file'>): boolean {
  if (src.file !== undefined) return false;
  const fromEnv = ctx.env[src.envVar];
  return (fromEnv === undefined || fromEnv === '') && ctx.stdinIsTTY;
}
