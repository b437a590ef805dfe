import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import { loadCliConfig } from '../cli/config-load.js';
import { escapeControl } from '../cli/escape.js';
import { effectiveEntries } from '../core/config.js';

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  const config = program.command('config').description(vi ? 'Xem cấu hình đang dùng' : 'Show the effective configuration');
  config
    .command('show')
    .description(vi ? 'In mọi khóa cấu hình có hiệu lực (--origin: kèm nguồn của từng khóa)' : 'Print every effective configuration key (--origin: with where it came from)')
    .option('--origin', vi ? 'in nguồn của từng khóa (tệp, biến môi trường, cờ, mặc định)' : 'print where each key came from (file, environment, flag, default)')
    .option('--data-dir <dir>', vi ? 'như ở các lệnh liên thông (send, receive, status, outbox)' : 'as for the exchange commands')
    .option('--json', vi ? 'kết quả dạng JSON' : 'one JSON document on stdout')
    .action(async (o: { origin?: boolean; dataDir?: string; json?: boolean }) => {
      await app.run(
        Boolean(o.json),
        async () => {
          const cfg = loadCliConfig(ctx, { dataDir: o.dataDir });
          return {
            exitCode: 0,
            result: { files: cfg.files, entries: effectiveEntries(cfg, ctx.env), ignored: cfg.ignored },
          };
        },
        (r) => {
          for (const e of r.entries) {
            const v = typeof e.value === 'string' ? e.value : JSON.stringify(e.value);
            ctx.stdout.write(escapeControl(o.origin ? `${e.key} = ${v}\t(${e.origin})` : `${e.key} = ${v}`) + '\n');
          }
          for (const i of r.ignored) {
            ctx.stdout.write(escapeControl(`${i.key}\t(${vi ? 'bỏ qua, tệp dự án không tin cậy' : 'ignored, untrusted project file'} ${i.file})`) + '\n');
          }
        },
      );
    });
}
