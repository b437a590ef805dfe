/**
 * Escapes control characters (C0, DEL, C1) so that a file name or a string from a received message cannot
 * move the cursor, change colours or rewrite the terminal title when printed. Tabs and newlines inside a
 * NAME are escaped too; callers escape each value, not their own layout. JSON and JUnit output are already
 * safe (their encoders escape) and must not use this.
 */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** Like escapeControl, also escaping tab and newline (for a single value printed inside a line or a table cell). */
export function escapeName(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
