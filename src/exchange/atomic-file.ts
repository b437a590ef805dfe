import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface WrittenFile {
  size: number;
  /** lowercase hex SHA-256 of the written bytes */
  sha256: string;
}

/**
 * Writes `outPath` atomically while hashing it: `fill` gets a `write` function; the bytes go to a temp file
 * in the same folder, which is fsynced and renamed over `outPath` only when `fill` succeeds (on failure it is
 * removed). Memory stays flat: nothing is buffered here.
 */
export async function writeFileAtomic(outPath: string, fill: (write: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<WrittenFile> {
  const tmp = path.join(path.dirname(outPath), `.${path.basename(outPath)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx');
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
    await rename(tmp, outPath);
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  return { size, sha256: hash.digest('hex') };
}
