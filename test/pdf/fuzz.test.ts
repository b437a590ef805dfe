import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFRawStream, PDFRef } from '../../src/pdf/pdf-lib.js';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { isKysoError } from '../../src/core/errors.js';
import { bufferSource } from '../../src/pdf/byte-source.js';
import { PdfReader } from '../../src/pdf/reader.js';
import { makeSamplePdfs, type SampleName } from '../fixtures/make-pdfs.js';

/** Mutated samples: every failure must be a KysoError (never a TypeError / stack overflow), and quick. */
let dir: string;
let samples: Record<SampleName, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-pdf-fuzz-'));
  samples = await makeSamplePdfs(dir);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function exercise(buf: Buffer): Promise<void> {
  const r = await PdfReader.open(bufferSource(buf), { maxStreamBytes: 8 * 1024 * 1024 });
  await r.pages();
  await r.signatureFields();
  await r.docMdpPermission();
  for (const n of r.objectNumbers().slice(0, 200)) {
    const o = await r.getObject(PDFRef.of(n, 0));
    if (o instanceof PDFRawStream) {
      try {
        await r.decodeStream(o);
      } catch (e) {
        if (!isKysoError(e)) throw e;
      }
    }
  }
  for (let i = 0; i < r.revisions.length; i++) await r.atRevision(i).catalog();
}

describe('fuzz', () => {
  for (const name of ['simple', 'objstm', 'qpdf-objstm', 'linearized', 'acroform'] as const) {
    it(`${name}: 60 mutations`, async () => {
      const orig = await readFile(samples[name]);
      const rand = rng(name.length * 7919);
      for (let k = 0; k < 60; k++) {
        const b = Buffer.from(orig);
        const kind = k % 4;
        const count = 1 + Math.floor(rand() * 20);
        for (let j = 0; j < count; j++) {
          // bias towards the structure at the end (xref, trailer) and the first objects
          const at = rand() < 0.5 ? b.length - 1 - Math.floor(rand() * Math.min(b.length, 3000)) : Math.floor(rand() * b.length);
          if (kind === 0) b[at] = Math.floor(rand() * 256);
          else if (kind === 1) b[at] = '0123456789 <>[]()/R'.charCodeAt(Math.floor(rand() * 19));
          else if (kind === 2) b.fill(0x5b, at, Math.min(b.length, at + 50));
          else b[at] = 0x20;
        }
        try {
          await exercise(b); // no per-mutation clock (it flakes on a loaded machine): a hang hits the test timeout
        } catch (e) {
          if (!isKysoError(e)) throw new Error(`${name} mutation ${k}: non-Kyso error ${(e as Error).stack}`);
        }
      }
    });
  }
});
