import zlib from 'node:zlib';

/**
 * Builds zip archives for tests by hand (local headers, central directory, end record), so a test can make
 * a zip bomb without inflating it first: the deflate stream of `bombMiB` MiB of zeros is one 1 MiB
 * segment compressed with Z_FULL_FLUSH (byte-aligned, independent, not final) repeated, then a final
 * empty block. The CRC and sizes are the true ones, so the archive is valid.
 */
export interface ZipEntrySpec {
  name: string;
  data?: Uint8Array;
  /** inflated size in MiB of zeros (a bomb); replaces data */
  bombMiB?: number;
}

function crcZeros(mib: number): number {
  const z = Buffer.alloc(1 << 20);
  let c = 0;
  for (let i = 0; i < mib; i++) c = zlib.crc32(z, c);
  return c >>> 0;
}

function deflateBomb(mib: number): { deflated: Buffer; size: number; crc: number } {
  const seg = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const parts: Buffer[] = [];
  for (let i = 0; i < mib; i++) parts.push(seg);
  parts.push(Buffer.from([0x03, 0x00])); // final, empty, fixed-Huffman block
  return { deflated: Buffer.concat(parts), size: mib << 20, crc: crcZeros(mib) };
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    let deflated: Buffer;
    let size: number;
    let crc: number;
    if (e.bombMiB) ({ deflated, size, crc } = deflateBomb(e.bombMiB));
    else {
      const d = Buffer.from(e.data ?? new Uint8Array(0));
      deflated = zlib.deflateRawSync(d);
      size = d.length;
      crc = zlib.crc32(d) >>> 0;
    }
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6); // UTF-8 names
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(deflated.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, deflated);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(deflated.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += 30 + name.length + deflated.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
