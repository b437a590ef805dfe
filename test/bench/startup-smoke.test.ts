/**
 * `npm run bench -- startup --smoke`: one iteration of every row, so the benchmark cannot rot unnoticed.
 * No assertion on time (timings belong in BENCHMARKS.md, measured on a quiet machine).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript benchmark module
import { runStartupBench } from '../../bench/startup-bench.mjs';

describe('startup benchmark (smoke)', () => {
  it('runs every row once and measures each', async () => {
    const rows = (await runStartupBench({ smoke: true, log: () => {} })) as { work: string; kysoMs: number; floorMs: number }[];
    expect(rows.map((r) => r.work)).toHaveLength(5);
    for (const r of rows) {
      expect(r.kysoMs, r.work).toBeGreaterThan(0);
      expect(r.floorMs, r.work).toBeGreaterThan(0);
    }
  }, 300_000);
});
