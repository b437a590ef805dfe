import { cacheHome } from '../core/home-dir.js';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { SCHEMA_VERSION, writeJson, type App } from '../cli/app.js';
import { EXIT } from '../cli/exit-codes.js';
import { progressBar } from '../cli/progress.js';
import { needsCatalogue, renderVerifyText } from '../cli/report-text.js';
import { loadCatalogue } from '../cli/catalogue/load.js';
import { interruptedMsg } from '../cli/batch-report.js';
import { verifyJsonView } from '../cli/report-json.js';
import { useColor } from '../cli/table.js';
import type { OutStream } from '../cli/context.js';
import { msg, usageError } from '../core/errors.js';
import { obtainSecret } from '../cli/secrets.js';
import { noProgress } from '../core/types.js';
import { collectPdfFiles, verifyFiles } from '../services/verify-files.js';
import { runOutcome, summarize, type FileReport, type VerifyRunResult, type VerifySettings } from '../services/verify-types.js';
import { watchdogThread } from '../services/verify-watchdog.js';

interface VerifyFlags {
  trust: string[];
  defaultTrust: boolean;
  revocation: 'hard' | 'soft' | 'off';
  at?: string;
  jobs: string;
  allowUnsigned?: boolean;
  format: 'text' | 'json' | 'junit' | 'html';
  shard?: string;
  receipt?: string;
  json?: boolean;
  timeout?: string;
  maxMemory: string;
  allowEmpty?: boolean;
  cacheDir?: string;
  signedVersion?: string;
  passwordFile?: string;
}

/**
 * Password of encrypted PDFs: --password-file (path or - for stdin) > KYSO_PDF_PASSWORD. Not prompted
 * here: most PDFs are not encrypted, and an encrypted one with an empty user password needs none; the
 * masked prompt is asked only when a file needs it (see askPdfPassword).
 */
async function pdfPassword(app: App, file: string | undefined): Promise<string | undefined> {
  if (file !== undefined) {
    return obtainSecret(app.ctx, {
      envVar: 'KYSO_PDF_PASSWORD',
      file: file === '-' ? '-' : path.resolve(app.ctx.cwd, file),
      prompt: msg('PDF password', 'Mật khẩu PDF'),
      missingCode: 'PDF_PASSWORD_MISSING',
      missing: msg('no PDF password given', 'chưa có mật khẩu PDF'),
    });
  }
  const env = app.ctx.env.KYSO_PDF_PASSWORD;
  return env !== undefined && env !== '' ? env : undefined;
}

const OUTCOME_EXIT = { failed: EXIT.verifyFailed, input: EXIT.input, indeterminate: EXIT.verifyIndeterminate, ok: EXIT.ok } as const;

