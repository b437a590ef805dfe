import type { OutStream } from './context.js';

/** Aligned columns on a TTY, tab-separated lines in a pipe (like the GitHub CLI). */
export function renderTable(out: OutStream, headers: string[], rows: string[][]): void {
  if (!out.isTTY) {
    for (const r of rows) out.write(r.map((c) => c.replace(/[\t\n]/g, ' ')).join('\t') + '\n');
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
