import { GanKitError, createRng } from '@gankit/core';

/**
 * A seeded uniform random subset of `count` distinct indices of 0..length-1 (the first `count` entries of a seeded
 * Fisher–Yates permutation), returned in ascending order so files are still read in storage order.
 * The same (length, count, seed) always gives the same subset.
 */
export function randomSubset(length: number, count: number, seed: number): Uint32Array {
  if (!Number.isInteger(length) || length < 0) throw new GanKitError('INVALID_ARGUMENT', `randomSubset: length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(count) || count < 0 || count > length) {
    throw new GanKitError('INVALID_ARGUMENT', `randomSubset: cannot take ${count} of ${length} items; expected 0 ≤ count ≤ ${length}`);
  }
  const picked = createRng(seed).permutation(length).subarray(0, count).slice();
  return picked.sort();
}
