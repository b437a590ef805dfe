import { msg, usageError } from './errors.js';

/**
 * Transport rules (issue 12): secrets and documents travel over https only, except to loopback and to
 * hosts the user's own configuration lists in `insecureHosts` (a training hub on the office LAN); and no
 * URL carrying `user:password@` is ever echoed in a message or a log.
 */

/** 127.0.0.0/8, ::1, localhost (and *.localhost). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\.\d+\.\d+\.\d+$/.test(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Refuses (usage error, exit 2) a URL that is neither https nor http to loopback / an insecureHosts entry.
 * Called before any connection is made. `what` names the setting in the message (e.g. `profile "hub" endpoint`).
 */
export function assertTransportAllowed(url: string | URL, what: string, insecureHosts: readonly string[] = []): URL {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw usageError('URL_INVALID', msg(`${what}: "${redactUrls(String(url))}" is not a URL`, `${what}: "${redactUrls(String(url))}" không phải là URL`));
  }
  if (u.protocol === 'https:') return u;
  const shown = redactUrls(u.href);
  if (u.protocol !== 'http:') {
    throw usageError('URL_SCHEME', msg(`${what}: "${shown}" must be an https:// URL`, `${what}: "${shown}" phải là URL https://`));
  }
  const host = u.hostname.toLowerCase();
  if (isLoopbackHost(host) || insecureHosts.some((h) => h.toLowerCase() === host)) return u;
  throw usageError(
    'URL_INSECURE',
    msg(
      `${what}: "${shown}" is plain http:// to a host that is not this machine; use https:// (or list "${host}" in "insecureHosts" of your user configuration for a training hub)`,
      `${what}: "${shown}" dùng http:// không mã hóa tới máy khác; hãy dùng https:// (hoặc thêm "${host}" vào "insecureHosts" trong cấu hình người dùng nếu là trục thử nghiệm)`,
    ),
  );
}

/** Removes `user:password@` from every URL inside a text (messages, logs). */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi, '$1');
}

/** A URL without its credentials, for messages. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return redactUrls(String(url));
  }
}
