/**
 * Every algorithm a PAdES validator meets, through the real CLI: for each, a PDF signed at test time that
 * verifies (TOTAL_PASSED, with the weak ones flagged) and a tampered twin (a byte of the signed range
 * changed → HASH_FAILURE; for some also the signature value changed → SIG_CRYPTO_FAILURE).
 * `openssl cms -sign` makes the CMS wherever OpenSSL 3.0 can; the rest comes from the test-only writer in
 * cms-writer.ts, and `openssl cms -verify` confirms the EdDSA ones.
 */
import { createHash, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSignature, makeBasePdf } from '../fixtures/attacks/pdf-raw.js';
import { runKyso } from '../helpers/cli.js';
import { parseDer } from '../../src/crypto/verify-util.js';
import { checkCrl } from '../../src/crypto/crl-check.js';
import { getChainCert } from '../../src/crypto/chain-cert.js';
import { bigCrl, writeCms, writeCmsParts, type WriterOptions } from './cms-writer.js';
import { run } from './helpers.js';

let dir: string;
let files: string;
const anchors: string[] = [];

interface KeyFiles {
  key: string;
  cert: string;
  certDer: Uint8Array;
}

async function selfSigned(name: string, genpkey: string[]): Promise<KeyFiles> {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  await run('openssl', ['genpkey', ...genpkey, '-out', key]);
  await run('openssl', ['req', '-x509', '-key', key, '-out', cert, '-subj', `/O=Kyso algorithm test/CN=${name}`, '-days', '30', '-addext', 'keyUsage=critical,digitalSignature,keyCertSign']);
  const der = path.join(dir, `${name}.der`);
  await run('openssl', ['x509', '-in', cert, '-outform', 'DER', '-out', der]);
  anchors.push(cert);
  return { key, cert, certDer: new Uint8Array(await readFile(der)) };
}

async function opensslSign(k: KeyFiles, data: Buffer, args: string[]): Promise<Buffer> {
  const tmp = await mkdtemp(path.join(dir, 'cms-'));
  await writeFile(path.join(tmp, 'in'), data);
  await run('openssl', ['cms', '-sign', '-binary', '-cades', '-nosmimecap', '-in', path.join(tmp, 'in'), '-signer', k.cert, '-inkey', k.key, '-outform', 'DER', '-out', path.join(tmp, 'out'), ...args]);
  return readFile(path.join(tmp, 'out'));
}

interface Case {
  name: string;
  /** Produces the CMS (or the adbe.x509.rsa_sha1 value) for the signed bytes. */
  make: (signed: Buffer, corrupt: boolean) => Promise<Buffer>;
  subFilter?: string;
  sigDict?: Record<string, string>;
  warnings?: string[];
  /** The twin with a corrupted signature value is made too (SIG_CRYPTO_FAILURE). */
  forgedTwin?: boolean;
  /** openssl cms -verify confirms it. */
}

