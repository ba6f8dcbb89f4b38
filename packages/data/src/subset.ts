import { GanKitError, createRng } from '@gankit/core';
import type { ArraySource, ImageSource } from './source';

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

/**
 * A seeded random subset of `count` indices of `labels.length` labelled items with the classes as balanced as the
 * data allows: each class's indices are shuffled, then classes (in a shuffled order) take turns giving their next
 * index until `count` are taken, so class counts differ by at most one unless a class runs out. Ascending order.
 */
export function balancedSubset(labels: ArrayLike<number>, count: number, seed: number): Uint32Array {
  const length = labels.length;
  if (!Number.isInteger(count) || count < 0 || count > length) {
    throw new GanKitError('INVALID_ARGUMENT', `balancedSubset: cannot take ${count} of ${length} items; expected 0 ≤ count ≤ ${length}`);
  }
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < length; i++) {
    const l = labels[i]!;
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  }
  const classes = rng.shuffle([...byClass.keys()].sort((a, b) => a - b));
  const lists = classes.map((k) => rng.shuffle(byClass.get(k)!));
  const picked: number[] = [];
  for (let round = 0; picked.length < count; round++) {
    for (const list of lists) {
      if (round < list.length && picked.length < count) picked.push(list[round]!);
    }
  }
  return Uint32Array.from(picked).sort();
}

/**
 * `count` examples of a random-access source as a new source: a seeded random subset (`randomSubset`), class-balanced
 * (`balancedSubset`) when the source is labelled. Labels are read from an in-memory source's `labels`, otherwise
 * once through `get`. The whole source when `count` ≥ its length.
 */
export async function limitSource(source: ImageSource, count: number, seed: number): Promise<ImageSource> {
  if (!Number.isInteger(count) || count < 1) throw new GanKitError('INVALID_ARGUMENT', `data limit is ${count}; expected a positive integer`);
  const length = source.length;
  const get = source.get?.bind(source);
  if (length === undefined || get === undefined) {
    throw new GanKitError('UNSUPPORTED', 'data limit needs a source with random access (a known length and get(i)); this source only streams');
  }
  if (count >= length) return source;
  let indices: Uint32Array;
  if (source.numClasses !== undefined) {
    let labels: ArrayLike<number> | undefined = (source as Partial<ArraySource>).labels;
    if (labels === undefined) {
      const read = new Int32Array(length).fill(-1);
      for (let i = 0; i < length; i++) read[i] = (await get(i))?.label ?? -1;
      labels = read;
    }
    indices = balancedSubset(labels, count, seed);
  } else {
    indices = randomSubset(length, count, seed);
  }
  const pick = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new GanKitError('INVALID_ARGUMENT', `limited source: index ${i} is outside [0, ${count})`);
    return get(indices[i]!);
  };
  return {
    shape: source.shape,
    length: count,
    ...(source.numClasses !== undefined && { numClasses: source.numClasses }),
    ...(source.classNames !== undefined && { classNames: source.classNames }),
    get: pick,
    examples: () => ({
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < count; i++) {
          const example = await pick(i);
          if (example) yield example;
        }
      },
    }),
  };
}
