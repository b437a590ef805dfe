import type { HashAlgorithm } from '../core/types.js';

export type KeyAlgorithm = 'rsa' | 'ec';
export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';

export interface SignRequest {
  /** DER of what is signed: the CMS signed attributes encoded as a SET (small, a few hundred bytes). */
  data: Uint8Array;
  /** hash(data) with `hash`, for signers that only sign digests (tokens). */
  digest: Uint8Array;
  hash: HashAlgorithm;
  scheme: SignatureScheme;
}

/**
 * A signing key and its certificate. PKCS#12 files and PKCS#11 tokens are two implementations; keys stay
 * opaque (a token's key never leaves it). One Signer may sign many documents (one login for a batch).
 */
export interface Signer {
  /** DER of the signer's certificate. */
  readonly certificate: Uint8Array;
  /** DER of the other certificates up to (and ideally including) the root, nearest issuer first. */
  readonly chain: Uint8Array[];
  readonly keyAlgorithm: KeyAlgorithm;
  /** RSA modulus bits or EC curve size in bits. */
  readonly keyBits: number;
  /** Shown to people: "lanh-dao.p12", "token VNPT-CA 5440…/key 01". */
  readonly description: string;
  /** RSA: the raw signature value; ECDSA: the DER Ecdsa-Sig-Value SEQUENCE { r, s }. */
  signDigest(req: SignRequest): Promise<Uint8Array>;
  /** Releases the key (C_Logout/C_CloseSession for tokens). Safe to call twice. */
  close(): Promise<void>;
}
