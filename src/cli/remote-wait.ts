import type { RemoteWaitInfo } from '../crypto/remote/remote-signer.js';
import type { Context } from './context.js';

/** "4:52" */
function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function waitLine(lang: 'en' | 'vi', info: RemoteWaitInfo, now: Date): string {
  const codes = info.transactions.map((t) => t.code ?? t.id).join(', ');
  const left = mmss(info.deadline.getTime() - now.getTime());
  return lang === 'vi'
    ? `Mở ứng dụng ${info.app.vi} để xác nhận giao dịch ${codes} (${info.count} văn bản), còn ${left}`
    : `Open the ${info.app.en} app to approve transaction ${codes} (${info.count} ${info.count === 1 ? 'document' : 'documents'}), ${left} left`;
}

/**
 * What the clerk sees while the signer approves on the phone: on a TTY a line with the transaction code,
 * the document count and a countdown redrawn every second (Ctrl-C cancels: nothing is written); in a pipe
 * or a log one line, once.
 */
export function remoteWaitRenderer(ctx: Context): { onWaiting(info: RemoteWaitInfo): void; onWaitEnd(): void } {
  let timer: NodeJS.Timeout | undefined;
  let last: RemoteWaitInfo | undefined;
  let printed = false;
  const draw = () => {
    if (!last) return;
    const cancel = ctx.lang === 'vi' ? ' — Ctrl-C để hủy' : ' — Ctrl-C to cancel';
    ctx.stderr.write(`\r\x1b[K${waitLine(ctx.lang, last, ctx.now())}${cancel}`);
  };
  return {
    onWaiting(info) {
      last = info;
      if (!ctx.stderr.isTTY) {
        if (!printed) ctx.stderr.write(`kyso: ${waitLine(ctx.lang, info, ctx.now())}\n`);
        printed = true;
        return;
      }
      if (!timer) {
        timer = setInterval(draw, 1000);
        timer.unref();
      }
      draw();
    },
    onWaitEnd() {
      if (timer) {
        clearInterval(timer);
        timer = undefined;
        ctx.stderr.write('\r\x1b[K');
      }
    },
  };
}
