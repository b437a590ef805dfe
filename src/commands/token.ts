import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../cli/context.js';
import { tr } from '../cli/i18n.js';
import { obtainSecret } from '../cli/secrets.js';
import { renderTable } from '../cli/table.js';
import { loadCliConfig } from '../cli/config-load.js';
import { msg, usageError } from '../core/errors.js';
import type { ModuleDiscoveryOptions } from '../crypto/pkcs11-modules.js';
import type { ModuleReport } from '../crypto/pkcs11-probe.js';
import { pinStateText, type PinState } from '../crypto/token-inventory.js';
import { listTokenCertificates, type TokenCertsResult } from '../services/token-certs.js';
import { listTokens, type TokenListResult } from '../services/token-list.js';

interface ListFlags {
  pkcs11Module?: string;
  json?: boolean;
}
interface CertsFlags extends ListFlags {
  tokenLabel?: string;
  tokenSerial?: string;
  pinFile?: string;
}

/**
 * Asks on the terminal which of several tokens/certificates to use (numbered list on stderr, answer on
 * stdin). Used by `kyso sign` and `kyso token` when stdin is a TTY; never called in a script.
 */
export function ttyChooser(ctx: Context): (question: string, items: string[]) => Promise<number> {
  return async (question, items) => {
    ctx.stderr.write(`${question}\n`);
    items.forEach((it, i) => ctx.stderr.write(`  ${i + 1}) ${it}\n`));
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = (await ctx.prompt(ctx.lang === 'vi' ? `Chọn (1-${items.length}): ` : `Choose (1-${items.length}): `, { mask: false })).trim();
      const n = Number(answer);
      if (Number.isInteger(n) && n >= 1 && n <= items.length) return n - 1;
    }
    throw usageError('CHOICE_INVALID', msg('no valid choice was made', 'chưa chọn hợp lệ'));
  };
}

function discoveryFrom(ctx: Context): ModuleDiscoveryOptions {
  return { home: ctx.env.HOME, xdgConfigHome: ctx.env.XDG_CONFIG_HOME };
}

/**
 * The token library when --pkcs11-module is not given: KYSO_PKCS11_MODULE, then "pkcs11Module" in
 * kyso.config.json / the user config; undefined = discover through p11-kit. Also used by `kyso sign`.
 */
export function defaultPkcs11Module(ctx: Context): string | undefined {
  if (ctx.env.KYSO_PKCS11_MODULE) return ctx.env.KYSO_PKCS11_MODULE;
  const cfg = loadCliConfig(ctx);
  return cfg.pkcs11Module;
}

const moduleFrom = (ctx: Context, flag?: string) => flag ?? defaultPkcs11Module(ctx);

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  const token = program.command('token').description(vi ? 'USB token (PKCS#11): liệt kê token và chứng thư' : 'USB tokens (PKCS#11): list tokens and their certificates');

  token
    .command('list')
    .description(vi ? 'Liệt kê thư viện PKCS#11, khe cắm và token (không cần PIN)' : 'List PKCS#11 modules, slots and tokens with their PIN state (no PIN needed)')
    .option('--pkcs11-module <path>', vi ? 'thư viện PKCS#11 (mặc định: các thư viện đăng ký với p11-kit)' : 'PKCS#11 library (default: the modules registered with p11-kit)')
    .option('--json', vi ? 'kết quả dạng JSON' : 'print the result as JSON')
    .addHelpText('after', (vi ? '\nVí dụ:' : '\nExample:') + '\n  kyso token list\n  kyso token list --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --json\n')
    .action(async (o: ListFlags) => {
      await app.run<TokenListResult>(
        Boolean(o.json),
        async () => {
          const result = listTokens({ module: moduleFrom(ctx, o.pkcs11Module), discovery: discoveryFrom(ctx) });
          return { exitCode: 0, result: o.json ? (jsonList(result, ctx.lang) as never) : result };
        },
        (r) => renderList(app, r),
      );
    });

  token
    .command('certs')
    .description(vi ? 'Liệt kê chứng thư số trên token' : 'List the certificates on the tokens')
    .option('--pkcs11-module <path>', vi ? 'thư viện PKCS#11 (mặc định: các thư viện đăng ký với p11-kit)' : 'PKCS#11 library (default: the modules registered with p11-kit)')
    .option('--token-label <label>', vi ? 'chỉ token có nhãn này' : 'only the token with this label')
    .option('--token-serial <serial>', vi ? 'chỉ token có số sê-ri này' : 'only the token with this serial')
    .option('--pin-file <file>', vi ? 'đọc PIN từ tệp (- = stdin), chỉ cần khi token ẩn chứng thư' : 'read the PIN from a file (- = stdin); only needed when a token hides its certificates')
    .option('--json', vi ? 'kết quả dạng JSON' : 'print the result as JSON')
    .addHelpText('after', (vi ? '\nVí dụ:' : '\nExample:') + '\n  kyso token certs --token-label "VNPT-CA"\n  KYSO_PIN=… kyso token certs --json\n')
    .action(async (o: CertsFlags) => {
      await app.run<TokenCertsResult>(
        Boolean(o.json),
        async () => {
          const pinAvailable = o.pinFile !== undefined || Boolean(ctx.env.KYSO_PIN) || ctx.stdinIsTTY;
          const result = await listTokenCertificates(
            { module: moduleFrom(ctx, o.pkcs11Module), tokenLabel: o.tokenLabel, tokenSerial: o.tokenSerial, discovery: discoveryFrom(ctx) },
            {
              pin: pinAvailable
                ? (t) =>
                    obtainSecret(ctx, {
                      envVar: 'KYSO_PIN',
                      file: o.pinFile,
                      prompt: msg(`PIN for token "${t.label}"`, `Mã PIN của token "${t.label}"`),
                      missingCode: 'PIN_MISSING',
                      missing: msg(`token "${t.label}": no PIN: set KYSO_PIN, use --pin-file, or run in a terminal`, `token "${t.label}": chưa có mã PIN: đặt KYSO_PIN, dùng --pin-file, hoặc chạy trong cửa sổ dòng lệnh`),
                    })
                : undefined,
              warn: (w) => app.warn(w),
              notice: (m) => ctx.stderr.write(`kyso: ${tr(ctx.lang, m)}\n`),
              tracePath: ctx.env.KYSO_PKCS11_TRACE || undefined,
            },
          );
          for (const t of result.tokens) if (t.note && !o.json) ctx.stderr.write(`kyso: ${tr(ctx.lang, t.note)}\n`);
          return { exitCode: 0, result: o.json ? (jsonCerts(result, ctx.lang) as never) : result };
        },
        (r) => renderCerts(app, r),
      );
    });
}

