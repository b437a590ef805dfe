import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { App } from '../cli/app.js';
import { EXIT } from '../cli/exit-codes.js';
import { renderVerifyText } from '../cli/report-text.js';
import { loadCatalogue } from '../cli/catalogue/load.js';
import { useColor } from '../cli/table.js';
import { inputError, msg } from '../core/errors.js';
import { runOutcome } from '../services/verify-types.js';
import type { LoadedReport } from '../services/report-shard.js';

interface MergeFlags {
  format: 'text' | 'json' | 'junit' | 'html';
  json?: boolean;
  allowUnsigned?: boolean;
}

const OUTCOME_EXIT = { failed: EXIT.verifyFailed, input: EXIT.input, indeterminate: EXIT.verifyIndeterminate, ok: EXIT.ok } as const;

export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  const report = program.command('report').description(vi ? 'Xử lý báo cáo kiểm tra' : 'Work with verification reports');
  report
    .command('merge')
    .description(
      vi
        ? 'Gộp báo cáo JSON của các phân đoạn (kyso verify --shard i/n --json) thành một báo cáo; thiếu phân đoạn thì thất bại'
        : 'Join the JSON reports of shards (kyso verify --shard i/n --json) into one report; a missing shard fails the merge',
    )
    .argument('<reports...>', vi ? 'tệp báo cáo JSON' : 'JSON report files')
    .addOption(new Option('--format <fmt>', vi ? 'định dạng báo cáo' : 'report format').choices(['text', 'json', 'junit', 'html']).default('text'))
    .option('--json', vi ? 'xuất JSON (= --format json)' : 'JSON output (= --format json)')
    .option('--allow-unsigned', vi ? 'tệp chưa ký không làm lệnh thất bại' : 'files without signatures do not fail the run')
    .action(async (files: string[], flags: MergeFlags) => {
      const format = flags.json ? 'json' : flags.format;
      let junit: typeof import('../cli/report-junit.js') | undefined;
      let html: typeof import('../cli/report-html.js') | undefined;
      await app.run(
        format === 'json',
        async () => {
          const loaded: LoadedReport[] = [];
          for (const f of files) {
            let text: string;
            try {
              text = await readFile(path.resolve(app.ctx.cwd, f), 'utf8');
            } catch {
              throw inputError('REPORT_NOT_FOUND', msg(`${f}: report file not found or unreadable`, `${f}: không tìm thấy hoặc không đọc được tệp báo cáo`));
            }
            try {
              loaded.push({ name: f, doc: JSON.parse(text) });
            } catch {
              throw inputError('REPORT_INVALID', msg(`${f}: not JSON (an interrupted shard?)`, `${f}: không phải JSON (phân đoạn bị dừng giữa chừng?)`));
            }
          }
          const { mergeReports } = await import('../services/report-shard.js');
          const result = mergeReports(loaded);
          if (format === 'junit') junit = await import('../cli/report-junit.js');
          if (format === 'html') html = await import('../cli/report-html.js');
          await loadCatalogue(); // problems and warnings are named through it (cli/catalogue/load.ts)
          return { exitCode: OUTCOME_EXIT[runOutcome(result.files, Boolean(flags.allowUnsigned))], result };
        },
        (result) => {
          const out = app.ctx.stdout;
          if (junit) out.write(junit.renderVerifyJunit(result, { allowUnsigned: Boolean(flags.allowUnsigned) }));
          else if (html) out.write(html.renderVerifyHtml(result, { lang: app.ctx.lang, allowUnsigned: Boolean(flags.allowUnsigned), generatedAt: app.ctx.now() }));
          else renderVerifyText(out, result, app.ctx.lang, useColor(out, app.ctx.env));
        },
      );
    });
}
