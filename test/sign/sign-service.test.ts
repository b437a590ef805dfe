/**
 * The sign service called directly (effects injected): the batch stops on a credentials error (a token
 * pulled out mid-batch) and reports the files done; a CMS larger than the reserved /Contents (a TSA with a
 * long chain) is re-prepared with more room instead of failing.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialError, msg } from '../../src/core/errors.js';
import { openPkcs12Signer } from '../../src/crypto/pkcs12-signer.js';
import { signatureTimestampOf } from '../../src/crypto/cades.js';
import type { Signer } from '../../src/crypto/signer.js';
import { isFailed, signDocuments, type SignDocumentsDeps } from '../../src/services/sign-document.js';
import { makeSamplePdfs, VALID_SAMPLES, type SampleName } from '../fixtures/make-pdfs.js';
import { getPki } from '../helpers/pki.js';
import { listFiles, tempFilesIn } from './helpers.js';
import { extractSignatures, judge } from './validators.js';

const pki = getPki();
let dir: string;
let samples: Record<SampleName, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kyso-sign-service-'));
  await mkdir(path.join(dir, 'samples'));
  samples = await makeSamplePdfs(path.join(dir, 'samples'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function deps(signer: Signer, extra: Partial<SignDocumentsDeps> = {}): SignDocumentsDeps & { closed: () => boolean } {
  let closed = false;
  return {
    openSigner: async () => ({ ...signer, signDigest: signer.signDigest.bind(signer), close: async () => void (closed = true) }),
    now: () => new Date(),
    warn: () => {},
    onInterrupt: () => () => {},
    closed: () => closed,
    ...extra,
  };
}

describe('sign service', () => {
  it('stops the batch on a credentials error: done files kept, the current one not written, the rest skipped', async () => {
    const src = path.join(dir, 'batch');
    const out = path.join(dir, 'batch-out');
    await mkdir(src);
    await mkdir(out);
    for (const n of ['1', '2', '3', '4']) await copyFile(samples.simple, path.join(src, `${n}.pdf`));
    const real = await openPkcs12Signer(pki.leaves['leader-rsa'].p12, pki.password);
    let calls = 0;
    const flaky: Signer = {
      ...real,
      async signDigest(req) {
        if (++calls === 3) throw credentialError('PKCS11_TOKEN_REMOVED', msg('token T: the token was removed', 'token T: token đã bị rút ra'));
        return real.signDigest(req);
      },
      close: real.close,
    };
    const d = deps(flaky);
    const r = await signDocuments({ inputs: [src], cwd: dir, outDir: out }, d);
    expect(r.files.map((f) => (isFailed(f) ? f.error.code : 'ok'))).toEqual(['ok', 'ok', 'PKCS11_TOKEN_REMOVED', 'BATCH_STOPPED']);
    expect(r.files.filter(isFailed).every((f) => f.error.category === 'credentials')).toBe(true);
    expect(await listFiles(out)).toEqual(['1.pdf', '2.pdf']);
    expect(await tempFilesIn(out)).toEqual([]);
    expect(d.closed()).toBe(true);
  });

  it('a time-stamp token bigger than the estimate: the document is prepared again with more room', async () => {
    const real = await openPkcs12Signer(pki.leaves['org-rsa'].p12, pki.password);
    const { requestTimestamp } = await import('../../src/crypto/timestamp-client.js');
    const input = path.join(dir, 'big-token.pdf');
    await copyFile(samples.objstm, input);
    const output = path.join(dir, 'big-token.signed.pdf');
    let tokenSize = 0;
    const r = await signDocuments(
      { inputs: [input], cwd: dir, output, level: 'B-T', tsa: [pki.urls.tsa] },
      deps(real, {
        timestamp: async (imprint, hash) => {
          const tok = await requestTimestamp(pki.urls.tsa, imprint, hash);
          // a token carrying 40 KB more (as a TSA with a long chain and CRLs would): append a big OCTET STRING
          // after the ContentInfo's content inside the outer SEQUENCE, which CMS parsers skip
          const asn = asn1js.fromBER(tok.buffer.slice(tok.byteOffset, tok.byteOffset + tok.byteLength) as ArrayBuffer);
          const seq = asn.result as asn1js.Sequence;
          seq.valueBlock.value.push(new asn1js.OctetString({ valueHex: new Uint8Array(40_000).buffer }));
          const big = new Uint8Array(seq.toBER(false));
          tokenSize = big.length;
          return big;
        },
      }),
    );
    expect(r.files.map((f) => (isFailed(f) ? f.error.code : 'ok'))).toEqual(['ok']);
    expect(tokenSize).toBeGreaterThan(40_000);
    const [sig] = await extractSignatures(output);
    expect(signatureTimestampOf(sig!.der)!.length).toBe(tokenSize);
    expect(await judge(output, { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
    expect(existsSync(output)).toBe(true);
    expect((await tempFilesIn(dir)).filter((f) => f.includes('big-token'))).toEqual([]);
  });

  it('a small document is signed in memory with exactly the bytes of the streaming path, for every sample shape', async () => {
    const real = await openPkcs12Signer(pki.leaves['leader-rsa'].p12, pki.password);
    const at = new Date('2026-12-01T03:04:05Z');
    const out = path.join(dir, 'in-memory');
    await mkdir(out);
    for (const name of VALID_SAMPLES) {
      const files: Record<string, Buffer> = {};
      for (const [how, inMemoryUpTo] of [['memory', undefined], ['stream', 0]] as const) {
        const output = path.join(out, `${name}-${how}.pdf`);
        const r = await signDocuments({ inputs: [samples[name]], cwd: dir, output, inMemoryUpTo }, deps(real, { now: () => at }));
        expect(r.files.map((f) => (isFailed(f) ? f.error.code : 'ok')), name).toEqual(['ok']);
        files[how] = await readFile(output);
      }
      expect(files.memory!.equals(files.stream!), name).toBe(true);
      expect(await judge(path.join(out, `${name}-memory.pdf`), { nssDir: pki.nssDir, rootPem: pki.root.cert, expectSignatures: 1 })).toEqual([]);
    }
    expect(await tempFilesIn(out)).toEqual([]);
  });
});