export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  program
    .command('verify')
    .description(vi ? 'Kiểm tra chữ ký số của tệp PDF (thư mục: tìm *.pdf đệ quy)' : 'Verify the signatures of PDF files (folders: *.pdf recursively)')
    .argument('<paths...>', vi ? 'tệp PDF hoặc thư mục' : 'PDF files or folders')
    .option('--trust <file>', vi ? 'thêm chứng thư gốc tin cậy (pem|der|p7b|thư mục), lặp lại được' : 'add trust anchors (pem|der|p7b|folder), repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--no-default-trust', vi ? 'không dùng các chứng thư gốc có sẵn' : 'do not use the built-in trust anchors')
    .addOption(new Option('--revocation <mode>', vi ? 'kiểm tra thu hồi' : 'revocation checking').choices(['hard', 'soft', 'off']).default('soft'))
    .option('--at <iso-time>', vi ? 'thời điểm kiểm tra (ISO 8601)' : 'validation time (ISO 8601)')
    .option('--jobs <n>', vi ? 'số luồng kiểm tra song song' : 'parallel worker threads', '1')
    .option('--allow-unsigned', vi ? 'tệp chưa ký không làm lệnh thất bại' : 'files without signatures do not fail the run')
    .addOption(new Option('--format <fmt>', vi ? 'định dạng báo cáo' : 'report format').choices(['text', 'json', 'junit', 'html']).default('text'))
    .option('--json', vi ? 'xuất JSON (= --format json)' : 'JSON output (= --format json)')
    .option('--timeout <seconds>', vi ? 'thời gian tối đa cho mỗi tệp (quá hạn: LỖI VERIFY_TIMEOUT)' : 'time budget per file (over it: ERROR VERIFY_TIMEOUT)', '30')
    .option('--max-memory <MiB>', vi ? 'bộ nhớ tối đa cho kiểm tra mỗi tệp (vượt quá: LỖI, hết bộ nhớ)' : 'memory cap per file: worker heap, or RSS growth for one input (over it: ERROR VERIFY_OUT_OF_MEMORY)', '1024')
    .option('--allow-empty', vi ? 'không có tệp PDF nào cũng không phải lỗi' : 'an empty set of input files is not an error')
    .option('--signed-version <dir>', vi ? 'ghi phiên bản mà mỗi chữ ký bao trùm (bản người ký đã thấy) thành tệp PDF vào thư mục' : "write the revision each signature covers (what the signer saw) as a PDF into this folder")
    .option('--password-file <file>', vi ? 'tệp chứa mật khẩu của PDF mã hóa (- = đầu vào chuẩn); hoặc biến KYSO_PDF_PASSWORD' : 'file holding the password of encrypted PDFs (- = standard input); or KYSO_PDF_PASSWORD')
    .option('--cache-dir <dir>', vi ? 'thư mục bộ đệm OCSP/CRL' : 'OCSP/CRL cache folder')
    .option('--shard <i/n>', vi ? 'chỉ kiểm tra phân đoạn i trên n (chạy song song nhiều máy; gộp bằng kyso report merge)' : 'verify only share i of n (many machines; join with kyso report merge)')
    .option('--receipt <file.pdf>', vi ? 'ghi phiếu kiểm tra chữ ký số (PDF một trang)' : 'write a one-page PDF verification receipt')
    .addHelpText(
      'after',
      vi
        ? '\nVí dụ:\n  kyso verify hop-thu-den/ --format junit > ket-qua.xml\n  kyso verify van-ban.pdf --trust goc.pem --revocation off'
        : '\nExamples:\n  kyso verify inbox/ --format junit > report.xml\n  kyso verify doc.pdf --trust root.pem --revocation off',
    )
    .action(async (paths: string[], flags: VerifyFlags, cmd: Command) => {
      if (flags.json && cmd.getOptionValueSource('format') === 'cli' && flags.format !== 'json') {
        await app.run(true, async () => {
          throw usageError('FLAGS_CONFLICT', msg(`--json and --format ${flags.format} ask for two different reports; give only one`, `--json và --format ${flags.format} yêu cầu hai loại báo cáo khác nhau; chỉ dùng một`));
        }, () => {});
        return;
      }
      const format = flags.json ? 'json' : flags.format;
      // xmlbuilder2 is loaded only for --format junit (~0.1 s of start-up otherwise).
      let junit: typeof import('../cli/report-junit.js') | undefined;
      let html: typeof import('../cli/report-html.js') | undefined;
      let stopNow = false;
      const renderHuman = (out: OutStream, result: VerifyRunResult) => {
        if (format === 'junit' && junit) out.write(junit.renderVerifyJunit(result, { allowUnsigned: Boolean(flags.allowUnsigned) }));
        else if (format === 'html' && html) out.write(html.renderVerifyHtml(result, { lang: app.ctx.lang, allowUnsigned: Boolean(flags.allowUnsigned), generatedAt: app.ctx.now() }));
        else renderVerifyText(out, result, app.ctx.lang, useColor(app.ctx.stdout, app.ctx.env));
      };
      /** The whole stdout of this command for `result` (what app.run writes), as a string. */
      const renderReport = (result: VerifyRunResult, exitCode: number): string => {
        if (format === 'json') return `${JSON.stringify({ schemaVersion: SCHEMA_VERSION, ok: exitCode === 0, result: verifyJsonView(result), error: null }, null, 2)}\n`;
        let text = '';
        renderHuman({ write: (s: string) => void (text += s), isTTY: app.ctx.stdout.isTTY, columns: app.ctx.stdout.columns }, result);
        return text;
      };
      await app.run(
        format === 'json',
        async () => {
          const ctx = app.ctx;
          const jobs = Number(flags.jobs);
          if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
            throw usageError('USAGE', msg(`--jobs must be a whole number from 1 to 64 (got "${flags.jobs}")`, `--jobs phải là số nguyên từ 1 đến 64 (nhận "${flags.jobs}")`));
          const timeout = Number(flags.timeout ?? '30');
          if (!Number.isFinite(timeout) || timeout <= 0)
            throw usageError('USAGE', msg(`--timeout must be a positive number of seconds (got "${flags.timeout}")`, `--timeout phải là số giây dương (nhận "${flags.timeout}")`));
          const maxMemory = Number(flags.maxMemory);
          if (!Number.isInteger(maxMemory) || maxMemory < 64 || maxMemory > 65536)
            throw usageError('USAGE', msg(`--max-memory must be a whole number of MiB from 64 to 65536 (got "${flags.maxMemory}")`, `--max-memory phải là số MiB nguyên từ 64 đến 65536 (nhận "${flags.maxMemory}")`));
          let at: string | undefined;
          if (flags.at !== undefined) {
            const t = new Date(flags.at);
            if (!/^\d{4}-\d{2}-\d{2}/.test(flags.at) || Number.isNaN(t.getTime()))
              throw usageError('USAGE', msg(`--at must be an ISO 8601 time such as 2026-01-31T09:00:00+07:00 (got "${flags.at}")`, `--at phải là thời điểm ISO 8601, ví dụ 2026-01-31T09:00:00+07:00 (nhận "${flags.at}")`));
            at = t.toISOString();
          }
          const cacheRoot = cacheHome(ctx.env);
          const settings: VerifySettings = {
            trust: flags.trust.map((t) => path.resolve(ctx.cwd, t)),
            defaultTrust: flags.defaultTrust,
            revocation: flags.revocation,
            at,
            cacheDir: flags.cacheDir ? path.resolve(ctx.cwd, flags.cacheDir) : path.join(cacheRoot, 'kyso', 'revocation'),
            fileTimeoutMs: Math.round(timeout * 1000),
            maxMemoryMb: maxMemory,
            signedVersionDir: flags.signedVersion ? path.resolve(ctx.cwd, flags.signedVersion) : undefined,
            pdfPassword: await pdfPassword(app, flags.passwordFile),
          };
          if (format === 'junit') junit = await import('../cli/report-junit.js');
          if (format === 'html') html = await import('../cli/report-html.js');
          let inputs = await collectPdfFiles(paths, ctx.cwd);
          // A mistyped CI path must not go green: no input is a usage error unless --allow-empty. A shard of a
          // non-empty set may be empty: that is fine (the merge knows the total).
          if (inputs.length === 0 && !flags.allowEmpty)
            throw usageError(
              'VERIFY_NO_FILES',
              msg(`no PDF files found in ${paths.join(', ')} (use --allow-empty if that is expected)`, `không tìm thấy tệp PDF nào trong ${paths.join(', ')} (dùng --allow-empty nếu đó là điều bình thường)`),
            );
          const sharding = flags.shard !== undefined ? await import('../services/report-shard.js') : undefined;
          let shard: import('../services/report-shard.js').ShardInfo | undefined;
          if (sharding) {
            const spec = sharding.parseShard(flags.shard!);
            const positions = sharding.selectShard(inputs.map((i) => i.rel ?? i.display), spec);
            shard = { ...spec, totalFiles: inputs.length, positions };
            inputs = positions.map((k) => inputs[k]!);
          }
          if (inputs.length === 0 && !shard)
            app.warn({ code: 'VERIFY_NO_FILES', en: `no PDF files found in ${paths.join(', ')}`, vi: `không tìm thấy tệp PDF nào trong ${paths.join(', ')}` });
          const progress = inputs.length >= 10 ? progressBar(ctx.stderr, ctx.lang) : noProgress;
          // On Ctrl-C / SIGTERM / SIGHUP the report of the files verified so far is still written (a valid
          // JUnit file or JSON envelope for CI); the files not reached are listed as not verified.
          const reports: (FileReport | undefined)[] = new Array(inputs.length);
          let finished = false;
          const unregister = ctx.onInterrupt(async (signal = 'SIGINT') => {
            if (finished) return;
            finished = true;
            if (format === 'text') await loadCatalogue(); // the files verified so far may have problems to name
            progress.done();
            const line = ctx.lang === 'vi' ? `đã dừng theo yêu cầu (${signal})` : `interrupted (${signal})`;
            const files = inputs.map((i, k): FileReport =>
              reports[k] ?? { file: i.display, indication: 'ERROR', error: { code: 'NOT_VERIFIED_INTERRUPTED', message: `${i.display}: not verified: interrupted (${signal})`, messageVi: `${i.display}: chưa kiểm tra: đã dừng theo yêu cầu (${signal})` }, signatures: [] },
            );
            const partial: VerifyRunResult = { summary: summarize(files), files };
            if (format === 'json') writeJson(ctx, { schemaVersion: SCHEMA_VERSION, ok: false, result: { ...(verifyJsonView(partial) as object), interrupted: { signal } }, error: { code: 'INTERRUPTED', message: interruptedMsg(signal) } });
            else if (format === 'junit' && junit) ctx.stdout.write(junit.renderVerifyJunit(partial, { allowUnsigned: Boolean(flags.allowUnsigned) }));
            else renderVerifyText(ctx.stdout, partial, ctx.lang, useColor(ctx.stdout, ctx.env));
            ctx.stderr.write(`kyso: ${line}\n`);
          });
          let result: VerifyRunResult & { shard?: typeof shard };
          // One input in this process: the watchdog thread holds --timeout and --max-memory even while this thread
          // is stuck; it writes exactly the report this command would write for that file, rendered beforehand.
          // Only in the real process (ctx.exitNow): it ends the process.
          const watchdogOutput = ctx.exitNow
            ? (run: VerifyRunResult) => renderReport(shard ? ({ ...run, shard } as VerifyRunResult) : run, OUTCOME_EXIT[runOutcome(run.files, Boolean(flags.allowUnsigned))])
            : undefined;
          try {
            result = await verifyFiles(inputs, { settings, jobs, now: () => ctx.now(), progress, onReport: (k, r) => (reports[k] = r), watchdogOutput, watchdogExitCode: EXIT.input, watchdogThread: watchdogThread(ctx.env) });
          } finally {
            finished = true;
            unregister();
          }
          // Encrypted files whose password was not given: ask once on a terminal (masked), check them again.
          const locked = result.files.map((f, i) => (f.error?.code === 'INPUT_PASSWORD_REQUIRED' ? i : -1)).filter((i) => i >= 0);
          if (locked.length && settings.pdfPassword === undefined && ctx.stdinIsTTY) {
            const pw = await ctx.prompt(vi ? 'Mật khẩu PDF: ' : 'PDF password: ', { mask: true });
            const again = await verifyFiles(locked.map((i) => inputs[i]!), { settings: { ...settings, pdfPassword: pw }, jobs, now: () => ctx.now(), progress: noProgress });
            const files = [...result.files];
            locked.forEach((i, k) => (files[i] = again.files[k]!));
            result = { summary: summarize(files), files };
          }
          if (shard) result.shard = shard;
          if (flags.receipt) {
            const { writeReceipt } = await import('../services/receipt.js');
            await writeReceipt(path.resolve(ctx.cwd, flags.receipt), result, inputs, { lang: ctx.lang, now: ctx.now(), settings });
          }
          // One input is verified in this process: a file stopped at its time budget leaves work behind,
          // so the process ends right after its report (exit 5) instead of waiting for that work.
          stopNow = inputs.length === 1 && result.files[0]?.error?.code === 'VERIFY_TIMEOUT';
          const exitCode = OUTCOME_EXIT[runOutcome(result.files, Boolean(flags.allowUnsigned))];
          // the text report names problems and warnings through the catalogue: loaded only when there are some
          if (format === 'text' && needsCatalogue(result)) await loadCatalogue();
          return { exitCode, result: (format === 'json' ? verifyJsonView(result) : result) as VerifyRunResult };
        },
        (result: VerifyRunResult) => renderHuman(app.ctx.stdout, result),
      );
      if (stopNow && app.ctx.exitNow) app.ctx.exitNow(app.exitCode);
    });
}
