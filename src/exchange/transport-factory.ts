import { usageError, msg } from '../core/errors.js';
import { LgspBearerClient } from './lgsp-bearer-client.js';
import { LgspOauth2Client } from './lgsp-oauth2-client.js';
import type { ExchangeProfile } from './profile.js';
import type { ExchangeTransport } from './transport.js';
import { VdxpClient, type TransportDeps } from './vdxp-client.js';

export type { TransportDeps };

/**
 * The adapter named by the profile. `deps.secret` is the exchange secret (read by the caller from
 * secretEnv / secretFile); pass `deps.env` so HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply.
 */
export function createTransport(profile: ExchangeProfile, deps: TransportDeps): ExchangeTransport {
  switch (profile.adapter) {
    case 'vdxp':
      return new VdxpClient(profile, deps);
    case 'lgsp-bearer':
      return new LgspBearerClient(profile, deps);
    case 'lgsp-oauth2':
      return new LgspOauth2Client(profile, deps);
    default:
      throw usageError(
        'EXCHANGE_ADAPTER',
        msg(
          `profile "${profile.name}": unknown adapter "${String((profile as { adapter?: unknown }).adapter)}" (vdxp, lgsp-bearer, lgsp-oauth2)`,
          `hồ sơ "${profile.name}": adapter không hỗ trợ "${String((profile as { adapter?: unknown }).adapter)}" (vdxp, lgsp-bearer, lgsp-oauth2)`,
        ),
      );
  }
}
