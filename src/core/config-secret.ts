import { credentialError, msg } from './errors.js';
import { DEFAULT_SECRET_ENV, type ResolvedProfile } from './config.js';

export interface SecretFs {
  /** file mode bits (stat.mode) */
  mode(p: string): number;
  read(p: string): string;
}

/**
 * The exchange secret of a profile: from the file named by `secretFile` (which must not be readable by
 * group or others) or from the environment variable named by `secretEnv` (default KYSO_EXCHANGE_SECRET).
 * Never from argv or the config file. Error messages name the file or variable, never the value.
 */
export function readProfileSecret(profile: ResolvedProfile, env: Record<string, string | undefined>, fs: SecretFs): string {
  if (profile.secretFile) {
    const f = profile.secretFile;
    let mode: number;
    try {
      mode = fs.mode(f);
    } catch (e) {
      throw credentialError('SECRET_FILE_UNREADABLE', msg(`${f}: cannot read the exchange secret file (profile "${profile.name}")`, `${f}: không đọc được tệp khóa bí mật liên thông (hồ sơ "${profile.name}")`), { cause: e });
    }
    if ((mode & 0o077) !== 0) {
      throw credentialError(
        'SECRET_FILE_PERMISSIONS',
        msg(`${f}: the exchange secret file is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${f}`, `${f}: tệp khóa bí mật liên thông bị người khác đọc được (quyền ${(mode & 0o777).toString(8)}); hãy chạy: chmod 600 ${f}`),
      );
    }
    let text: string;
    try {
      text = fs.read(f);
    } catch (e) {
      throw credentialError('SECRET_FILE_UNREADABLE', msg(`${f}: cannot read the exchange secret file (profile "${profile.name}")`, `${f}: không đọc được tệp khóa bí mật liên thông (hồ sơ "${profile.name}")`), { cause: e });
    }
    const secret = text.split(/\r?\n/)[0] ?? '';
    if (!secret) throw credentialError('SECRET_EMPTY', msg(`${f}: the exchange secret file is empty`, `${f}: tệp khóa bí mật liên thông bị trống`));
    return secret;
  }
  const name = profile.secretEnv ?? DEFAULT_SECRET_ENV;
  const v = env[name];
  if (!v) {
    throw credentialError(
      'SECRET_MISSING',
      msg(`no exchange secret for profile "${profile.name}": set the environment variable ${name} or "secretFile" in the profile`, `chưa có khóa bí mật liên thông cho hồ sơ "${profile.name}": hãy đặt biến môi trường ${name} hoặc "secretFile" trong hồ sơ`),
    );
  }
  return v;
}
