/** A valid one-page PDF of about `bytes`, streamed to disk (see large-pdf.mjs). */
export function makeLargePdf(file: string, bytes: number): Promise<void>;
