import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { createApp, reportError } from './app.js';
import { realContext, type Context } from './context.js';
import { EXIT } from './exit-codes.js';
import { detectLang } from './i18n.js';
import { usageError, msg } from '../core/errors.js';
import type { Register } from './app.js';

/**
 * Commands are imported on demand: `kyso send` does not pay for loading the signing and verification
 * stacks (~0.6 s of CPU per start), and a broken module of one command cannot stop the others.
 * Help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  sign: () => import('../commands/sign.js'),
  verify: () => import('../commands/verify.js'),
  token: () => import('../commands/token.js'),
  trust: () => import('../commands/trust.js'),
  send: () => import('../commands/send.js'),
  receive: () => import('../commands/receive.js'),
  status: () => import('../commands/status.js'),
  outbox: () => import('../commands/outbox.js'),
  org: () => import('../commands/org.js'),
  hub: () => import('../commands/hub.js'),
  demo: () => import('../commands/demo.js'),
};

/** The command word: the first argument that is not a global option (nor --lang's value). */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--lang') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

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
  const word = commandWord(argv);
  const versionOnly = word === undefined && (argv.includes('-V') || argv.includes('--version'));
  const names = versionOnly ? [] : word !== undefined && Object.hasOwn(COMMANDS, word) ? [word] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!()).register(program, app);
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
