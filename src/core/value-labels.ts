import type { Lang } from './types.js';

/**
 * Words of text reports that are values, not sentences: verify's verdict parts, outbox and receive states,
 * table headers (issue 14: under LANG=vi nothing of them stays English). JSON keeps the English values.
 */
const VI: Record<string, string> = {
  // verify: integrity, trust, changes after signing, coverage, level
  ok: 'nguyên vẹn',
  broken: 'bị hỏng',
  trusted: 'tin cậy',
  untrusted: 'không tin cậy',
  expired: 'hết hạn',
  revoked: 'bị thu hồi',
  unknown: 'chưa rõ',
  none: 'không có',
  allowed: 'được phép',
  annotations: 'có chú thích',
  disallowed: 'không được phép',
  whole: 'toàn bộ',
  partial: 'một phần',
  // outbox states and attempt outcomes
  queued: 'đang chờ gửi',
  sending: 'đang gửi',
  delivered: 'đã gửi',
  rejected: 'bị từ chối',
  failed: 'thất bại',
  pending: 'đang thực hiện',
  reconciled: 'đã có trên trục',
  retry: 'sẽ thử lại',
  interrupted: 'bị ngắt',
  // outbox message types
  edoc: 'văn bản',
  status: 'trạng thái',
  revoke: 'thu hồi',
  update: 'cập nhật',
  replace: 'thay thế',
  // receive outcomes
  new: 'mới',
  already: 'đã nhận trước đó',
  unparseable: 'không đọc được',
  error: 'lỗi',
  quarantined: 'cách ly',
};

/** A value in the reader's language (an unknown value as it is). */
export function valueLabel(v: string, lang: Lang): string {
  return lang === 'vi' ? (VI[v] ?? v) : v;
}
