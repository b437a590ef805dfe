/**
 * Verifies one signature value (of a certificate, CRL, OCSP response, CMS SignerInfo or timestamp) with
 * node:crypto. pkijs can verify too, but through WebCrypto, which lacks RSA PKCS#1 over a pre-hashed digest
 * and is slower; node:crypto covers RSA PKCS#1 v1.5, RSA-PSS, ECDSA (DER and plain), DSA and EdDSA directly.
 */
import { constants, createHash, createPublicKey, publicDecrypt, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { asn1, pki } from './asn1-lazy.js';
import { type AlgId, bytesEqual, digestNameForOid, isSupportedDigest, pkijsAlgId, DIGEST_OID_BY_NAME } from './verify-util.js';

const RSA_SIG: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '2.16.840.1.101.3.4.3.13': 'sha3-224',
  '2.16.840.1.101.3.4.3.14': 'sha3-256',
  '2.16.840.1.101.3.4.3.15': 'sha3-384',
  '2.16.840.1.101.3.4.3.16': 'sha3-512',
};
const ECDSA_SIG: Record<string, string> = {
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '2.16.840.1.101.3.4.3.9': 'sha3-224',
  '2.16.840.1.101.3.4.3.10': 'sha3-256',
  '2.16.840.1.101.3.4.3.11': 'sha3-384',
  '2.16.840.1.101.3.4.3.12': 'sha3-512',
};
/** BSI TR-03111 ecdsa-plain-*: the signature is r || s (IEEE P1363), not a DER SEQUENCE. */
const ECDSA_PLAIN_SIG: Record<string, string> = {
  '0.4.0.127.0.7.1.1.4.1.1': 'sha1',
  '0.4.0.127.0.7.1.1.4.1.2': 'sha224',
  '0.4.0.127.0.7.1.1.4.1.3': 'sha256',
  '0.4.0.127.0.7.1.1.4.1.4': 'sha384',
  '0.4.0.127.0.7.1.1.4.1.5': 'sha512',
  '0.4.0.127.0.7.1.1.4.1.8': 'sha3-224',
  '0.4.0.127.0.7.1.1.4.1.9': 'sha3-256',
  '0.4.0.127.0.7.1.1.4.1.10': 'sha3-384',
  '0.4.0.127.0.7.1.1.4.1.11': 'sha3-512',
};
const DSA_SIG: Record<string, string> = {
  '1.2.840.10040.4.3': 'sha1',
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
  '2.16.840.1.101.3.4.3.3': 'sha384',
  '2.16.840.1.101.3.4.3.4': 'sha512',
  '2.16.840.1.101.3.4.3.5': 'sha3-224',
  '2.16.840.1.101.3.4.3.6': 'sha3-256',
  '2.16.840.1.101.3.4.3.7': 'sha3-384',
  '2.16.840.1.101.3.4.3.8': 'sha3-512',
};
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const DSA_KEY = '1.2.840.10040.4.1';
const ED25519 = '1.3.101.112';
const ED448 = '1.3.101.113';

export type SignatureKind = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa' | 'dsa';

export interface SignatureCheck {
  ok: boolean;
  kind?: SignatureKind;
  hash?: string;
  error?: string;
}

export function publicKeyFromSpki(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
}

