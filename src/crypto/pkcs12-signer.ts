/**
 * Signer backed by a PKCS#12 / PFX file. Modern files (PBES2/AES, SHA-2 MAC) are opened natively
 * (pkcs12-native.ts); others go to node-forge, loaded only then (node:crypto cannot open legacy RC2/3DES
 * files at all). node:crypto holds the key and signs (forge has no ECDSA and returns a null key for EC
 * bags: we hand the decrypted PKCS#8 bytes to node:crypto instead).
 */
import { X509Certificate, createPrivateKey, createPublicKey, sign as cryptoSign, constants, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type forgeNs from 'node-forge';
import { credentialError, inputError, isKysoError, msg, usageError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/types.js';
import type { KeyAlgorithm, SignRequest, Signer } from './signer.js';
import { curveBits, orderChain } from './der-cert.js';
import { openPkcs12Native } from './pkcs12-native.js';

const HASH_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

interface Bag {
  type: string;
  key?: forgeNs.pki.PrivateKey | null;
  cert?: forgeNs.pki.Certificate | null;
  asn1?: forgeNs.asn1.Asn1;
}

/**
 * The passphrase as typed, then its NFC and NFD forms when they differ: a Vietnamese passphrase typed on
 * one system (precomposed "ệ") and set on another (decomposed "ê" + dot below) is the same text to the clerk.
 */
async function openWithVariants(data: Buffer, passphrase: string, malformed: (cause?: unknown) => Error, badPassword: () => Error): Promise<{ keys: KeyObject[]; certs: Uint8Array[] }> {
  const variants = [...new Set([passphrase, passphrase.normalize('NFC'), passphrase.normalize('NFD')])];
  for (let i = 0; ; i++) {
    const last = i === variants.length - 1;
    const native = openPkcs12Native(data, variants[i]!);
    if (native === 'bad-password') {
      if (last) throw badPassword();
      continue;
    }
    if (native) return native;
    try {
      return await openWithForge(data, variants[i]!, malformed, badPassword);
    } catch (e) {
      if (last || !(isKysoError(e) && e.code === 'P12_BAD_PASSWORD')) throw e;
    }
  }
}

export async function openPkcs12Signer(file: string, passphrase: string): Promise<Signer> {
  const name = basename(file);
  let data: Buffer;
  try {
    data = readFileSync(file); // a small local file: in place, not a thread-pool round trip (issue 16)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw inputError('INPUT_NOT_FOUND', msg(`${file}: file not found`, `${file}: không tìm thấy tệp`), { cause: e });
    throw inputError('INPUT_UNREADABLE', msg(`${file}: cannot read the file`, `${file}: không đọc được tệp`), { cause: e });
  }
  const malformed = (cause?: unknown) =>
    inputError('P12_MALFORMED', msg(`${file}: not a PKCS#12 (.p12/.pfx) file`, `${file}: không phải tệp PKCS#12 (.p12/.pfx)`), { cause });

  const badPassword = () =>
    credentialError('P12_BAD_PASSWORD', msg(`${file}: wrong passphrase`, `${file}: sai mật khẩu`), {
      hint: msg('Check KYSO_P12_PASSWORD or the --passphrase-file.', 'Hãy kiểm tra KYSO_P12_PASSWORD hoặc tệp --passphrase-file.'),
    });
  const { keys, certs } = await openWithVariants(data, passphrase, malformed, badPassword);
  if (keys.length === 0) {
    throw credentialError('P12_NO_KEY', msg(`${file}: the file holds no private key (only certificates)`, `${file}: tệp không chứa khóa bí mật (chỉ có chứng thư số)`), {
      hint: msg('Export the PKCS#12 again together with its private key.', 'Hãy xuất lại tệp PKCS#12 kèm khóa bí mật.'),
    });
  }
  // The signer's certificate is the one whose public key matches a private key in the file.
  let key: KeyObject | undefined;
  let leaf: Uint8Array | undefined;
  for (const k of keys) {
    const spki = createPublicKey(k).export({ format: 'der', type: 'spki' });
    for (const c of certs) {
      let certSpki: Buffer;
      try {
        certSpki = new X509Certificate(Buffer.from(c)).publicKey.export({ format: 'der', type: 'spki' });
      } catch {
        continue;
      }
      if (certSpki.equals(spki)) {
        key = k;
        leaf = c;
        break;
      }
    }
    if (key) break;
  }
  if (!key || !leaf) {
    throw credentialError(
      'P12_NO_CERT',
      msg(`${file}: no certificate in the file matches its private key`, `${file}: không có chứng thư số nào trong tệp khớp với khóa bí mật`),
    );
  }
  const chain = orderChain(
    leaf,
    certs.filter((c) => c !== leaf),
  );
  const keyType = key.asymmetricKeyType;
  const keyAlgorithm: KeyAlgorithm = keyType === 'ec' ? 'ec' : 'rsa';
  if (keyType !== 'ec' && keyType !== 'rsa') {
    throw credentialError('P12_KEY_UNSUPPORTED', msg(`${file}: unsupported key type ${keyType}`, `${file}: loại khóa ${keyType} không được hỗ trợ`));
  }
  const det = key.asymmetricKeyDetails ?? {};
  const keyBits = keyAlgorithm === 'rsa' ? (det.modulusLength ?? 0) : (curveBits(det.namedCurve ?? '') ?? 0);

  let live: KeyObject | null = key;
  return {
    certificate: leaf,
    chain,
    keyAlgorithm,
    keyBits,
    description: name,
    async signDigest(req: SignRequest): Promise<Uint8Array> {
      if (!live) throw new Error('signer closed');
      if ((req.scheme === 'ecdsa') !== (keyAlgorithm === 'ec')) {
        throw usageError(
          'SCHEME_KEY_MISMATCH',
          msg(`${name}: signature scheme ${req.scheme} does not fit a ${keyAlgorithm.toUpperCase()} key`, `${name}: kiểu chữ ký ${req.scheme} không phù hợp với khóa ${keyAlgorithm.toUpperCase()}`),
        );
      }
      if (req.scheme === 'ecdsa') return new Uint8Array(cryptoSign(req.hash, req.data, { key: live, dsaEncoding: 'der' }));
      if (req.scheme === 'rsa-pss') {
        return new Uint8Array(
          cryptoSign(req.hash, req.data, { key: live, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[req.hash] }),
        );
      }
      return new Uint8Array(cryptoSign(req.hash, req.data, { key: live, padding: constants.RSA_PKCS1_PADDING }));
    },
    async close() {
      live = null;
    },
  };
}

/** Legacy and unusual files: node-forge decrypts; keys go to node:crypto. */
async function openWithForge(
  data: Buffer,
  passphrase: string,
  malformed: (cause?: unknown) => Error,
  badPassword: () => Error,
): Promise<{ keys: KeyObject[]; certs: Uint8Array[] }> {
  const forge = (await import('node-forge')).default;
  const derOf = (a: forgeNs.asn1.Asn1) => new Uint8Array(Buffer.from(forge.asn1.toDer(a).getBytes(), 'binary'));
  let p12: forgeNs.pkcs12.Pkcs12Pfx;
  let outer: forgeNs.asn1.Asn1;
  try {
    outer = forge.asn1.fromDer(forge.util.createBuffer(data.toString('binary')), { strict: false } as never);
  } catch (e) {
    throw malformed(e);
  }
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(outer, false, passphrase);
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    if (/MAC could not be verified|Invalid password|wrong password|Unable to decrypt/i.test(m)) throw badPassword();
    throw malformed(e);
  }
  const bags: Bag[] = [];
  for (const sc of p12.safeContents) for (const b of sc.safeBags) bags.push(b as unknown as Bag);
  const certs: Uint8Array[] = [];
  for (const b of bags) {
    if (b.type !== forge.pki.oids.certBag) continue;
    // forge keeps the parsed tbsCertificate, so re-encoding reproduces the original DER (checked in tests).
    if (b.cert) certs.push(derOf(forge.pki.certificateToAsn1(b.cert)));
    else if (b.asn1) certs.push(derOf(b.asn1));
  }
  const keys: KeyObject[] = [];
  for (const b of bags) {
    if (b.type !== forge.pki.oids.pkcs8ShroudedKeyBag && b.type !== forge.pki.oids.keyBag) continue;
    try {
      if (b.key) {
        const pkcs1 = derOf(forge.pki.privateKeyToAsn1(b.key as forgeNs.pki.rsa.PrivateKey));
        keys.push(createPrivateKey({ key: Buffer.from(pkcs1), format: 'der', type: 'pkcs1' }));
      } else if (b.asn1) {
        keys.push(createPrivateKey({ key: Buffer.from(derOf(b.asn1)), format: 'der', type: 'pkcs8' }));
      }
    } catch (e) {
      throw malformed(e);
    }
  }
  return { keys, certs };
}
