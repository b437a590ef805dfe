import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFString, type PDFObject } from './pdf-lib.js';
import { inputError, msg } from '../core/errors.js';

/**
 * The PDF standard security handler (ISO 32000-2 §7.6.4): RC4 40–128 bit (V 1/2, R 2/3), crypt filters
 * V2/AESV2 (V 4, R 4) and AES-256 (V 5, R 5 and R 6), for reading only. Written by hand: pdf-lib does not
 * decrypt, and pdf.js (which does) would parse the whole file a second time with a different reader.
 *
 * RC4 is hand-written too: Node's OpenSSL 3 hides it in the legacy provider (`createCipheriv('rc4')` throws
 * "unsupported"), and RC4 is twelve lines. AES and the hashes come from node:crypto.
 *
 * What is not decrypted (§7.6.2): the Encrypt dictionary, xref streams, strings inside streams (object
 * streams are decrypted as a whole), /Metadata when /EncryptMetadata is false, and the /Contents of a
 * signature dictionary (the hex string in the /ByteRange gap, written after the encryption; pdfsig and
 * Acrobat read it as is).
 */

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.allocUnsafe(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[k] = data[k]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

const md5 = (...parts: Uint8Array[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

function aesCbcDecrypt(key: Uint8Array, data: Uint8Array): Buffer {
  if (data.length < 16) return Buffer.alloc(0);
  const iv = data.subarray(0, 16);
  const body = data.subarray(16);
  if (body.length === 0) return Buffer.alloc(0);
  const alg = key.length === 32 ? 'aes-256-cbc' : 'aes-128-cbc';
  try {
    const d = createDecipheriv(alg, key, iv);
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    // Bad padding (some writers pad wrongly): decrypt without removing padding.
    const d = createDecipheriv(alg, key, iv);
    d.setAutoPadding(false);
    return Buffer.concat([d.update(body.subarray(0, body.length - (body.length % 16))), d.final()]);
  }
}

function bytesOf(o: PDFObject | undefined): Buffer {
  if (o instanceof PDFString || o instanceof PDFHexString) return Buffer.from(o.asBytes());
  return Buffer.alloc(0);
}
const numOf = (o: PDFObject | undefined) => (o instanceof PDFNumber ? o.asNumber() : undefined);
const nameOf = (o: PDFObject | undefined) => (o instanceof PDFName ? o.decodeText() : undefined);

type Method = 'None' | 'V2' | 'AESV2' | 'AESV3';

/** ISO 32000-2 Algorithm 2.B (R 6): the iterated SHA-256/384/512 + AES-128 hash. */
function hashR6(pw: Buffer, salt: Uint8Array, udata: Uint8Array): Buffer {
  let k = createHash('sha256').update(pw).update(salt).update(udata).digest();
  for (let i = 0; ; i++) {
    const k1 = Buffer.concat([pw, k, udata]);
    const block = Buffer.concat(Array.from({ length: 64 }, () => k1));
    const c = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32));
    c.setAutoPadding(false);
    const e = Buffer.concat([c.update(block), c.final()]);
    let sum = 0;
    for (let j = 0; j < 16; j++) sum += e[j]!;
    k = createHash(['sha256', 'sha384', 'sha512'][sum % 3]!).update(e).digest();
    if (i >= 63 && e[e.length - 1]! <= i - 31) break;
  }
  return k.subarray(0, 32);
}

export class StandardDecryptor {
  private constructor(
    private readonly key: Buffer,
    private readonly stmMethod: Method,
    private readonly strMethod: Method,
    private readonly encryptMetadata: boolean,
    /** object number of the Encrypt dictionary (never decrypted) */
    readonly encryptObject: number | undefined,
  ) {}

  /**
   * Builds the decryptor for an Encrypt dictionary, trying the empty password, then `password` as the user
   * password, then as the owner password. Throws INPUT_ENCRYPTION_UNSUPPORTED (public-key or unknown
   * handler) or INPUT_PASSWORD_REQUIRED (no password fits), both input errors (exit 5).
   */
  static create(enc: PDFDict, id0: Uint8Array, password: string | undefined, file: string | undefined, encryptObject?: number): StandardDecryptor {
    const pre = file ? `${file}: ` : '';
    const filter = nameOf(enc.get(PDFName.of('Filter')));
    if (filter !== 'Standard')
      throw inputError(
        'INPUT_ENCRYPTION_UNSUPPORTED',
        msg(
          `${pre}the PDF is encrypted with ${filter === 'Adobe.PubSec' ? 'public-key (certificate) encryption' : `the "${filter ?? '?'}" security handler`}, which kyso does not support; ask the sender for an unencrypted copy`,
          `${pre}tệp PDF được mã hóa bằng ${filter === 'Adobe.PubSec' ? 'khóa công khai (chứng thư số)' : `cơ chế "${filter ?? '?'}"`}, kyso không hỗ trợ; đề nghị bên gửi gửi bản không mã hóa`,
        ),
      );
    const V = numOf(enc.get(PDFName.of('V'))) ?? 0;
    const R = numOf(enc.get(PDFName.of('R'))) ?? 0;
    const O = bytesOf(enc.get(PDFName.of('O')));
    const U = bytesOf(enc.get(PDFName.of('U')));
    const P = numOf(enc.get(PDFName.of('P'))) ?? 0;
    const em = enc.get(PDFName.of('EncryptMetadata'));
    const encryptMetadata = !(em && em.toString() === 'false');
    let stm: Method = 'V2';
    let str: Method = 'V2';
    let lengthBits = numOf(enc.get(PDFName.of('Length'))) ?? 40;
    if (V >= 4) {
      const cf = enc.get(PDFName.of('CF'));
      const method = (name: string | undefined): Method => {
        if (!name || name === 'Identity') return 'None';
        const f = cf instanceof PDFDict ? cf.get(PDFName.of(name)) : undefined;
        const m = f instanceof PDFDict ? nameOf(f.get(PDFName.of('CFM'))) : undefined;
        if (f instanceof PDFDict) {
          const l = numOf(f.get(PDFName.of('Length')));
          if (l !== undefined) lengthBits = l <= 32 ? l * 8 : l;
        }
        return m === 'AESV2' ? 'AESV2' : m === 'AESV3' ? 'AESV3' : m === 'V2' ? 'V2' : 'None';
      };
      stm = method(nameOf(enc.get(PDFName.of('StmF'))));
      str = method(nameOf(enc.get(PDFName.of('StrF'))));
    }
    const unsupported = () =>
      inputError('INPUT_ENCRYPTION_UNSUPPORTED', msg(`${pre}the PDF uses an unknown standard encryption (V ${V}, R ${R}); ask the sender for an unencrypted copy`, `${pre}tệp PDF dùng kiểu mã hóa chuẩn không biết (V ${V}, R ${R}); đề nghị bên gửi gửi bản không mã hóa`));
    const candidates = [''];
    if (password !== undefined && password !== '') candidates.push(password);
    let key: Buffer | undefined;
    if (R >= 5) {
      if (U.length < 48 || O.length < 48) throw unsupported();
      const OE = bytesOf(enc.get(PDFName.of('OE')));
      const UE = bytesOf(enc.get(PDFName.of('UE')));
      const h = (pw: Buffer, salt: Uint8Array, udata: Uint8Array) => (R === 5 ? createHash('sha256').update(pw).update(salt).update(udata).digest() : hashR6(pw, salt, udata));
      const unwrap = (k: Buffer, wrapped: Buffer) => {
        const d = createDecipheriv('aes-256-cbc', k, Buffer.alloc(16));
        d.setAutoPadding(false);
        return Buffer.concat([d.update(wrapped.subarray(0, 32)), d.final()]);
      };
      for (const c of candidates) {
        const pw = Buffer.from(c.normalize('NFKC'), 'utf8').subarray(0, 127);
        if (h(pw, O.subarray(32, 40), U.subarray(0, 48)).equals(O.subarray(0, 32))) {
          key = unwrap(h(pw, O.subarray(40, 48), U.subarray(0, 48)), OE);
          break;
        }
        if (h(pw, U.subarray(32, 40), Buffer.alloc(0)).equals(U.subarray(0, 32))) {
          key = unwrap(h(pw, U.subarray(40, 48), Buffer.alloc(0)), UE);
          break;
        }
      }
      stm = stm === 'None' && V < 5 ? 'None' : V === 5 ? (stm === 'None' ? 'None' : 'AESV3') : stm;
      str = str === 'None' && V < 5 ? 'None' : V === 5 ? (str === 'None' ? 'None' : 'AESV3') : str;
    } else if (R >= 2 && R <= 4) {
      const n = R === 2 ? 5 : Math.max(5, Math.min(16, Math.floor(lengthBits / 8)));
      const pLe = Buffer.alloc(4);
      pLe.writeInt32LE(P | 0);
      const pad = (pw: Buffer) => Buffer.concat([pw.subarray(0, 32), PAD]).subarray(0, 32);
      const fileKey = (padded: Buffer) => {
        let k = md5(padded, O.subarray(0, 32), pLe, id0, R >= 4 && !encryptMetadata ? Buffer.from([255, 255, 255, 255]) : Buffer.alloc(0)).subarray(0, n);
        if (R >= 3) for (let i = 0; i < 50; i++) k = md5(k).subarray(0, n);
        return k;
      };
      const userOk = (k: Buffer) => {
        if (R === 2) return rc4(k, PAD).equals(U.subarray(0, 32));
        let x = rc4(k, md5(PAD, id0));
        for (let i = 1; i <= 19; i++) x = rc4(k.map((b) => b ^ i), x);
        return x.subarray(0, 16).equals(U.subarray(0, 16));
      };
      for (const c of candidates) {
        const pw = Buffer.from(c, 'latin1');
        const k = fileKey(pad(pw));
        if (userOk(k)) {
          key = k;
          break;
        }
        // As the owner password: it decrypts /O into the user password.
        let ok = md5(pad(pw));
        if (R >= 3) for (let i = 0; i < 50; i++) ok = md5(ok);
        const okey = ok.subarray(0, n);
        let up: Buffer = Buffer.from(O.subarray(0, 32));
        if (R === 2) up = rc4(okey, up);
        else for (let i = 19; i >= 0; i--) up = rc4(okey.map((b) => b ^ i), up);
        const k2 = fileKey(up);
        if (userOk(k2)) {
          key = k2;
          break;
        }
      }
    } else throw unsupported();
    if (!key)
      throw inputError(
        'INPUT_PASSWORD_REQUIRED',
        msg(
          `${pre}the PDF is encrypted with a password; give it in KYSO_PDF_PASSWORD, with --password-file, or at the prompt`,
          `${pre}tệp PDF được mã hóa bằng mật khẩu; hãy cung cấp qua biến KYSO_PDF_PASSWORD, --password-file hoặc khi được hỏi`,
        ),
      );
    return new StandardDecryptor(key, stm, str, encryptMetadata, encryptObject);
  }

  private objectKey(num: number, gen: number, aes: boolean): Buffer {
    const b = Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, gen & 255, (gen >> 8) & 255]);
    const h = md5(this.key, b, aes ? Buffer.from('sAlT', 'latin1') : Buffer.alloc(0));
    return h.subarray(0, Math.min(this.key.length + 5, 16));
  }

  private run(method: Method, data: Uint8Array, num: number, gen: number): Uint8Array {
    switch (method) {
      case 'None':
        return data;
      case 'V2':
        return rc4(this.objectKey(num, gen, false), data);
      case 'AESV2':
        return aesCbcDecrypt(this.objectKey(num, gen, true), data);
      case 'AESV3':
        return aesCbcDecrypt(this.key, data);
    }
  }

  /** Decrypts the strings of a freshly parsed object in place (returns it, or its replacement). */
  decryptObject(obj: PDFObject, num: number, gen: number): PDFObject {
    if (num === this.encryptObject) return obj;
    const dictOf = obj instanceof PDFRawStream ? obj.dict : obj;
    if (dictOf instanceof PDFDict && nameOf(dictOf.get(PDFName.of('Type'))) === 'XRef') return obj;
    const walk = (o: PDFObject, depth: number): PDFObject => {
      if (depth > 100) return o;
      if (o instanceof PDFString || o instanceof PDFHexString) return PDFHexString.of(Buffer.from(this.run(this.strMethod, o.asBytes(), num, gen)).toString('hex'));
      if (o instanceof PDFDict) {
        const isSig = o.get(PDFName.of('ByteRange')) !== undefined;
        for (const [k, v] of o.entries()) {
          if (isSig && k.decodeText() === 'Contents') continue;
          const nv = walk(v, depth + 1);
          if (nv !== v) o.set(k, nv);
        }
        return o;
      }
      if (o instanceof PDFArray) {
        for (let i = 0; i < o.size(); i++) {
          const v = o.get(i);
          const nv = walk(v, depth + 1);
          if (nv !== v) o.set(i, nv);
        }
        return o;
      }
      if (o instanceof PDFRawStream) {
        walk(o.dict, depth + 1);
        return o;
      }
      return o;
    };
    return walk(obj, 0);
  }

  /** Decrypts the raw (still filtered) bytes of stream object `num`. */
  decryptStream(dict: PDFDict, data: Uint8Array, num: number, gen: number): Uint8Array {
    const type = nameOf(dict.get(PDFName.of('Type')));
    if (type === 'XRef') return data;
    if (type === 'Metadata' && !this.encryptMetadata) return data;
    const f = dict.get(PDFName.of('Filter'));
    if (nameOf(f) === 'Crypt' || (f instanceof PDFArray && nameOf(f.get(0)) === 'Crypt')) return data; // own crypt filter (Identity in practice)
    return this.run(this.stmMethod, data, num, gen);
  }
}
