import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { createRequire } from 'node:module';
import { createApp, reportError } from './app.js';
import { loadCatalogue } from './catalogue/load.js';
import { realContext, type Context } from './context.js';
import { EXIT } from './exit-codes.js';
import { detectLang, tr } from './i18n.js';
import { usageError, msg } from '../core/errors.js';
import { COMMANDS } from './command-list.js';
import { commanderErrorText, localizeHelp } from './commander-vi.js';

/**
 * Commands are imported on demand: `kyso send` does not pay for loading the signing and verification
 * stacks, and a broken module of one command cannot stop the others. The top-level help, `--version` and an
 * unknown command load none: they are answered from the declarations in command-list.ts.
 */
/** The command word: the first argument that is not a global option (nor --lang's value). */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--lang' || a === '--config') {
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

/**
 * Takes the global `--config FILE` (or `--config=FILE`) out of argv wherever it stands (before `--`), so that
 * every command (sign and token included) reads the same explicit, trusted configuration file.
 */
export function takeConfigOption(argv: string[]): { argv: string[]; configFile?: string } {
  const out: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--config' && i + 1 < argv.length) {
      configFile = argv[++i];
      continue;
    }
    if (a.startsWith('--config=')) {
      configFile = a.slice('--config='.length);
      continue;
    }
    out.push(a);
  }
  return { argv: out, configFile };
}

/** The whole CLI: argv in, exit code out. `process.exit` is never called here. */
export async function main(argvIn: string[], base: Omit<Context, 'lang'> & { lang?: Context['lang'] }): Promise<number> {
  const taken = takeConfigOption(argvIn);
  const argv = taken.argv;
  const ctx: Context = { ...base, lang: base.lang ?? detectLang(argv, base.env), ...(taken.configFile ? { configFile: taken.configFile } : {}) };
  const app = createApp(ctx);
  app.invoke = (args, sub) => main(args, sub);
  // Commander's own defaults ask process.stdout and process.stderr for their width and colours, which builds
  // Node's stdio streams (net and the stream modules for a pipe, issue 16); the context knows both already.
  // (80 columns, commander's own width, where the output is not a terminal)
  const output: OutputConfiguration = {
    writeOut: (s) => ctx.stdout.write(s),
    writeErr: (s) => ctx.stderr.write(s),
    getOutHelpWidth: () => (ctx.stdout.isTTY && ctx.stdout.columns) || 80,
    getErrHelpWidth: () => (ctx.stderr.isTTY && ctx.stderr.columns) || 80,
    getOutHasColors: () => ctx.stdout.isTTY,
    getErrHasColors: () => ctx.stderr.isTTY,
    outputError: () => {
      /* reported below as one line */
    },
  };
  const program = new Command('kyso');
  program
    .description(ctx.lang === 'vi' ? 'Ký số, kiểm tra chữ ký và liên thông văn bản điện tử' : 'Sign and verify PDF documents and exchange them over LGSP/VDXP')
    .version(VERSION, '-V, --version', ctx.lang === 'vi' ? 'in số phiên bản' : 'output the version number')
    .option('--lang <vi|en>', ctx.lang === 'vi' ? 'ngôn ngữ của thông báo (mặc định theo LANG)' : 'language of messages (default from LANG)')
    .option('--config <file>', ctx.lang === 'vi' ? 'tệp cấu hình được tin như tệp của người dùng, thay cho ./kyso.config.json (hoặc biến KYSO_CONFIG)' : 'configuration file trusted like the user file, instead of ./kyso.config.json (also KYSO_CONFIG)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput(output);
  localizeHelp(program, ctx.lang);
  const word = commandWord(argv);
  const versionOnly = word === undefined && (argv.includes('-V') || argv.includes('--version'));
  // `kyso help sign` is `kyso sign --help`
  const target = word === 'help' ? commandWord(argv.slice(argv.indexOf('help') + 1)) : word;
  // `kyso verify` in the real process: its watchdog (src/services/verify-watchdog.ts) is loaded now and, where it is
  // the worker thread, started, so that its start-up overlaps the loading of the command and the verification stack
  if (target === 'verify' && word === 'verify' && ctx.exitNow && !argv.includes('--help') && !argv.includes('-h')) {
    const w = await import('../services/verify-watchdog.js');
    w.prestartWatchdog(w.watchdogThread(ctx.env));
  }
  // `kyso sign --p12 …`: the .p12 MAC's hash loop is compiled and run a little now, so that V8's optimising compile of it
  // (in the background) is over when the file is opened (src/crypto/sha256-iterate.ts: ~5 ms less per run)
  if (target === 'sign' && word === 'sign' && argv.some((a) => a === '--p12' || a.startsWith('--p12='))) (await import('../crypto/sha256-iterate.js')).warmUp();
  if (target !== undefined && Object.hasOwn(COMMANDS, target)) (await COMMANDS[target]!.load()).register(program, app);
  else if (!versionOnly) for (const [name, d] of Object.entries(COMMANDS)) program.command(name).description(tr(ctx.lang, d.summary));
  for (const c of program.commands) {
    c.exitOverride();
    c.configureOutput(output);
    for (const sub of c.commands) {
      sub.exitOverride();
      sub.configureOutput(output);
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return app.exitCode;
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')) return EXIT.ok;
    const json = argv.includes('--json');
    if (json) await loadCatalogue();
    if (e instanceof CommanderError) return reportError(ctx, usageError(e.code === 'commander.unknownOption' ? 'USAGE_UNKNOWN_OPTION' : 'USAGE', msg(commanderErrorText(e, 'en'), commanderErrorText(e, 'vi'))), json);
    return reportError(ctx, e, json);
  }
}
