/**
 * Checks a signer's certificate before anything is signed: a signature made with an expired or not yet
 * valid certificate, or with a key not meant for signing, is worthless to the recipient, so we refuse
 * early (credentials category, exit 4) instead of producing it.
 */
import { credentialError, msg } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import { describeCertificate, type CertificateDescription } from './der-cert.js';

export { describeCertificate, type CertificateDescription } from './der-cert.js';

/** Formats a date for messages: "2026-11-27 21:12 UTC". */
export function formatDate(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

export interface SigningCertificateCheckOptions {
  now: Date;
  /** where the certificate comes from, for messages: "lanh-dao.p12", "token X" */
  source: string;
  /** warn when the certificate expires within this many days (default 30) */
  warnDays?: number;
}

export interface SigningCertificateCheck {
  description: CertificateDescription;
  warnings: Warning[];
}

const DAY = 24 * 3600 * 1000;

export function checkSigningCertificate(der: Uint8Array, opts: SigningCertificateCheckOptions): SigningCertificateCheck {
  const d = describeCertificate(der);
  const who = `${opts.source}: ${d.commonName}`;
  const now = opts.now.getTime();
  if (now > d.notAfter.getTime()) {
    throw credentialError(
      'CERT_EXPIRED',
      msg(
        `${who}: the certificate expired on ${formatDate(d.notAfter)} (valid ${formatDate(d.notBefore)} to ${formatDate(d.notAfter)}); it cannot sign`,
        `${who}: chứng thư số đã hết hạn ngày ${formatDate(d.notAfter)} (hiệu lực từ ${formatDate(d.notBefore)} đến ${formatDate(d.notAfter)}); không thể dùng để ký`,
      ),
      {
        hint: msg('Renew the certificate with your CA, or use another one.', 'Hãy gia hạn chứng thư số với tổ chức cung cấp dịch vụ chứng thực, hoặc dùng chứng thư khác.'),
        details: { notBefore: d.notBefore.toISOString(), notAfter: d.notAfter.toISOString() },
      },
    );
  }
  if (now < d.notBefore.getTime()) {
    throw credentialError(
      'CERT_NOT_YET_VALID',
      msg(
        `${who}: the certificate is not valid yet: valid from ${formatDate(d.notBefore)} to ${formatDate(d.notAfter)}`,
        `${who}: chứng thư số chưa có hiệu lực: hiệu lực từ ${formatDate(d.notBefore)} đến ${formatDate(d.notAfter)}`,
      ),
      {
        hint: msg('Check the computer clock, or wait until the certificate becomes valid.', 'Hãy kiểm tra đồng hồ máy tính, hoặc chờ đến khi chứng thư có hiệu lực.'),
        details: { notBefore: d.notBefore.toISOString(), notAfter: d.notAfter.toISOString() },
      },
    );
  }
  if (d.keyUsage && !d.keyUsage.includes('digitalSignature') && !d.keyUsage.includes('nonRepudiation')) {
    const ku = d.keyUsage.join(', ') || '-';
    throw credentialError(
      'CERT_KEY_USAGE',
      msg(
        `${who}: the certificate is not for signing (key usage: ${ku}; needs digitalSignature or nonRepudiation)`,
        `${who}: chứng thư số không dùng để ký (mục đích khóa: ${ku}; cần digitalSignature hoặc nonRepudiation)`,
      ),
    );
  }
  const warnings: Warning[] = [];
  const days = (d.notAfter.getTime() - now) / DAY;
  if (days <= (opts.warnDays ?? 30)) {
    const n = Math.max(0, Math.floor(days));
    warnings.push({
      code: 'CERT_EXPIRES_SOON',
      en: `${who}: the certificate expires in ${n} day(s), on ${formatDate(d.notAfter)}`,
      vi: `${who}: chứng thư số sẽ hết hạn sau ${n} ngày, vào ${formatDate(d.notAfter)}`,
    });
  }
  return { description: d, warnings };
}
