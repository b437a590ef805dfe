import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';

/** fsync a folder so a rename inside it survives a crash (no-op where folders cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    /* some platforms cannot fsync a directory */
  } finally {
    await fh?.close();
  }
}

/** fsync a written file, rename it to its final name, fsync the folder. */
export async function commitFile(tmpPath: string, finalPath: string): Promise<void> {
  const fh = await fsp.open(tmpPath, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmpPath, finalPath);
  await fsyncDir(path.dirname(finalPath));
}

/** Writes bytes durably: temp file in the same folder, fsync, rename, fsync folder. */
export async function writeFileDurable(finalPath: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${finalPath}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await fsp.writeFile(tmp, data, { mode: 0o600 });
    await commitFile(tmp, finalPath);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** SHA-256 (lowercase hex) and size of a file, streamed. */
export async function sha256File(p: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(p)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

export function sha256Bytes(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
