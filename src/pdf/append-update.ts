// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { closeSync, createReadStream, createWriteStream, fchmodSync, constants as fsc, open, openSync, promises as fsp, writeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { FileHandle } from 'node:fs/promises';
import { type KysoError, msg, usageError } from '../core/errors.js';
import { showPath, type FsPath } from '../core/fs-path.js';
import { outputWriteError } from '../core/output-error.js';
import { openFileSource, type ByteSource } from './byte-source.js';
import { buildUpdate, type BuiltUpdate, type UpdateObject } from './incremental-writer.js';
import { pdfErrors } from './pdf-errors.js';
import type { PdfReader } from './reader.js';

/**
 * Copies the input to outTempPath (kernel copy: bounded memory, never read into the process) and appends
 * one incremental update. `patch` may edit the update bytes once their absolute position is known (the
 * ByteRange). On failure the output is removed.
 */
export async function appendUpdateToCopy(
  /** the input as fs opens it (bytes when its name is not UTF-8) */
  input: FsPath,
  src: ByteSource,
  reader: PdfReader,
  objects: UpdateObject[],
  outTempPath: string,
  patch?: (built: BuiltUpdate, base: number) => void,
  /** bytes of the input left out of the copy (those before "%PDF-"); `src` then reads the input from there */
  skip = 0,
): Promise<{ base: number; built: BuiltUpdate; total: number }> {
  const { eol, base, built } = await appended(src, reader, objects, patch);
  try {
    if (skip > 0) await pipeline(createReadStream(input, { start: skip, highWaterMark: 1 << 20 }), createWriteStream(outTempPath, { flags: 'wx' }));
    else await fsp.copyFile(input, outTempPath, fsc.COPYFILE_EXCL);
  } catch (e) {
    // a half-written copy (disk full…) must not stay behind; an existing file is not ours to remove
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') await fsp.rm(outTempPath, { force: true }).catch(() => undefined);
    throw outputError(outTempPath, e);
  }
  try {
    const fh = await fsp.open(outTempPath, 'r+');
    try {
      const st = await fh.stat();
      if (st.size !== src.size) throw pdfErrors.changedWhileSigning(showPath(input));
      await writeAll(fh, Buffer.concat([eol, built.bytes]), src.size);
    } finally {
      await fh.close();
    }
  } catch (e) {
    await fsp.rm(outTempPath, { force: true });
    throw e;
  }
  return { base, built, total: base + built.bytes.length };
}

/**
 * The same output as appendUpdateToCopy for a small input, built in memory: one read of the input, nothing
 * written yet (issue 16: a batch of small documents then writes each output once, with one open and one fsync,
 * instead of a kernel copy, a reopen to append, and further reopens to hash and to embed the signature).
 */
export async function appendUpdateInMemory(
  input: string,
  src: ByteSource,
  reader: PdfReader,
  objects: UpdateObject[],
  patch?: (built: BuiltUpdate, base: number) => void,
): Promise<{ base: number; built: BuiltUpdate; total: number; bytes: Buffer }> {
  const original = await src.read(0, src.size);
  if (original.length !== src.size) throw pdfErrors.changedWhileSigning(input);
  const { eol, base, built } = await appended(src, reader, objects, patch);
  return { base, built, total: base + built.bytes.length, bytes: Buffer.concat([original, eol, built.bytes]) };
}

/** The update appended after the input's last byte (and an end of line when the input has none). */
async function appended(src: ByteSource, reader: PdfReader, objects: UpdateObject[], patch?: (built: BuiltUpdate, base: number) => void): Promise<{ eol: Buffer; base: number; built: BuiltUpdate }> {
  const lastByte = (await src.read(src.size - 1, 1))[0];
  const eol = Buffer.from(lastByte === 10 || lastByte === 13 ? '' : '\n', 'latin1');
  const base = src.size + eol.length;
  // A recovered (broken-xref) file gets an xref covering every object and no /Prev.
  const built = buildUpdate(reader, base, objects, { full: reader.recovered });
  patch?.(built, base);
  return { eol, base, built };
}

/**
 * Creates `path` (never an existing file: O_EXCL, mode 0600) in the thread pool and gives its descriptor, for
 * writeNewFile. A batch starts it as soon as a document is read (issue 16): creating a file takes 0.1–0.3 ms on
 * ext4, longer while another file is fsynced, and that is then spent while the document is signed. A failure is
 * reported by writeNewFile, or by nobody when the file is not written after all (discardCreated).
 */
export function createNewFile(path: string): Promise<number> {
  const p = new Promise<number>((resolve, reject) => open(path, 'wx', 0o600, (e, fd) => (e ? reject(e) : resolve(fd))));
  p.catch(() => undefined);
  return p;
}

/**
 * A file made by createNewFile that will not be written after all (the document failed, or is signed again): waits
 * for it to be made, closes it and removes it, so that the name is free again before the caller goes on.
 */
export async function discardCreated(created: Promise<number> | undefined, path: string): Promise<void> {
  if (!created) return;
  let fd: number;
  try {
    fd = await created;
  } catch {
    return; // never made
  }
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
  await fsp.rm(path, { force: true }).catch(() => undefined);
}

/**
 * Writes a new file (never an existing one), with `mode` set as a kernel copy of the input would have set it (the
 * atomic writer fsyncs it when it publishes it). A partly written file is removed; errors name `path`. The chmod,
 * write and close are made in place (issue 16); the file itself is made here, or was made by createNewFile
 * (`created`, whose descriptor this function then owns).
 */
export async function writeNewFile(path: string, bytes: Buffer, mode: number | undefined, created?: Promise<number>): Promise<void> {
  let fd: number | undefined;
  try {
    fd = created ? await created : openSync(path, 'wx', 0o600);
    if (mode !== undefined) fchmodSync(fd, mode & 0o7777);
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
    const closing = fd;
    fd = undefined;
    closeSync(closing);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') await fsp.rm(path, { force: true }).catch(() => undefined);
    throw outputError(path, e);
  }
}

export function outputError(path: string, e: unknown): KysoError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return usageError('OUTPUT_EXISTS', msg(`${path}: file already exists`, `${path}: tệp đã tồn tại`), { cause: e });
  if (code === 'ENOENT')
    return usageError('OUTPUT_DIR_MISSING', msg(`${path}: the output folder does not exist`, `${path}: thư mục đầu ra không tồn tại`), { cause: e });
  // named after the path given here (the temp file); the sign service renames it after the real output
  return outputWriteError(path, e);
}

export async function writeAll(fh: FileHandle, buf: Buffer, at: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, at + done);
    done += bytesWritten;
  }
}

/** Opens a PDF given by the clerk, turning fs errors into clear input errors naming the file. */
export async function openInputFile(file: FsPath): Promise<ByteSource> {
  try {
    return await openFileSource(file);
  } catch (e) {
    const input = showPath(file);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw pdfErrors.notFound(input, e);
    if (code === 'EISDIR' || code === 'ENOTFILE') throw pdfErrors.notPdf(input);
    throw pdfErrors.unreadable(input, e);
  }
}
