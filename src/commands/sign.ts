import { configSources } from '../cli/config-load.js';
import path from 'node:path';
import { appearanceConfig, type AppearanceConfig } from '../core/config-appearance.js';
import { loadConfig } from '../core/config.js';
import { Command, Option } from 'commander';
import type { App } from '../cli/app.js';
import { escapeControl } from '../cli/escape.js';
import { ttyFieldChooser } from '../cli/field-prompt.js';
import { combineExitCodes, exitCodeFor, SIGN_EXIT_ORDER } from '../cli/exit-codes.js';
import { tr } from '../cli/i18n.js';
import { countOutcomes, interruptedLine, interruptedMsg, summaryLine, writeSkipNotes } from '../cli/batch-report.js';
import { writeJson, SCHEMA_VERSION } from '../cli/app.js';
import { signalExitCode } from '../cli/context.js';
import { progressBar } from '../cli/progress.js';
import { obtainSecret, secretIsPrompted } from '../cli/secrets.js';
import { renderTable } from '../cli/table.js';
import { msg, usageError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/types.js';
import type { SignDocumentsResult, SignFileOutcome, SignLevel } from '../services/sign-document.js';

interface SignFlags {
  output?: string;
  outDir?: string;
  force?: boolean;
  skipExisting?: boolean;
  json?: boolean;
  p12?: string;
  passphraseFile?: string;
  pkcs11Module?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  keyLabel?: string;
  keyId?: string;
  certSha256?: string;
  chain?: string;
  pinFile?: string;
  level: string;
  tsa: string[];
  hash: string;
  rsaPss?: boolean;
  reason?: string;
  location?: string;
  contact?: string;
  name?: string;
  field?: string;
  certify?: boolean;
  docmdp?: string;
  remote?: string;
  role?: string;
  invisible?: boolean;
  page?: string;
  rect?: string;
  anchor?: string;
  anchorOffset?: string;
  image?: string;
  docNumber?: string;
  docDate?: string;
  copyForm?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  const cmd = program
    .command('sign')
    .description(vi ? 'Ký số tệp PDF (PAdES)' : 'Sign PDF files (PAdES)')
    .argument('<inputs...>', vi ? 'tệp PDF, thư mục hoặc mẫu (glob)' : 'PDF files, folders or globs')
    .option('-o, --output <file>', vi ? 'tệp đầu ra (một tệp đầu vào)' : 'output file (one input)')
    .option('--out-dir <dir>', vi ? 'thư mục đầu ra (nhiều tệp, giữ cấu trúc thư mục)' : 'output folder for many inputs (mirrors relative paths)')
    .option('--force', vi ? 'ghi đè tệp đầu ra đã có' : 'replace an existing output')
    .option('--skip-existing', vi ? 'bỏ qua tệp đã có đầu ra (chạy tiếp một lần ký bị dừng giữa chừng)' : 'skip files whose output exists already (resumes an interrupted batch)')
    .option('--json', vi ? 'kết quả dạng JSON' : 'print the result as JSON')
    .option('--p12 <file>', vi ? 'tệp PKCS#12 (.p12/.pfx)' : 'PKCS#12 / PFX file')
    .option('--passphrase-file <file>', vi ? 'đọc mật khẩu p12 từ tệp (- = stdin)' : 'read the p12 passphrase from a file (- = stdin)')
    .option('--pkcs11-module <path>', vi ? 'thư viện PKCS#11 của USB token' : 'PKCS#11 library of a USB token')
    .option('--token-label <label>', vi ? 'nhãn token' : 'token label')
    .option('--token-serial <serial>', vi ? 'số sê-ri token' : 'token serial')
    .option('--key-label <label>', vi ? 'nhãn khóa trên token' : 'key label on the token')
    .option('--key-id <hex>', vi ? 'ID khóa trên token (hex)' : 'key id on the token (hex)')
    .option('--cert-sha256 <hex>', vi ? 'SHA-256 của chứng thư cần dùng' : 'SHA-256 of the certificate to use')
    .option('--chain <pem|p7b>', vi ? 'chứng thư bổ sung để hoàn thiện chuỗi' : 'extra certificates completing the chain')
    .option('--pin-file <file>', vi ? 'đọc PIN từ tệp (- = stdin)' : 'read the PIN from a file (- = stdin)')
    .option('--remote <profile>', vi ? 'ký số từ xa qua hồ sơ trong cấu hình người dùng (VNPT SmartCA, Viettel MySign, CSC)' : 'sign remotely through a profile of the user configuration (VNPT SmartCA, Viettel MySign, CSC)')
    .addOption(new Option('--level <level>', vi ? 'mức PAdES' : 'PAdES level').choices(['B-B', 'B-T', 'B-LT', 'B-LTA']).default('B-B'))
    .option('--tsa <url>', vi ? 'máy chủ cấp dấu thời gian (lặp lại để dự phòng)' : 'time-stamp authority URL (repeat for fallbacks)', collect, [] as string[])
    .addOption(new Option('--hash <alg>', vi ? 'thuật toán băm' : 'digest algorithm').choices(['sha256', 'sha384', 'sha512']).default('sha256'))
    .option('--rsa-pss', vi ? 'dùng RSA-PSS thay cho PKCS#1 v1.5' : 'use RSA-PSS instead of PKCS#1 v1.5')
    .option('--reason <text>', vi ? 'lý do ký' : 'reason for signing')
    .option('--location <text>', vi ? 'nơi ký' : 'where the document is signed')
    .option('--contact <text>', vi ? 'thông tin liên hệ' : 'contact information')
    .option('--name <text>', vi ? 'tên người ký' : 'name of the signer')
    .option('--field <name>', vi ? 'ký vào trường chữ ký có sẵn (hoặc tạo trường với tên này)' : 'sign this existing empty field (or create one with this name)')
    .option('--certify', vi ? 'chữ ký chứng nhận (DocMDP)' : 'certification signature (DocMDP)')
    .addOption(new Option('--docmdp <p>', vi ? 'quyền DocMDP: 1 không cho sửa, 2 điền biểu mẫu và ký, 3 thêm chú thích' : 'DocMDP permission: 1 no changes, 2 form filling and signing, 3 also annotations').choices(['1', '2', '3']))
    .addOption(
      new Option('--role <role>', vi ? 'hình thức chữ ký theo NĐ 30/2020: approve (lãnh đạo ký), issue (văn thư phát hành: số, ngày, dấu), appendix (phụ lục), copy (bản sao), income (văn bản đến)' : 'NĐ 30/2020 look: approve (leader), issue (clerk: number, date, seal), appendix, copy, income (arrival)').choices([
        'approve',
        'issue',
        'appendix',
        'copy',
        'income',
      ]),
    )
    .option('--invisible', vi ? 'chữ ký không hiển thị' : 'no visible signature')
    .option('--page <n|last>', vi ? 'trang đặt chữ ký (số trang hoặc last)' : 'page of the signature (number or "last")')
    .option('--rect <x,y,w,h>', vi ? 'vị trí chữ ký (điểm, gốc ở góc dưới trái)' : 'signature rectangle (points, origin bottom-left)')
    .option('--anchor <text>', vi ? 'đặt chữ ký theo dòng chữ này trên trang' : 'place the signature by this text on the page')
    .option('--anchor-offset <dx,dy>', vi ? 'độ lệch góc dưới trái so với chữ neo (điểm)' : 'lower-left corner relative to the anchor text (points)')
    .option('--image <png|jpg>', vi ? 'ảnh chữ ký hoặc ảnh dấu (PNG nền trong suốt, JPEG)' : 'signature or seal image (PNG with transparency, JPEG)')
    .option('--doc-number <number>', vi ? 'số và ký hiệu văn bản, ví dụ "15/QĐ-UBND"' : 'document number, e.g. "15/QĐ-UBND"')
    .option('--doc-date <YYYY-MM-DD>', vi ? 'ngày ban hành (mặc định: hôm nay, giờ Việt Nam)' : 'date of issue (default: today, Vietnam time)')
    .option('--copy-form <text>', vi ? 'hình thức sao: SAO Y, SAO LỤC, TRÍCH SAO' : 'copy form: SAO Y, SAO LỤC, TRÍCH SAO')
    .addHelpText(
      'after',
      vi
        ? '\nVí dụ:\n  KYSO_P12_PASSWORD=… kyso sign cong-van.pdf -o cong-van.signed.pdf --p12 lanh-dao.p12\n  kyso sign den/ --out-dir da-ky/ --p12 van-thu.p12 --passphrase-file mk.txt --reason "Phê duyệt"\n  kyso sign cv.pdf -o cv.duyet.pdf --p12 lanh-dao.p12 --role approve --image chu-ky.png\n  kyso sign cv.duyet.pdf -o cv.ban-hanh.pdf --p12 co-quan.p12 --role issue --doc-number 15/QĐ-UBND\n'
        : '\nExamples:\n  KYSO_P12_PASSWORD=… kyso sign cong-van.pdf -o cong-van.signed.pdf --p12 lanh-dao.p12\n  kyso sign inbox/ --out-dir signed/ --p12 clerk.p12 --passphrase-file pass.txt --level B-T --tsa http://tsa.example/\n  kyso sign cv.pdf -o cv.approved.pdf --p12 leader.p12 --role approve --image signature.png\n  kyso sign cv.approved.pdf -o cv.issued.pdf --p12 org.p12 --role issue --doc-number 15/QĐ-UBND --image seal.png\n',
    )
    .action(async (inputs: string[], flags: SignFlags) => {
      await runSign(app, inputs, flags);
    });
  void cmd;
}

async function runSign(app: App, inputs: string[], flags: SignFlags): Promise<void> {
  const ctx = app.ctx;
  const json = Boolean(flags.json);
  const startedAt = ctx.now().getTime();
  const progress = progressBar(ctx.stderr, ctx.lang);
  // What is known so far, for the report written when a signal stops the batch.
  let plan: { input: string; output?: string }[] = [];
  const done: SignFileOutcome[] = [];
  const warnings: SignDocumentsResult['warnings'] = [];
  let finished = false;
  // Registered first, so it runs last on a signal: after the signing service removed its temp file.
  const unregister = ctx.onInterrupt((signal = 'SIGINT') => {
    if (finished) return;
    finished = true;
    progress.done();
    // the files with no outcome yet (outcomes do not come in plan order: refusals first, then the signed ones)
    const settled = new Set(done.map((d) => d.input));
    const rest = plan.filter((r) => !settled.has(r.input));
    const line = interruptedLine(signal, ctx.lang);
    const files: JsonFile[] = [
      ...toJsonResult({ files: done, warnings }, ctx.lang).files,
      ...rest.map((r) => ({
        input: r.input,
        output: r.output,
        error: { code: 'NOT_SIGNED_INTERRUPTED', message: { en: `${r.input}: not signed: ${interruptedLine(signal, 'en')}`, vi: `${r.input}: chưa ký: ${interruptedLine(signal, 'vi')}` } },
      })),
    ];
    if (json) {
      writeJson(ctx, {
        schemaVersion: SCHEMA_VERSION,
        ok: false,
        result: { ...toJsonResult({ files: done, warnings }, ctx.lang), files, interrupted: { signal, exitCode: signalExitCode(signal) } },
        error: { code: 'INTERRUPTED', message: interruptedMsg(signal) },
      });
    } else renderSigned(toJsonResult({ files: done, warnings }, ctx.lang));
    ctx.stderr.write(`kyso: ${line}\n`);
    ctx.stderr.write(`${summaryLine(countOutcomes(done, Math.max(plan.length, done.length)), ctx.now().getTime() - startedAt, ctx.lang)}\n`);
  });
  const renderSigned = (res: JsonResult) => {
    const rows = res.files.filter((f) => !f.error && !f.skipped).map((f) => [f.input, f.output!, res.signerName ?? f.signer!, f.level!]);
    // on a terminal the failed files are in the table too (their reason is on stderr above)
    if (ctx.stdout.isTTY) for (const f of res.files) if (f.error) rows.push([f.input, f.output ?? '-', ctx.lang === 'vi' ? 'LỖI' : 'FAILED', f.error.code]);
    if (rows.length) renderTable(ctx.stdout, ctx.lang === 'vi' ? ['TỆP', 'ĐẦU RA', 'NGƯỜI KÝ', 'MỨC'] : ['FILE', 'OUTPUT', 'SIGNER', 'LEVEL'], rows);
  };
  try {
    await runSignBody();
  } finally {
    finished = true;
    unregister();
  }

  async function runSignBody(): Promise<void> {
  await app.run<SignDocumentsResult & { jsonFiles?: unknown }>(
    json,
    async () => {
      if (flags.docmdp && !flags.certify) {
        throw usageError('DOCMDP_WITHOUT_CERTIFY', msg('--docmdp only goes with --certify', '--docmdp chỉ dùng cùng --certify'));
      }
      const certify = flags.certify ? (Number(flags.docmdp ?? '2') as 1 | 2 | 3) : undefined;
      // Loaded here, not at the top: pkijs/pdf-lib/undici cost start-up time every other command should not pay.
      const { signDocuments, isFailed } = await import('../services/sign-document.js');
      const { openSigner } = await import('../services/signer-factory.js');
      // the token command's helpers (module default, TTY chooser) only when a token may be used
      const token = flags.p12 || flags.remote ? undefined : await import('./token.js');
      // paths given on the command line are relative to the command's working folder (ctx.cwd), not the process's
      const abs = (p: string | undefined) => (p === undefined || p === '-' ? p : path.resolve(ctx.cwd, p));
      const signOptions = {
          inputs,
          cwd: ctx.cwd,
          output: flags.output,
          outDir: flags.outDir,
          force: flags.force,
          skipExisting: flags.skipExisting,
          level: flags.level as SignLevel,
          tsa: flags.tsa,
          hash: flags.hash as HashAlgorithm,
          rsaPss: flags.rsaPss,
          reason: flags.reason,
          location: flags.location,
          contactInfo: flags.contact,
          name: flags.name,
          field: flags.field,
          certify,
          appearance: {
            role: flags.role as never,
            invisible: flags.invisible,
            page: flags.page,
            rect: flags.rect,
            anchor: flags.anchor,
            anchorOffset: flags.anchorOffset,
            image: flags.image,
            docNumber: flags.docNumber,
            docDate: flags.docDate,
            copyForm: flags.copyForm,
          },
        };
      if (flags.remote && (flags.p12 || flags.pkcs11Module || flags.tokenLabel || flags.tokenSerial || flags.keyLabel || flags.keyId || flags.certSha256)) {
        throw usageError('CREDENTIALS_CONFLICT', msg('give either --remote or a local key (--p12, --pkcs11-module …), not both', 'chỉ dùng --remote hoặc khóa tại máy (--p12, --pkcs11-module …), không dùng cả hai'));
      }
      const result: SignDocumentsResult & { remote?: unknown } = flags.remote
        ? await (await import('./remote.js')).signRemote(app, flags.remote, signOptions, abs(flags.chain), { onPlan: (p) => (plan = p), onFile: (f) => done.push(f), chooseField: ctx.stdinIsTTY ? ttyFieldChooser(ctx) : undefined })
        : await signDocuments(signOptions, {
          appearanceConfig: () => appearanceConfigOf(ctx),
          openSigner: () =>
            openSigner(
              {
                p12: abs(flags.p12),
                // flag > KYSO_PKCS11_MODULE > config "pkcs11Module" (never with --p12) > p11-kit discovery
                pkcs11Module: abs(flags.pkcs11Module) ?? token?.defaultPkcs11Module(ctx),
                tokenLabel: flags.tokenLabel,
                tokenSerial: flags.tokenSerial,
                keyLabel: flags.keyLabel,
                keyId: flags.keyId,
                certSha256: flags.certSha256,
                chain: abs(flags.chain),
                rsaPss: flags.rsaPss,
                hash: flags.hash as HashAlgorithm,
              },
              {
                retryPassphrase: (file, attempt) =>
                  secretIsPrompted(ctx, { envVar: 'KYSO_P12_PASSWORD', file: abs(flags.passphraseFile) })
                    ? ctx.prompt(`${tr(ctx.lang, msg(`Passphrase for ${file}`, `Mật khẩu của ${file}`))} (${attempt}/3): `, { mask: true })
                    : undefined,
                passphrase: (file) =>
                  obtainSecret(ctx, {
                    envVar: 'KYSO_P12_PASSWORD',
                    file: abs(flags.passphraseFile),
                    prompt: msg(`Passphrase for ${file}`, `Mật khẩu của ${file}`),
                    missingCode: 'P12_PASSPHRASE_MISSING',
                    missing: msg(
                      `${file}: no passphrase: set KYSO_P12_PASSWORD, use --passphrase-file, or run in a terminal`,
                      `${file}: chưa có mật khẩu: đặt KYSO_P12_PASSWORD, dùng --passphrase-file, hoặc chạy trong cửa sổ dòng lệnh`,
                    ),
                  }),
                pin: (token) =>
                  obtainSecret(ctx, {
                    envVar: 'KYSO_PIN',
                    file: abs(flags.pinFile),
                    prompt: msg(`PIN for ${token}`, `Mã PIN của ${token}`),
                    missingCode: 'PIN_MISSING',
                    missing: msg(
                      `${token}: no PIN: set KYSO_PIN, use --pin-file, or run in a terminal`,
                      `${token}: chưa có mã PIN: đặt KYSO_PIN, dùng --pin-file, hoặc chạy trong cửa sổ dòng lệnh`,
                    ),
                  }),
                interactive: ctx.stdinIsTTY,
                choose: ctx.stdinIsTTY && token ? token.ttyChooser(ctx) : undefined,
                lang: ctx.lang,
                pkcs11Trace: ctx.env.KYSO_PKCS11_TRACE || undefined,
                warn: (w) => app.warn(w),
                now: () => ctx.now(),
                onInterrupt: (fn) => ctx.onInterrupt(fn),
              },
            ),
          now: () => ctx.now(),
          warn: (w) => {
            warnings.push(w);
            app.warn(w);
          },
          // several empty signature fields and no --field: asked at a terminal (one file), exit 2 otherwise
          chooseField: ctx.stdinIsTTY ? ttyFieldChooser(ctx) : undefined,
          onInterrupt: (fn) => ctx.onInterrupt(fn),
          progress,
          onPlan: (p) => (plan = p),
          onFile: (f) => done.push(f),
        });
      const exitCode = combineExitCodes(
        result.files.map((f) => ('error' in f ? exitCodeFor(f.error.category) : 0)),
        SIGN_EXIT_ORDER,
      );
      // Per-file failures are reported on stderr in both modes (one line each).
      const said = new Set<unknown>(); // a remote batch that failed as a whole: one error, said once
      for (const f of result.files) {
        if (!isFailed(f) || said.has(f.error)) continue;
        said.add(f.error);
        ctx.stderr.write(`kyso: ${escapeControl(tr(ctx.lang, f.error.msg))}\n`);
        if (f.error.hint) ctx.stderr.write(`  ${tr(ctx.lang, f.error.hint)}\n`);
      }
      writeSkipNotes(ctx.stderr, result.files, ctx.lang);
      finished = true; // from here on the normal report is written
      return { exitCode, result: toJsonResult(result, ctx.lang) as never };
    },
    (r) => {
      const res = r as unknown as JsonResult;
      renderSigned(res);
      // a closing summary for the person watching (a script reading a pipe gets the table only)
      if (ctx.stderr.isTTY) ctx.stderr.write(`${summaryLine(countOutcomes(res.files as never), ctx.now().getTime() - startedAt, ctx.lang)}\n`);
    },
  );
  }
}

/** The configuration's "appearance" section (read only when an appearance flag is given). */
function appearanceConfigOf(ctx: App['ctx']): AppearanceConfig {
  return appearanceConfig(loadConfig(configSources(ctx)).appearance);
}

interface JsonFile {
  input: string;
  output?: string;
  field?: string;
  level?: string;
  signer?: string;
  sha256?: string;
  skipped?: string;
  /** a KysoError or `{ code, message: {en, vi} }`: writeJson gives it the one JSON error shape */
  error?: { code: string; message: string | { en: string; vi: string } };
}
interface JsonResult {
  files: JsonFile[];
  warnings: { code: string; message: string }[];
  signerName?: string;
  remote?: unknown;
}

function toJsonResult(r: SignDocumentsResult & { remote?: unknown }, lang: 'en' | 'vi'): JsonResult {
  return {
    files: r.files.map((f) =>
      'skipped' in f
        ? { input: f.input, output: f.output, skipped: f.skipped }
        : 'error' in f
        ? { input: f.input, output: f.output, error: f.error }
        : { input: f.input, output: f.output, field: f.field, level: f.level, signer: f.signer, sha256: f.sha256 },
    ),
    warnings: r.warnings.map((w) => ({ code: w.code, message: lang === 'vi' ? w.vi : w.en })),
    signerName: r.signerName,
    ...(r.remote ? { remote: r.remote } : {}),
  };
}
