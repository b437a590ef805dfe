/**
 * Paths whose last name is not UTF-8 (old CP1258 / VNI / Latin-1 archives, issue 14). Node's fs takes a path as
 * a string (encoded as UTF-8) or as a Buffer (the bytes as they are): such a file can be opened, created and
 * renamed only through a Buffer. An FsPath is what fs is given; people see `showPath` (the bytes that are not
 * UTF-8 as \xNN escapes). Pure functions, no I/O.
 */
import path from 'node:path';

/** A path as Node's fs takes it: a string, or the bytes when a name in it is not UTF-8. */
export type FsPath = string | Buffer;

/** True when the bytes are valid UTF-8 (they survive a decode and encode unchanged). */
export function isUtf8Name(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** The name for people and reports: printable ASCII kept, every other byte as \xNN. */
export function escapeNameBytes(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}

const SLASH = 0x2f;

/** The path for people: a string as it is; bytes name by name, each UTF-8 one decoded, the others escaped. */
export function showPath(p: FsPath): string {
  if (typeof p === 'string') return p;
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i < p.length && p[i] !== SLASH) continue;
    const name = p.subarray(start, i);
    parts.push(isUtf8Name(name) ? name.toString('utf8') : escapeNameBytes(name));
    start = i + 1;
  }
  return parts.join('/');
}

/**
 * A key telling paths apart exactly (maps and sets of a batch): the path's bytes, one char each. Unlike
 * showPath it never gives two files one key (`v\xe3n.pdf` typed literally is not the Latin-1 `vãn.pdf`).
 */
export function pathKey(p: FsPath): string {
  return (typeof p === 'string' ? Buffer.from(p, 'utf8') : p).toString('latin1');
}

/** `dir` + `/` + the name's bytes: a string when the name is UTF-8, else the path's bytes. */
export function joinName(dir: string, name: Buffer): FsPath {
  if (isUtf8Name(name)) return path.join(dir, name.toString('utf8'));
  return Buffer.concat([Buffer.from(dir.endsWith('/') ? dir : `${dir}/`, 'utf8'), name]);
}

/** The last name of a path, as bytes. */
export function baseNameBytes(p: FsPath): Buffer {
  if (typeof p === 'string') return Buffer.from(path.basename(p), 'utf8');
  const cut = p.lastIndexOf(SLASH);
  return p.subarray(cut + 1);
}

/**
 * The folder of a path, as a string (kyso's folders are named in UTF-8: only a file's own name may be bytes).
 * Throws when the folder's name is not UTF-8 either (callers never build such a path).
 */
export function dirOf(p: FsPath): string {
  if (typeof p === 'string') return path.dirname(p);
  const cut = p.lastIndexOf(SLASH);
  const dir = cut < 0 ? Buffer.from('.') : cut === 0 ? Buffer.from('/') : p.subarray(0, cut);
  if (!isUtf8Name(dir)) throw new Error(`folder name is not UTF-8: ${showPath(dir)}`);
  return dir.toString('utf8');
}
