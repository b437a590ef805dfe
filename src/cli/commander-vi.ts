import { Help, type Command, type CommanderError, type Option, type Argument } from 'commander';
import type { Lang } from '../core/types.js';

/**
 * commander's own words (headings, "display help for command", "(default: …)", its parse errors) in the
 * clerk's language. Commands' own descriptions are written in both languages where they are declared.
 */
const TITLES: Record<string, string> = {
  'Usage:': 'Cách dùng:',
  'Options:': 'Tùy chọn:',
  'Commands:': 'Lệnh:',
  'Arguments:': 'Đối số:',
  'Global Options:': 'Tùy chọn chung:',
};

function extras(parts: string[]): string {
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Sets the help texts of `program` (inherited by the commands registered on it afterwards). */
export function localizeHelp(program: Command, lang: Lang): void {
  if (lang !== 'vi') return;
  program.helpOption('-h, --help', 'hiển thị trợ giúp của lệnh');
  program.helpCommand('help [command]', 'hiển thị trợ giúp của một lệnh');
  program.configureHelp({
    styleTitle: (s: string) => TITLES[s] ?? s,
    styleUsage: (s: string) => s.replace(/\[options\]/g, '[tùy-chọn]').replace(/\[command\]/g, '[lệnh]'),
    subcommandTerm: (cmd: Command) => new Help().subcommandTerm(cmd).replace(/\[options\]/g, '[tùy-chọn]').replace(/\[command\]/g, '[lệnh]'),
    optionDescription(option: Option): string {
      const extra: string[] = [];
      if (option.argChoices) extra.push(`chọn một trong: ${option.argChoices.map((c) => JSON.stringify(c)).join(', ')}`);
      const showDefault = option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean');
      if (option.defaultValue !== undefined && showDefault) extra.push(`mặc định: ${option.defaultValueDescription || JSON.stringify(option.defaultValue)}`);
      if (option.envVar !== undefined) extra.push(`biến môi trường: ${option.envVar}`);
      return `${option.description}${extras(extra)}`.trim();
    },
    argumentDescription(argument: Argument): string {
      const extra: string[] = [];
      if (argument.argChoices) extra.push(`chọn một trong: ${argument.argChoices.map((c) => JSON.stringify(c)).join(', ')}`);
      if (argument.defaultValue !== undefined) extra.push(`mặc định: ${argument.defaultValueDescription || JSON.stringify(argument.defaultValue)}`);
      return `${argument.description}${extras(extra)}`.trim();
    },
  });
}

/** The quoted names in one of commander's messages ("unknown option '--x'" → ["--x"]). */
function quoted(message: string): string[] {
  return [...message.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}

/** commander's parse error as one line in the clerk's language (decided by its code, never by its text). */
export function commanderErrorText(e: CommanderError, lang: Lang): string {
  const en = e.message.replace(/^error: /, '');
  if (lang !== 'vi') return en;
  const [a = '', b = ''] = quoted(e.message);
  switch (e.code) {
    case 'commander.unknownOption':
      return `tùy chọn không có: ${a}`;
    case 'commander.unknownCommand':
      return `lệnh không có: ${a}`;
    case 'commander.missingArgument':
      return `thiếu đối số: ${a}`;
    case 'commander.optionMissingArgument':
      return `tùy chọn ${a} cần một giá trị`;
    case 'commander.missingMandatoryOptionValue':
      return `thiếu tùy chọn bắt buộc ${a}`;
    case 'commander.excessArguments':
      return 'thừa đối số';
    case 'commander.conflictingOption':
      return `không dùng được ${a} cùng với ${b}`;
    case 'commander.invalidArgument':
      return `giá trị không hợp lệ: ${en}`;
    default:
      return `sai cú pháp lệnh: ${en}`;
  }
}