const cases: Case[] = [];
const keys: Record<string, KeyFiles> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-alg-'));
  files = path.join(dir, 'pdfs');
  await mkdir(files);
  const gen: Record<string, string[]> = {
    rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    bp256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1'],
    bp384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP384r1'],
    ed25519: ['-algorithm', 'ED25519'],
    ed448: ['-algorithm', 'ED448'],
  };
  await Promise.all(Object.entries(gen).map(async ([n, g]) => (keys[n] = await selfSigned(n, g))));
  const dsaParams = path.join(dir, 'dsa.params');
  await run('openssl', ['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-pkeyopt', 'dsa_paramgen_q_bits:256', '-out', dsaParams]);
  keys.dsa = await selfSigned('dsa', ['-paramfile', dsaParams]);

  const ossl = (k: string, args: string[]) => (signed: Buffer) => opensslSign(keys[k]!, signed, args);
  const writer =
    (k: string, o: Omit<WriterOptions, 'certDer' | 'key' | 'content'>) =>
    async (signed: Buffer, corrupt: boolean) =>
      writeCms({ ...o, certDer: keys[k]!.certDer, key: createPrivateKey(await readFile(keys[k]!.key)), content: signed, corruptSignature: corrupt });
  const flip = (der: Buffer) => {
    const out = Buffer.from(der);
    out[out.length - 5] ^= 0x01;
    return out;
  };
  const flipping = (f: (s: Buffer) => Promise<Buffer>) => async (s: Buffer, corrupt: boolean) => (corrupt ? flip(await f(s)) : f(s));
  cases.push(
    { name: 'rsa-sha256', make: flipping(ossl('rsa', ['-md', 'sha256'])), forgedTwin: true },
    { name: 'rsa-sha3-256', make: flipping(ossl('rsa', ['-md', 'sha3-256'])) },
    { name: 'rsa-sha3-512', make: flipping(ossl('rsa', ['-md', 'sha3-512'])) },
    { name: 'rsa-pss-sha256-mgf1-sha512', make: flipping(ossl('rsa', ['-md', 'sha256', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_mgf1_md:sha512'])), forgedTwin: true },
    { name: 'rsa-pss-sha384', make: flipping(ossl('rsa', ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss'])) },
    { name: 'rsa-sha1', make: flipping(ossl('rsa', ['-md', 'sha1'])), warnings: ['WEAK_DIGEST'] },
    { name: 'ecdsa-p256-sha256', make: flipping(ossl('p256', ['-md', 'sha256'])) },
    { name: 'ecdsa-p384-sha384', make: flipping(ossl('p384', ['-md', 'sha384'])) },
    { name: 'ecdsa-brainpoolP256r1-sha256', make: flipping(ossl('bp256', ['-md', 'sha256'])), forgedTwin: true },
    { name: 'ecdsa-brainpoolP384r1-sha384', make: flipping(ossl('bp384', ['-md', 'sha384'])) },
    { name: 'dsa-sha256', make: flipping(ossl('dsa', ['-md', 'sha256'])), warnings: ['WEAK_SIGNATURE_ALGORITHM'] },
    { name: 'ed25519', make: writer('ed25519', { digest: 'sha512', sigOid: '1.3.101.112', sigHash: null }), forgedTwin: true },
    { name: 'ed448', make: writer('ed448', { digest: 'shake256', sigOid: '1.3.101.113', sigHash: null }), forgedTwin: true },
    { name: 'ecdsa-p256-sha3-256', make: writer('p256', { digest: 'sha3-256', sigOid: '2.16.840.1.101.3.4.3.10', sigHash: 'sha3-256', dsaEncoding: 'der' }), forgedTwin: true },
    { name: 'ecdsa-plain-p256-sha256', make: writer('p256', { digest: 'sha256', sigOid: '0.4.0.127.0.7.1.1.4.1.3', sigHash: 'sha256', dsaEncoding: 'ieee-p1363' }), forgedTwin: true },
    { name: 'ecdsa-plain-bp384-sha3-384', make: writer('bp384', { digest: 'sha3-384', sigOid: '0.4.0.127.0.7.1.1.4.1.10', sigHash: 'sha3-384', dsaEncoding: 'ieee-p1363' }) },
    { name: 'dsa-sha3-256', make: writer('dsa', { digest: 'sha3-256', sigOid: '2.16.840.1.101.3.4.3.6', sigHash: 'sha3-256', dsaEncoding: 'der' }), warnings: ['WEAK_SIGNATURE_ALGORITHM'] },
    {
      name: 'non-der-signed-attributes',
      make: writer('rsa', { digest: 'sha256', sigOid: '1.2.840.113549.1.1.11', sigHash: 'sha256', nonDerOrder: true }),
      warnings: ['SIGNED_ATTRS_NOT_DER'],
    },
    {
      name: 'adbe.pkcs7.sha1',
      subFilter: 'adbe.pkcs7.sha1',
      // The CMS encapsulates the SHA-1 of the ranges (not detached) and signs it.
      make: async (signed) => {
        const tmp = await mkdtemp(path.join(dir, 'sha1-'));
        await writeFile(path.join(tmp, 'in'), createHash('sha1').update(signed).digest());
        const k = keys.rsa!;
        await run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-md', 'sha256', '-in', path.join(tmp, 'in'), '-signer', k.cert, '-inkey', k.key, '-outform', 'DER', '-out', path.join(tmp, 'out')]);
        return readFile(path.join(tmp, 'out'));
      },
      warnings: [],
    },
    {
      name: 'adbe.x509.rsa_sha1',
      subFilter: 'adbe.x509.rsa_sha1',
      make: async (signed, corrupt) => {
        const sig = cryptoSign('sha1', signed, createPrivateKey(await readFile(keys.rsa!.key)));
        if (corrupt) sig[10] ^= 0x01;
        const len = sig.length;
        return Buffer.concat([Buffer.from([0x04, 0x82, len >> 8, len & 0xff]), sig]);
      },
      warnings: ['WEAK_DIGEST'],
      forgedTwin: true,
    },
  );
  // adbe.x509.rsa_sha1 carries its certificate in /Cert.
  cases.find((c) => c.name === 'adbe.x509.rsa_sha1')!.sigDict = { Cert: `<${Buffer.from(keys.rsa!.certDer).toString('hex')}>` };

  const base = await makeBasePdf({ text: 'Kiem tra thuat toan' });
  for (const c of cases) {
    for (const variant of ['good', 'forged'] as const) {
      if (variant === 'forged' && !c.forgedTwin) continue;
      const pdf = await addSignature(Buffer.from(base), {
        signer: { cert: keys.rsa!.cert, key: keys.rsa!.key } as never,
        fieldName: 'Sig',
        subFilter: c.subFilter,
        sigDictOverride: c.sigDict,
        contentsBytes: 12_000,
        cmsProducer: (signed) => c.make(signed, variant === 'forged'),
      });
      await writeFile(path.join(files, `${c.name}.${variant}.pdf`), pdf);
      if (variant === 'good') {
        // The tampered twin: one byte of the signed range changed (the header's version digit).
        const t = Buffer.from(pdf);
        t[7] = t[7] === 0x37 ? 0x36 : 0x37;
        await writeFile(path.join(files, `${c.name}.tampered.pdf`), t);
      }
    }
  }
}, 240_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Sig {
  indication: string;
  subIndication: string | null;
  warnings: Array<{ code: string }>;
  problems: Array<{ code: string }>;
}

describe('every algorithm', { timeout: 240_000 }, () => {
  it('each signed file verifies, each tampered twin fails with the right sub-indication', async () => {
    const v = await runKyso(['verify', files, '--json', '--no-default-trust', '--revocation', 'off', ...anchors.flatMap((a) => ['--trust', a])], { timeoutMs: 120_000 });
    const got = new Map<string, Sig>();
    for (const f of JSON.parse(v.stdout).result.files as Array<{ file: string; signatures: Sig[] }>) got.set(path.basename(f.file), f.signatures[0]!);
    const wrong: string[] = [];
    for (const c of cases) {
      const good = got.get(`${c.name}.good.pdf`);
      if (good?.indication !== 'TOTAL_PASSED') wrong.push(`${c.name}: ${good?.indication}/${good?.subIndication} ${JSON.stringify(good?.problems)}`);
      for (const w of c.warnings ?? []) if (!good?.warnings.some((x) => x.code === w)) wrong.push(`${c.name}: no ${w} warning`);
      const tampered = got.get(`${c.name}.tampered.pdf`);
      if (tampered?.indication !== 'TOTAL_FAILED' || tampered.subIndication !== 'HASH_FAILURE') wrong.push(`${c.name} tampered: ${tampered?.indication}/${tampered?.subIndication}`);
      if (c.forgedTwin) {
        const forged = got.get(`${c.name}.forged.pdf`);
        if (forged?.indication !== 'TOTAL_FAILED' || forged.subIndication !== 'SIG_CRYPTO_FAILURE') wrong.push(`${c.name} forged: ${forged?.indication}/${forged?.subIndication}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(got.size).toBe(cases.length * 2 + cases.filter((c) => c.forgedTwin).length);
  });

  it('openssl confirms the signature values the test writer makes (OpenSSL 3.0 has no EdDSA or SHA-3 ECDSA in CMS)', async () => {
    const checks: Array<[string, Omit<WriterOptions, 'certDer' | 'key' | 'content'>, string[]]> = [
      ['ed25519', { digest: 'sha512', sigOid: '1.3.101.112', sigHash: null }, ['-rawin']],
      ['ed448', { digest: 'shake256', sigOid: '1.3.101.113', sigHash: null }, ['-rawin']],
      ['p256', { digest: 'sha3-256', sigOid: '2.16.840.1.101.3.4.3.10', sigHash: 'sha3-256', dsaEncoding: 'der' }, ['-rawin', '-digest', 'sha3-256']],
    ];
    for (const [k, o, args] of checks) {
      const parts = writeCmsParts({ ...o, certDer: keys[k]!.certDer, key: createPrivateKey(await readFile(keys[k]!.key)), content: Buffer.from('confirm') });
      const tmp = await mkdtemp(path.join(dir, 'ver-'));
      await writeFile(path.join(tmp, 'attrs'), parts.signedAttrs);
      await writeFile(path.join(tmp, 'sig'), parts.signature);
      const r = await run('openssl', ['pkeyutl', '-verify', '-certin', '-inkey', keys[k]!.cert, '-in', path.join(tmp, 'attrs'), '-sigfile', path.join(tmp, 'sig'), ...args]);
      expect(r.stdout, k).toMatch(/Signature Verified Successfully/);
      // and the CMS is well-formed DER for OpenSSL's parser
      await writeFile(path.join(tmp, 'cms'), parts.cms);
      await run('openssl', ['asn1parse', '-inform', 'DER', '-in', path.join(tmp, 'cms')]);
    }
  });

  it('a CRL of 50,000 entries parses (ASN.1 limits are on bytes, not node count) and a CMS carrying it verifies', async () => {
    const k = keys.rsa!;
    const crl = bigCrl(k.certDer, createPrivateKey(await readFile(k.key)), 50_000);
    expect(() => parseDer(crl, 'CRL')).not.toThrow();
    const cert = getChainCert(k.certDer);
    const st = checkCrl(crl, cert, cert, { now: new Date(), requireFresh: true });
    expect(st?.status).toBe('good');
    const base = await makeBasePdf({});
    const pdf = await addSignature(base, {
      signer: { cert: k.cert, key: k.key } as never,
      fieldName: 'Sig',
      contentsBytes: crl.length + 8192,
      cmsProducer: async (signed) =>
        writeCms({ certDer: k.certDer, key: createPrivateKey(await readFile(k.key)), content: signed, digest: 'sha256', sigOid: '1.2.840.113549.1.1.11', sigHash: 'sha256', crls: [crl] }),
    });
    const file = path.join(dir, 'big-crl.pdf');
    await writeFile(file, pdf);
    const v = await runKyso(['verify', file, '--json', '--no-default-trust', '--trust', k.cert, '--revocation', 'hard'], { timeoutMs: 120_000 });
    const sig = JSON.parse(v.stdout).result.files[0].signatures[0] as Sig;
    expect(sig.indication, JSON.stringify(sig.problems)).toBe('TOTAL_PASSED');
  });
});
