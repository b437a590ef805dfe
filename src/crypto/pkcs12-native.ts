/**
 * Opens modern PKCS#12 files (OpenSSL 3 default: PBES2 = PBKDF2 + AES-CBC, HMAC-SHA-2 MAC) with a few lines of
 * DER (der.ts) and node:crypto only. node-forge opens every kind of file but costs 0.15-0.3 s per start (loading it, then its
 * pure-JS PKCS#12 key derivation), a third of `kyso sign`'s start-up; node:crypto cannot read a PFX at all.
 * Anything else (legacy RC2/3DES PBEs, unusual layouts) returns undefined and the caller uses forge.
 * RFC 7292 (PKCS#12) and RFC 8018 (PBES2).
 */
import { createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { sha256Iterate } from './sha256-iterate.js';
import { TAG, children, isUniversal, oidString, readRoot, smallInt, value, whole, type Tlv } from './der.js';

const O = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
};
const HASHES: Record<string, { name: string; v: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', v: 128 },
};
const PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, { name: string; keyLen: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLen: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLen: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLen: 32 },
};

/** The file is not of the kind this reader handles: use forge. */
class Unsupported extends Error {}

export interface NativePkcs12 {
  keys: KeyObject[];
  certs: Uint8Array[];
}

export type NativeResult = NativePkcs12 | 'bad-password' | undefined;

/** A DER value inside `buf` (every helper below works on such a node). */
interface Node {
  buf: Uint8Array;
  t: Tlv;
}

function parse(der: Uint8Array): Node {
  try {
    return { buf: der, t: readRoot(der) };
  } catch {
    throw new Unsupported('not DER'); // BER with indefinite lengths (some exporters): forge reads it
  }
}
const kids = (n: Node | undefined): Node[] => {
  if (!n || !n.t.constructed) throw new Unsupported('expected a constructed value');
  return children(n.buf, n.t).map((t) => ({ buf: n.buf, t }));
};
const oidOf = (n: Node | undefined): string => {
  if (!n || !isUniversal(n.t, TAG.oid)) throw new Unsupported('expected an OID');
  return oidString(n.buf, n.t);
};
/** Content octets of an OCTET STRING, or of any primitive value (also a constructed one, as BER allows). */
function octets(n: Node | undefined): Buffer {
  if (!n) throw new Unsupported('missing OCTET STRING');
  if (n.t.constructed) return Buffer.concat(kids(n).map((x) => octets(x)));
  return Buffer.from(value(n.buf, n.t));
}
const intOf = (n: Node | undefined): number => {
  if (!n || !isUniversal(n.t, TAG.integer)) throw new Unsupported('expected an INTEGER');
  return smallInt(n.buf, n.t);
};
const isSequence = (n: Node) => isUniversal(n.t, TAG.sequence);

/** RFC 7292 appendix B.2 key derivation (used here for the MAC key, ID 3). */
export function pkcs12Kdf(password: string, salt: Buffer, id: number, iterations: number, hash: string, v: number, n: number): Buffer {
  const pw = password === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const fill = (src: Buffer) => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(pw)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  let have = 0;
  while (have < n) {
    let A = createHash(hash).update(D).update(I).digest();
    // SHA-256 (OpenSSL 3's MAC): all rounds in one WebAssembly call (sha256-iterate.ts, issue 16). Otherwise
    // each round copies one fresh context instead of creating a Hash, which makes OpenSSL 3 look the digest
    // up again: 2,048 lookups were most of the time to open a PKCS#12
    const iterated = hash === 'sha256' && iterations > 1 ? sha256Iterate(A, iterations - 1) : undefined;
    if (iterated) A = iterated;
    else {
      const fresh = createHash(hash);
      for (let r = 1; r < iterations; r++) A = fresh.copy().update(A).digest();
    }
    out.push(A);
    have += A.length;
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % A.length]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k]! + B[k]! + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

