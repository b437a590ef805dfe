import type { Command } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { App } from '../cli/app.js';
import { SCHEMA_VERSION } from '../cli/app.js';
import { msg, usageError } from '../core/errors.js';

interface ServeFlags {
  port?: string;
  host: string;
  dataDir?: string;
  systems?: string;
  faults?: string;
  dedup: boolean;
  platformRules: string;
  log?: boolean;
  json?: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** `kyso hub serve`: a local vdxp-compatible exchange (training rooms, the demo, tests). */
export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  const hub = program.command('hub').description(vi ? 'máy chủ liên thông cục bộ (API vdxp) để tập huấn, trình diễn và kiểm thử' : 'local exchange server (vdxp API) for training, demos and tests');
  hub
    .command('serve')
    .description(vi ? 'chạy máy chủ liên thông cục bộ cho đến khi bấm Ctrl-C; in địa chỉ URL của máy chủ ra stdout' : 'run a local exchange server until Ctrl-C; prints its URL on stdout')
    .option('--port <n>', vi ? 'cổng (mặc định: một cổng còn trống)' : 'port (default: a free one)')
    .option('--host <addr>', vi ? 'địa chỉ nghe kết nối' : 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', vi ? 'thư mục lưu dữ liệu (mặc định "$XDG_DATA_HOME/kyso/hub")' : 'storage folder (default $XDG_DATA_HOME/kyso/hub)')
    .option(
      '--systems <file>',
      vi
        ? 'danh sách hệ thống dạng mảng JSON [{systemId, organId, secret, organName?}] (mặc định <data-dir>/systems.json hoặc biến KYSO_HUB_SYSTEMS)'
        : 'JSON array [{systemId, organId, secret, organName?}] (default <data-dir>/systems.json, or KYSO_HUB_SYSTEMS)',
    )
    .option('--faults <spec>', vi ? 'giả lập sự cố, ví dụ "drop-after-receive:0.3,500:0.2,429:0.1:retry-after=1,slow:200ms"' : 'inject faults, e.g. drop-after-receive:0.3,500:0.2,429:0.1:retry-after=1,slow:200ms')
    .option('--no-dedup', vi ? 'nhận cả văn bản trùng (cùng bên gửi, cùng mã văn bản (DocumentId) và SHA-256) như văn bản mới' : 'accept duplicates (same sender, DocumentId and SHA-256) as new documents')
    .option(
      '--platform-rules <mode>',
      vi
        ? '"strict": từ chối văn bản như trục liên thông cấp tỉnh khắt khe nhất (đủ thông tin nơi gửi, nơi nhận, nội dung, thông tin bổ sung, loại văn bản 1/2, không có ngày trong tương lai); "lenient": nới lỏng'
        : 'strict: refuse documents as the strictest provincial platform does (full To/From, Content, OtherInfo, Type 1/2, no future date); lenient (default)',
      'lenient',
    )
    .option('--log', vi ? 'ghi một dòng cho mỗi yêu cầu ra stderr' : 'one line per request on stderr')
    .option('--json', vi ? 'in dòng khởi động dạng JSON' : 'print the start line as JSON')
    .action(async (o: ServeFlags) => {
      const ctx = app.ctx;
      await app.run(
        Boolean(o.json),
        async () => {
          const port = o.port === undefined ? 0 : Number(o.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw usageError('USAGE', msg(`--port must be a number between 0 and 65535, not "${o.port}"`, `--port phải là số từ 0 đến 65535, không phải "${o.port}"`));
          }
          const dataDir = path.resolve(
            ctx.cwd,
            o.dataDir ?? path.join(ctx.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'kyso', 'hub'),
          );
          if (o.platformRules !== 'strict' && o.platformRules !== 'lenient') {
            throw usageError('USAGE', msg(`--platform-rules must be strict or lenient, not "${o.platformRules}"`, `--platform-rules phải là strict hoặc lenient, không phải "${o.platformRules}"`));
          }
          const systemsFile = o.systems ?? ctx.env.KYSO_HUB_SYSTEMS ?? path.join(dataDir, 'systems.json');
          if (!o.systems && !ctx.env.KYSO_HUB_SYSTEMS && !existsSync(systemsFile)) {
            throw usageError(
              'HUB_NO_SYSTEMS',
              msg(
                `no systems registered: pass --systems <file.json> or create ${systemsFile} ([{"systemId","organId","secret"}])`,
                `chưa đăng ký hệ thống nào: dùng --systems <tệp.json> hoặc tạo ${systemsFile} ([{"systemId","organId","secret"}])`,
              ),
            );
          }
          // loaded on use: the hub pulls in SQLite and the XML parser, which other commands do not need at start
          const { loadHubSystems, startHub } = await import('../services/hub-server.js');
          const systemsPath = path.resolve(ctx.cwd, systemsFile);
          const systems = loadHubSystems(systemsPath);
          if ((statSync(systemsPath).mode & 0o077) !== 0) {
            app.warn({
              code: 'HUB_SYSTEMS_MODE',
              en: `${systemsPath} holds secrets and is readable by other users (chmod 600 it)`,
              vi: `${systemsPath} chứa khóa bí mật nhưng người dùng khác đọc được (hãy chmod 600)`,
            });
          }
          if (!LOOPBACK_HOSTS.has(o.host)) {
            app.warn({
              code: 'HUB_NOT_LOOPBACK',
              en: `the hub listens on ${o.host}, reachable from other machines (admin endpoints still answer loopback only)`,
              vi: `máy chủ nghe trên ${o.host}, máy khác có thể truy cập (các điểm quản trị vẫn chỉ trả lời loopback)`,
            });
          }
          const running = await startHub({
            dataDir,
            systems,
            host: o.host,
            port,
            faults: o.faults,
            dedup: o.dedup,
            platformRules: o.platformRules === 'strict' ? 'strict' : 'lenient',
            log: o.log ? (l) => ctx.stderr.write(`hub: ${l}\n`) : undefined,
          });
          const result = { url: running.url, port: running.port, dataDir, systems: systems.map((s) => ({ systemId: s.systemId, organId: s.organId })), dedup: o.dedup };
          if (o.json) ctx.stdout.write(JSON.stringify({ schemaVersion: SCHEMA_VERSION, ok: true, result, error: null }) + '\n');
          else ctx.stdout.write(`${running.url}\n`);
          ctx.stderr.write(
            ctx.lang === 'vi'
              ? `kyso hub: đang chạy tại ${running.url} (dữ liệu: ${dataDir}); Ctrl-C để dừng\n`
              : `kyso hub: listening on ${running.url} (data: ${dataDir}); Ctrl-C to stop\n`,
          );
          await new Promise<void>((resolve) => {
            ctx.onInterrupt(async () => {
              await running.close();
              resolve();
            });
          });
          return { exitCode: 0, result };
        },
        () => {},
      );
    });
}
