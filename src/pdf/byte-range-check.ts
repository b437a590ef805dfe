import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFString, type PDFObject } from './pdf-lib.js';
import type { ByteSource } from './byte-source.js';

/**
 * Structural check of a signature's /ByteRange against the bytes of the file (PAdES / ISO 32000-2 §12.8.1).
 * Written by hand because no installed library checks the ByteRange against the file: @signpdf trusts it,
 * pdf-lib ignores it. This is where Universal Signature Forgery and Signature Wrapping are caught.
 *
 * Rules (each failure is a `problem`, the caller maps any of them to TOTAL_FAILED / FORMAT_FAILURE):
 *  - /ByteRange is an array of exactly 4 non-negative safe integers [a b c d] with a = 0, b > a, c >= b,
 *    d >= 0, c + d <= file size (huge numbers are rejected before any allocation);
 *  - the gap [b, c) is EXACTLY the `<…>` hex string of /Contents: byte b is '<', byte c-1 is '>', only hex
 *    digits between (even count), and those digits decode to the /Contents of THIS signature dictionary;
 *  - the second range ends at the end of a revision (else coverage is partial).
 */

export interface ByteRangeCheck {
  /** Well formed and the gap is exactly this signature's /Contents. */
  ok: boolean;
  byteRange?: [number, number, number, number];
  /** whole = the ranges cover the file up to the end of a revision; partial otherwise. */
  coverage: 'whole' | 'partial';
  /** Index of the smallest revision whose end is >= the end of the signed range. */
  revisionIndex?: number;
  /** Decoded /Contents (the CMS, possibly zero-padded). */
  contents?: Uint8Array;
  problems: string[];
  /** Machine code of the first structural problem (for the sub-indication). */
  code?: 'NO_BYTERANGE' | 'BAD_BYTERANGE' | 'NO_CONTENTS' | 'BAD_CONTENTS' | 'GAP_MISMATCH';
}

/** Largest /Contents gap we read (16 MiB of hex = 8 MiB of CMS; real ones are < 100 KiB). */
export const MAX_CONTENTS_GAP = 16 * 1024 * 1024;

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;

export function parseByteRange(obj: PDFObject | undefined): { value?: [number, number, number, number]; problem?: string } {
  if (!obj) return { problem: 'the signature has no /ByteRange' };
  if (!(obj instanceof PDFArray)) return { problem: '/ByteRange is not an array' };
  if (obj.size() !== 4) return { problem: `/ByteRange has ${obj.size()} numbers instead of 4` };
  const v: number[] = [];
  for (let i = 0; i < 4; i++) {
    const n = obj.get(i);
    if (!(n instanceof PDFNumber)) return { problem: '/ByteRange holds something that is not a number' };
    const x = n.asNumber();
    if (!Number.isSafeInteger(x) || x < 0) return { problem: `/ByteRange number ${String(x)} is negative, fractional or too large` };
    v.push(x);
  }
  return { value: v as [number, number, number, number] };
}

/**
 * @param sig the signature dictionary (/Type /Sig or /DocTimeStamp)
 * @param revisionEnds endOffset of each revision, oldest first
 */
