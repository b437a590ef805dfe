import { homeDir } from '../core/home-dir.js';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../cli/app.js';
import type { Context } from '../cli/context.js';
import { remoteWaitRenderer } from '../cli/remote-wait.js';
import { renderTable } from '../cli/table.js';
import type { RemoteSignerFactoryDeps } from '../services/signer-factory.js';

/** The effects the remote-signing services need, from the CLI context (shared with `kyso sign --remote`). */
export function remoteDeps(app: App): RemoteSignerFactoryDeps {
  const ctx: Context = app.ctx;
  return {
    env: ctx.env,
    cwd: ctx.cwd,
    homeDir: homeDir(ctx.env),
    readConfigFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    now: () => ctx.now(),
    warn: (w) => app.warn(w),
    ...remoteWaitRenderer(ctx),
  };
}

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  const remote = program.command('remote').description(vi ? 'Ký số từ xa (VNPT SmartCA, Viettel MySign, CSC)' : 'Remote signing (VNPT SmartCA, Viettel MySign, CSC)');
  remote
    .command('certs')
    .description(vi ? 'Liệt kê chứng thư của người ký tại nhà cung cấp' : "List the signer's certificates at the provider")
    .requiredOption('--remote <profile>', vi ? 'hồ sơ ký từ xa trong cấu hình người dùng' : 'remote signing profile in the user configuration')
    .option('--config <file>', vi ? 'tệp cấu hình chỉ định' : 'explicit configuration file')
    .option('--json', vi ? 'kết quả dạng JSON' : 'print the result as JSON')
    .action(async (flags: { remote: string; config?: string; json?: boolean }) => {
      const { listRemoteCertificates } = await import('../services/remote-certs.js');
      await app.run(
        Boolean(flags.json),
        async () => ({
          exitCode: 0,
          result: await listRemoteCertificates(flags.remote, { configFile: flags.config && path.resolve(ctx.cwd, flags.config) }, remoteDeps(app)),
        }),
        (r) => {
          renderTable(
            ctx.stdout,
            vi ? ['MÃ', 'CHỦ THỂ', 'SỐ SÊ-RI', 'HẾT HẠN', 'TRẠNG THÁI'] : ['ID', 'SUBJECT', 'SERIAL', 'VALID TO', 'STATUS'],
            r.certificates.map((c) => [c.id, c.subject, c.serial, c.validTo.slice(0, 10), c.status ?? c.kind ?? '']),
          );
        },
      );
    });
}

/** `kyso sign … --remote <profile>`: the three-phase batch (one approval), see services/sign-remote.ts. */
export async function signRemote(
  app: App,
  profile: string,
  options: import('../services/sign-document.js').SignDocumentsOptions,
  chain: string | undefined,
  report: Pick<import('../services/sign-document.js').SignDocumentsDeps, 'onPlan' | 'onFile' | 'chooseField'> = {},
): Promise<import('../services/sign-remote.js').SignRemoteResult> {
  const ctx = app.ctx;
  const { signDocumentsRemote } = await import('../services/sign-remote.js');
  const { openRemoteSignerFor } = await import('../services/signer-factory.js');
  const { progressBar } = await import('../cli/progress.js');
  const deps = remoteDeps(app);
  return signDocumentsRemote(options, {
    openSigner: () => openRemoteSignerFor(profile, { chain }, deps),
    now: () => ctx.now(),
    warn: (w) => app.warn(w),
    onInterrupt: (fn) => ctx.onInterrupt(fn),
    progress: progressBar(ctx.stderr, ctx.lang),
    ...report,
  });
}
