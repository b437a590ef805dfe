import type { ProgressSink } from '../core/types.js';
import type { OutStream } from './context.js';

/** A progress bar on stderr, drawn only when stderr is a TTY; otherwise silent. */
export function progressBar(err: OutStream): ProgressSink {
  if (!err.isTTY) return { start() {}, tick() {}, done() {} };
  let total = 0;
  let n = 0;
  let label = '';
  let last = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = total ? Math.round((n / total) * width) : 0;
    err.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total}`);
  };
  return {
    start(t, l = '') {
      total = t;
      n = 0;
      label = l;
      draw(true);
    },
    tick(k = 1) {
      n += k;
      draw(n === total);
    },
    done() {
      err.write('\r\x1b[K');
    },
  };
}
