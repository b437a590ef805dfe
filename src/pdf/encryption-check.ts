import { createCipheriv, createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFString, type PDFObject } from './pdf-lib.js';
import type { PdfReader } from './reader.js';

/**
 * Does an encrypted PDF open without a password (an "owner password only" file, the user password empty)?
 * Only the password check of the standard security handler (ISO 32000-2 §7.6.4.4, algorithms 2, 4, 5, 2.A
 * and 2.B) — nothing is decrypted here. Hand-written because no installed library exposes the check, and
 * RC4 is not available from Node's OpenSSL 3 default provider. Returns undefined for handlers it does
 * not know (public-key, unknown /R).
 */
export async function opensWithoutPassword(reader: PdfReader): Promise<boolean | undefined> {
  const enc = await reader.resolve(reader.trailer.get(PDFName.of('Encrypt')));
  if (!(enc instanceof PDFDict)) return undefined;
  const get = async (k: string) => reader.resolve(enc.get(PDFName.of(k)));
  const filter = await get('Filter');
  if (!(filter instanceof PDFName) || filter.decodeText() !== 'Standard') return undefined;
  const r = numberOf(await get('R'));
  const o = bytesOf(await get('O'));
  const u = bytesOf(await get('U'));
  if (r === undefined || !o || !u) return undefined;
  if (r === 5 || r === 6) {
    if (u.length < 40) return undefined;
    const salt = u.subarray(32, 40);
    const h = r === 5 ? createHash('sha256').update(salt).digest() : hash2B(Buffer.alloc(0), salt);
    return h.equals(u.subarray(0, 32));
  }
  if (r < 2 || r > 4) return undefined;
  const p = numberOf(await get('P')) ?? 0;
  const lengthBits = r === 2 ? 40 : (numberOf(await get('Length')) ?? 40);
  const n = Math.max(5, Math.min(16, Math.floor(lengthBits / 8)));
  const ids = await reader.resolve(reader.trailer.get(PDFName.of('ID')));
  const id0 = ids instanceof PDFArray ? (bytesOf(ids.get(0)) ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const em = await get('EncryptMetadata');
  const pBytes = Buffer.alloc(4);
  pBytes.writeInt32LE(p | 0);
  const md = createHash('md5').update(PAD).update(o.subarray(0, 32)).update(pBytes).update(id0);
  if (r >= 4 && em !== undefined && em.toString() === 'false') md.update(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  let key = md.digest().subarray(0, n);
  if (r >= 3) for (let i = 0; i < 50; i++) key = createHash('md5').update(key).digest().subarray(0, n);
  if (r === 2) return rc4(key, PAD).equals(u.subarray(0, 32));
  let x = rc4(key, createHash('md5').update(PAD).update(id0).digest());
  for (let i = 1; i <= 19; i++) x = rc4(Buffer.from(key.map((b) => b ^ i)), x);
  return x.equals(u.subarray(0, 16));
}

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

function numberOf(o: PDFObject | undefined): number | undefined {
  return o instanceof PDFNumber ? o.asNumber() : undefined;
}
function bytesOf(o: PDFObject | undefined): Buffer | undefined {
  return o instanceof PDFString || o instanceof PDFHexString ? Buffer.from(o.asBytes()) : undefined;
}

function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[k] = data[k]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

/** Algorithm 2.B (R6) with an empty user password and no user-key data. */
function hash2B(pw: Buffer, salt: Buffer): Buffer {
  let k = createHash('sha256').update(pw).update(salt).digest();
  for (let round = 0; ; round++) {
    const k1 = Buffer.concat(Array(64).fill(Buffer.concat([pw, k])));
    const c = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32));
    c.setAutoPadding(false);
    const e = Buffer.concat([c.update(k1), c.final()]);
    let sum = 0;
    for (let i = 0; i < 16; i++) sum += e[i]!;
    k = createHash(['sha256', 'sha384', 'sha512'][sum % 3]!).update(e).digest();
    if (round >= 63 && e[e.length - 1]! <= round + 1 - 32) break;
  }
  return k.subarray(0, 32);
}
