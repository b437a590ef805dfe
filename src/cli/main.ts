import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { createApp, reportError } from './app.js';
import { realContext, type Context } from './context.js';
import { EXIT } from './exit-codes.js';
import { detectLang } from './i18n.js';
import { usageError, msg } from '../core/errors.js';
import { register as registerSign } from '../commands/sign.js';
import { register as registerVerify } from '../commands/verify.js';
import { register as registerToken } from '../commands/token.js';
import { register as registerTrust } from '../commands/trust.js';
import { register as registerSend } from '../commands/send.js';
import { register as registerReceive } from '../commands/receive.js';
import { register as registerStatus } from '../commands/status.js';
import { register as registerOutbox } from '../commands/outbox.js';
import { register as registerHub } from '../commands/hub.js';
import { register as registerDemo } from '../commands/demo.js';

export { realContext };

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../../package.json') as { version: string }).version;

/** The whole CLI: argv in, exit code out. `process.exit` is never called here. */
export async function main(argv: string[], base: Omit<Context, 'lang'> & { lang?: Context['lang'] }): Promise<number> {
  const ctx: Context = { ...base, lang: base.lang ?? detectLang(argv, base.env) };
  const app = createApp(ctx);
  app.invoke = (args, sub) => main(args, sub);
  const program = new Command('kyso');
  program
    .description(ctx.lang === 'vi' ? 'Ký số, kiểm tra chữ ký và liên thông văn bản điện tử' : 'Sign and verify PDF documents and exchange them over LGSP/VDXP')
    .version(VERSION, '-V, --version')
    .option('--lang <vi|en>', 'language of messages (default from LANG)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: () => {
        /* reported below as one line */
      },
    });
  for (const reg of [registerSign, registerVerify, registerToken, registerTrust, registerSend, registerReceive, registerStatus, registerOutbox, registerHub, registerDemo]) {
    reg(program, app);
  }
  for (const c of program.commands) {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s), outputError: () => {} });
    for (const sub of c.commands) {
      sub.exitOverride();
      sub.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s), outputError: () => {} });
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return app.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      const text = e.message.replace(/^error: /, '');
      return reportError(ctx, usageError('USAGE', msg(text, `sai cú pháp lệnh: ${text}`)), argv.includes('--json'));
    }
    return reportError(ctx, e, argv.includes('--json'));
  }
}
