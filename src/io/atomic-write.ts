/**
 * The one atomic writer of kyso (sign, receive, outbox, caches, edXML, HTTP downloads).
 *
 * - The bytes go to a temp file in the destination folder named `.<name>.kyso-tmp-<pid>-<random>`, created
 *   exclusively (O_EXCL: never follows a planted symlink), mode 0600 unless the caller asks otherwise.
 * - The temp file is fsynced, renamed over the destination (or linked, when an existing file must not be
 *   replaced), and the folder is fsynced, so a crash leaves either the old file or the new one.
 * - An output is never an input: before writing and again just before the rename, the destination is
 *   compared with every input by device+inode (which catches hard links and symlinks) and by real path;
 *   a match is refused with OUTPUT_IS_INPUT (usage, exit 2).
 * - Every live temp file is registered; cleanupTempsSync() (called by the CLI on SIGINT, SIGTERM, SIGHUP)
 *   removes them; a kill -9 leaves them behind, and sweepStaleTempsSync(dir) removes those whose process is
 *   gone at the start of the next run in the same folder.
 * - A destination whose name is not UTF-8 (issue 14) is given as a Buffer (FsPath): it is created, compared and
 *   renamed by its bytes; its temp file beside it carries the name \xNN-escaped (a string path like any other).
 */
import { createHash, randomBytes } from 'node:crypto';
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { closeSync, fsync, fsyncSync, linkSync, openSync, promises as fsp, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { msg, usageError } from '../core/errors.js';
import { baseNameBytes, dirOf, escapeNameBytes, pathKey, showPath, type FsPath } from '../core/fs-path.js';
import { live } from './temp-registry.js';

export { cleanupTempsSync, trackTemp, untrackTemp } from './temp-registry.js';

/** Marker in every temp file name of ours (tests and the sweep look for it). */
export const TEMP_MARK = '.kyso-tmp-';
const TEMP_RE = /\.kyso-tmp-(\d+)-[0-9a-f]{12}$/;


/**
 * A fresh temp path beside `finalPath` (not created). For a name that is not UTF-8 (a Buffer) the temp file is
 * named after the escaped name: the same folder (so the rename stays atomic), and a plain string path.
 */
export function tempPathFor(finalPath: FsPath): string {
  const name = typeof finalPath === 'string' ? path.basename(finalPath) : escapeNameBytes(baseNameBytes(finalPath)).slice(0, 200);
  return path.join(dirOf(finalPath), `.${name}${TEMP_MARK}${process.pid}-${randomSuffix()}`);
}

// 12 random hex digits per temp name, taken from a pool refilled 64 names at a time (issue 16: one random draw
// per file of a batch was a measurable part of its per-file cost). The names need to be unique, not secret:
// the temp file is created with O_EXCL, which never follows a planted name.
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomSuffix(): string {
  if (poolAt >= pool.length) {
    pool = randomBytes(6 * 64);
    poolAt = 0;
  }
  poolAt += 6;
  return pool.toString('hex', poolAt - 6, poolAt);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files of ours left in `dir` by a process that no longer runs (kill -9, power loss).
 * Returns the names removed. Never throws (a folder that cannot be read is simply not swept). In place: one
 * listing of a folder, before its first output is written.
 */
export function sweepStaleTempsSync(dir: string): string[] {
  const removed: string[] = [];
  let names: Buffer[];
  try {
    // listed by bytes: a name that is not UTF-8 is removed by its own bytes, not by a decoded string
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = TEMP_RE.exec(n.toString('latin1'));
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      unlinkSync(Buffer.concat([Buffer.from(`${dir}/`), n]));
      removed.push(showPath(n));
    } catch {
      /* raced, or not a file */
    }
  }
  return removed;
}

/**
 * fsyncs a file or folder by name: opened and closed in place, the fsync itself (the one step that waits for the
 * disk) in the thread pool. `flags`: 'r+' for a file, 'r' for a folder.
 */
export async function fsyncPath(p: string, flags: 'r' | 'r+'): Promise<void> {
  const fd = openSync(p, flags);
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
  } finally {
    closeSync(fd);
  }
}

/** fsync a folder so a rename inside it survives a crash (no-op where folders cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir, 'r');
  } catch {
    /* some platforms cannot fsync a directory */
  }
}

interface FileId {
  dev: number;
  ino: number;
  /** the real path's key (pathKey: exact bytes, so names that are not UTF-8 compare exactly) */
  real: string;
}

// The identity checks below are synchronous (issue 16): stat and realpath are metadata calls that never wait on
// a file's contents (a FIFO or a device is stat'ed, not opened), and a batch makes several per file, each of which
// cost a round trip through libuv's thread pool when asynchronous. realpathSync.native (the C library's realpath),
// not realpathSync: Node's JavaScript realpathSync decodes a Buffer path as UTF-8 and so loses a name that is not.

/** The file's identity, and whether it is a folder; `missing` when there is no file by that name (stat: ENOENT). */
function idOf(p: FsPath): (FileId & { dir: boolean }) | { missing: true } | undefined {
  let s;
  try {
    s = statSync(p);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { missing: true } : undefined;
  }
  try {
    return { dev: s.dev, ino: s.ino, real: pathKey(realpathSync.native(p, { encoding: 'buffer' })), dir: s.isDirectory() };
  } catch {
    return undefined;
  }
}

