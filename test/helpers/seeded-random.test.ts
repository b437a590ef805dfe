import { describe, expect, it } from 'vitest';
import { mulberry32, seededRandom } from './seeded-random.js';

describe('seeded randomness for tests', () => {
  it('one seed gives one sequence in [0, 1); another seed another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });

  it('KYSO_TEST_SEED replays a run', () => {
    const saved = process.env.KYSO_TEST_SEED;
    try {
      process.env.KYSO_TEST_SEED = '1234';
      const { seed, random } = seededRandom();
      expect(seed).toBe(1234);
      expect(random()).toBe(mulberry32(1234)());
    } finally {
      if (saved === undefined) delete process.env.KYSO_TEST_SEED;
      else process.env.KYSO_TEST_SEED = saved;
    }
  });
});
