import { cacheHome } from '../core/home-dir.js';
import { Option, type Command } from 'commander';
import path from 'node:path';
import type { App } from '../cli/app.js';
import { EXIT } from '../cli/exit-codes.js';
import { escapeControl } from '../cli/escape.js';
import { tr } from '../cli/i18n.js';
import { renderTable } from '../cli/table.js';
import { headers, timeLabel, valueLabel } from '../cli/labels.js';
import { msg, usageError } from '../core/errors.js';
import { receiveDocuments, type ReceiveResult } from '../services/receive-documents.js';
import { addExchangeFlags, deliveryExitCode, EXCHANGE_EXIT_ORDER, withSession, type ExchangeFlags } from './outbox.js';

interface ReceiveFlags extends ExchangeFlags {
  outDir?: string;
  trust: string[];
  defaultTrust: boolean;
  revocation: 'hard' | 'soft' | 'off';
  timeout?: string;
  wait?: string | boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

const CATEGORY_EXIT: Record<string, number> = {
  credentials: EXIT.credentials,
  'exchange-rejected': EXIT.exchangeRejected,
  'exchange-retry': EXIT.exchangeRetry,
  input: EXIT.input,
  usage: EXIT.usage,
  internal: EXIT.internal,
};

/** 0 all done (unparseable documents are acked `fail` and reported, not an error of the run); 6 something still to do (fetch/ack failed, status queued); 4 credentials. */
export function receiveExitCode(r: ReceiveResult): number {
  const codes: number[] = [];
  for (const d of [...r.documents, ...r.statuses]) {
    if (d.error && d.outcome === 'error') codes.push(CATEGORY_EXIT[d.error.category] ?? EXIT.internal);
  }
  for (const o of r.outbox) codes.push(deliveryExitCode(o));
  return EXCHANGE_EXIT_ORDER.find((c) => codes.includes(c)) ?? 0;
}

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  addExchangeFlags(
    program
      .command('receive')
      .description(vi ? 'Nhận văn bản đến, kiểm tra chữ ký, lưu và gửi trạng thái 01/02' : 'Fetch incoming documents, verify their signatures, store them, send status 01/02')
      .option('--out-dir <dir>', vi ? 'thư mục lưu văn bản đến (mặc định <data-dir>/inbox)' : 'inbox folder (default <data dir>/inbox)')
      .option('--trust <pem|der|p7b|folder>', vi ? 'thêm chứng thư gốc tin cậy để kiểm tra chữ ký (lặp lại được)' : 'extra trust anchors for verification (repeatable)', collect, [])
      .option('--no-default-trust', vi ? 'chỉ tin các chứng thư gốc nêu ở --trust' : 'only the --trust anchors')
      .addOption(new Option('--revocation <mode>', vi ? 'cách kiểm tra thu hồi chứng thư' : 'revocation checking').choices(['hard', 'soft', 'off']).default('soft'))
      .option(
        '--wait [seconds]',
        vi
          ? 'khi một lệnh kyso receive khác đang chạy (cùng hồ sơ, cùng thư mục dữ liệu): chờ lệnh đó xong (tối đa số giây này; không ghi: chờ đến khi xong) thay vì thoát ngay với mã 6'
          : 'when another kyso receive runs (same profile and data folder): wait for it to finish (at most this many seconds; none: no limit) instead of exiting 6 at once',
      )
      .option('--timeout <seconds>', vi ? 'thời gian tối đa kiểm tra mỗi tệp PDF nhận được (quá 3 lần: cách ly)' : 'time budget to verify each received PDF (exceeded 3 times: quarantined)', '60')
      .addHelpText(
        'after',
        vi
          ? '\nVí dụ:\n  kyso receive --out-dir ~/van-ban-den\n  kyso receive --wait 600          (lệnh định kỳ: chờ lần chạy trước xong)\nMỗi văn bản được lưu vào thư mục <inbox>/<docId>/ (tệp "message.edxml", các tệp đính kèm, tệp "metadata.json").\nVăn bản có chữ ký chưa xác định được hợp lệ hay không vẫn được lưu, gửi trạng thái 01 và đánh dấu để văn thư kiểm tra.'
          : '\nExamples:\n  kyso receive --out-dir ~/van-ban-den\n  kyso receive --wait 600          (a scheduled run: wait for the previous one)\nEach document lands in <inbox>/<docId>/ (message.edxml, the attachments, metadata.json).\nINDETERMINATE signatures are stored with status 01 and flagged for the clerk.',
      ),
    ctx.lang,
  ).action(async (o: ReceiveFlags) => {
    await app.run(
      Boolean(o.json),
      async () =>
        withSession(ctx, o, async (s) => {
          const timeout = Number(o.timeout ?? '60');
          if (!Number.isFinite(timeout) || timeout <= 0)
            throw usageError('USAGE', msg(`--timeout must be a positive number of seconds (got "${o.timeout}")`, `--timeout phải là số giây dương (nhận "${o.timeout}")`));
          let waitMs = 0;
          if (o.wait === true) waitMs = Number.POSITIVE_INFINITY;
          else if (typeof o.wait === 'string') {
            const w = Number(o.wait);
            if (!Number.isFinite(w) || w < 0) throw usageError('USAGE', msg(`--wait must be a number of seconds (got "${o.wait}")`, `--wait phải là số giây (nhận "${o.wait}")`));
            waitMs = Math.round(w * 1000);
          }
          const cacheRoot = cacheHome(ctx.env);
          // loaded on use: the verification stack is the heaviest import of the CLI
          const { createPdfVerifier } = await import('../services/receive-verify.js');
          const verifyPdf = await createPdfVerifier(
            { trust: o.trust.map((t) => path.resolve(ctx.cwd, t)), defaultTrust: o.defaultTrust, revocation: o.revocation, cacheDir: path.join(cacheRoot, 'kyso', 'revocation'), fileTimeoutMs: Math.round(timeout * 1000), fetchAllowHosts: s.config.fetchAllowHosts },
            () => ctx.now(),
          );
          const r = await receiveDocuments({ outDir: o.outDir ? path.resolve(ctx.cwd, o.outDir) : undefined, verifyPdf, waitMs }, s);
          return { exitCode: receiveExitCode(r), result: r };
        }),
      (r) => {
        if (r.brokeStaleLock) {
          const b = r.brokeStaleLock;
          const who = b.pid ? `pid ${b.pid}${b.host ? ` ${vi ? 'trên máy' : 'on'} ${b.host}` : ''}` : '';
          ctx.stderr.write(escapeControl(vi ? `kyso: đã gỡ tệp khóa của một lệnh kyso receive không còn chạy (${who}): ${b.file}` : `kyso: removed the lock file of a kyso receive that is no longer running (${who}): ${b.file}`) + '\n');
        }
        if (!r.documents.length && !r.statuses.length) ctx.stdout.write(vi ? 'Không có văn bản hay trạng thái mới.\n' : 'No new documents or status messages.\n');
        if (r.documents.length) {
          renderTable(
            ctx.stdout,
            headers(['DOCID', 'FROM', 'CODE', 'TYPE', 'RESULT', 'STATUS', 'FLAG', 'FOLDER'], ctx.lang),
            r.documents.map((d) => [
              d.docId,
              d.from,
              d.code ?? '',
              d.business ? (vi ? { 1: 'thu hồi', 2: 'cập nhật', 3: 'thay thế' } : { 1: 'revoke', 2: 'update', 3: 'replace' })[d.business.type] + (d.business.original ? ` ${d.business.original}` : '') : vi ? 'mới' : 'new',
              valueLabel(d.outcome, ctx.lang),
              d.statusCode ?? '',
              d.flagged ? (vi ? 'CẦN KIỂM TRA' : 'CHECK') : '',
              d.dir ?? '',
            ]),
          );
        }
        for (const d of r.documents) {
          if (d.outcome === 'quarantined') continue;
          for (const f of d.flags) ctx.stderr.write(escapeControl(`kyso: ${vi ? 'cần văn thư kiểm tra' : 'for the clerk to check'}: ${d.docId}: ${f}`) + '\n');
          if (d.reason) ctx.stderr.write(escapeControl(`kyso: ${vi ? 'đã từ chối (02)' : 'rejected (02)'}: ${d.docId}: ${d.reason}`) + '\n');
          if (d.error) ctx.stderr.write(escapeControl(`kyso: ${d.docId}: ${tr(ctx.lang, d.error.message)}`) + '\n');
        }
        if (r.quarantined.length) {
          ctx.stdout.write(vi ? `Cách ly (${r.quarantined.length}, đã báo nhận "fail", không lưu vào hộp thư đến):\n` : `Quarantined (${r.quarantined.length}, acknowledged "fail", not stored in the inbox):\n`);
          renderTable(ctx.stdout, headers(['QUARANTINED-DOCID', 'FROM', 'REASON', 'ATTEMPTS', 'WHEN'], ctx.lang), r.quarantined.map((q) => [q.docId, q.from ?? '', `${q.code}: ${tr(ctx.lang, q.reason)}`, String(q.attempts), timeLabel(q.at)]));
        }
        if (r.statuses.length) {
          renderTable(ctx.stdout, headers(['STATUS-DOCID', 'FROM', 'DOCUMENT', 'CODE', 'RESULT'], ctx.lang), r.statuses.map((st) => [st.docId, st.from, st.documentId ?? '', st.statusCode ?? '', valueLabel(st.outcome, ctx.lang)]));
        }
        for (const st of r.statuses) {
          if (st.error) ctx.stderr.write(escapeControl(`kyso: ${st.docId}: ${tr(ctx.lang, st.error.message)}`) + '\n');
          if (st.statusCode === '13') {
            const target = st.recallOf ?? st.documentId ?? '';
            ctx.stderr.write(
              vi
                ? `kyso: ${st.from} yêu cầu lấy lại văn bản ${target}${st.description ? ` (${st.description})` : ''}; trả lời: kyso status ${st.recallOf ?? '<docId>'} 15 (đồng ý) hoặc 16 (từ chối)\n`
                : `kyso: ${st.from} asks for document ${target} back${st.description ? ` (${st.description})` : ''}; answer: kyso status ${st.recallOf ?? '<docId>'} 15 (accept) or 16 (refuse)\n`,
            );
          }
        }
        for (const it of r.outbox) if (it.state !== 'delivered') ctx.stderr.write(`kyso: ${vi ? 'trạng thái chưa gửi được, đã xếp hàng' : 'status not delivered yet, queued'}: ${it.id.slice(0, 8)}\n`);
      },
    );
  });
}
