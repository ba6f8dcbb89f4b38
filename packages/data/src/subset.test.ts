import { describe, expect, it } from 'vitest';
import { arraySource } from './source';
import { balancedSubset, limitSource, randomSubset } from './subset';

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

describe('limitSource / balancedSubset (the trainer\'s data.limit)', () => {
  // 3 classes of very different sizes: 600 of class 0, 300 of class 1, 30 of class 2; pixel value = index % 256.
  const n = 930;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i < 600 ? 0 : i < 900 ? 1 : 2));
  const images = Uint8Array.from({ length: n * 4 }, (_, k) => Math.floor(k / 4) % 256);
  const source = arraySource(images, [2, 2, 1], labels);

  it('labelled: class counts as equal as the data allows, seeded, distinct, from the source\'s own examples', async () => {
    const limited = await limitSource(source, 90, 3);
    expect(limited.length).toBe(90);
    expect(limited.numClasses).toBe(3);
    const counts = [0, 0, 0];
    const seen: number[] = [];
    for await (const e of limited.examples()) {
      counts[e.label!]! += 1;
      seen.push(e.image[0]!);
    }
    expect(counts).toEqual([30, 30, 30]);
    const picked = balancedSubset(labels, 90, 3);
    expect(seen).toEqual(Array.from(picked, (i) => i % 256));
    expect(new Set(picked).size).toBe(90);
    // class 2 has only 30: the other two share the rest, differing by at most one
    const big = balancedSubset(labels, 131, 3);
    const bigCounts = [0, 0, 0];
    for (const i of big) bigCounts[labels[i]!]! += 1;
    expect(bigCounts[2]).toBe(30);
    expect(Math.abs(bigCounts[0]! - bigCounts[1]!)).toBeLessThanOrEqual(1);
    expect(Array.from(balancedSubset(labels, 90, 3))).toEqual(Array.from(picked));
    expect(Array.from(balancedSubset(labels, 90, 4))).not.toEqual(Array.from(picked));
  });

  it('unlabelled: a seeded uniform subset; a limit ≥ the length keeps the source; bad limits are one-line errors', async () => {
    const plain = arraySource(images, [2, 2, 1]);
    const limited = await limitSource(plain, 50, 9);
    const expected = randomSubset(n, 50, 9);
    for (let i = 0; i < 50; i++) expect((limited.get!(i) as { image: Uint8Array }).image[0]).toBe(expected[i]! % 256);
    expect(await limitSource(plain, n, 9)).toBe(plain);
    await expect(limitSource(plain, 0, 1)).rejects.toThrow(/data limit is 0; expected a positive integer/);
    await expect(limitSource({ shape: [2, 2, 1], examples: plain.examples }, 5, 1)).rejects.toThrow(/needs a source with random access/);
  });
});