/** The algorithm of a signature as a node:crypto call; `digestHint` is used when the OID names no hash (CMS rsaEncryption). */
export function describeSignatureAlgorithm(
  alg: AlgId,
  digestHint?: string,
): { kind: SignatureKind; hash: string | null; saltLength?: number; mgf1Hash?: string; plain?: boolean } | { error: string } {
  const oid = alg.algorithmId;
  if (RSA_SIG[oid]) return { kind: 'rsa-pkcs1', hash: RSA_SIG[oid]! };
  if (ECDSA_SIG[oid]) return { kind: 'ecdsa', hash: ECDSA_SIG[oid]! };
  if (ECDSA_PLAIN_SIG[oid]) return { kind: 'ecdsa', hash: ECDSA_PLAIN_SIG[oid]!, plain: true };
  if (DSA_SIG[oid]) return { kind: 'dsa', hash: DSA_SIG[oid]! };
  if (oid === RSA_ENCRYPTION) {
    if (!digestHint) return { error: 'rsaEncryption without a digest algorithm' };
    return { kind: 'rsa-pkcs1', hash: digestHint };
  }
  if (oid === EC_PUBLIC_KEY) {
    if (!digestHint) return { error: 'ecPublicKey without a digest algorithm' };
    return { kind: 'ecdsa', hash: digestHint };
  }
  if (oid === DSA_KEY) {
    if (!digestHint) return { error: 'id-dsa without a digest algorithm' };
    return { kind: 'dsa', hash: digestHint };
  }
  if (oid === ED25519 || oid === ED448) return { kind: 'eddsa', hash: null };
  if (oid === RSA_PSS) {
    // RSASSA-PSS-params: defaults are SHA-1 / MGF1-SHA-1 / salt 20 (RFC 4055).
    let hash = 'sha1';
    let mgf1Hash = 'sha1';
    let saltLength = 20;
    try {
      // Absent or NULL parameters: the defaults. Anything else is read by pkijs (rare: loaded then).
      const isNull = alg.params !== undefined && alg.params.length === 2 && alg.params[0] === 0x05 && alg.params[1] === 0x00;
      const algorithmParams = alg.params && !isNull ? pkijsAlgId(alg).algorithmParams : undefined;
      if (algorithmParams && !(algorithmParams instanceof asn1().Null)) {
        const P = pki();
        const p = new P.RSASSAPSSParams({ schema: algorithmParams });
        hash = digestNameForOid(p.hashAlgorithm.algorithmId);
        const mgfHashOid = p.maskGenAlgorithm?.algorithmParams
          ? new P.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams }).algorithmId
          : DIGEST_OID_BY_NAME.sha1;
        mgf1Hash = digestNameForOid(mgfHashOid!);
        saltLength = p.saltLength;
      }
    } catch (e) {
      return { error: `bad RSA-PSS parameters: ${(e as Error).message}` };
    }
    return { kind: 'rsa-pss', hash, saltLength, mgf1Hash };
  }
  return { error: `unsupported signature algorithm ${oid}` };
}

/** Verifies `signature` over `data` (the function hashes `data` itself). */
export function verifySignature(args: {
  algorithm: AlgId;
  digestHint?: string;
  publicKey: KeyObject;
  data: Uint8Array;
  signature: Uint8Array;
}): SignatureCheck {
  const d = describeSignatureAlgorithm(args.algorithm, args.digestHint);
  if ('error' in d) return { ok: false, error: d.error };
  if (d.hash && !isSupportedDigest(d.hash)) return { ok: false, kind: d.kind, hash: d.hash, error: `unsupported digest ${d.hash}` };
  const hash = d.hash ?? undefined;
  try {
    const keyType = args.publicKey.asymmetricKeyType;
    if ((d.kind === 'rsa-pkcs1' || d.kind === 'rsa-pss') && keyType !== 'rsa' && keyType !== 'rsa-pss') {
      return { ok: false, kind: d.kind, hash, error: `an RSA signature but a ${keyType} key` };
    }
    if (d.kind === 'ecdsa' && keyType !== 'ec') return { ok: false, kind: d.kind, hash, error: `an ECDSA signature but a ${keyType} key` };
    if (d.kind === 'dsa' && keyType !== 'dsa') return { ok: false, kind: d.kind, hash, error: `a DSA signature but a ${keyType} key` };
    if (d.kind === 'eddsa' && keyType !== 'ed25519' && keyType !== 'ed448') return { ok: false, kind: d.kind, error: `an EdDSA signature but a ${keyType} key` };
    if (d.kind === 'rsa-pss' && d.mgf1Hash && d.mgf1Hash !== d.hash) {
      if (!isSupportedDigest(d.mgf1Hash)) return { ok: false, kind: d.kind, hash, error: `unsupported MGF1 digest ${d.mgf1Hash}` };
      const ok = verifyPssAnyMgf(args.publicKey, d.hash!, d.mgf1Hash, d.saltLength ?? 20, args.data, args.signature);
      return { ok, kind: d.kind, hash, error: ok ? undefined : 'signature does not verify' };
    }
    const key =
      d.kind === 'rsa-pss'
        ? { key: args.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: d.saltLength }
        : d.kind === 'rsa-pkcs1'
          ? { key: args.publicKey, padding: constants.RSA_PKCS1_PADDING }
          : d.kind === 'ecdsa' || d.kind === 'dsa'
            ? { key: args.publicKey, dsaEncoding: d.plain ? ('ieee-p1363' as const) : ('der' as const) }
            : args.publicKey;
    // node:crypto names SHAKE256 with its default 256-bit output; only EdDSA (hash null) meets SHAKE here.
    const ok = cryptoVerify(d.hash ?? null, args.data, key, args.signature);
    return { ok, kind: d.kind, hash, error: ok ? undefined : 'signature does not verify' };
  } catch (e) {
    return { ok: false, kind: d.kind, hash, error: `signature check failed: ${(e as Error).message}` };
  }
}

