import { cacheHome } from '../core/home-dir.js';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { App } from '../cli/app.js';
import { EXIT } from '../cli/exit-codes.js';
import { progressBar } from '../cli/progress.js';
import { renderTable } from '../cli/table.js';
import { msg, usageError } from '../core/errors.js';
import { noProgress } from '../core/types.js';
import type { ExtendFileReport, ExtendLevel, ExtendRunResult } from '../services/extend-document.js';
import type { VerifySettings } from '../services/verify-types.js';

interface ExtendFlags {
  level: ExtendLevel;
  tsa: string[];
  renewBefore?: string;
  acceptIndeterminate?: boolean;
  inPlace?: boolean;
  outDir?: string;
  trust: string[];
  defaultTrust: boolean;
  revocation: 'hard' | 'soft' | 'off';
  jobs: string;
  json?: boolean;
  cacheDir?: string;
  timeout?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `30d`, `6m`, `1y` → milliseconds (a month is 30 days, a year 365: renewal margins, not calendars). */
export function parseRenewBefore(s: string): number {
  const m = /^(\d{1,5})([dmy])$/.exec(s.trim());
  if (!m) throw usageError('USAGE', msg(`--renew-before must look like 30d, 6m or 1y (got "${s}")`, `--renew-before phải có dạng 30d, 6m hoặc 1y (nhận "${s}")`));
  const days = Number(m[1]) * (m[2] === 'd' ? 1 : m[2] === 'm' ? 30 : 365);
  return days * 86_400_000;
}

const RETRY_CODES = new Set(['TSA_UNAVAILABLE', 'LTV_REVOCATION_UNAVAILABLE']);

/** refused (1) > errors (5, or 6/7 when only the network failed) > indeterminate (3) > ok. */
export function extendExitCode(files: ExtendFileReport[]): number {
  if (files.some((f) => f.status === 'refused')) return EXIT.verifyFailed;
  const errors = files.filter((f) => f.status === 'error');
  if (errors.length > 0) {
    if (errors.every((f) => RETRY_CODES.has(f.reason?.code ?? ''))) return EXIT.exchangeRetry;
    if (errors.every((f) => f.reason?.code === 'TSA_REJECTED')) return EXIT.exchangeRejected;
    return EXIT.input;
  }
  if (files.some((f) => f.status === 'indeterminate')) return EXIT.verifyIndeterminate;
  return EXIT.ok;
}

export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  program
    .command('extend')
    .description(
      vi
        ? 'Nâng tệp PDF đã ký lên mức lưu trữ dài hạn B-LT/B-LTA (dấu thời gian tài liệu, DSS), gia hạn dấu thời gian lưu trữ'
        : 'Bring signed PDFs up to long-term level B-LT/B-LTA (document timestamp, DSS) and renew archive timestamps',
    )
    .argument('<paths...>', vi ? 'tệp PDF hoặc thư mục' : 'PDF files or folders')
    .addOption(new Option('--level <level>', vi ? 'mức cần đạt' : 'level to reach').choices(['B-LT', 'B-LTA']).makeOptionMandatory())
    .option('--tsa <url>', vi ? 'máy chủ cấp dấu thời gian (lặp lại được)' : 'time-stamp authority (repeatable)', collect, [] as string[])
    .option('--renew-before <Nd|Nm|Ny>', vi ? 'thêm dấu thời gian mới khi chứng thư TSA của dấu mới nhất sắp hết hạn' : 'add a fresh document timestamp when the newest one’s TSA certificate expires within this time')
    .option('--accept-indeterminate', vi ? 'vẫn gia hạn tệp có chữ ký không xác định (ghi vào báo cáo)' : 'extend files whose signatures are INDETERMINATE too (recorded in the report)')
    .option('--in-place', vi ? 'thay tệp gốc (nguyên tử; các byte cũ giữ nguyên)' : 'replace each file atomically (its bytes stay a prefix of the new file)')
    .option('--out-dir <dir>', vi ? 'ghi tệp đã gia hạn vào thư mục này' : 'write extended files to this folder (mirrors relative paths)')
    .option('--trust <file>', vi ? 'thêm chứng thư gốc tin cậy, lặp lại được' : 'add trust anchors, repeatable', collect, [] as string[])
    .option('--no-default-trust', vi ? 'không dùng các chứng thư gốc có sẵn' : 'do not use the built-in trust anchors')
    .addOption(new Option('--revocation <mode>', vi ? 'kiểm tra thu hồi khi kiểm tra trước' : 'revocation checking of the verification before extending').choices(['hard', 'soft', 'off']).default('soft'))
    .option('--jobs <n>', vi ? 'số tệp xử lý đồng thời' : 'files in flight at once', '4')
    .option('--json', vi ? 'báo cáo JSON' : 'JSON report')
    .option('--cache-dir <dir>', vi ? 'thư mục bộ đệm OCSP/CRL' : 'OCSP/CRL cache folder')
    .option('--timeout <seconds>', vi ? 'thời gian chờ mạng' : 'network timeout', '15')
    .addHelpText(
      'after',
      vi
        ? '\nVí dụ:\n  kyso extend luu-tru/ --level B-LTA --tsa http://tsa.example.vn --in-place\n  kyso extend luu-tru/ --level B-LTA --tsa http://tsa.example.vn --in-place --renew-before 6m'
        : '\nExamples:\n  kyso extend archive/ --level B-LTA --tsa http://tsa.example --in-place\n  kyso extend archive/ --level B-LTA --tsa http://tsa.example --in-place --renew-before 6m',
    )
    .action(async (paths: string[], flags: ExtendFlags) => {
      await app.run(
        Boolean(flags.json),
        async () => {
          const ctx = app.ctx;
          if (flags.tsa.length === 0) throw usageError('TSA_MISSING', msg('kyso extend needs a time-stamp authority: --tsa <url>', 'kyso extend cần máy chủ cấp dấu thời gian: --tsa <url>'));
          if (Boolean(flags.inPlace) === Boolean(flags.outDir))
            throw usageError('USAGE', msg('say where the extended files go: --in-place or --out-dir <dir> (one of them)', 'hãy chọn nơi ghi tệp đã gia hạn: --in-place hoặc --out-dir <thư mục> (một trong hai)'));
          const jobs = Number(flags.jobs);
          if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
            throw usageError('USAGE', msg(`--jobs must be a whole number from 1 to 64 (got "${flags.jobs}")`, `--jobs phải là số nguyên từ 1 đến 64 (nhận "${flags.jobs}")`));
          const timeout = Number(flags.timeout ?? '15');
          if (!Number.isFinite(timeout) || timeout <= 0)
            throw usageError('USAGE', msg(`--timeout must be a positive number of seconds (got "${flags.timeout}")`, `--timeout phải là số giây dương (nhận "${flags.timeout}")`));
          const renewBeforeMs = flags.renewBefore !== undefined ? parseRenewBefore(flags.renewBefore) : undefined;
          const cacheRoot = cacheHome(ctx.env);
          const settings: VerifySettings = {
            trust: flags.trust.map((t) => path.resolve(ctx.cwd, t)),
            defaultTrust: flags.defaultTrust,
            revocation: flags.revocation,
            cacheDir: flags.cacheDir ? path.resolve(ctx.cwd, flags.cacheDir) : path.join(cacheRoot, 'kyso', 'revocation'),
          };
          const { collectPdfFiles, prepareVerify } = await import('../services/verify-files.js');
          const { extendFiles } = await import('../services/extend-document.js');
          const outDir = flags.outDir ? path.resolve(ctx.cwd, flags.outDir) : undefined;
          const inputs = [];
          for (const p of paths) {
            const root = path.resolve(ctx.cwd, p);
            for (const i of await collectPdfFiles([p], ctx.cwd)) {
              const rel = i.path === root ? path.basename(i.path) : path.relative(root, i.path);
              inputs.push({ ...i, output: outDir ? path.join(outDir, rel) : i.path });
            }
          }
          if (inputs.length === 0) app.warn({ code: 'EXTEND_NO_FILES', en: `no PDF files found in ${paths.join(', ')}`, vi: `không tìm thấy tệp PDF nào trong ${paths.join(', ')}` });
          const now = () => ctx.now();
          const verify = await prepareVerify(settings, now);
          const result = await extendFiles(
            inputs,
            { level: flags.level, tsa: flags.tsa, renewBeforeMs, acceptIndeterminate: Boolean(flags.acceptIndeterminate), inPlace: Boolean(flags.inPlace), outputDir: outDir, hash: 'sha256', jobs, timeoutMs: Math.round(timeout * 1000) },
            { verify, now, progress: inputs.length >= 10 ? progressBar(ctx.stderr) : noProgress, onInterrupt: (fn) => ctx.onInterrupt(fn) },
          );
          for (const f of result.files) if (f.output) f.output = path.relative(ctx.cwd, f.output) || f.output;
          return { exitCode: extendExitCode(result.files), result };
        },
        (r: ExtendRunResult) => {
          const out = app.ctx.stdout;
          const STATUS_VI: Record<string, string> = { extended: 'đã gia hạn', skipped: 'đã đủ mức', refused: 'từ chối', indeterminate: 'không xác định', unsigned: 'chưa ký', error: 'lỗi' };
          renderTable(
            out,
            vi ? ['Tệp', 'Kết quả', 'Mức trước', 'Mức sau', 'Đã thêm'] : ['File', 'Result', 'Level before', 'Level after', 'Added'],
            r.files.map((f) => [
              f.file,
              vi ? STATUS_VI[f.status]! : f.status,
              f.levelBefore,
              f.levelAfter ?? '-',
              f.added ? `${f.added.documentTimestamps} TS, ${f.added.certs} cert, ${f.added.ocsps} OCSP, ${f.added.crls} CRL${f.renewed ? (vi ? ', gia hạn' : ', renewed') : ''}` : '-',
            ]),
          );
          for (const f of r.files) {
            if (f.reason) out.write(`  ${vi ? f.reason.messageVi : f.reason.message}\n`);
            if (f.status === 'extended' && f.acceptedIndeterminate)
              out.write(
                vi
                  ? `  ${f.file}: đã gia hạn dù chữ ký chưa xác định được (--accept-indeterminate, theo lựa chọn của người dùng); tệp giữ nguyên bằng chứng hiện có, kết quả kiểm tra vẫn là chưa xác định\n`
                  : `  ${f.file}: extended although a signature cannot be confirmed (--accept-indeterminate, the user's choice); the file keeps its current evidence and still verifies as INDETERMINATE\n`,
              );
          }
          const s = r.summary;
          out.write(
            vi
              ? `${s.files} tệp: ${s.extended} đã gia hạn${s.acceptedIndeterminate ? ` (${s.acceptedIndeterminate} chưa xác định, chấp nhận theo --accept-indeterminate)` : ''}, ${s.skipped} đã đủ mức, ${s.refused} từ chối, ${s.indeterminate} không xác định, ${s.unsigned} chưa ký, ${s.errors} lỗi\n`
              : `${s.files} files: ${s.extended} extended${s.acceptedIndeterminate ? ` (${s.acceptedIndeterminate} INDETERMINATE, accepted with --accept-indeterminate)` : ''}, ${s.skipped} already at level, ${s.refused} refused, ${s.indeterminate} indeterminate, ${s.unsigned} unsigned, ${s.errors} errors\n`,
          );
        },
      );
    });
}
