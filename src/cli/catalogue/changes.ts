import type { CatalogueSection } from './types.js';

/** Problems of change analysis (what was modified after a signature). */
export const changeEntries: CatalogueSection = {};