function pinCell(lang: 'en' | 'vi', s: PinState | undefined): string {
  return s ? tr(lang, pinStateText(s)) : '-';
}

function renderList(app: App, r: TokenListResult): void {
  const ctx = app.ctx;
  const lang = ctx.lang;
  const rows: string[][] = [];
  for (const m of r.modules) {
    const mod = moduleCell(m);
    if (m.error) {
      rows.push([mod, '-', '-', '-', '-', '-', tr(lang, m.error.message)]);
      continue;
    }
    const withToken = m.slots.filter((s) => s.token);
    if (withToken.length === 0) rows.push([mod, '-', lang === 'vi' ? '(không có token)' : '(no token)', '-', '-', '-', '-']);
    for (const s of withToken) {
      const t = s.token!;
      rows.push([mod, s.slotId, t.initialized ? t.label : lang === 'vi' ? '(chưa khởi tạo)' : '(not initialised)', t.serial, t.manufacturer, t.model, pinCell(lang, t.pinState) + (t.pinPad ? (lang === 'vi' ? ', bàn phím PIN' : ', PIN pad') : '')]);
    }
  }
  if (rows.length === 0) {
    ctx.stderr.write(
      lang === 'vi'
        ? 'kyso: không tìm thấy thư viện PKCS#11 nào đăng ký với p11-kit; hãy chỉ ra bằng --pkcs11-module <thư viện>\n'
        : 'kyso: no PKCS#11 module is registered with p11-kit; give one with --pkcs11-module <library>\n',
    );
    return;
  }
  renderTable(ctx.stdout, lang === 'vi' ? ['THƯ VIỆN', 'KHE', 'NHÃN', 'SỐ SÊ-RI', 'NHÀ SẢN XUẤT', 'MẪU', 'PIN'] : ['MODULE', 'SLOT', 'LABEL', 'SERIAL', 'MANUFACTURER', 'MODEL', 'PIN'], rows);
  if (ctx.stdout.isTTY) {
    for (const m of r.modules) {
      if (m.library) ctx.stdout.write(`  ${m.path}: ${m.library.manufacturer} — ${m.library.description} ${m.library.version} (Cryptoki ${m.library.cryptokiVersion})\n`);
    }
  }
}

function moduleCell(m: ModuleReport): string {
  return m.vendorHint ? `${m.path} [${m.vendorHint}?]` : m.path;
}

function renderCerts(app: App, r: TokenCertsResult): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  const rows: string[][] = [];
  for (const t of r.tokens) {
    for (const c of t.certificates) {
      rows.push([
        t.label,
        c.keyId || '-',
        c.subject,
        c.issuer,
        `${c.notBefore.slice(0, 10)} – ${c.notAfter.slice(0, 10)}`,
        c.isCA ? 'CA' : c.keyUsage.join(',') || '-',
        c.sha256,
      ]);
    }
  }
  if (rows.length === 0) return;
  renderTable(ctx.stdout, vi ? ['TOKEN', 'MÃ KHOÁ', 'CHỦ THỂ', 'TỔ CHỨC CẤP', 'HIỆU LỰC', 'MỤC ĐÍCH KHOÁ', 'SHA-256'] : ['TOKEN', 'KEY ID', 'SUBJECT', 'ISSUER', 'VALIDITY', 'KEY USAGE', 'SHA-256'], rows);
}

function jsonCerts(r: TokenCertsResult, lang: 'en' | 'vi'): unknown {
  return { tokens: r.tokens.map((t) => ({ ...t, note: t.note ? tr(lang, t.note) : undefined })) };
}

function jsonList(r: TokenListResult, lang: 'en' | 'vi'): unknown {
  return { source: r.source, modules: r.modules.map((m) => ({ ...m, error: m.error })) };
}
