import { escapeName } from './escape.js';
import type { OutStream } from './context.js';

/** Aligned columns on a TTY, tab-separated lines in a pipe (like the GitHub CLI). */
export function renderTable(out: OutStream, headers: string[], rowsIn: string[][]): void {
  // cells often hold names from outside (file names, received subjects): no control character reaches the terminal
  const rows = rowsIn.map((r) => r.map((c) => escapeName(c.replace(/[\t\n]/g, ' '))));
  if (!out.isTTY) {
    for (const r of rows) out.write(r.join('\t') + '\n');
    return;
  }
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('  ');
  out.write(line(headers) + '\n');
  for (const r of rows) out.write(line(r) + '\n');
}

export function useColor(out: OutStream, env: Record<string, string | undefined>): boolean {
  return out.isTTY && !env.NO_COLOR;
}