/**
 * The real path `p` would have once created (its key): real path of its folder + its name. `missing`: stat just
 * found no file by that name, so its own real path is not asked for (one system call less per output).
 * `folderReals`, given, remembers each folder's real path (a batch plans many outputs into few folders).
 */
function futureReal(p: FsPath, missing = false, folderReals?: Map<string, Buffer | null>): string {
  try {
    if (!missing) return pathKey(realpathSync.native(p, { encoding: 'buffer' }));
  } catch {
    /* no such file yet: its folder's real path + its name */
  }
  // (a folder whose own name is not UTF-8, which --out-dir creates only when signing: no real path yet)
  const folder = typeof p === 'string' ? path.dirname(p) : pathKey(p.subarray(0, Math.max(1, p.lastIndexOf(0x2f))));
  let dir = folderReals?.get(folder);
  if (dir === undefined) {
    try {
      dir = realpathSync.native(dirOf(p), { encoding: 'buffer' });
    } catch {
      dir = null;
    }
    folderReals?.set(folder, dir);
  }
  if (dir === null) return pathKey(typeof p === 'string' ? path.resolve(p) : p);
  return pathKey(Buffer.concat([dir, Buffer.from(dir.length && dir[dir.length - 1] === 0x2f ? '' : '/'), baseNameBytes(p)]));
}

/** Device+inode and real paths of a set of inputs, computed once for a whole batch (values: the input as shown). */
export interface InputIdentities {
  readonly ids: ReadonlyMap<string, string>;
  readonly reals: ReadonlyMap<string, string>;
  /** what each input found is (by pathKey), from the same stat: a batch's planning does not look again */
  readonly kinds?: ReadonlyMap<string, 'file' | 'dir'>;
}

export async function inputIdentities(inputs: readonly FsPath[]): Promise<InputIdentities> {
  return inputIdentitiesSync(inputs);
}

function inputIdentitiesSync(inputs: readonly FsPath[]): InputIdentities {
  const ids = new Map<string, string>();
  const reals = new Map<string, string>();
  const kinds = new Map<string, 'file' | 'dir'>();
  for (const i of inputs) {
    const id = idOf(i);
    if (!id || 'missing' in id) continue;
    ids.set(`${id.dev}:${id.ino}`, showPath(i));
    reals.set(id.real, showPath(i));
    kinds.set(pathKey(i), id.dir ? 'dir' : 'file');
  }
  return { ids, reals, kinds };
}

/**
 * Throws OUTPUT_IS_INPUT (usage, exit 2) when writing `output` would replace or alias any of `inputs`:
 * same device+inode (hard link, symlink to it, a symlinked folder) or same real path.
 */
export async function assertNotAnInput(output: FsPath, inputs: readonly FsPath[] | InputIdentities, shown = showPath(output)): Promise<void> {
  if (Array.isArray(inputs) ? inputs.length === 0 : (inputs as InputIdentities).ids.size === 0) return;
  checkNotAnInput(output, inputs, shown);
}

/**
 * assertNotAnInput, synchronously, for a batch's planning: also returns what is at `output` now ('file', 'dir',
 * or undefined for nothing), from the same stat, so that the caller does not look again. `folderReals`: see
 * futureReal.
 */
export function checkNotAnInput(output: FsPath, inputs: readonly FsPath[] | InputIdentities, shown = showPath(output), folderReals?: Map<string, Buffer | null>): 'file' | 'dir' | undefined {
  const known = Array.isArray(inputs) ? inputIdentitiesSync(inputs) : (inputs as InputIdentities);
  if (known.ids.size === 0) return statKind(output);
  const found = idOf(output);
  const out = found && !('missing' in found) ? found : undefined;
  const outReal = out?.real ?? futureReal(output, found !== undefined && 'missing' in found, folderReals);
  const hit = (out && known.ids.get(`${out.dev}:${out.ino}`)) ?? known.reals.get(outReal);
  if (hit !== undefined) {
    throw usageError(
      'OUTPUT_IS_INPUT',
      msg(`${shown}: the output would overwrite an input (the same file by another path or link); choose another name`, `${shown}: tệp đầu ra sẽ ghi đè tệp đầu vào (cùng một tệp qua đường dẫn hoặc liên kết khác); hãy chọn tên khác`),
      { details: { input: hit } },
    );
  }
  if (out) return out.dir ? 'dir' : 'file';
  return found === undefined ? statKind(output) : undefined;
}

