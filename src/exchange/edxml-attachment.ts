import { writeFileAtomic } from '../io/atomic-write.js';
import { open } from 'node:fs/promises';
import { CappedSingleUnzip } from './unzip-capped.js';
import { inputError, msg, type KysoError } from '../core/errors.js';
import type { ParsedEdoc } from './edxml-parse.js';
import type { ParsedAttachment } from './edxml-types.js';

export interface DecodedAttachment {
  path: string;
  size: number;
  sha256: string;
  /** the attachment arrived zipped (application/zip around a single file) and was unzipped */
  unzipped: boolean;
}


function corrupt(p: ParsedEdoc, a: ParsedAttachment, en: string, vi: string): KysoError {
  return inputError(
    'EDXML_ATTACHMENT_CORRUPT',
    msg(`${p.name}: attachment "${a.name}" is cut short or corrupt (${en})`, `${p.name}: tệp đính kèm "${a.name}" bị cắt cụt hoặc hỏng (${vi})`),
  );
}

function find(p: ParsedEdoc, contentId: string): ParsedAttachment {
  const a = p.message.attachments.find((x) => x.contentId === contentId.replace(/^cid:/i, ''));
  if (!a) {
    throw inputError('EDXML_ATTACHMENT_MISSING', msg(`${p.name}: no attachment "${contentId}"`, `${p.name}: không có tệp đính kèm "${contentId}"`));
  }
  if (a.encodedIndex < 0) {
    throw inputError('EDXML_ATTACHMENT_MISSING', msg(`${p.name}: attachment "${a.name}" is listed but its content is missing`, `${p.name}: tệp đính kèm "${a.name}" có trong danh mục nhưng thiếu nội dung`));
  }
  return a;
}

/** The raw base64 text of an attachment, read from the source in chunks. */
async function* encodedChunks(p: ParsedEdoc, a: ParsedAttachment): AsyncGenerator<Buffer> {
  const r = p.encoded[a.encodedIndex]!;
  if (p.source.kind === 'bytes') {
    const b = p.source.bytes;
    const step = 4 << 20;
    for (let off = r.start; off < r.end; off += step) yield Buffer.from(b.buffer, b.byteOffset + off, Math.min(step, r.end - off));
    return;
  }
  const fh = await open(p.source.path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (let off = r.start; off < r.end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, r.end - off), off);
      if (bytesRead === 0) break;
      off += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

async function* withFinal(src: AsyncGenerator<Buffer>): AsyncGenerator<{ data: Buffer; final: boolean }> {
  let prev: Buffer | undefined;
  for await (const c of src) {
    if (prev) yield { data: prev, final: false };
    prev = c;
  }
  yield { data: prev ?? Buffer.alloc(0), final: true };
}

/** Streaming base64 decode with strict checking (whitespace allowed, nothing else). */
async function* decoded(p: ParsedEdoc, a: ParsedAttachment): AsyncGenerator<Buffer> {
  let carry = '';
  let ended = false;
  let rawCarry = '';
  const chunks = encodedChunks(p, a);
  for await (const chunk of withFinal(chunks)) {
    // drop whitespace, check the alphabet (regexes over latin1: ~20x faster than a byte loop)
    let t = rawCarry + chunk.data.toString('latin1');
    rawCarry = '';
    if (/[&<\]]/.test(t)) {
      // markup the official parser accepts around/inside base64: a CDATA section and character
      // references such as &#xD; (Windows line ends). A token cut by the chunk boundary waits for the next one.
      if (!chunk.final) {
        const tail = t.slice(-12).search(/[&<\]]/);
        if (tail >= 0) {
          const at = t.length - Math.min(12, t.length) + tail;
          rawCarry = t.slice(at);
          t = t.slice(0, at);
        }
      }
      t = t.replace(/<!\[CDATA\[|\]\]>/g, '').replace(/&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});/g, (_m, e: string) => {
        const cp = e[0] === 'x' ? parseInt(e.slice(1), 16) : parseInt(e, 10);
        return cp > 0 && cp < 0x80 ? String.fromCharCode(cp) : '\u0000';
      });
    }
    if (/[\t\n\r ]/.test(t)) t = t.replace(/[\t\n\r ]+/g, '');
    const badChar = /[^A-Za-z0-9+/=]/.exec(t);
    if (badChar) throw corrupt(p, a, `unexpected character "${badChar[0]}" in base64`, `ký tự "${badChar[0]}" không thuộc base64`);
    if (ended && t.length) throw corrupt(p, a, 'data after the base64 padding', 'dữ liệu sau phần đệm base64');
    let s = carry + t;
    const pad = s.indexOf('=');
    if (pad >= 0) {
      if (!/^=*$/.test(s.slice(pad)) || s.length - pad > 2) throw corrupt(p, a, 'misplaced base64 padding', 'phần đệm base64 sai vị trí');
      ended = true;
    }
    const take = ended ? s.length : s.length - (s.length % 4);
    if (ended && s.length % 4 !== 0) throw corrupt(p, a, 'base64 length is not a multiple of 4', 'độ dài base64 không chia hết cho 4');
    if (take > 0) yield Buffer.from(s.slice(0, take), 'base64');
    carry = s.slice(take);
    s = '';
  }
  if (carry.length % 4 !== 0) throw corrupt(p, a, 'base64 ends in the middle of a group', 'base64 kết thúc giữa chừng');
  if (carry.length) yield Buffer.from(carry, 'base64');
}

const ZIP_TYPES = new Set(['application/zip', 'application/x-zip-compressed', 'application/x-zip']);

/**
 * Decodes one attachment into `outPath` (temp file in the same folder, fsync, rename), streaming. A
 * zipped attachment (ContentType application/zip, name not ending in .zip, content starting with "PK")
 * is unzipped: the first file in the archive is written.
 */
export async function decodeAttachmentToFile(p: ParsedEdoc, contentId: string, outPath: string): Promise<DecodedAttachment> {
  const a = find(p, contentId);
  const wantZip = ZIP_TYPES.has(a.contentType.toLowerCase()) && !a.name.toLowerCase().endsWith('.zip');
  let unzipped = false;
  const written = await writeFileAtomic(outPath, async (write) => {
    let first = true;
    let uz: CappedSingleUnzip | undefined;
    for await (const b of decoded(p, a)) {
      if (first) {
        first = false;
        if (wantZip && b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) {
          unzipped = true;
          uz = new CappedSingleUnzip(`${p.name}: ${a.name}`);
        }
      }
      if (uz) await uz.push(b, write);
      else await write(b);
    }
    if (uz) await uz.push(new Uint8Array(0), write, true);
  });
  return { path: outPath, ...written, unzipped };
}

/** Decodes one attachment in memory (small attachments only; use decodeAttachmentToFile otherwise). */
export async function decodeAttachment(p: ParsedEdoc, contentId: string): Promise<Uint8Array> {
  const a = find(p, contentId);
  const parts: Buffer[] = [];
  for await (const b of decoded(p, a)) parts.push(b);
  const all = Buffer.concat(parts);
  const wantZip = ZIP_TYPES.has(a.contentType.toLowerCase()) && !a.name.toLowerCase().endsWith('.zip');
  if (wantZip && all.length >= 4 && all.readUInt32LE(0) === 0x04034b50) {
    const uz = new CappedSingleUnzip(`${p.name}: ${a.name}`);
    const out: Uint8Array[] = [];
    await uz.push(all, async (b) => void out.push(b), true);
    return new Uint8Array(Buffer.concat(out));
  }
  return new Uint8Array(all);
}
