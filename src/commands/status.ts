import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import { escapeControl } from '../cli/escape.js';
import { kindText } from '../services/received-changes.js';
import { sendStatus } from '../services/status-send.js';
import { addExchangeFlags, deliveryExitCode, renderDelivery, withSession, type ExchangeFlags } from './outbox.js';

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  addExchangeFlags(
    program
      .command('status')
      .description(vi ? 'Gửi trạng thái xử lý (03, 04, 05, 06 …) cho văn bản đến' : 'Send a business status (03, 04, 05, 06 …) for a received document')
      .argument(
        '<docId>',
        vi
          ? 'mã docId do trục liên thông cấp cho văn bản đến (xem kyso receive); với 13: mã văn bản (DocumentId) hoặc mã mục trong hộp thư đi của văn bản mình đã gửi'
          : "the exchange's docId of the received document (see kyso receive); for 13 the DocumentId or outbox id of a document you sent",
      )
      .argument(
        '<code>',
        vi
          ? '03 đã tiếp nhận/vào sổ, 04 đã phân công xử lý, 05 đang xử lý, 06 hoàn thành, 02 từ chối tiếp nhận (cần --description), 15/16 đồng ý/từ chối việc thu hồi, cập nhật hoặc thay thế, 13 yêu cầu lấy lại văn bản đã gửi'
          : '03 registered, 04 assigned, 05 in progress, 06 completed, 02 rejected (needs --description), 15/16 accept/refuse a revocation, update or replacement, 13 ask a sent document back',
      )
      .option('--description <text>', vi ? 'nội dung gửi kèm trạng thái (mặc định: tên của mã trạng thái)' : "text sent with the status (default: the code's name)")
      .addHelpText(
        'after',
        vi
          ? '\nVí dụ:\n  kyso status 6a1f0c 03 --description "Đã vào sổ văn bản đến"\n  kyso status 7b2e11 15            (đồng ý việc thu hồi/cập nhật nhận được với docId 7b2e11)\n  kyso status "000.00.00.A01,2026/12/06,123/UBND-VP" 13 --description "Ban hành nhầm"'
          : '\nExamples:\n  kyso status 6a1f0c 03 --description "Đã vào sổ văn bản đến"\n  kyso status 7b2e11 15            (accept the revocation/update received as docId 7b2e11)\n  kyso status "000.00.00.A01,2026/12/06,123/UBND-VP" 13 --description "Ban hành nhầm"',
      ),
    ctx.lang,
  ).action(async (docId: string, code: string, o: ExchangeFlags & { description?: string }) => {
    await app.run(
      Boolean(o.json),
      async () =>
        withSession(ctx, o, async (s) => {
          const r = await sendStatus({ docId, code, description: o.description }, s);
          return { exitCode: deliveryExitCode(r.item), result: r };
        }),
      (r) => {
        if (r.answers) {
          const c = r.answers;
          ctx.stdout.write(
            escapeControl(vi ? `trả lời ${r.statusCode} cho ${kindText(c.kind, 'vi')} docId ${c.docId} của ${c.from} (về văn bản ${c.concerns})` : `answer ${r.statusCode} to the ${kindText(c.kind, 'en')} docId ${c.docId} from ${c.from} (about ${c.concerns})`) + '\n',
          );
        }
        renderDelivery(ctx, r.item);
      },
    );
  });
}
