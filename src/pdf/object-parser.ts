import {
  PDFArray,
  PDFBool,
  PDFContext,
  PDFDict,
  PDFHexString,
  PDFName,
  PDFNull,
  PDFNumber,
  PDFObject,
  PDFRef,
  PDFString,
} from './pdf-lib.js';

/**
 * A small PDF object tokenizer/parser that builds pdf-lib object classes (so that pdf-lib serialises what
 * we copy into an update). Written by hand instead of using pdf-lib's PDFObjectParser because:
 *  - it must work on a window of a file (a slice read at some offset) and say "I need more bytes" instead
 *    of guessing, since we never load the whole document;
 *  - it must be safe on hostile input (verify runs it on attack files): it is iterative, never recursive,
 *    with a nesting-depth cap, so 100,000 nested arrays give a clean error instead of a stack overflow;
 *  - it keeps literal strings exactly as written (escapes untouched), so copied objects keep their bytes.
 */

export class NeedMoreData extends Error {
  constructor() {
    super('need more data');
  }
}

export class PdfSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

export const MAX_DEPTH = 256;
/** Most objects one parseObject call may build (a 64 MB array of numbers would otherwise cost GBs). */
export const MAX_ITEMS = 1_000_000;

const WS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

export const isWhite = (c: number): boolean => WS[c] === 1;
export const isDelim = (c: number): boolean => DELIM[c] === 1;

type Token =
  | { t: 'num'; v: number; int: boolean }
  | { t: 'name'; v: string }
  | { t: 'str'; v: string }
  | { t: 'hex'; v: string }
  | { t: '[' | ']' | '<<' | '>>' | '{' | '}' }
  | { t: 'kw'; v: string }
  | { t: 'eof' };

export interface IndirectObject {
  num: number;
  gen: number;
  obj: PDFObject;
  /** Position (relative to the buffer) of the first byte of stream data, when the object is a stream. */
  streamStart?: number;
  /** Position just after the object (after `endobj` when present, else after the object / `stream` EOL). */
  end: number;
}

export class ObjectParser {
  pos: number;

  /**
   * @param buf   the window of bytes
   * @param pos   where to start
   * @param ctx   pdf-lib context the built objects belong to
   * @param atEof true when the window ends at the end of the file (running out is then a syntax error)
   * @param base  absolute offset of buf[0], for messages
   */
  constructor(
    readonly buf: Buffer,
    pos: number,
    readonly ctx: PDFContext,
    readonly atEof = true,
    readonly base = 0,
  ) {
    this.pos = pos;
  }

  private eod(): never {
    if (this.atEof) throw new PdfSyntaxError('unexpected end of data', this.base + this.pos);
    throw new NeedMoreData();
  }

  skipWs(): void {
    const b = this.buf;
    for (;;) {
      while (this.pos < b.length && WS[b[this.pos]!] === 1) this.pos++;
      if (this.pos < b.length && b[this.pos] === 0x25 /* % */) {
        while (this.pos < b.length && b[this.pos] !== 10 && b[this.pos] !== 13) this.pos++;
        continue;
      }
      return;
    }
  }

  nextToken(): Token {
    this.skipWs();
    const b = this.buf;
    // Out of bytes: the end of the file, or only the end of this window (then more bytes may hold a token;
    // reporting "eof" there made a large xref table end early at a window boundary that fell on whitespace).
    if (this.pos >= b.length) {
      if (this.atEof) return { t: 'eof' };
      throw new NeedMoreData();
    }
    const start = this.pos;
    const c = b[this.pos]!;
    switch (c) {
      case 0x5b: // [
        this.pos++;
        return { t: '[' };
      case 0x5d:
        this.pos++;
        return { t: ']' };
      case 0x7b:
        this.pos++;
        return { t: '{' };
      case 0x7d:
        this.pos++;
        return { t: '}' };
      case 0x3c: // <
        if (this.pos + 1 >= b.length) this.eod();
        if (b[this.pos + 1] === 0x3c) {
          this.pos += 2;
          return { t: '<<' };
        }
        return this.hexString();
      case 0x3e: // >
        if (this.pos + 1 >= b.length) this.eod();
        if (b[this.pos + 1] === 0x3e) {
          this.pos += 2;
          return { t: '>>' };
        }
        throw new PdfSyntaxError('stray ">"', this.base + start);
      case 0x28: // (
        return this.literalString();
      case 0x2f: // /
        return this.name();
      case 0x29:
        throw new PdfSyntaxError('stray ")"', this.base + start);
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) return this.number();
    // keyword
    let p = this.pos;
    while (p < b.length && WS[b[p]!] !== 1 && DELIM[b[p]!] !== 1) p++;
    if (p >= b.length && !this.atEof) throw new NeedMoreData();
    if (p - start > 64) throw new PdfSyntaxError('garbage where a PDF token was expected', this.base + start);
    this.pos = p;
    return { t: 'kw', v: b.toString('latin1', start, p) };
  }

