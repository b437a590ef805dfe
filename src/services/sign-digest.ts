/**
 * Hashes the signed ByteRange AND prepares the SHA-256 of the finished output in the same read pass.
 * The signed range [0, a) is nearly the whole file (the signature sits in the appended update at the end),
 * so reading it twice (once for the signature digest, once for the output's SHA-256 the report prints)
 * would cost a full extra pass over a 1 GB file. With SHA-256 signatures the prefix hash state is simply
 * copied; with SHA-384/512 a second hash runs over the same buffers. src/pdf's digestByteRange cannot share
 * its pass, hence this variant here.
 */
import { createHash, type Hash } from 'node:crypto';
// fs.promises, not node:fs/promises: loaded when first called (importing it costs a dozen built-ins, issue 16)
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { KysoError, msg } from '../core/errors.js';
import type { HashAlgorithm } from '../core/types.js';

export interface RangeDigest {
  /** hash(bytes [a0, a0+a1) ‖ [b0, b0+b1)) with the signature's algorithm */
  digest: Buffer;
  /** after the /Contents is embedded: SHA-256 (hex) of the whole file */
  finishFileSha256(): Promise<string>;
}

const CHUNK = 1 << 20;

async function feed(fh: FileHandle, start: number, length: number, hashes: Hash[], file: string): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, length)));
  let pos = start;
  const end = start + length;
  while (pos < end) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) throw new KysoError('BYTERANGE_INVALID', 'internal', msg(`${file}: unexpected end of file while hashing`, `${file}: tệp kết thúc bất ngờ khi tính băm`));
    const chunk = buf.subarray(0, bytesRead);
    for (const h of hashes) h.update(chunk);
    pos += bytesRead;
  }
}

/** The four numbers of a signature's ByteRange: [0, a1) and [b0, b0 + b1), the second after the first. */
function rangesOf(byteRange: readonly number[]): [number, number, number, number] {
  const [a0, a1, b0] = byteRange as [number, number, number, number];
  if (byteRange.length !== 4 || byteRange.some((n) => !Number.isSafeInteger(n) || n < 0) || a0 !== 0 || b0 < a0 + a1) {
    throw new KysoError('BYTERANGE_INVALID', 'internal', msg(`invalid ByteRange ${JSON.stringify(byteRange)}`, `ByteRange không hợp lệ ${JSON.stringify(byteRange)}`));
  }
  return byteRange as [number, number, number, number];
}

function endsAtEnd(end: number, size: number, file: string): void {
  if (end !== size) throw new KysoError('BYTERANGE_INVALID', 'internal', msg(`${file}: the ByteRange does not end at the end of the file`, `${file}: ByteRange không kết thúc ở cuối tệp`));
}

export async function digestRangeWithFileHash(file: string, byteRange: readonly number[], hash: HashAlgorithm): Promise<RangeDigest> {
  const [a0, a1, b0, b1] = rangesOf(byteRange);
  const fh = await fsp.open(file, 'r');
  let fileHash: Hash;
  let digest: Buffer;
  let size: number;
  try {
    size = (await fh.stat()).size;
    endsAtEnd(b0 + b1, size, file);
    const h = createHash(hash);
    const extra = hash === 'sha256' ? undefined : createHash('sha256');
    await feed(fh, a0, a1, extra ? [h, extra] : [h], file);
    fileHash = extra ?? h.copy();
    await feed(fh, b0, b1, [h], file);
    digest = h.digest();
  } finally {
    await fh.close();
  }
  return {
    digest,
    async finishFileSha256() {
      const f2 = await fsp.open(file, 'r');
      try {
        if ((await f2.stat()).size !== size) throw new KysoError('OUTPUT_CHANGED', 'internal', msg(`${file}: the file changed while signing`, `${file}: tệp đã bị thay đổi trong khi ký`));
        await feed(f2, a0 + a1, size - (a0 + a1), [fileHash], file);
      } finally {
        await f2.close();
      }
      return fileHash.digest('hex');
    },
  };
}

/** digestRangeWithFileHash for an output held in memory (PreparedPdf.bytes): same checks, no I/O. */
export function digestRangeInMemory(bytes: Buffer, byteRange: readonly number[], hash: HashAlgorithm, file: string): RangeDigest {
  const [a0, a1, b0, b1] = rangesOf(byteRange);
  endsAtEnd(b0 + b1, bytes.length, file);
  const digest = createHash(hash).update(bytes.subarray(a0, a0 + a1)).update(bytes.subarray(b0, b0 + b1)).digest();
  // after embedSignature has filled the /Contents in `bytes`
  return { digest, finishFileSha256: async () => createHash('sha256').update(bytes).digest('hex') };
}
