import { open, rm, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { KysoError, inputError, msg } from '../core/errors.js';

/**
 * The one way kyso inflates a zip that came from outside (received attachments, hub uploads, ...).
 * Everything is streamed: the archive is read in small slices and pushed into fflate's streaming Unzip, and
 * inflated bytes go to disk as they come, so memory stays flat whatever the archive declares. Caps:
 * total inflated size, inflated/compressed ratio (after a small floor, so tiny well-compressed files pass),
 * number of entries, size of one entry. Breaking a cap throws KysoError input/ZIP_CAP_EXCEEDED and removes
 * whatever was written.
 *
 * fflate does the inflating (maintained, already a dependency); only the capping is ours: no zip library
 * offers a streamed extract with output caps, and zip headers' declared sizes cannot be trusted.
 */

export interface UnzipCaps {
  /** largest total of inflated bytes over all entries */
  maxTotalBytes: number;
  /** largest size of one inflated entry */
  maxEntryBytes: number;
  /** largest number of file entries (folders are not counted) */
  maxEntries: number;
  /** largest inflated/compressed ratio, checked once more than ratioFloorBytes have been inflated */
  maxRatio: number;
  /** inflated bytes under which the ratio is not checked */
  ratioFloorBytes: number;
}

export const DEFAULT_UNZIP_CAPS: UnzipCaps = {
  maxTotalBytes: 256 * 1024 * 1024,
  maxEntryBytes: 256 * 1024 * 1024,
  maxEntries: 1000,
  maxRatio: 100,
  ratioFloorBytes: 4 * 1024 * 1024,
};

export interface UnzippedEntry {
  /** the (sanitised) file name in outDir */
  name: string;
  /** absolute path of the written file */
  path: string;
  /** inflated size in bytes */
  size: number;
}

/** compressed bytes pushed into fflate at a time: bounds one synchronous inflate burst to ~1032x this */
const SLICE = 4 * 1024;

export function zipCapError(zipName: string, what: string, vi: string, details: Record<string, unknown>): KysoError {
  return inputError(
    'ZIP_CAP_EXCEEDED',
    msg(`${zipName}: the zip archive is refused: ${what}`, `${zipName}: tệp zip bị từ chối: ${vi}`),
    { details },
  );
}

/** A file name safe to create inside outDir: last path component, no control characters, not . or .. */
export function safeEntryName(raw: string, index: number): string {
  const last = raw.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const clean = last.replace(/[\u0000-\u001f\u007f-\u009f]/g, '_').replace(/^\.+/, (m) => '_'.repeat(m.length));
  return clean && clean.length <= 200 ? clean : `entry-${index + 1}`;
}

/**
 * Extracts every file entry of `zipPath` into `outDir` (created if needed; files created exclusively,
 * mode 0600, names sanitised and made unique). Returns the entries in archive order.
 */
export async function unzipToDir(zipPath: string, outDir: string, caps: Partial<UnzipCaps> = {}): Promise<UnzippedEntry[]> {
  const c: UnzipCaps = { ...DEFAULT_UNZIP_CAPS, ...caps };
  const zipName = path.basename(zipPath);
  await mkdir(outDir, { recursive: true });
  const entries: UnzippedEntry[] = [];
  const used = new Set<string>();
  let total = 0;
  let compressedIn = 0;
  let failure: unknown;
  let current: { entry: UnzippedEntry; fh?: FileHandle; queue: Uint8Array[]; done: boolean; file: UnzipFile } | undefined;
  const pending: NonNullable<typeof current>[] = [];

  const fail = (e: unknown) => {
    if (!failure) failure = e;
    for (const p of [current, ...pending]) p?.file.terminate();
  };

  const uz = new Unzip();
  uz.register(UnzipInflate);
  uz.onfile = (f) => {
    if (failure) return;
    if (f.name.endsWith('/')) return; // folder entry
    if (entries.length + 1 > c.maxEntries) {
      fail(zipCapError(zipName, `more than ${c.maxEntries} entries`, `nhiều hơn ${c.maxEntries} mục`, { cap: 'entries', limit: c.maxEntries }));
      return;
    }
    let name = safeEntryName(f.name, entries.length);
    if (used.has(name.toLowerCase())) {
      const ext = path.extname(name);
      const base = name.slice(0, name.length - ext.length);
      let n = 2;
      while (used.has(`${base}-${n}${ext}`.toLowerCase())) n++;
      name = `${base}-${n}${ext}`;
    }
    used.add(name.toLowerCase());
    const entry: UnzippedEntry = { name, path: path.join(path.resolve(outDir), name), size: 0 };
    entries.push(entry);
    const slot = { entry, queue: [] as Uint8Array[], done: false, file: f };
    pending.push(slot);
    f.ondata = (err, data, final) => {
      if (failure) return;
      if (err) {
        fail(inputError('ZIP_CORRUPT', msg(`${zipName}: the zip archive is corrupt (${err.message})`, `${zipName}: tệp zip bị hỏng (${err.message})`)));
        return;
      }
      entry.size += data.length;
      total += data.length;
      if (entry.size > c.maxEntryBytes) {
        fail(zipCapError(zipName, `entry "${name}" inflates past ${c.maxEntryBytes} bytes`, `mục "${name}" giải nén vượt quá ${c.maxEntryBytes} byte`, { cap: 'entryBytes', limit: c.maxEntryBytes }));
        return;
      }
      if (total > c.maxTotalBytes) {
        fail(zipCapError(zipName, `inflates past ${c.maxTotalBytes} bytes`, `giải nén vượt quá ${c.maxTotalBytes} byte`, { cap: 'totalBytes', limit: c.maxTotalBytes }));
        return;
      }
      if (total > c.ratioFloorBytes && total > c.maxRatio * Math.max(compressedIn, 1)) {
        fail(zipCapError(zipName, `compression ratio above ${c.maxRatio}:1`, `tỉ lệ nén vượt quá ${c.maxRatio}:1`, { cap: 'ratio', limit: c.maxRatio }));
        return;
      }
      if (data.length) slot.queue.push(data);
      if (final) slot.done = true;
    };
    f.start();
  };

  /** writes what the inflater produced so far; closes finished entries */
  const drain = async () => {
    while (!failure && pending.length) {
      const s = pending[0]!;
      current = s;
      if (!s.fh) s.fh = await open(s.entry.path, 'wx', 0o600);
      while (s.queue.length) {
        const b = s.queue.shift()!;
        let off = 0;
        while (off < b.length) off += (await s.fh.write(b, off, b.length - off)).bytesWritten;
      }
      if (!s.done) break;
      await s.fh.sync();
      await s.fh.close();
      s.fh = undefined;
      pending.shift();
      current = undefined;
    }
  };

  const cleanup = async () => {
    for (const s of [current, ...pending]) await s?.fh?.close().catch(() => {});
    for (const e of entries) await rm(e.path, { force: true }).catch(() => {});
  };

  let zfh: FileHandle | undefined;
  try {
    zfh = await open(zipPath, 'r');
    const buf = Buffer.allocUnsafe(SLICE);
    for (;;) {
      const { bytesRead } = await zfh.read(buf, 0, SLICE, null);
      if (bytesRead === 0) break;
      compressedIn += bytesRead;
      try {
        uz.push(new Uint8Array(buf.subarray(0, bytesRead)), false);
      } catch (e) {
        fail(inputError('ZIP_CORRUPT', msg(`${zipName}: the zip archive is corrupt (${(e as Error).message})`, `${zipName}: tệp zip bị hỏng (${(e as Error).message})`)));
      }
      if (failure) throw failure;
      await drain();
      if (failure) throw failure;
    }
    try {
      uz.push(new Uint8Array(0), true);
    } catch (e) {
      fail(inputError('ZIP_CORRUPT', msg(`${zipName}: the zip archive is corrupt (${(e as Error).message})`, `${zipName}: tệp zip bị hỏng (${(e as Error).message})`)));
    }
    if (failure) throw failure;
    await drain();
    if (failure) throw failure;
    if (pending.length) {
      throw inputError('ZIP_CORRUPT', msg(`${zipName}: the zip archive is incomplete`, `${zipName}: tệp zip không đầy đủ`));
    }
    return entries;
  } catch (e) {
    await cleanup();
    throw e;
  } finally {
    await zfh?.close().catch(() => {});
  }
}

/**
 * Push-based variant for data that is already being streamed (e.g. base64-decoded attachment content):
 * feed compressed chunks with `push`, take inflated chunks of the FIRST file entry with `take`. Same caps.
 * Used where the archive wraps a single document (edXML zipped attachments).
 */
export class CappedSingleUnzip {
  private readonly uz = new Unzip();
  private readonly caps: UnzipCaps;
  private readonly queue: Uint8Array[] = [];
  private total = 0;
  private compressedIn = 0;
  private got = false;
  private entries = 0;
  private failure: unknown;
  private file?: UnzipFile;
  /** true once the first entry has been inflated completely */
  done = false;

  constructor(private readonly label: string, caps: Partial<UnzipCaps> = {}) {
    this.caps = { ...DEFAULT_UNZIP_CAPS, ...caps };
    this.uz.register(UnzipInflate);
    this.uz.onfile = (f) => {
      if (f.name.endsWith('/')) return;
      if (++this.entries > this.caps.maxEntries) {
        this.fail(zipCapError(label, `more than ${this.caps.maxEntries} entries`, `nhiều hơn ${this.caps.maxEntries} mục`, { cap: 'entries', limit: this.caps.maxEntries }));
        return;
      }
      if (this.got) return;
      this.got = true;
      this.file = f;
      f.ondata = (err, data, final) => {
        if (this.failure) return;
        if (err) return this.fail(inputError('ZIP_CORRUPT', msg(`${label}: the zip archive is corrupt (${err.message})`, `${label}: tệp zip bị hỏng (${err.message})`)));
        this.total += data.length;
        const c = this.caps;
        if (this.total > Math.min(c.maxTotalBytes, c.maxEntryBytes)) {
          const lim = Math.min(c.maxTotalBytes, c.maxEntryBytes);
          return this.fail(zipCapError(label, `inflates past ${lim} bytes`, `giải nén vượt quá ${lim} byte`, { cap: 'totalBytes', limit: lim }));
        }
        if (this.total > c.ratioFloorBytes && this.total > c.maxRatio * Math.max(this.compressedIn, 1)) {
          return this.fail(zipCapError(label, `compression ratio above ${c.maxRatio}:1`, `tỉ lệ nén vượt quá ${c.maxRatio}:1`, { cap: 'ratio', limit: c.maxRatio }));
        }
        if (data.length) this.queue.push(data);
        if (final) this.done = true;
      };
      f.start();
    };
  }

  private fail(e: unknown): void {
    if (!this.failure) this.failure = e;
    this.file?.terminate();
  }

  /**
   * Pushes compressed bytes, SLICE at a time, handing the inflated bytes to `sink` between slices so memory
   * stays bounded by one inflate burst; throws on a cap or corruption. Call with final=true once at the end.
   */
  async push(chunk: Uint8Array, sink: (b: Uint8Array) => Promise<void>, final = false): Promise<void> {
    let off = 0;
    do {
      const part = chunk.subarray(off, Math.min(off + SLICE, chunk.length));
      off += part.length;
      const last = final && off >= chunk.length;
      this.compressedIn += part.length;
      try {
        this.uz.push(part, last);
      } catch (e) {
        this.fail(inputError('ZIP_CORRUPT', msg(`${this.label}: the zip archive is corrupt (${(e as Error).message})`, `${this.label}: tệp zip bị hỏng (${(e as Error).message})`)));
      }
      if (this.failure) throw this.failure;
      for (const b of this.queue.splice(0, this.queue.length)) await sink(b);
    } while (off < chunk.length);
    if (final && !this.done) {
      throw inputError('ZIP_CORRUPT', msg(`${this.label}: the zip archive is incomplete or empty`, `${this.label}: tệp zip không đầy đủ hoặc rỗng`));
    }
  }
}
