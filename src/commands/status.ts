import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import { sendStatus } from '../services/status-send.js';
import { addExchangeFlags, deliveryExitCode, renderDelivery, withSession, type ExchangeFlags } from './outbox.js';

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  addExchangeFlags(
    program
      .command('status')
      .description(ctx.lang === 'vi' ? 'Gửi trạng thái xử lý (03, 04, 05, 06 …) cho văn bản đến' : 'Send a business status (03, 04, 05, 06 …) for a received document')
      .argument('<docId>', "the exchange's docId of the received document (see kyso receive)")
      .argument('<code>', '03 registered, 04 assigned, 05 in progress, 06 completed, 02 rejected (needs --description), …')
      .option('--description <text>', 'text sent with the status (default: the code\'s name)')
      .addHelpText('after', '\nExample:\n  kyso status 6a1f0c 03 --description "Đã vào sổ văn bản đến"'),
  ).action(async (docId: string, code: string, o: ExchangeFlags & { description?: string }) => {
    await app.run(
      Boolean(o.json),
      async () =>
        withSession(ctx, o, async (s) => {
          const r = await sendStatus({ docId, code, description: o.description }, s);
          return { exitCode: deliveryExitCode(r.item), result: r };
        }),
      (r) => renderDelivery(ctx, r.item),
    );
  });
}
