import type { ProgressSink } from '../core/types.js';
import type { Lang } from '../core/types.js';
import type { OutStream } from './context.js';

const LABELS: Record<string, { en: string; vi: string }> = {
  sign: { en: 'signing', vi: 'Đang ký' },
  verify: { en: 'verifying', vi: 'Đang kiểm tra' },
  prepare: { en: 'preparing', vi: 'Đang chuẩn bị' },
};

/** "1 min 05 s" / "1 phút 05 giây": a remaining time, rounded to the second. */
export function formatDuration(ms: number, lang: Lang): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (lang === 'vi') return m ? `${m} phút ${String(r).padStart(2, '0')} giây` : `${r} giây`;
  return m ? `${m} min ${String(r).padStart(2, '0')} s` : `${r} s`;
}

/**
 * A progress bar on stderr, drawn only when stderr is a TTY; otherwise silent. After the first file it
 * shows the time left, estimated from the average time per file so far.
 */
export function progressBar(err: OutStream, lang: Lang = 'en', clock: () => number = Date.now): ProgressSink {
  if (!err.isTTY) return { start() {}, tick() {}, done() {} };
  let total = 0;
  let n = 0;
  let label = '';
  let last = 0;
  let started = 0;
  let shown = false;
  const draw = (force = false) => {
    const now = clock();
    if (!force && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = total ? Math.round((n / total) * width) : 0;
    const left = n > 0 && n < total ? ((now - started) / n) * (total - n) : undefined;
    const eta = left === undefined ? '' : lang === 'vi' ? `  còn khoảng ${formatDuration(left, lang)}` : `  about ${formatDuration(left, lang)} left`;
    err.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total}${eta}`);
    shown = true;
  };
  return {
    start(t, l = '') {
      total = t;
      n = 0;
      label = LABELS[l]?.[lang] ?? l;
      started = clock();
      draw(true);
    },
    tick(k = 1) {
      const first = n === 0;
      n += k;
      // the first file is always drawn (with the first estimate of the time left), then at most every 100 ms
      draw(first || n === total);
    },
    done() {
      // idempotent: also called by the report written on Ctrl-C, so the line is never left cut
      if (shown) err.write('\r\x1b[K');
      shown = false;
    },
  };
}
