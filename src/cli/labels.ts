import type { Lang } from '../core/types.js';
import { vietnamDisplay } from '../core/vn-time.js';

export { valueLabel } from '../core/value-labels.js';

const HEADERS_VI: Record<string, string> = {
  ID: 'MÃ',
  TYPE: 'LOẠI',
  DOCUMENT: 'VĂN BẢN',
  TO: 'GỬI ĐẾN',
  STATE: 'TÌNH TRẠNG',
  ATTEMPTS: 'SỐ LẦN GỬI',
  DOCID: 'DOCID',
  STATUS: 'TRẠNG THÁI',
  CREATED: 'TẠO LÚC',
  N: 'LẦN',
  STARTED: 'BẮT ĐẦU',
  OUTCOME: 'KẾT QUẢ',
  HTTP: 'HTTP',
  ANSWER: 'MÁY CHỦ TRẢ LỜI',
  CODE: 'MÃ',
  AT: 'THỜI ĐIỂM',
  FROM: 'TỪ',
  DESCRIPTION: 'MÔ TẢ',
  RESULT: 'KẾT QUẢ',
  FLAG: 'ĐÁNH DẤU',
  FOLDER: 'THƯ MỤC',
  'QUARANTINED-DOCID': 'DOCID BỊ CÁCH LY',
  REASON: 'LÝ DO',
  WHEN: 'THỜI ĐIỂM',
  'STATUS-DOCID': 'DOCID TRẠNG THÁI',
  KIND: 'LOẠI',
  CONCERNS: 'VỀ VĂN BẢN',
  ORIGINAL: 'BẢN GỐC',
  REPLY: 'TRẢ LỜI',
  RECEIVED: 'NHẬN LÚC',
};

/** Table headers in the reader's language. */
export function headers(names: string[], lang: Lang): string[] {
  return lang === 'vi' ? names.map((h) => HEADERS_VI[h] ?? h) : names;
}

/** A time of a text report: Vietnam time with its offset, whatever the machine's zone (empty stays empty). */
export function timeLabel(t: string | undefined | null): string {
  return t ? vietnamDisplay(t) : '';
}
