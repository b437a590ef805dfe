// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { closeSync, constants as fsc, fstatSync, openSync, promises as fsp, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { showPath, type FsPath } from '../core/fs-path.js';

/**
 * Random-access bytes of a PDF. The reader never needs the whole file: it reads the tail, the xref
 * sections and the few objects it resolves, so a 1 GB scan signs in bounded memory.
 */
export interface ByteSource {
  readonly size: number;
  /** permission bits of the file it reads (a file source only) */
  readonly mode?: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

const BLOCK = 64 * 1024;
const CACHE_BLOCKS = 64; // 4 MiB of small-read cache at most

/** Regular files up to this size are read whole when opened (see openFileSource). */
export const READ_WHOLE_UP_TO = 4 * 1024 * 1024;

/**
 * fs.open + positional reads, with a small block cache (xref and object reads hit the same blocks).
 * A regular file of up to `wholeUpTo` bytes is read whole at once, in place, and closed (issue 16: a batch of small
 * documents, a single verify): an open, a stat, one read and a close instead of as many thread-pool round trips. It
 * is opened non-blocking so that a FIFO or a device never holds the process here: those, and larger files, are
 * opened again the usual way.
 */
export async function openFileSource(path: FsPath, wholeUpTo = READ_WHOLE_UP_TO): Promise<ByteSource> {
  const whole = wholeUpTo > 0 ? readWholeIfSmall(path, wholeUpTo) : undefined;
  if (whole) return whole;
  const fh: FileHandle = await fsp.open(path, 'r');
  let size: number;
  let mode: number;
  try {
    const st = await fh.stat();
    mode = st.mode & 0o7777;
    if (!st.isFile()) {
      const err = new Error(`not a regular file: ${showPath(path)}`) as NodeJS.ErrnoException;
      err.code = st.isDirectory() ? 'EISDIR' : 'ENOTFILE';
      throw err;
    }
    size = st.size;
  } catch (e) {
    await fh.close();
    throw e;
  }
  const cache = new Map<number, Buffer>();

  async function block(i: number): Promise<Buffer> {
    const hit = cache.get(i);
    if (hit) {
      cache.delete(i);
      cache.set(i, hit); // LRU order
      return hit;
    }
    const start = i * BLOCK;
    const len = Math.min(BLOCK, size - start);
    const buf = Buffer.allocUnsafe(Math.max(0, len));
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const b = got === len ? buf : buf.subarray(0, got);
    cache.set(i, b);
    if (cache.size > CACHE_BLOCKS) cache.delete(cache.keys().next().value as number);
    return b;
  }

  return {
    size,
    mode,
    async read(offset: number, length: number): Promise<Buffer> {
      if (offset < 0) offset = 0;
      const end = Math.min(size, offset + Math.max(0, length));
      if (end <= offset) return Buffer.alloc(0);
      if (end - offset > 4 * BLOCK) {
        // Big reads (stream contents) bypass the cache.
        const buf = Buffer.allocUnsafe(end - offset);
        let got = 0;
        while (got < buf.length) {
          const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got === buf.length ? buf : buf.subarray(0, got);
      }
      const first = Math.floor(offset / BLOCK);
      const last = Math.floor((end - 1) / BLOCK);
      if (first === last) {
        const b = await block(first);
        return Buffer.from(b.subarray(offset - first * BLOCK, end - first * BLOCK));
      }
      const parts: Buffer[] = [];
      for (let i = first; i <= last; i++) {
        const b = await block(i);
        const s = i === first ? offset - i * BLOCK : 0;
        const e = i === last ? end - i * BLOCK : b.length;
        parts.push(b.subarray(s, e));
      }
      return Buffer.concat(parts);
    },
    async close(): Promise<void> {
      cache.clear();
      await fh.close();
    },
  };
}

function readWholeIfSmall(path: FsPath, upTo: number): ByteSource | undefined {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch {
    return undefined; // the usual open reports why
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > upTo) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    // size as stat gave it: a file cut short while being read is then seen as changed (appendUpdateInMemory)
    return { ...bufferSource(buf.subarray(0, got)), size: st.size, mode: st.mode & 0o7777 };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A ByteSource over bytes already in memory (tests, small documents). */
export function bufferSource(buf: Uint8Array): ByteSource {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: b.length,
    async read(offset: number, length: number): Promise<Buffer> {
      if (offset < 0) offset = 0;
      return b.subarray(Math.min(offset, b.length), Math.min(b.length, offset + Math.max(0, length)));
    },
    async close(): Promise<void> {},
  };
}

/** The bytes of `src` from `start` on, as a source of their own (a file read from its "%PDF-" header). Closing it leaves `src` open. */
export function fromOffset(src: ByteSource, start: number): ByteSource {
  return {
    size: Math.max(0, src.size - start),
    read: (offset, length) => src.read(start + Math.max(0, offset), Math.max(0, Math.min(length, src.size - start - Math.max(0, offset)))),
    async close(): Promise<void> {},
  };
}
