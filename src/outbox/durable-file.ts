import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeBytesAtomic } from '../io/atomic-write.js';

/*
 * The durable writes of the outbox and the inbox go through the one atomic writer (src/io/atomic-write.ts:
 * random temp name, 0600, fsync file and folder, signal cleanup, stale-temp sweep). These names stay for
 * the callers that use them.
 */
export { commitTemp as commitFile, fsyncDir } from '../io/atomic-write.js';

/** Writes bytes durably: temp file in the same folder, fsync, rename, fsync folder (mode 0600). */
export async function writeFileDurable(finalPath: string, data: Uint8Array | string): Promise<void> {
  await writeBytesAtomic(finalPath, data);
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
