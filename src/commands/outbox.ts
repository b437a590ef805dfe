import { Command, Option } from 'commander';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { configSources, printConfigWarnings } from '../cli/config-load.js';
import os from 'node:os';
import type { App } from '../cli/app.js';
import type { Context } from '../cli/context.js';
import { EXIT } from '../cli/exit-codes.js';
import { tr } from '../cli/i18n.js';
import { renderTable } from '../cli/table.js';
import { headers, timeLabel, valueLabel } from '../cli/labels.js';
import { createTransport } from '../exchange/transport-factory.js';
import type { OutboxItem } from '../outbox/outbox-store.js';
import type { OutboxState } from '../outbox/state-machine.js';
import type { Lang } from '../core/types.js';
import type { DeliveryResult } from '../services/outbox-deliver.js';
import { findOutboxItem, listOutbox, resendOutbox, retryOutbox } from '../services/outbox-manage.js';
import { findReceivedChange, kindText, listReceivedChanges, type ReceivedChange } from '../services/received-changes.js';
import { isKysoError } from '../core/errors.js';
import { escapeControl } from '../cli/escape.js';
import { openExchangeSession, type ExchangeEffects, type ExchangeSession } from '../services/outbox-session.js';

/* ---------- shared by send / receive / status / outbox ---------- */

export interface ExchangeFlags {
  profile?: string;
  dataDir?: string;
  config?: string;
  json?: boolean;
}

export function addExchangeFlags(cmd: Command, lang: Lang): Command {
  const vi = lang === 'vi';
  return cmd
    .option('--profile <name>', vi ? 'hồ sơ kết nối trục trong kyso.config.json (mặc định: "defaultProfile" hoặc KYSO_PROFILE)' : 'exchange profile from kyso.config.json (default: defaultProfile / KYSO_PROFILE)')
    .option('--data-dir <dir>', vi ? 'nơi lưu cơ sở dữ liệu hộp thư đi và thư mục văn bản đến (mặc định "$XDG_DATA_HOME/kyso")' : 'outbox database and inbox folder (default $XDG_DATA_HOME/kyso)')
    .option('--config <file>', vi ? 'tệp cấu hình dùng thay cho ./kyso.config.json (hoặc biến KYSO_CONFIG)' : 'configuration file instead of ./kyso.config.json (also KYSO_CONFIG)')
    .option('--json', vi ? 'kết quả dạng JSON' : 'one JSON document on stdout');
}

/** The real effects (file system, clock, process table) for the exchange services. */
export function exchangeEffects(ctx: Context): ExchangeEffects {
  return {
    cwd: ctx.cwd,
    env: ctx.env,
    homeDir: os.homedir(),
    readConfigFile: configSources(ctx).readFile,
    realpath: (p) => realpathSync(p),
    warn: (w) => printConfigWarnings(ctx, [w]),
    secretFs: { mode: (p) => statSync(p).mode, read: (p) => readFileSync(p, 'utf8') },
    now: () => ctx.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: Math.random,
    owner: { pid: process.pid, host: os.hostname() },
    isAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
    createTransport: (p, d) => createTransport(p, { secret: d.secret, env: ctx.env }),
    onEvent: ctx.stderr.isTTY
      ? (e) => {
          if (e.kind === 'retry-wait') ctx.stderr.write(`  … ${e.reason}: ${ctx.lang === 'vi' ? 'thử lại sau' : 'retrying in'} ${e.ms} ms\n`);
        }
      : undefined,
  };
}

