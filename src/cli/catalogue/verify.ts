import type { CatalogueSection } from './types.js';

/** Problems of signature validation (CMS, chain, revocation, timestamps, levels). */
export const verifyEntries: CatalogueSection = {};
