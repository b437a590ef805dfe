import type { Msg } from '../core/errors.js';
import type { Register } from './app.js';

/**
 * Every command: its name, its one-line summary and how to load it. The top-level `kyso --help` (and an
 * unknown command) is printed from these declarations alone, so no command implementation is loaded to
 * show one screen; `kyso <command> …` loads just that command. A test keeps each summary equal to the
 * description its command registers.
 */
export interface CommandDeclaration {
  summary: Msg;
  load: () => Promise<{ register: Register }>;
}

export const COMMANDS: Record<string, CommandDeclaration> = {
  sign: { summary: { en: 'Sign PDF files (PAdES)', vi: 'Ký số tệp PDF (PAdES)' }, load: () => import('../commands/sign.js') },
  verify: {
    summary: { en: 'Verify the signatures of PDF files (folders: *.pdf recursively)', vi: 'Kiểm tra chữ ký số của tệp PDF (thư mục: tìm *.pdf đệ quy)' },
    load: () => import('../commands/verify.js'),
  },
  extend: {
    summary: {
      en: 'Bring signed PDFs up to long-term level B-LT/B-LTA (document timestamp, DSS) and renew archive timestamps',
      vi: 'Nâng tệp PDF đã ký lên mức lưu trữ dài hạn B-LT/B-LTA (dấu thời gian tài liệu, DSS), gia hạn dấu thời gian lưu trữ',
    },
    load: () => import('../commands/extend.js'),
  },
  report: {
    summary: { en: 'Work with verification reports', vi: 'Xử lý báo cáo kiểm tra' },
    load: () => import('../commands/report.js'),
  },
  fields: {
    summary: {
      en: 'List the form fields of a PDF (signature fields signed or empty) and their pages',
      vi: 'Liệt kê các trường biểu mẫu (ô chữ ký đã ký hay còn trống) và trang của chúng',
    },
    load: () => import('../commands/fields.js'),
  },
  token: {
    summary: { en: 'USB tokens (PKCS#11): list tokens and their certificates', vi: 'USB token (PKCS#11): liệt kê token và chứng thư' },
    load: () => import('../commands/token.js'),
  },
  remote: {
    summary: { en: 'Remote signing (VNPT SmartCA, Viettel MySign, CSC)', vi: 'Ký số từ xa (VNPT SmartCA, Viettel MySign, CSC)' },
    load: () => import('../commands/remote.js'),
  },
  trust: {
    summary: { en: 'The trust store used to verify signatures', vi: 'Kho chứng thư gốc tin cậy dùng để kiểm tra chữ ký' },
    load: () => import('../commands/trust.js'),
  },
  send: {
    summary: { en: 'Send signed PDFs over the exchange (through the durable outbox)', vi: 'Gửi văn bản đã ký qua trục liên thông (qua hộp thư đi bền vững)' },
    load: () => import('../commands/send.js'),
  },
  receive: {
    summary: { en: 'Fetch incoming documents, verify their signatures, store them, send status 01/02', vi: 'Nhận văn bản đến, kiểm tra chữ ký, lưu và gửi trạng thái 01/02' },
    load: () => import('../commands/receive.js'),
  },
  status: {
    summary: { en: 'Send a business status (03, 04, 05, 06 …) for a received document', vi: 'Gửi trạng thái xử lý (03, 04, 05, 06 …) cho văn bản đến' },
    load: () => import('../commands/status.js'),
  },
  outbox: {
    summary: { en: 'The durable outbox: list, show, retry', vi: 'Hộp thư đi bền vững: danh sách, chi tiết, gửi lại' },
    load: () => import('../commands/outbox.js'),
  },
  org: {
    summary: { en: 'The organisation directory (fills the edXML To/From blocks)', vi: 'Danh bạ cơ quan (điền đủ thông tin nơi gửi, nơi nhận trong gói edXML)' },
    load: () => import('../commands/org.js'),
  },
  hub: {
    summary: { en: 'local exchange server (vdxp API) for training, demos and tests', vi: 'máy chủ liên thông cục bộ (API vdxp) để tập huấn, trình diễn và kiểm thử' },
    load: () => import('../commands/hub.js'),
  },
  config: {
    summary: { en: 'Show the effective configuration', vi: 'Xem cấu hình đang dùng' },
    load: () => import('../commands/config.js'),
  },
  demo: {
    summary: {
      en: 'run the whole job end to end on embedded defaults: test PKI, sample công văn, sign twice, verify, local hub, send, receive, status',
      vi: 'chạy trọn quy trình với dữ liệu mẫu: PKI thử nghiệm, công văn mẫu, ký hai lần, kiểm tra, trục cục bộ, gửi, nhận, trạng thái',
    },
    load: () => import('../commands/demo.js'),
  },
};
