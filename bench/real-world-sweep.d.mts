import type { Shape } from './real-world-pdfs.mjs';
export interface SweepRow {
  name: string;
  expect: 'sign' | 'refuse';
  pages: number;
  inputReadable: boolean;
  outcome: 'signed' | 'refused' | 'broken';
  detail: string;
  exit: number;
  asExpected: boolean;
}
export interface SweepCounts {
  signed: number;
  refused: number;
  broken: number;
  unexpected: number;
}
export const KYSO: string;
export function judgeFile(file: string, nssDir: string, expectSignatures: number): Promise<{ problems: string[]; qpdfOk: boolean; qpdfOut: string; qpages: number; mpages: number; mupdfRepaired: boolean }>;
export function sweep(
  shapes: Shape[],
  o: { p12: string; password: string; nssDir: string; twice?: (s: Shape) => boolean; log?: (s: string) => void; concurrency?: number },
): Promise<{ rows: SweepRow[]; counts: SweepCounts }>;
export function runSweep(o?: { bigPages?: number; log?: (s: string) => void; writeMarkdown?: boolean; keep?: boolean; concurrency?: number }): Promise<{ rows: SweepRow[]; counts: SweepCounts }>;