export async function checkByteRange(src: ByteSource, sig: PDFDict, revisionEnds: readonly number[]): Promise<ByteRangeCheck> {
  const problems: string[] = [];
  const fail = (code: NonNullable<ByteRangeCheck['code']>, p: string, extra: Partial<ByteRangeCheck> = {}): ByteRangeCheck => ({
    ok: false,
    coverage: 'partial',
    problems: [...problems, p],
    code,
    ...extra,
  });
  const contentsObj = sig.get(PDFName.of('Contents'));
  if (!contentsObj) return fail('NO_CONTENTS', 'the signature has no /Contents');
  const br = parseByteRange(sig.get(PDFName.of('ByteRange')));
  if (!br.value) return fail(sig.get(PDFName.of('ByteRange')) ? 'BAD_BYTERANGE' : 'NO_BYTERANGE', br.problem!);
  const [a, b, c, d] = br.value;
  const size = src.size;
  if (a !== 0) return fail('BAD_BYTERANGE', `/ByteRange does not start at 0 (starts at ${a})`, { byteRange: br.value });
  if (b <= a || c < b + 2 || c + d > size || d < 0)
    return fail('BAD_BYTERANGE', `/ByteRange [${br.value.join(' ')}] is out of order or outside the file (${size} bytes)`, { byteRange: br.value });
  if (!(contentsObj instanceof PDFHexString) && !(contentsObj instanceof PDFString))
    return fail('BAD_CONTENTS', '/Contents is not a string', { byteRange: br.value });
  // Compare as hex text (no decoding of the declared value: it is the hot path of a 1,000-file run).
  const declaredHex = contentsObj instanceof PDFHexString ? contentsObj.asString().replace(/\s+/g, '').toLowerCase() : undefined;
  const empty = declaredHex !== undefined ? /^0*$/.test(declaredHex) : contentsObj.asBytes().every((x) => x === 0);
  if (empty) return fail('NO_CONTENTS', '/Contents is empty', { byteRange: br.value });

  const gapLen = c - b;
  if (gapLen > MAX_CONTENTS_GAP) return fail('GAP_MISMATCH', `the unsigned gap is ${gapLen} bytes, far larger than any signature`, { byteRange: br.value });
  const gap = await src.read(b, gapLen);
  if (gap.length !== gapLen) return fail('BAD_BYTERANGE', 'the file is shorter than /ByteRange says', { byteRange: br.value });
  if (gap[0] !== 0x3c || gap[gapLen - 1] !== 0x3e)
    return fail('GAP_MISMATCH', 'the unsigned gap is not exactly the /Contents hex string (signature wrapping?)', { byteRange: br.value });
  const gapText = gap.subarray(1, gapLen - 1).toString('latin1');
  if (!/^[0-9A-Fa-f]*$/.test(gapText)) return fail('GAP_MISMATCH', 'the unsigned gap holds bytes other than hex digits (signature wrapping?)', { byteRange: br.value });
  if ((gapLen - 2) % 2 !== 0) return fail('BAD_CONTENTS', '/Contents has an odd number of hex digits', { byteRange: br.value });
  const gapHex = gapText.toLowerCase();
  if (declaredHex === undefined || declaredHex !== gapHex)
    return fail('GAP_MISMATCH', 'the bytes excluded by /ByteRange are not the /Contents of this signature', { byteRange: br.value });
  const fromFile = Buffer.from(gapHex, 'hex');

  // Which revision does the signature belong to, and does its range end exactly at that revision's end?
  const end = c + d;
  let revisionIndex: number | undefined;
  for (let i = 0; i < revisionEnds.length; i++) {
    if (revisionEnds[i]! >= end) {
      revisionIndex = i;
      break;
    }
  }
  let coverage: 'whole' | 'partial' = 'partial';
  if (revisionIndex === undefined && revisionEnds.length > 0 && end === size) {
    // The signer covered bytes after the last %%EOF (trailing EOLs, NULs, or junk some tools append):
    // they are signed, so the signature covers the whole file as it is.
    revisionIndex = revisionEnds.length - 1;
    coverage = 'whole';
  } else if (revisionIndex !== undefined) {
    const revEnd = revisionEnds[revisionIndex]!;
    if (revEnd === end) coverage = 'whole';
    else if (revEnd - end <= 2) {
      // A signer may stop right after "%%EOF" while the reader counts the EOL as part of the revision.
      const tail = await src.read(end, revEnd - end);
      if ([...tail].every(isWs)) coverage = 'whole';
    }
  }
  if (coverage === 'partial') problems.push(`the signed range ends at byte ${end}, not at the end of a revision`);
  return { ok: true, byteRange: br.value, coverage, revisionIndex, contents: fromFile, problems };
}

/** Strips the zero padding a placeholder leaves after the DER (keeps a trailing 00 that belongs to the DER). */
export function trimDer(contents: Uint8Array): Uint8Array {
  if (contents.length < 2 || contents[0] !== 0x30) return contents;
  // DER length of the outer SEQUENCE tells us where the CMS ends.
  const l0 = contents[1]!;
  let len: number;
  let hdr: number;
  if (l0 < 0x80) {
    len = l0;
    hdr = 2;
  } else {
    const n = l0 & 0x7f;
    if (n === 0 || n > 4 || contents.length < 2 + n) return contents;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + contents[2 + i]!;
    hdr = 2 + n;
  }
  const total = hdr + len;
  return total <= contents.length ? contents.subarray(0, total) : contents;
}

/** Non-whitespace bytes after the end of the last revision: an update no xref covers (ISA variant). */
export async function trailingGarbage(src: ByteSource, lastRevisionEnd: number): Promise<number> {
  const len = src.size - lastRevisionEnd;
  if (len <= 0) return 0;
  let count = 0;
  const CH = 1 << 20;
  for (let off = lastRevisionEnd; off < src.size; off += CH) {
    const buf = await src.read(off, Math.min(CH, src.size - off));
    for (const x of buf) if (!isWs(x)) count++;
    if (count > 0) return count;
  }
  return count;
}

/**
 * Feeds the two byte ranges of a signature to `hash` through the ByteSource already open, in 1 MiB chunks
 * (bounded memory); the caller picks the algorithm (the CMS names it: SHA-1, SHA-2, SHA-3, SHAKE256).
 */
export async function digestByteRanges(src: ByteSource, br: readonly number[], hash: { update(b: Uint8Array): unknown; digest(): Uint8Array }): Promise<Uint8Array> {
  const CH = 1 << 20;
  for (const [start, len] of [
    [br[0]!, br[1]!],
    [br[2]!, br[3]!],
  ] as const) {
    for (let off = 0; off < len; off += CH) hash.update(await src.read(start + off, Math.min(CH, len - off)));
  }
  return new Uint8Array(hash.digest());
}
