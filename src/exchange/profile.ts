/** One exchange connection as configured (helper G loads it from kyso.config.json / user config). */
export type AdapterName = 'vdxp' | 'lgsp-bearer' | 'lgsp-oauth2';

export interface RetrySettings {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export interface ExchangeProfile {
  name: string;
  adapter: AdapterName;
  /** base URL, e.g. https://lgsp.example.gov.vn/vdxp (http:// only for loopback training hubs) */
  endpoint: string;
  systemId: string;
  organId: string;
  /** name of the environment variable holding the secret */
  secretEnv?: string;
  /** file holding the secret (must not be readable by group/others) */
  secretFile?: string;
  /** PEM bundle of CA certificates trusted for the endpoint (replaces the system store) */
  caFile?: string;
  /** PEM client certificate (+ chain) for mTLS */
  clientCert?: string;
  /** PEM private key of clientCert (unencrypted) */
  clientKey?: string;
  /** http://host:port of an HTTP CONNECT proxy; when absent HTTPS_PROXY / HTTP_PROXY (with NO_PROXY) apply */
  proxy?: string;
  /** per-request timeout (connect, headers, body idle); default 30 000 ms */
  timeoutMs?: number;
  retry?: RetrySettings;
  /** lgsp-bearer: login user name (default: systemId) */
  username?: string;
  /** lgsp-oauth2: token endpoint (default: {endpoint}/oauth2/token) */
  tokenUrl?: string;
  /** lgsp-oauth2: client id (default: systemId) */
  clientId?: string;
}
