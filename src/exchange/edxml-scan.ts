import { open } from 'node:fs/promises';
import { inputError, msg } from '../core/errors.js';

/*
 * Hand-written because no installed XML parser can skip a text node without holding it: fast-xml-parser
 * builds whole strings, so a 200 MB attachment (270 MB of base64) would need gigabytes. This scanner cuts
 * the text of every ContentTransferEncoded element (with or without a prefix) out of the message,
 * leaving a placeholder, and remembers where the base64 sits in the source. The small remainder (the
 * "skeleton") is then parsed by fast-xml-parser; the base64 is decoded later, streaming, from the source.
 */

export type EdxmlSource = { kind: 'file'; path: string } | { kind: 'bytes'; bytes: Uint8Array };

export interface EncodedRange {
  start: number;
  end: number;
}

export interface ScanResult {
  skeleton: string;
  encoded: EncodedRange[];
}

export const encodedPlaceholder = (i: number) => `@@KYSO-ENCODED-${i}@@`;

const OPEN_RE = /<([A-Za-z_][\w.-]*:)?ContentTransferEncoded(\s[^<>]*)?>/;
const KEEP = 2048;
const CDATA = Buffer.from('<![CDATA[', 'latin1');
/** Without its attachments an edXML header is a few kB; this bounds memory on hostile input. */
const MAX_SKELETON = 16 * 1024 * 1024;

class Scanner {
  private parts: Buffer[] = [];
  private skeletonSize = 0;
  private pending = Buffer.alloc(0);
  private pendingBase = 0;
  private inside = false;
  private start = 0;
  readonly encoded: EncodedRange[] = [];

  constructor(private readonly name: string) {}

  private emit(b: Buffer) {
    this.skeletonSize += b.length;
    if (this.skeletonSize > MAX_SKELETON) {
      throw inputError('EDXML_TOO_LARGE', msg(`${this.name}: the edXML header part is larger than 16 MB`, `${this.name}: phần tiêu đề edXML lớn hơn 16 MB`));
    }
    this.parts.push(b);
  }

  push(chunk: Buffer, final: boolean) {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let base = this.pendingBase;
    for (;;) {
      if (this.inside) {
        const lt = buf.indexOf(0x3c); // '<' ends the base64 text (unless it opens a CDATA section)
        if (lt < 0) {
          base += buf.length;
          buf = Buffer.alloc(0);
          break;
        }
        // the official edXML parser accepts base64 inside <![CDATA[ … ]]>: the section stays in the range
        // (base64 has no '<'; the decoder drops the markup)
        if (buf.length - lt < CDATA.length && !final) {
          base += lt;
          buf = buf.subarray(lt);
          break;
        }
        if (buf.subarray(lt, lt + CDATA.length).equals(CDATA)) {
          base += lt + CDATA.length;
          buf = buf.subarray(lt + CDATA.length);
          continue;
        }
        this.encoded.push({ start: this.start, end: base + lt });
        this.emit(Buffer.from(encodedPlaceholder(this.encoded.length - 1), 'latin1'));
        this.inside = false;
        buf = buf.subarray(lt);
        base += lt;
        continue;
      }
      const s = buf.toString('latin1');
      const m = OPEN_RE.exec(s);
      if (m && !m[0].endsWith('/>')) {
        const endOfTag = m.index + m[0].length;
        this.emit(Buffer.from(buf.subarray(0, endOfTag)));
        this.inside = true;
        this.start = base + endOfTag;
        buf = buf.subarray(endOfTag);
        base += endOfTag;
        continue;
      }
      if (m) {
        // self-closing: nothing to cut
        const endOfTag = m.index + m[0].length;
        this.emit(Buffer.from(buf.subarray(0, endOfTag)));
        buf = buf.subarray(endOfTag);
        base += endOfTag;
        continue;
      }
      const keep = final ? 0 : Math.min(KEEP, buf.length);
      const cut = buf.length - keep;
      this.emit(Buffer.from(buf.subarray(0, cut)));
      buf = buf.subarray(cut);
      base += cut;
      break;
    }
    this.pending = Buffer.from(buf);
    this.pendingBase = base;
    if (final && this.inside) {
      throw inputError(
        'EDXML_TRUNCATED',
        msg(`${this.name}: the message ends inside an attachment (file cut short)`, `${this.name}: gói tin kết thúc giữa tệp đính kèm (tệp bị cắt cụt)`),
      );
    }
  }

  result(): ScanResult {
    return { skeleton: Buffer.concat(this.parts).toString('utf8'), encoded: this.encoded };
  }
}

export async function scanEdxml(src: EdxmlSource, name: string): Promise<ScanResult> {
  const sc = new Scanner(name);
  if (src.kind === 'bytes') {
    const b = Buffer.from(src.bytes.buffer, src.bytes.byteOffset, src.bytes.byteLength);
    const step = 1 << 20;
    for (let off = 0; off < b.length || off === 0; off += step) {
      const end = Math.min(off + step, b.length);
      sc.push(b.subarray(off, end), end >= b.length);
      if (end >= b.length) break;
    }
    return sc.result();
  }
  let fh;
  try {
    fh = await open(src.path, 'r');
  } catch (e) {
    throw inputError('EDXML_READ', msg(`cannot read ${src.path}`, `không đọc được tệp ${src.path}`), { cause: e });
  }
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    if (size === 0) sc.push(Buffer.alloc(0), true);
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      sc.push(Buffer.from(buf.subarray(0, bytesRead)), pos >= size);
    }
  } finally {
    await fh.close();
  }
  return sc.result();
}