/** Opens the session, runs `fn`, always closes (database, keep-alive sockets). */
export async function withSession<T>(ctx: Context, flags: ExchangeFlags, fn: (s: ExchangeSession) => Promise<T>, opts: { profileOptional?: boolean } = {}): Promise<T> {
  const s = openExchangeSession(exchangeEffects(ctx), { profile: flags.profile, dataDir: flags.dataDir, configFile: flags.config ?? ctx.configFile, profileOptional: opts.profileOptional });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** Exit code of a delivery: 0 delivered, 6 still queued, 7 rejected, 4 credentials, 5 input. */
export function deliveryExitCode(r: DeliveryResult): number {
  switch (r.state) {
    case 'delivered':
      return EXIT.ok;
    case 'rejected':
      return EXIT.exchangeRejected;
    case 'failed':
      return r.error?.category === 'credentials' ? EXIT.credentials : r.error?.category === 'usage' ? EXIT.usage : EXIT.input;
    default:
      return r.error?.category === 'unknown' || r.error?.category === 'internal' ? EXIT.internal : EXIT.exchangeRetry;
  }
}

/** First that applies: 70 internal, 4 credentials, 7 rejected, 5 input, 6 queued, else 0. */
export const EXCHANGE_EXIT_ORDER = [EXIT.internal, EXIT.credentials, EXIT.exchangeRejected, EXIT.input, EXIT.usage, EXIT.exchangeRetry, EXIT.ok];

export function describeDelivery(ctx: Context, r: DeliveryResult): string {
  const vi = ctx.lang === 'vi';
  const short = r.id.slice(0, 8);
  switch (r.state) {
    case 'delivered':
      return vi
        ? `đã gửi${r.reconciled ? ' (máy chủ đã nhận từ lần trước)' : ''}: ${r.documentId} → ${r.to.join(', ')} (docId ${r.docId}, mục ${short})`
        : `delivered${r.reconciled ? ' (the server already had it)' : ''}: ${r.documentId} → ${r.to.join(', ')} (docId ${r.docId}, item ${short})`;
    case 'rejected':
      return vi ? `bị từ chối: ${r.documentId} (mục ${short})` : `rejected: ${r.documentId} (item ${short})`;
    case 'failed':
      return vi ? `thất bại: ${r.documentId} (mục ${short})` : `failed: ${r.documentId} (item ${short})`;
    case 'unknown':
      return vi
        ? `CHƯA RÕ đã gửi hay chưa: ${r.documentId} (mục ${short}); kiểm tra trên trục, rồi kyso outbox retry ${short} hoặc kyso outbox resend ${short} --not-delivered`
        : `UNKNOWN whether delivered: ${r.documentId} (item ${short}); check on the platform, then kyso outbox retry ${short} or kyso outbox resend ${short} --not-delivered`;
    case 'busy':
      return vi ? `đang được gửi bởi tiến trình khác: ${r.documentId} (mục ${short})` : `being sent by another kyso process: ${r.documentId} (item ${short})`;
    default:
      return vi
        ? `chưa gửi được, đã xếp hàng: ${r.documentId} (mục ${short}); thử lại: kyso outbox retry ${short}`
        : `not delivered yet, queued: ${r.documentId} (item ${short}); retry with: kyso outbox retry ${short}`;
  }
}

/** Writes the delivery line on stdout and, for a problem, its reason on stderr. */
export function renderDelivery(ctx: Context, r: DeliveryResult): void {
  ctx.stdout.write(describeDelivery(ctx, r) + '\n');
  if (r.error && r.state !== 'delivered') ctx.stderr.write(`kyso: ${tr(ctx.lang, r.error.message)}\n`);
}

/* ---------- kyso outbox ---------- */

/** A received change for the JSON and the tables, with the state of the answer's outbox item. */
function changeJson(s: ExchangeSession, c: ReceivedChange) {
  return { ...c, answer: c.answer ? { ...c.answer, state: s.store.get(c.answer.itemId)?.state ?? null } : null };
}
type ChangeJson = ReturnType<typeof changeJson>;

function answerText(c: ChangeJson, vi: boolean): string {
  if (!c.answer) return vi ? 'CHƯA TRẢ LỜI' : 'NOT ANSWERED';
  const what = c.answer.code === '15' ? (vi ? 'đồng ý' : 'accepted') : vi ? 'từ chối' : 'refused';
  return `${c.answer.code} ${what} (${c.answer.itemId.slice(0, 8)}${c.answer.state ? ` ${c.answer.state}` : ''})`;
}

/** The received changes table of `kyso outbox list`: what was asked, of which original, and the answer. */
function renderChanges(ctx: Context, changes: ChangeJson[]): void {
  const vi = ctx.lang === 'vi';
  const open = changes.filter((c) => !c.answer).length;
  ctx.stdout.write(
    vi
      ? `\nYêu cầu thu hồi, cập nhật, thay thế, lấy lại đã nhận (${open} chưa trả lời; trả lời: kyso status <docId> 15 đồng ý | 16 từ chối):\n`
      : `\nReceived revocations, updates, replacements and recall requests (${open} not answered; answer: kyso status <docId> 15 accept | 16 refuse):\n`,
  );
  renderTable(
    ctx.stdout,
    headers(['DOCID', 'FROM', 'KIND', 'CONCERNS', 'ORIGINAL', 'REPLY', 'RECEIVED'], ctx.lang),
    changes.map((c) => [c.docId, c.from, kindText(c.kind, ctx.lang), c.concerns, c.original ?? (vi ? '(chưa nhận)' : '(not received here)'), answerText(c, vi), timeLabel(c.receivedAt)]),
  );
}

/** `kyso outbox show <docId>` of a received change. */
function renderChangeDetail(ctx: Context, c: ChangeJson): void {
  const vi = ctx.lang === 'vi';
  const w = (k: string, v: unknown) => ctx.stdout.write(escapeControl(`${k.padEnd(12)} ${v ?? ''}`) + '\n');
  w('docId', c.docId);
  w(vi ? 'loại' : 'kind', kindText(c.kind, ctx.lang));
  w(vi ? 'từ' : 'from', c.from);
  if (c.documentId) w('document', c.documentId);
  w(vi ? 'về văn bản' : 'concerns', c.concerns);
  w(vi ? 'bản gốc' : 'original', c.original ? (vi ? `docId ${c.original}` : `received as docId ${c.original}`) : vi ? 'chưa nhận được ở đây' : 'not received here');
  if (c.requestDocId) w(vi ? 'yêu cầu 13' : 'request', `docId ${c.requestDocId}`);
  if (c.reason) w(vi ? 'lý do' : 'reason', c.reason);
  w(vi ? 'nhận lúc' : 'received', timeLabel(c.receivedAt));
  w(vi ? 'trả lời' : 'answer', c.answer ? `${answerText(c, vi)} ${timeLabel(c.answer.at)}` : `${answerText(c, vi)}: kyso status ${c.docId} 15 | 16 --description "…"`);
}

/** The field names of `kyso outbox show` in Vietnamese. */
const SHOW_KEYS_VI = {
  id: 'mã',
  type: 'loại',
  document: 'văn bản',
  subject: 'trích yếu',
  from: 'từ',
  to: 'gửi đến',
  state: 'tình trạng',
  docId: 'docId',
  sha256: 'SHA-256',
  bytes: 'tệp đã gửi',
  file: 'tệp',
  created: 'tạo lúc',
  'next try': 'thử lại lúc',
  'last error': 'lỗi gần nhất',
  answers: 'trả lời cho',
} as const;

const STATES: OutboxState[] = ['queued', 'sending', 'delivered', 'rejected', 'failed', 'unknown'];

function itemJson(it: OutboxItem) {
  return {
    id: it.id,
    profile: it.profile,
    messageType: it.messageType,
    documentId: it.documentId,
    subject: it.subject ?? null,
    statusCode: it.statusCode ?? null,
    from: it.from,
    to: it.to,
    state: it.state,
    docId: it.docId ?? null,
    sha256: it.sha256,
    size: it.size,
    bytesPath: it.bytesPath,
    files: it.files.map((f) => {
      const i = f.lastIndexOf(':');
      return { name: f.slice(0, i), sha256: f.slice(i + 1) };
    }),
    createdAt: it.createdAt,
    updatedAt: it.updatedAt,
    nextAttemptAt: it.state === 'queued' ? (it.nextAttemptAt ?? null) : null,
    lastError: it.lastError ?? null,
    attempts: it.attempts.map((a) => ({
      n: a.seq,
      startedAt: a.startedAt,
      endedAt: a.endedAt ?? null,
      outcome: a.outcome,
      httpStatus: a.httpStatus ?? null,
      answer: a.answer ?? null,
      errorCode: a.errorCode ?? null,
      docId: a.docId ?? null,
    })),
    businessType: it.businessType ?? null,
    code: it.code ?? null,
    answers: it.answers ?? null,
    statusHistory: it.history.map((h) => ({ statusCode: h.statusCode, description: h.description ?? null, at: h.at ?? null, from: h.from, receivedAt: h.receivedAt, docId: h.sourceDocId })),
  };
}

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const lang = ctx.lang;
  const vi = lang === 'vi';
  const outbox = program
    .command('outbox')
    .description(vi ? 'Hộp thư đi bền vững: danh sách, chi tiết, gửi lại' : 'The durable outbox: list, show, retry')
    .addHelpText('after', `\n${vi ? 'Ví dụ' : 'Examples'}:\n  kyso outbox list\n  kyso outbox show 3f2a9c1e\n  kyso outbox retry`);
  const idArg = vi ? 'mã của mục trong hộp thư đi, hoặc vài ký tự đầu đủ để phân biệt' : 'item id or a unique prefix';

  addExchangeFlags(
    outbox
      .command('list', { isDefault: true })
      .description(vi ? 'liệt kê các mục trong hộp thư đi (dạng bảng khi xem trên màn hình; các cột cách nhau bằng dấu tab khi đầu ra chuyển cho chương trình khác)' : 'list outbox items (table on a TTY, tab-separated in a pipe)')
      .addOption(new Option('--state <state>', vi ? 'chỉ các mục ở trạng thái này' : 'only items in this state').choices(STATES))
      .option('--all-profiles', vi ? 'các mục của mọi hồ sơ, không chỉ hồ sơ đang chọn' : 'items of every profile, not only the selected one'),
    lang,
  ).action(async (o: ExchangeFlags & { state?: OutboxState; allProfiles?: boolean }) => {
    await app.run(
      Boolean(o.json),
      async () =>
        withSession(
          ctx,
          o,
          async (s) => ({
            exitCode: 0,
            result: {
              items: listOutbox(s, { states: o.state ? [o.state] : undefined, allProfiles: o.allProfiles }).map(itemJson),
              // what other organisations asked us to change, linked to the original, with the clerk's 15/16
              received: o.state ? [] : listReceivedChanges(s, { allProfiles: o.allProfiles }).map((c) => changeJson(s, c)),
            },
          }),
          { profileOptional: true },
        ),
      (r) => {
        const rows = r.items.map((it) => [
          it.id.slice(0, 8),
          it.messageType === 'status' ? `${valueLabel('status', lang)} ${it.statusCode ?? ''}` : valueLabel(['edoc', 'revoke', 'update', 'replace'][it.businessType ?? 0] ?? 'edoc', lang),
          it.documentId,
          it.to.join(','),
          valueLabel(it.state, lang),
          String(it.attempts.length),
          it.docId ?? '',
          it.statusHistory.map((h) => h.statusCode).join('→'),
          timeLabel(it.createdAt),
        ]);
        if (!rows.length && ctx.stdout.isTTY) ctx.stdout.write(ctx.lang === 'vi' ? 'Hộp thư đi trống.\n' : 'The outbox is empty.\n');
        else renderTable(ctx.stdout, headers(['ID', 'TYPE', 'DOCUMENT', 'TO', 'STATE', 'ATTEMPTS', 'DOCID', 'STATUS', 'CREATED'], lang), rows);
        if (r.received.length) renderChanges(ctx, r.received);
      },
    );
  });

  addExchangeFlags(
    outbox
      .command('show')
      .description(
        vi
          ? 'chi tiết một mục: mọi lần gửi (thời điểm, mã HTTP, máy chủ trả lời) và các trạng thái bên nhận đã báo; với docId của yêu cầu thu hồi/cập nhật/thay thế/lấy lại đã nhận: yêu cầu đó, bản gốc và câu trả lời'
          : 'one item with every attempt (time, HTTP status, server answer) and its status history; with the docId of a received revocation/update/replacement/recall request: it, its original and the answer',
      )
      .argument('<id>', idArg),
    lang,
  ).action(
    async (id: string, o: ExchangeFlags) => {
      await app.run(
        Boolean(o.json),
        async () =>
          withSession(
            ctx,
            o,
            async (s): Promise<{ exitCode: number; result: { item: ReturnType<typeof itemJson> | null; received: ChangeJson[] } }> => {
              let item: OutboxItem;
              try {
                item = findOutboxItem(s, id);
              } catch (e) {
                // not an outbox item: a received change by its docId
                const changes = isKysoError(e) && e.code === 'OUTBOX_ITEM_UNKNOWN' ? findReceivedChange(s, id) : [];
                if (!changes.length) throw e;
                return { exitCode: 0, result: { item: null, received: changes.map((c) => changeJson(s, c)) } };
              }
              const answered = item.answers ? findReceivedChange(s, item.answers).filter((c) => c.answer?.itemId === item.id) : [];
              return { exitCode: 0, result: { item: itemJson(item), received: answered.map((c) => changeJson(s, c)) } };
            },
            { profileOptional: true },
          ),
        ({ item: it, received }) => {
          if (!it) {
            received.forEach((c, i) => {
              if (i) ctx.stdout.write('\n');
              renderChangeDetail(ctx, c);
            });
            return;
          }
          const w = (k: keyof typeof SHOW_KEYS_VI, v: unknown) => ctx.stdout.write(`${(vi ? SHOW_KEYS_VI[k] : k).padEnd(14)} ${v ?? ''}\n`);
          w('id', it.id);
          w('type', it.messageType === 'status' ? `${valueLabel('status', lang)} ${it.statusCode}` : valueLabel('edoc', lang));
          w('document', it.documentId);
          if (it.subject) w('subject', it.subject);
          w('from', it.from);
          w('to', it.to.join(', '));
          w('state', valueLabel(it.state, lang));
          if (it.docId) w('docId', it.docId);
          for (const c of received) w('answers', `${kindText(c.kind, ctx.lang)} docId ${c.docId} (${c.concerns})`);
          w('sha256', it.sha256);
          w('bytes', `${it.bytesPath} (${it.size} B)`);
          for (const f of it.files) w('file', `${f.name} ${f.sha256}`);
          w('created', timeLabel(it.createdAt));
          if (it.nextAttemptAt) w('next try', timeLabel(it.nextAttemptAt));
          if (it.lastError) w('last error', `${it.lastError.code}: ${vi ? (it.lastError.messageVi ?? it.lastError.message) : it.lastError.message}`);
          ctx.stdout.write(ctx.lang === 'vi' ? '\nCác lần gửi:\n' : '\nAttempts:\n');
          renderTable(ctx.stdout, headers(['N', 'STARTED', 'OUTCOME', 'HTTP', 'ANSWER'], lang), it.attempts.map((a) => [String(a.n), timeLabel(a.startedAt), valueLabel(a.outcome, lang), a.httpStatus ? String(a.httpStatus) : '', (a.answer ?? a.errorCode ?? '').slice(0, 200)]));
          if (it.statusHistory.length) {
            ctx.stdout.write(ctx.lang === 'vi' ? '\nTrạng thái từ bên nhận:\n' : '\nStatus from the receiver:\n');
            renderTable(ctx.stdout, headers(['CODE', 'AT', 'FROM', 'DESCRIPTION'], lang), it.statusHistory.map((h) => [h.statusCode, timeLabel(h.at ?? h.receivedAt), h.from, h.description ?? '']));
          }
        },
      );
    },
  );

  addExchangeFlags(
    outbox
      .command('resend')
      .description(vi ? 'gửi lại một mục sau khi đã kiểm tra bên nhận chưa có văn bản (cần --not-delivered)' : 'send an item again after checking the recipient does not have it (needs --not-delivered)')
      .argument('<id>', idArg)
      .option('--not-delivered', vi ? 'tôi đã kiểm tra trên trục liên thông: bên nhận chưa nhận được văn bản này' : 'I checked on the platform: the recipient does not have this message'),
    lang,
  ).action(async (id: string, o: ExchangeFlags & { notDelivered?: boolean }) => {
    await app.run(
      Boolean(o.json),
      async () =>
        withSession(ctx, o, async (s) => {
          const item = await resendOutbox(s, id, Boolean(o.notDelivered));
          return { exitCode: deliveryExitCode(item), result: { item } };
        }),
      (r) => renderDelivery(ctx, r.item),
    );
  });

  addExchangeFlags(
    outbox
      .command('retry')
      .description(
        vi
          ? 'gửi ngay các mục đang chờ (và các mục thất bại); mục chưa rõ đã gửi hay chưa: hỏi lại danh sách đã gửi trên trục, không bao giờ gửi lại; có mã mục thì chỉ gửi mục đó'
          : 'deliver queued (and failed) items now; unknown items: ask the sent list again, never resend; with an id only that one',
      )
      .argument('[id]', idArg),
    lang,
  ).action(
    async (id: string | undefined, o: ExchangeFlags) => {
      await app.run(
        Boolean(o.json),
        async () =>
          withSession(ctx, o, async (s) => {
            const items = await retryOutbox(s, id);
            const codes = items.map(deliveryExitCode);
            const exitCode = EXCHANGE_EXIT_ORDER.find((c) => codes.includes(c)) ?? 0;
            return { exitCode, result: { items } };
          }),
        (r) => {
          if (!r.items.length) ctx.stdout.write(ctx.lang === 'vi' ? 'Không có gì cần gửi lại.\n' : 'Nothing to retry.\n');
          for (const it of r.items) renderDelivery(ctx, it);
        },
      );
    },
  );
}
