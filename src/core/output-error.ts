/**
 * Output-side failures (exit 74): the one place where an errno met while writing an output becomes words a
 * clerk understands, in both languages, naming the output file the clerk asked for, never the hidden temp
 * file kyso writes first.
 */
import { KysoError, isKysoError, msg, type Msg } from './errors.js';

const CAUSES: Record<string, Msg> = {
  ENOSPC: msg('the disk is full', 'ổ đĩa đã đầy'),
  EDQUOT: msg('the disk quota is used up', 'đã hết hạn mức dung lượng đĩa'),
  EFBIG: msg('the file is too large for this disk', 'tệp quá lớn so với ổ đĩa này'),
  EROFS: msg('the disk or folder is read-only', 'ổ đĩa hoặc thư mục chỉ cho phép đọc'),
  EACCES: msg('permission denied (no right to write there)', 'không có quyền ghi vào đó'),
  EPERM: msg('permission denied (no right to write there)', 'không có quyền ghi vào đó'),
  EIO: msg('a disk read/write error', 'lỗi đọc/ghi ổ đĩa'),
  ENOTDIR: msg('a part of the path is a file, not a folder', 'một phần của đường dẫn là tệp, không phải thư mục'),
  ENAMETOOLONG: msg('the file name is too long', 'tên tệp quá dài'),
  EMFILE: msg('too many files are open', 'quá nhiều tệp đang mở'),
};

/** The errno codes that mean "the output side failed" (as opposed to a bad input or a bug). */
export function isOutputErrno(code: string | undefined): boolean {
  return code !== undefined && Object.hasOwn(CAUSES, code);
}

/** The cause of an fs error in words (falls back to the errno code). */
export function outputCause(e: unknown): Msg {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && Object.hasOwn(CAUSES, code)) return CAUSES[code]!;
  return msg(`system error ${code ?? 'unknown'}`, `lỗi hệ thống ${code ?? 'không rõ'}`);
}

/** `<output>: cannot write the output: <cause>` — category 'output' (exit 74). */
export function outputWriteError(shownOutput: string, e: unknown): KysoError {
  const cause = outputCause(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return new KysoError(
    'OUTPUT_WRITE_FAILED',
    'output',
    msg(`${shownOutput}: cannot write the output: ${cause.en}`, `${shownOutput}: không ghi được tệp đầu ra: ${cause.vi}`),
    { cause: e, ...(code ? { details: { errno: code } } : {}) },
  );
}

/**
 * When writing `shownOutput` failed with `e`: an output-side error named after the real output, or
 * undefined when `e` is something else (a bad input, a credentials problem…) to be reported as it is.
 */
export function asOutputError(e: unknown, shownOutput: string, inputPath?: string): KysoError | undefined {
  if (isKysoError(e)) {
    if (e.code !== 'OUTPUT_WRITE_FAILED') return undefined;
    return outputWriteError(shownOutput, (e as Error).cause ?? e);
  }
  const err = e as NodeJS.ErrnoException | undefined;
  if (inputPath !== undefined && err?.path === inputPath) return undefined; // the input side failed
  const code = err?.code;
  return isOutputErrno(code) ? outputWriteError(shownOutput, e) : undefined;
}