/** PBES2 (PBKDF2 + AES-CBC) decryption; other schemes are Unsupported. */
function pbes2Decrypt(algId: Node, data: Buffer, password: string): Buffer {
  const [oid, params] = kids(algId);
  if (oidOf(oid) !== O.pbes2) throw new Unsupported('not PBES2');
  const [kdf, enc] = kids(params);
  const [kdfOid, kdfParams] = kids(kdf);
  if (oidOf(kdfOid) !== O.pbkdf2) throw new Unsupported('not PBKDF2');
  const kp = kids(kdfParams);
  const salt = octets(kp[0]);
  const iterations = intOf(kp[1]);
  let prf = 'sha1';
  for (const x of kp.slice(2)) if (isSequence(x)) prf = PRF[oidOf(kids(x)[0])] ?? '';
  if (!prf) throw new Unsupported('unknown PBKDF2 PRF');
  const [encOid, iv] = kids(enc);
  const cipher = CIPHERS[oidOf(encOid)];
  if (!cipher) throw new Unsupported('unknown cipher');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLen, prf);
  const d = createDecipheriv(cipher.name, key, octets(iv));
  return Buffer.concat([d.update(data), d.final()]);
}

/**
 * Returns the keys and certificates, 'bad-password' when the MAC does not verify, or undefined when the
 * file needs forge (legacy encryption, no MAC, anything unexpected).
 */
export function openPkcs12Native(der: Uint8Array, password: string): NativeResult {
  try {
    const pfx = kids(parse(der));
    if (intOf(pfx[0]) !== 3) throw new Unsupported('version');
    const [ctype, ctent] = kids(pfx[1]);
    if (oidOf(ctype) !== O.data) throw new Unsupported('authSafe is not data');
    const authSafe = octets(kids(ctent)[0]);
    // MAC (integrity mode with a password): required here, so a wrong password is always detected
    if (!pfx[2]) throw new Unsupported('no MAC');
    const [digestInfo, macSalt, iter] = kids(pfx[2]);
    const [macAlg, macValue] = kids(digestInfo);
    const h = HASHES[oidOf(kids(macAlg)[0])];
    if (!h) throw new Unsupported('MAC hash');
    const iterations = iter ? intOf(iter) : 1;
    const hlen = createHash(h.name).digest().length;
    const macKey = pkcs12Kdf(password, octets(macSalt), 3, iterations, h.name, h.v, hlen);
    const mac = createHmac(h.name, macKey).update(authSafe).digest();
    const want = octets(macValue);
    if (want.length !== mac.length || !timingSafeEqual(want, mac)) return 'bad-password';

    const keys: KeyObject[] = [];
    const certs: Uint8Array[] = [];
    for (const ci of kids(parse(new Uint8Array(authSafe)))) {
      const [t, content] = kids(ci);
      let safeContents: Buffer;
      if (oidOf(t) === O.data) safeContents = octets(kids(content)[0]);
      else if (oidOf(t) === O.encryptedData) {
        const ed = kids(kids(content)[0]);
        const eci = kids(ed[1]);
        const encrypted = eci[2];
        if (!encrypted) throw new Unsupported('no encrypted content');
        // [0] IMPLICIT OCTET STRING: primitive (or constructed) context tag
        const raw = octets(encrypted);
        safeContents = pbes2Decrypt(eci[1]!, raw, password);
      } else throw new Unsupported('unknown content type');
      for (const bag of kids(parse(new Uint8Array(safeContents)))) {
        const [bagId, bagValue] = kids(bag);
        const content = kids(bagValue)[0]!;
        const id = oidOf(bagId);
        if (id === O.certBag) {
          const [certType, certValue] = kids(content);
          if (oidOf(certType) === O.x509Certificate) certs.push(new Uint8Array(octets(kids(certValue)[0])));
        } else if (id === O.shroudedKeyBag) {
          const [alg, enc] = kids(content);
          const pkcs8 = pbes2Decrypt(alg!, octets(enc), password);
          keys.push(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
        } else if (id === O.keyBag) {
          keys.push(createPrivateKey({ key: Buffer.from(whole(content.buf, content.t)), format: 'der', type: 'pkcs8' }));
        }
      }
    }
    return { keys, certs };
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    return undefined; // anything surprising: let forge have a go and report its own error
  }
}
