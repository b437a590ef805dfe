import path from 'node:path';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../cli/context.js';
import { EXIT } from '../cli/exit-codes.js';
import { tr } from '../cli/i18n.js';
import { runDemo, type DemoResult, type DemoStep } from '../services/demo.js';

interface DemoFlags {
  dataDir?: string;
  port?: string;
  clean?: boolean;
  json?: boolean;
}

export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  program
    .command('demo')
    .description(
      vi
        ? 'chạy trọn quy trình với dữ liệu mẫu: PKI thử nghiệm, công văn mẫu, ký hai lần, kiểm tra, trục cục bộ, gửi, nhận, trạng thái'
        : 'run the whole job end to end on embedded defaults: test PKI, sample công văn, sign twice, verify, local hub, send, receive, status',
    )
    .option('--data-dir <dir>', vi ? 'thư mục làm việc (mặc định: một thư mục tạm mới, được giữ lại để bạn mở xem)' : 'work in this folder (default: a new temp folder, kept for you to open)')
    .option('--port <n>', vi ? 'cổng của trục liên thông cục bộ (mặc định: một cổng còn trống)' : 'port of the local exchange hub (default: a free one)')
    .option('--clean', vi ? 'xóa thư mục làm việc khi chạy xong' : 'remove the folder at the end')
    .option('--json', vi ? 'kết quả dạng JSON' : 'one JSON document on stdout')
    .addHelpText('after', `\n${vi ? 'Ví dụ' : 'Example'}:\n  kyso demo\n  kyso demo --data-dir ./thu-nghiem --clean`)
    .action(async (o: DemoFlags) => {
      const ctx = app.ctx;
      const json = Boolean(o.json);
      const say = (s: DemoStep) => {
        if (json) return;
        ctx.stdout.write(`${String(s.n).padStart(2)}. ${tr(ctx.lang, s.title)}: ${ctx.lang === 'vi' ? (s.summaryVi ?? s.summary) : s.summary}\n`);
        if (s.command) ctx.stdout.write(`    $ ${s.command}\n`);
      };
      if (!json) ctx.stdout.write(ctx.lang === 'vi' ? 'kyso demo — chạy thử toàn bộ quy trình\n' : 'kyso demo — the whole job, end to end\n');
      await app.run(
        json,
        async () => {
          const result = await runDemo(
            { dataDir: o.dataDir ? path.resolve(ctx.cwd, o.dataDir) : undefined, port: o.port ? Number(o.port) : undefined, clean: o.clean },
            { kyso: (args, opts) => captureKyso(app, args, opts), now: ctx.now, onStep: say },
          );
          return { exitCode: EXIT.ok, result };
        },
        (r: DemoResult) => {
          ctx.stdout.write(
            r.kept
              ? ctx.lang === 'vi'
                ? `\nXong. Các tệp nằm trong ${r.dir} (mở cong-van.ban-hanh.pdf để xem chữ ký; xóa bằng --clean).\nMật khẩu của các tệp .p12 thử nghiệm được ghi trong ${r.files.pkiReadme} (để chạy lại các lệnh kyso sign ở trên).\n`
                : `\nDone. The files are in ${r.dir} (open cong-van.ban-hanh.pdf to see the signatures; --clean removes them).\nThe passphrase of the test .p12 files is written in ${r.files.pkiReadme} (to re-run the kyso sign commands above).\n`
              : ctx.lang === 'vi'
                ? '\nXong (đã xóa thư mục chạy thử).\n'
                : '\nDone (the demo folder was removed).\n',
          );
        },
      );
    });
}

/** Runs a kyso command line in-process, with its own captured stdout/stderr, cwd and extra environment. */
async function captureKyso(app: App, args: string[], opts: { cwd: string; env: Record<string, string> }) {
  let stdout = '';
  let stderr = '';
  const parent = app.ctx;
  const sub: Context = {
    ...parent,
    stdout: { write: (s) => void (stdout += s), isTTY: false },
    stderr: { write: (s) => void (stderr += s), isTTY: false },
    stdinIsTTY: false,
    env: { ...parent.env, ...opts.env },
    cwd: opts.cwd,
  };
  const code = await app.invoke([...args, '--lang', parent.lang], sub);
  return { code, stdout, stderr };
}