  private number(): Token {
    const b = this.buf;
    const start = this.pos;
    let p = this.pos;
    // fast path: plain non-negative integer
    let v = 0;
    while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39 && p - start < 16) {
      v = v * 10 + (b[p]! - 0x30);
      p++;
    }
    if (p > start && p < b.length && (WS[b[p]!] === 1 || DELIM[b[p]!] === 1)) {
      this.pos = p;
      return { t: 'num', v, int: true };
    }
    p = this.pos;
    if (b[p] === 0x2b || b[p] === 0x2d) p++;
    while (p < b.length && b[p] === 0x2d) p++; // "--5" seen in the wild
    let dot = false;
    while (p < b.length && ((b[p]! >= 0x30 && b[p]! <= 0x39) || (b[p] === 0x2e && !dot))) {
      if (b[p] === 0x2e) dot = true;
      p++;
    }
    if (p >= b.length && !this.atEof) throw new NeedMoreData();
    if (p - start > 40) throw new PdfSyntaxError('number too long', this.base + start);
    this.pos = p;
    let text = b.toString('latin1', start, p).replace(/^([+-])-+/, '$1');
    if (text.startsWith('--')) text = text.replace(/^-+/, '-');
    const n = Number(text === '+' || text === '-' || text === '.' || text === '-.' || text === '+.' ? '0' : text);
    return { t: 'num', v: Number.isFinite(n) ? n : 0, int: !dot && Number.isInteger(n) };
  }

  private name(): Token {
    const b = this.buf;
    let p = this.pos + 1;
    while (p < b.length && WS[b[p]!] !== 1 && DELIM[b[p]!] !== 1) p++;
    if (p >= b.length && !this.atEof) throw new NeedMoreData();
    const raw = b.toString('latin1', this.pos + 1, p);
    this.pos = p;
    const v = raw.includes('#')
      ? raw.replace(/#([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
      : raw;
    return { t: 'name', v };
  }

  private literalString(): Token {
    const b = this.buf;
    let p = this.pos + 1;
    let depth = 1;
    while (p < b.length) {
      const c = b[p]!;
      if (c === 0x5c) {
        p += 2;
        continue;
      }
      if (c === 0x28) depth++;
      else if (c === 0x29) {
        depth--;
        if (depth === 0) break;
      }
      p++;
    }
    if (p >= b.length) this.eod();
    const v = b.toString('latin1', this.pos + 1, p);
    this.pos = p + 1;
    return { t: 'str', v };
  }

  private hexString(): Token {
    const b = this.buf;
    const close = b.indexOf(0x3e, this.pos + 1);
    if (close < 0) this.eod();
    let v = b.toString('latin1', this.pos + 1, close);
    if (/[^0-9a-fA-F]/.test(v)) {
      const cleaned = v.replace(/[\0\t\n\f\r ]/g, '');
      if (/[^0-9a-fA-F]/.test(cleaned)) throw new PdfSyntaxError('bad character in hex string', this.base + this.pos);
      v = cleaned;
    }
    this.pos = close + 1;
    return { t: 'hex', v };
  }

  /** Parses one direct object (iteratively; nesting deeper than MAX_DEPTH is a syntax error). */
  parseObject(): PDFObject {
    type Frame = { kind: 'arr' | 'dict'; items: PDFObject[]; at: number };
    const stack: Frame[] = [];
    let items = 0;
    for (;;) {
      if (++items > MAX_ITEMS) throw new PdfSyntaxError(`object with more than ${MAX_ITEMS} items`, this.base + this.pos);
      const tokStart = this.pos;
      const tok = this.nextToken();
      let value: PDFObject | undefined;
      switch (tok.t) {
        case 'eof':
          return this.eod(); // eod() always throws; `return` makes that visible to the linter
        case '[':
        case '<<':
          if (stack.length >= MAX_DEPTH) throw new PdfSyntaxError(`objects nested deeper than ${MAX_DEPTH}`, this.base + tokStart);
          stack.push({ kind: tok.t === '[' ? 'arr' : 'dict', items: [], at: tokStart });
          continue;
        case ']': {
          const f = stack.pop();
          if (!f || f.kind !== 'arr') throw new PdfSyntaxError('unbalanced "]"', this.base + tokStart);
          const a = PDFArray.withContext(this.ctx);
          for (const it of f.items) a.push(it);
          value = a;
          break;
        }
        case '>>': {
          const f = stack.pop();
          if (!f || f.kind !== 'dict') throw new PdfSyntaxError('unbalanced ">>"', this.base + tokStart);
          const m = new Map<PDFName, PDFObject>();
          for (let i = 0; i + 1 < f.items.length; i += 2) {
            const k = f.items[i];
            if (!(k instanceof PDFName)) throw new PdfSyntaxError('dictionary key is not a name', this.base + f.at);
            m.set(k, f.items[i + 1]!);
          }
          if (f.items.length % 2 === 1) {
            // "<< /A >>": key without value; lenient readers drop it.
            if (!(f.items[f.items.length - 1] instanceof PDFName))
              throw new PdfSyntaxError('dictionary key is not a name', this.base + f.at);
          }
          value = PDFDict.fromMapWithContext(m, this.ctx);
          break;
        }
        case 'num':
          value = PDFNumber.of(tok.v);
          if (stack.length === 0 && tok.int && tok.v >= 0) {
            // top level: "n g R"?
            const save = this.pos;
            try {
              const t2 = this.nextToken();
              if (t2.t === 'num' && t2.int) {
                const t3 = this.nextToken();
                if (t3.t === 'kw' && t3.v === 'R') return PDFRef.of(tok.v, t2.v);
              }
            } catch (e) {
              if (!(e instanceof PdfSyntaxError)) throw e;
            }
            this.pos = save;
          }
          break;
        case 'name':
          value = PDFName.of(tok.v);
          break;
        case 'str':
          value = PDFString.of(tok.v);
          break;
        case 'hex':
          value = PDFHexString.of(tok.v);
          break;
        case 'kw':
          if (tok.v === 'true') value = PDFBool.True;
          else if (tok.v === 'false') value = PDFBool.False;
          else if (tok.v === 'null') value = PDFNull;
          else if (tok.v === 'R') {
            const f = stack[stack.length - 1];
            const g = f?.items[f.items.length - 1];
            const n = f?.items[f.items.length - 2];
            if (!f || !(g instanceof PDFNumber) || !(n instanceof PDFNumber))
              throw new PdfSyntaxError('"R" without object and generation numbers', this.base + tokStart);
            const nv = n.asNumber();
            const gv = g.asNumber();
            if (!Number.isInteger(nv) || !Number.isInteger(gv) || nv < 0 || gv < 0)
              throw new PdfSyntaxError('bad reference', this.base + tokStart);
            f.items.length -= 2;
            f.items.push(PDFRef.of(nv, gv));
            continue;
          } else throw new PdfSyntaxError(`unexpected "${tok.v.slice(0, 20)}"`, this.base + tokStart);
          break;
        default:
          throw new PdfSyntaxError(`unexpected "${tok.t}"`, this.base + tokStart);
      }
      if (stack.length === 0) return value;
      stack[stack.length - 1]!.items.push(value);
    }
  }

  /** Reads an integer token, or returns undefined (position restored) when the next token is not one. */
  tryInt(): number | undefined {
    const save = this.pos;
    const t = this.nextToken();
    if (t.t === 'num' && t.int) return t.v;
    this.pos = save;
    return undefined;
  }

  /** Reads a keyword token, or returns undefined (position restored). */
  tryKeyword(word?: string): string | undefined {
    const save = this.pos;
    const t = this.nextToken();
    if (t.t === 'kw' && (word === undefined || t.v === word)) return t.v;
    this.pos = save;
    return undefined;
  }

  /**
   * Parses "num gen obj <object> [stream … | endobj]". For a stream, stops right after the EOL that follows
   * `stream` and reports streamStart; the caller reads the data (it may be far larger than the window).
   */
  parseIndirect(): IndirectObject {
    const at = this.pos;
    const num = this.tryInt();
    const gen = num === undefined ? undefined : this.tryInt();
    if (num === undefined || gen === undefined || !this.tryKeyword('obj'))
      throw new PdfSyntaxError('expected "n g obj"', this.base + at);
    const obj = this.parseObject();
    const save = this.pos;
    const kw = (() => {
      try {
        return this.tryKeyword();
      } catch (e) {
        if (e instanceof NeedMoreData) throw e;
        return undefined;
      }
    })();
    if (kw === 'stream' && obj instanceof PDFDict) {
      const b = this.buf;
      if (this.pos + 2 > b.length) this.eod();
      if (b[this.pos] === 13 && b[this.pos + 1] === 10) this.pos += 2;
      else if (b[this.pos] === 10 || b[this.pos] === 13) this.pos += 1;
      return { num, gen, obj, streamStart: this.pos, end: this.pos };
    }
    if (kw !== 'endobj') this.pos = save; // missing endobj is tolerated
    return { num, gen, obj, end: this.pos };
  }
}