/**
 * EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with an MGF1 hash different from the message hash. node:crypto's
 * verify always uses the message hash for MGF1 on a plain RSA key, so this case is done by hand: the RSA
 * public operation through publicDecrypt without padding, then the PSS encoding checked here.
 */
function verifyPssAnyMgf(key: KeyObject, hash: string, mgfHash: string, saltLen: number, data: Uint8Array, sig: Uint8Array): boolean {
  const modBits = Number((key.asymmetricKeyDetails?.modulusLength as number | undefined) ?? sig.length * 8);
  const k = Math.ceil(modBits / 8);
  if (sig.length !== k) return false;
  const m = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(sig));
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = m.subarray(m.length - emLen);
  if (m.length > emLen && m.subarray(0, m.length - emLen).some((b) => b !== 0)) return false;
  const mHash = createHash(hash).update(data).digest();
  const hLen = mHash.length;
  if (emLen < hLen + saltLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  if (topBits > 0 && (maskedDb[0]! & (0xff << (8 - topBits)) & 0xff) !== 0) return false;
  const mask = Buffer.alloc(maskedDb.length);
  for (let c = 0, off = 0; off < mask.length; c++) {
    const ctr = Buffer.alloc(4);
    ctr.writeUInt32BE(c);
    const block = createHash(mgfHash).update(h).update(ctr).digest();
    block.copy(mask, off, 0, Math.min(block.length, mask.length - off));
    off += block.length;
  }
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ mask[i]!;
  if (topBits > 0) db[0]! &= 0xff >> topBits;
  const psLen = emLen - hLen - saltLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - saltLen);
  const h2 = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return h2.equals(h);
}

/**
 * RSA PKCS#1 v1.5 over a digest we only know (CMS without signed attributes): decrypt with the public key
 * and compare the DigestInfo. ECDSA over a bare digest is not offered by node:crypto; callers report it.
 */
export function verifyRsaPkcs1Digest(publicKey: KeyObject, hash: string, digest: Uint8Array, signature: Uint8Array): SignatureCheck {
  try {
    const decoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    const info = asn1().fromBER(new Uint8Array(decoded));
    if (info.offset === -1) return { ok: false, kind: 'rsa-pkcs1', hash, error: 'not a DigestInfo' };
    const di = new (pki().DigestInfo)({ schema: info.result });
    const alg = digestNameForOid(di.digestAlgorithm.algorithmId);
    const ok = alg === hash && bytesEqual(di.digest.valueBlock.valueHexView, digest);
    return { ok, kind: 'rsa-pkcs1', hash, error: ok ? undefined : 'signature does not verify' };
  } catch (e) {
    return { ok: false, kind: 'rsa-pkcs1', hash, error: `signature check failed: ${(e as Error).message}` };
  }
}

/** The DigestInfo inside an RSA PKCS#1 v1.5 signature (digest name and value), or undefined when it does not decrypt to one. */
export function rsaDigestInfo(publicKey: KeyObject, signature: Uint8Array): { alg: string; digest: Uint8Array } | undefined {
  try {
    const decoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    const info = asn1().fromBER(new Uint8Array(decoded));
    if (info.offset === -1) return undefined;
    const di = new (pki().DigestInfo)({ schema: info.result });
    return { alg: digestNameForOid(di.digestAlgorithm.algorithmId), digest: di.digest.valueBlock.valueHexView };
  } catch {
    return undefined;
  }
}
