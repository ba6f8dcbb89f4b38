import { describe, expect, it } from 'vitest';
import { randomSubset } from './subset';

describe('randomSubset', () => {
  it('draws distinct sorted indices, the same for the same seed, spread over the whole range', () => {
    const a = randomSubset(10_000, 1000, 5);
    expect(Array.from(a)).toEqual(Array.from(randomSubset(10_000, 1000, 5)));
    expect(Array.from(a)).not.toEqual(Array.from(randomSubset(10_000, 1000, 6)));
    expect(new Set(a).size).toBe(1000);
    for (let i = 1; i < a.length; i++) expect(a[i]!).toBeGreaterThan(a[i - 1]!);
    // every tenth of the range gets its share (100 expected; a first-N subset would put all 1,000 in the first)
    const deciles = new Array<number>(10).fill(0);
    for (const i of a) deciles[Math.floor(i / 1000)]! += 1;
    expect(Math.min(...deciles)).toBeGreaterThan(60);
    expect(randomSubset(5, 5, 1)).toEqual(Uint32Array.from([0, 1, 2, 3, 4]));
    expect(() => randomSubset(5, 6, 1)).toThrow(/cannot take 6 of 5/);
  });
});
