/**
 * Verifies one signature value (of a certificate, CRL, OCSP response, CMS SignerInfo or timestamp) with
 * node:crypto. pkijs can verify too, but through WebCrypto, which lacks RSA PKCS#1 over a pre-hashed digest
 * and is slower; node:crypto covers RSA PKCS#1 v1.5, RSA-PSS, ECDSA and EdDSA directly.
 */
import { constants, createPublicKey, publicDecrypt, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytesEqual, digestNameForOid, isSupportedDigest, DIGEST_OID_BY_NAME } from './verify-util.js';

const RSA_SIG: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const ECDSA_SIG: Record<string, string> = {
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const ED25519 = '1.3.101.112';
const ED448 = '1.3.101.113';

export type SignatureKind = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa';

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
  alg: pkijs.AlgorithmIdentifier,
  digestHint?: string,
): { kind: SignatureKind; hash: string | null; saltLength?: number } | { error: string } {
  const oid = alg.algorithmId;
  if (RSA_SIG[oid]) return { kind: 'rsa-pkcs1', hash: RSA_SIG[oid]! };
  if (ECDSA_SIG[oid]) return { kind: 'ecdsa', hash: ECDSA_SIG[oid]! };
  if (oid === RSA_ENCRYPTION) {
    if (!digestHint) return { error: 'rsaEncryption without a digest algorithm' };
    return { kind: 'rsa-pkcs1', hash: digestHint };
  }
  if (oid === EC_PUBLIC_KEY) {
    if (!digestHint) return { error: 'ecPublicKey without a digest algorithm' };
    return { kind: 'ecdsa', hash: digestHint };
  }
  if (oid === ED25519 || oid === ED448) return { kind: 'eddsa', hash: null };
  if (oid === RSA_PSS) {
    // RSASSA-PSS-params: defaults are SHA-1 / MGF1-SHA-1 / salt 20 (RFC 4055).
    let hash = 'sha1';
    let saltLength = 20;
    try {
      if (alg.algorithmParams && !(alg.algorithmParams instanceof asn1js.Null)) {
        const p = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
        hash = digestNameForOid(p.hashAlgorithm.algorithmId);
        const mgfHashOid = p.maskGenAlgorithm?.algorithmParams
          ? new pkijs.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams }).algorithmId
          : DIGEST_OID_BY_NAME.sha1;
        if (digestNameForOid(mgfHashOid!) !== hash) return { error: 'RSA-PSS with an MGF1 hash different from the message hash' };
        saltLength = p.saltLength;
      }
    } catch (e) {
      return { error: `bad RSA-PSS parameters: ${(e as Error).message}` };
    }
    return { kind: 'rsa-pss', hash, saltLength };
  }
  return { error: `unsupported signature algorithm ${oid}` };
}

/** Verifies `signature` over `data` (the function hashes `data` itself). */
export function verifySignature(args: {
  algorithm: pkijs.AlgorithmIdentifier;
  digestHint?: string;
  publicKey: KeyObject;
  data: Uint8Array;
  signature: Uint8Array;
}): SignatureCheck {
  const d = describeSignatureAlgorithm(args.algorithm, args.digestHint);
  if ('error' in d) return { ok: false, error: d.error };
  if (d.hash && !isSupportedDigest(d.hash)) return { ok: false, kind: d.kind, hash: d.hash, error: `unsupported digest ${d.hash}` };
  try {
    const keyType = args.publicKey.asymmetricKeyType;
    if ((d.kind === 'rsa-pkcs1' || d.kind === 'rsa-pss') && keyType !== 'rsa' && keyType !== 'rsa-pss') {
      return { ok: false, kind: d.kind, hash: d.hash ?? undefined, error: `an RSA signature but a ${keyType} key` };
    }
    if (d.kind === 'ecdsa' && keyType !== 'ec') return { ok: false, kind: d.kind, hash: d.hash ?? undefined, error: `an ECDSA signature but a ${keyType} key` };
    const key =
      d.kind === 'rsa-pss'
        ? { key: args.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: d.saltLength }
        : d.kind === 'rsa-pkcs1'
          ? { key: args.publicKey, padding: constants.RSA_PKCS1_PADDING }
          : d.kind === 'ecdsa'
            ? { key: args.publicKey, dsaEncoding: 'der' as const }
            : args.publicKey;
    const ok = cryptoVerify(d.hash, args.data, key, args.signature);
    return { ok, kind: d.kind, hash: d.hash ?? undefined, error: ok ? undefined : 'signature does not verify' };
  } catch (e) {
    return { ok: false, kind: d.kind, hash: d.hash ?? undefined, error: `signature check failed: ${(e as Error).message}` };
  }
}

/**
 * RSA PKCS#1 v1.5 over a digest we only know (CMS without signed attributes): decrypt with the public key
 * and compare the DigestInfo. ECDSA over a bare digest is not offered by node:crypto; callers report it.
 */
export function verifyRsaPkcs1Digest(publicKey: KeyObject, hash: string, digest: Uint8Array, signature: Uint8Array): SignatureCheck {
  try {
    const decoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    const info = asn1js.fromBER(new Uint8Array(decoded));
    if (info.offset === -1) return { ok: false, kind: 'rsa-pkcs1', hash, error: 'not a DigestInfo' };
    const di = new pkijs.DigestInfo({ schema: info.result });
    const alg = digestNameForOid(di.digestAlgorithm.algorithmId);
    const ok = alg === hash && bytesEqual(di.digest.valueBlock.valueHexView, digest);
    return { ok, kind: 'rsa-pkcs1', hash, error: ok ? undefined : 'signature does not verify' };
  } catch (e) {
    return { ok: false, kind: 'rsa-pkcs1', hash, error: `signature check failed: ${(e as Error).message}` };
  }
}
