import { isKysoError } from '../core/errors.js';
import { StandardDecryptor } from './decrypt.js';
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFString } from './pdf-lib.js';
import type { PdfReader } from './reader.js';

/**
 * Does an encrypted PDF open without a password (an "owner password only" file, the user password empty)?
 * The password check of the standard security handler is the decryptor's (decrypt.ts): it is built with
 * the empty password, and nothing is decrypted here. Undefined for handlers it does not know (public-key,
 * unknown /R).
 */
export async function opensWithoutPassword(reader: PdfReader): Promise<boolean | undefined> {
  const enc = await reader.resolve(reader.trailer.get(PDFName.of('Encrypt')));
  if (!(enc instanceof PDFDict)) return undefined;
  const ids = await reader.resolve(reader.trailer.get(PDFName.of('ID')));
  const first = ids instanceof PDFArray ? ids.get(0) : undefined;
  const id0 = first instanceof PDFString || first instanceof PDFHexString ? first.asBytes() : new Uint8Array(0);
  try {
    StandardDecryptor.create(enc, id0, undefined, undefined);
    return true;
  } catch (e) {
    if (isKysoError(e) && e.code === 'INPUT_PASSWORD_REQUIRED') return false;
    return undefined;
  }
}
