import { KysoError, msg } from '../core/errors.js';
import { checkHttpStatus, parseJsonBody } from './http-client.js';
import { LgspRestClient } from './lgsp-rest.js';

/**
 * LGSP with an OAuth2 client-credentials token sent in the `lgspaccesstoken` header (spec §1.10b; also
 * as Authorization: Bearer). Token endpoint: profile.tokenUrl (default {endpoint}/oauth2/token),
 * client id: profile.clientId (default systemId), client secret: the profile's secret.
 */
export class LgspOauth2Client extends LgspRestClient {
  readonly name = 'lgsp-oauth2';

  protected async login(): Promise<{ token: string; expiresInSec?: number }> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.profile.clientId ?? this.profile.systemId, client_secret: this.deps.secret });
    const res = await this.http.request({
      method: 'POST',
      path: this.profile.tokenUrl ?? 'oauth2/token',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    });
    if (res.status === 400) {
      // RFC 6749 §5.2: invalid_client / unauthorized_client come back as 400
      const e = res.body.toString('utf8');
      if (/invalid_client|unauthorized_client|invalid_grant/.test(e)) {
        throw new KysoError('EXCHANGE_AUTH', 'credentials', msg(`${this.profile.name} token: the token endpoint refused the client credentials`, `${this.profile.name} token: máy chủ cấp token từ chối thông tin xác thực`));
      }
    }
    checkHttpStatus(this.profile.name, 'token', res, false);
    const j = parseJsonBody(this.profile.name, 'token', res);
    const token = j.access_token;
    if (typeof token !== 'string' || !token) {
      throw new KysoError('EXCHANGE_AUTH', 'credentials', msg(`${this.profile.name} token: no access_token in the answer`, `${this.profile.name} token: câu trả lời không có access_token`));
    }
    const exp = Number(j.expires_in);
    return { token, expiresInSec: Number.isFinite(exp) && exp > 0 ? exp : undefined };
  }

  protected authHeaders(token: string): Record<string, string> {
    return { lgspaccesstoken: token, Authorization: `Bearer ${token}` };
  }
}
