/**
 * node:zlib, loaded on first use (~1 ms of start-up, issue 16): a PDF with a classic cross-reference table and
 * no compressed object it needs (many scanner and generator outputs) is signed and verified without inflating or
 * deflating anything.
 */
import { createRequire } from 'node:module';

let loaded: typeof import('node:zlib') | undefined;

export function zlib(): typeof import('node:zlib') {
  loaded ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return loaded;
}
