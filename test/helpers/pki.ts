import { inject } from 'vitest';
import type { TestPki } from '../fixtures/make-pki.js';

export type { TestPki, Leaf, LeafName, Cert } from '../fixtures/make-pki.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pki: TestPki;
  }
}

/** The test PKI generated once per run by test/global-setup.ts. */
export function getPki(): TestPki {
  return inject('pki');
}
