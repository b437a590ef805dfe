import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { KysoError, msg } from '../core/errors.js';

export type SqliteDatabase = BetterSqlite3.Database;

let ctor: typeof BetterSqlite3 | undefined;

/**
 * Opens an SQLite database through the native better-sqlite3 addon, loaded only here: it is an optional
 * dependency, so an installation where it could not be compiled still signs and verifies, and the exchange
 * commands say what is missing instead of failing to start.
 */
export function openSqlite(file: string): SqliteDatabase {
  if (!ctor) {
    try {
      ctor = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
      // the JS part loads without the compiled addon; opening a database is what needs it
      return new ctor(file);
    } catch (e) {
      ctor = undefined;
      throw new KysoError(
        'SQLITE_UNAVAILABLE',
        'usage',
        msg(
          'the exchange commands need the SQLite module (better-sqlite3), which is not built on this machine',
          'các lệnh liên thông cần thành phần SQLite (better-sqlite3) nhưng thành phần này chưa được biên dịch trên máy này',
        ),
        {
          cause: e,
          hint: msg(
            'Install a C++ compiler, python3 and make, then run "npm rebuild better-sqlite3" in kyso\'s folder. Signing and verifying work without it.',
            'Hãy cài trình biên dịch C++, python3 và make, rồi chạy "npm rebuild better-sqlite3" trong thư mục của kyso. Ký số và kiểm tra chữ ký vẫn dùng được khi chưa có nó.',
          ),
        },
      );
    }
  }
  return new ctor(file);
}
