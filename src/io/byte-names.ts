/**
 * File names that are not UTF-8 (old CP1258 / VNI / Latin-1 archives). Node turns such a name into U+FFFD when
 * it lists a folder as strings, and the path it then builds names no file: the file would be reported "not
 * found". Folders are listed as bytes instead; a name that is not UTF-8 is shown with \xNN escapes and reported
 * as what it is (issue 14).
 */
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { constants, openSync, promises as fsp, type Dirent } from 'node:fs';
import { escapeNameBytes, isUtf8Name, type FsPath } from '../core/fs-path.js';

export { escapeNameBytes, isUtf8Name };

/** One folder entry: its name as a string when it is UTF-8, else escaped (`v\xe3n.pdf`) with `notUtf8` set. */
export interface ListedEntry {
  name: string;
  /** the name as it is on disk */
  bytes: Buffer;
  notUtf8: boolean;
  isDirectory: boolean;
  isFile: boolean;
  isSymbolicLink: boolean;
}

/** At most this many files with such names are held open for reading (the rest are reported by name). */
const MAX_HELD = 256;
let held = 0;

/**
 * A path a string-path reader can open for a file whose name is not UTF-8: the file is opened by its bytes and
 * read through /proc/self/fd (Linux; the descriptor stays open for the run). Undefined where that cannot be done.
 */
export function readablePathFor(dir: FsPath, name: Buffer): string | undefined {
  if (process.platform !== 'linux' || held >= MAX_HELD) return undefined;
  try {
    const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
    const fd = openSync(Buffer.concat([d, d[d.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/'), name]), 'r');
    held++;
    return `/proc/self/fd/${fd}`;
  } catch {
    return undefined;
  }
}

/**
 * A string path for a folder whose name (or a parent's) is not UTF-8: the folder is opened by its bytes and
 * reached through /proc/self/fd (Linux; the descriptor stays open for the run). Everything inside it then has a
 * plain string path: temp files, renames, the folder's fsync. Undefined where that cannot be done.
 */
export function folderPathFor(dir: FsPath): string | undefined {
  if (process.platform !== 'linux' || held >= MAX_HELD) return undefined;
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    held++;
    return `/proc/self/fd/${fd}`;
  } catch {
    return undefined;
  }
}

/** Lists a folder by bytes (sorted by name as the string listing was); throws like readdir. */
export async function listFolder(dir: FsPath): Promise<ListedEntry[]> {
  const entries = (await fsp.readdir(dir, { withFileTypes: true, encoding: 'buffer' })) as unknown as Dirent<Buffer>[];
  const out = entries.map((e) => {
    const ok = isUtf8Name(e.name);
    return { name: ok ? e.name.toString('utf8') : escapeNameBytes(e.name), bytes: e.name, notUtf8: !ok, isDirectory: e.isDirectory(), isFile: e.isFile(), isSymbolicLink: e.isSymbolicLink() };
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
