/**
 * Seeded randomness for tests: a test that picks random points (kill times, fuzz offsets) must be
 * reproducible. `seededRandom()` takes the seed from KYSO_TEST_SEED or draws one, and prints it when the
 * current test fails, so the failing run can be replayed exactly: `KYSO_TEST_SEED=<seed> npx vitest run …`.
 */
import { randomInt } from 'node:crypto';
import { onTestFailed } from 'vitest';

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1); good enough for picking test points. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Call inside a test: a PRNG seeded from KYSO_TEST_SEED (or a fresh seed), whose seed is printed if the test fails. */
export function seededRandom(): { random: () => number; seed: number } {
  const fromEnv = process.env.KYSO_TEST_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : randomInt(0, 2 ** 32);
  onTestFailed(() => {
    console.error(`random seed of this test: ${seed} (replay with KYSO_TEST_SEED=${seed})`);
  });
  return { random: mulberry32(seed), seed };
}
