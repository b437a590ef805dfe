import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildCadesSignedData } from '../../src/crypto/cades.js';
import { openPkcs12Signer } from '../../src/crypto/pkcs12-signer.js';
import { requestTimestamp } from '../../src/crypto/timestamp-client.js';
import type { SignatureScheme } from '../../src/crypto/signer.js';
import type { HashAlgorithm } from '../../src/core/types.js';
import type { Leaf, TestPki } from '../helpers/pki.js';

export const run = promisify(execFile);

export function digestFor(content: Uint8Array) {
  return async (alg: string) => new Uint8Array(createHash(alg).update(content).digest());
}

export async function tmp(prefix = 'kyso-vc-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** A CAdES CMS over `content` made by helper B's builder (what `kyso sign` embeds). */
export async function cadesFor(
  pki: TestPki,
  leaf: Leaf,
  content: Uint8Array,
  o: { hash?: HashAlgorithm; scheme?: SignatureScheme; tsa?: boolean } = {},
): Promise<Uint8Array> {
  const signer = await openPkcs12Signer(leaf.p12, pki.password);
  try {
    const hash = o.hash ?? 'sha256';
    const scheme = o.scheme ?? (leaf.keyType === 'ec' ? 'ecdsa' : 'rsa-pkcs1');
    return await buildCadesSignedData({
      signer,
      contentDigest: new Uint8Array(createHash(hash).update(content).digest()),
      hash,
      scheme,
      timestamp: o.tsa ? (sig) => requestTimestamp(pki.urls.tsa, new Uint8Array(createHash('sha256').update(sig).digest()), 'sha256') : undefined,
    });
  } finally {
    await signer.close();
  }
}

/** A "foreign" CMS made by `openssl cms -sign` (adds signingTime; no ESS attribute unless -cades). */
export async function opensslCms(leaf: Leaf, chainPem: string, content: Uint8Array, extra: string[] = []): Promise<Uint8Array> {
  const dir = await tmp();
  const inFile = path.join(dir, 'content.bin');
  const out = path.join(dir, 'sig.der');
  await writeFile(inFile, content);
  await run('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-nosmimecap', '-md', 'sha256', '-signer', leaf.cert, '-inkey', leaf.key, '-certfile', chainPem, '-in', inFile, '-out', out, ...extra]);
  return new Uint8Array(await readFile(out));
}

export function content(n = 4096): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export async function derOf(file: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(file));
}

export async function serverStats(pki: TestPki): Promise<Record<string, number>> {
  const r = await fetch(`${pki.urls.base}/_stats`);
  return (await r.json()) as Record<string, number>;
}

export async function resetServerStats(pki: TestPki): Promise<void> {
  await fetch(`${pki.urls.base}/_stats`, { method: 'POST' });
}