function statKind(p: FsPath): 'file' | 'dir' | undefined {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

export interface CommitOptions {
  /** replace an existing destination (default true); false = fail with OUTPUT_EXISTS if it exists */
  overwrite?: boolean;
  /** files that must never be replaced (checked by device+inode and real path right before the rename) */
  inputs?: readonly FsPath[] | InputIdentities;
  /** name shown in messages (default: the destination path) */
  shown?: string;
  /**
   * A batch's folder-sync set: the destination folder is added here instead of being fsynced now, and the
   * batch fsyncs each folder once (flushFolders) before it reports or exits. Still atomic: the file itself
   * is fsynced before the rename, so a crash leaves the old name or the complete new file, never a part;
   * what waits is only the durability of the new name, which the batch settles before it says it is done.
   */
  folders?: Set<string>;
  /** the temp file was fsynced already, through the handle that wrote it (writeNewFileSynced) */
  synced?: boolean;
}

/**
 * Publishes a finished temp file: fsync it, check it replaces no input, rename (or link when
 * overwrite=false: atomic create-if-absent), fsync the folder. The temp file is gone afterwards.
 */
export async function commitTemp(tmp: string, finalPath: FsPath, opts: CommitOptions = {}): Promise<void> {
  const shown = opts.shown ?? showPath(finalPath);
  // Only the fsync waits in the thread pool; the open, close, link, unlink and rename around it are quick
  // metadata calls made in place (issue 16: each asynchronous call was a thread-pool round trip per file).
  if (!opts.synced) await fsyncPath(tmp, 'r+');
  const inputs = opts.inputs ?? [];
  if (opts.overwrite === false) {
    try {
      // link never replaces anything (not a file, not a symlink to an input), so no input can be overwritten
      // here and the identity check is only needed to name the refusal right (below)
      linkSync(tmp, finalPath);
      unlinkSync(tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        await assertNotAnInput(finalPath, inputs, shown);
        throw usageError('OUTPUT_EXISTS', msg(`${shown}: the output file exists already (use --force to replace it)`, `${shown}: tệp đầu ra đã tồn tại (dùng --force để ghi đè)`));
      }
      // file systems without hard links: a plain rename, after the identity check
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV' || code === 'ENOSYS') {
        await assertNotAnInput(finalPath, inputs, shown);
        renameSync(tmp, finalPath);
      } else throw e;
    }
  } else {
    await assertNotAnInput(finalPath, inputs, shown);
    renameSync(tmp, finalPath);
  }
  live.delete(tmp);
  if (opts.folders) opts.folders.add(dirOf(finalPath));
  else await fsyncDir(dirOf(finalPath));
}

/** fsyncs every folder a batch published into (see CommitOptions.folders), once each, and empties the set. */
export async function flushFolders(folders: Set<string>): Promise<void> {
  const dirs = [...folders];
  folders.clear();
  for (const d of dirs) await fsyncDir(d);
}

/** The same, synchronously: for the signal path, where the report is written before the process exits. */
export function flushFoldersSync(folders: Set<string>): void {
  const dirs = [...folders];
  folders.clear();
  for (const d of dirs) fsyncDirSync(d);
}

/** fsyncDir for synchronous code (signal handlers, writeBytesAtomicSync). */
function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* folders cannot be fsynced everywhere */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface AtomicWriteOptions extends CommitOptions {
  /** file mode of the new file (default 0600: received content, secrets and caches are private) */
  mode?: number;
}

export interface WrittenFile {
  size: number;
  /** lowercase hex SHA-256 of the written bytes */
  sha256: string;
}

/**
 * Writes `finalPath` atomically while hashing it: `fill` gets a `write` function; the bytes go to the temp
 * file, which is published by commitTemp only when `fill` succeeds (on failure it is removed). Memory stays
 * flat: nothing is buffered here.
 */
export async function writeFileAtomic(
  finalPath: FsPath,
  fill: (write: (b: Uint8Array) => Promise<void>) => Promise<void>,
  opts: AtomicWriteOptions = {},
): Promise<WrittenFile> {
  await assertNotAnInput(finalPath, opts.inputs ?? [], opts.shown);
  const tmp = tempPathFor(finalPath);
  const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
  live.add(tmp);
  const hash = createHash('sha256');
  let size = 0;
  const write = async (b: Uint8Array) => {
    hash.update(b);
    size += b.length;
    let off = 0;
    while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
  };
  try {
    await fill(write);
    await fh.sync();
    await fh.close();
    // fsynced just above through its own handle: commitTemp does not open it again to fsync it
    await commitTemp(tmp, finalPath, { ...opts, synced: true });
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    live.delete(tmp);
    throw e;
  }
  return { size, sha256: hash.digest('hex') };
}

/** writeFileAtomic for bytes or text already in memory. */
export async function writeBytesAtomic(finalPath: FsPath, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<WrittenFile> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return writeFileAtomic(finalPath, (write) => write(bytes), opts);
}

/** Synchronous variant for small files written from synchronous code (caches). Same temp naming, 0600. */
export function writeBytesAtomicSync(finalPath: FsPath, data: Uint8Array, mode = 0o600): void {
  const tmp = tempPathFor(finalPath);
  live.add(tmp);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, finalPath);
    live.delete(tmp);
    fsyncDirSync(dirOf(finalPath));
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    live.delete(tmp);
    throw e;
  }
}

/** Device+inode and real path of a file, for callers that check inputs synchronously. */
export function sameFileSync(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

export function isKysoTemp(name: string): boolean {
  return name.includes(TEMP_MARK);
}

