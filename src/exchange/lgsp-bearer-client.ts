import { KysoError, msg } from '../core/errors.js';
import { checkHttpStatus, parseJsonBody } from './http-client.js';
import { LgspRestClient } from './lgsp-rest.js';

/**
 * LGSP with login → Bearer token plus X-SystemId / X-SecretKey on every call (Lạng Sơn style, spec
 * §1.10a). The profile's one secret is both the login password and the X-SecretKey; the login user is
 * `username` (default: systemId).
 */
export class LgspBearerClient extends LgspRestClient {
  readonly name = 'lgsp-bearer';

  protected async login(): Promise<{ token: string; expiresInSec?: number }> {
    const res = await this.http.request({
      method: 'POST',
      path: 'v1/auth/login',
      query: { allow_anonymous: 'true' },
      headers: { 'Content-Type': 'application/json', 'X-SystemId': this.profile.systemId, 'X-SecretKey': this.deps.secret },
      body: JSON.stringify({
        username: this.profile.username ?? this.profile.systemId,
        password: this.deps.secret,
        applicationCode: this.profile.systemId,
        otp: null,
        twoFactorProvider: null,
        typeObjs: [0, 1],
      }),
    });
    checkHttpStatus(this.profile.name, 'login', res, false);
    const j = parseJsonBody(this.profile.name, 'login', res);
    const data = (j.data ?? {}) as Record<string, unknown>;
    const token = data.token ?? j.token ?? data.accessToken;
    if (typeof token !== 'string' || !token) {
      throw new KysoError('EXCHANGE_AUTH', 'credentials', msg(`${this.profile.name} login: no token in the answer (${String(j.message ?? '')})`, `${this.profile.name} đăng nhập: không nhận được token (${String(j.message ?? '')})`));
    }
    const exp = Number(data.expiresIn ?? data.expires_in ?? j.expires_in);
    return { token, expiresInSec: Number.isFinite(exp) && exp > 0 ? exp : undefined };
  }

  protected authHeaders(token: string): Record<string, string> {
    return { Authorization: `Bearer ${token}`, 'X-SystemId': this.profile.systemId, 'X-SecretKey': this.deps.secret };
  }
}
