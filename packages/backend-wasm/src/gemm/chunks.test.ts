import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalValues, relativeMaxError, startBothBackends, valuesOn } from '../test-utils';
import { imagesPerChunk, setConvChunkFloats } from './kernels';

beforeAll(startBothBackends);
afterEach(() => setConvChunkFloats());

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

// Output rows per image: 8×8 = 64 (dW chunks must be multiples of 4 images), 7×7 = 49 (multiples of 256: one chunk),
// 5×5 pointwise (the image is its own im2col matrix).
const CASES: Case[] = [
  { name: '4×4 stride 2, 16×16 → 8×8', x: [9, 16, 16, 3], filter: [4, 4, 3, 5], strides: 2, pad: 'same' },
  { name: '3×3 stride 1, 7×7', x: [5, 7, 7, 4], filter: [3, 3, 4, 6], strides: 1, pad: 'same' },
  { name: '1×1 pointwise, 5×5', x: [7, 5, 5, 8], filter: [1, 1, 8, 3], strides: 1, pad: 'valid' },
];

/** Forward conv, and its input and filter gradients for a fixed upstream gradient. */
function convAndGradients(c: Case): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(normalValues(1, tf.util.sizeFromShape(c.x)), c.x);
    const w = tf.tensor4d(normalValues(2, tf.util.sizeFromShape(c.filter)), c.filter);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const dy = tf.tensor4d(normalValues(3, y.size), y.shape);
    const dx = tf.conv2dTranspose(dy, w, c.x, c.strides, c.pad);
    const dw = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, c.strides, c.pad), dy)))(w);
    return [y, dx, dw];
  };
}

describe('wasm conv kernels in batch chunks (bounded GEMM memory)', () => {
  it('imagesPerChunk fits the budget, keeps the multiple, and falls back to the whole batch', () => {
    setConvChunkFloats(1000);
    expect(imagesPerChunk(10, 300)).toBe(3);
    expect(imagesPerChunk(10, 300, 2)).toBe(2);
    expect(imagesPerChunk(10, 300, 4)).toBe(10);
    expect(imagesPerChunk(10, 5000)).toBe(1);
    expect(imagesPerChunk(2, 10)).toBe(2);
    expect(() => setConvChunkFloats(0)).toThrow(/positive integer/);
  });

  for (const c of CASES) {
    // Budget 1: one image per chunk (dW's depth stays whole unless 256 rows divide); 20,000 floats: a few images per
    // chunk, in multiples of 4 for the 8×8 case's dW.
    it(`${c.name}: chunked results are bit-identical to one chunk, and agree with cpu`, async () => {
      setConvChunkFloats();
      const whole = await valuesOn('wasm', convAndGradients(c));
      const cpu = await valuesOn('cpu', convAndGradients(c));
      for (const budget of [1, 20_000]) {
        setConvChunkFloats(budget);
        const chunked = await valuesOn('wasm', convAndGradients(c));
        for (let i = 0; i < whole.length; i++) {
          expect(Array.from(chunked[i] as Float32Array), `budget ${budget}, output ${i}`).toEqual(Array.from(whole[i] as Float32Array));
          expect(relativeMaxError(chunked[i] as Float32Array, cpu[i] as Float32Array), `budget ${budget}, output ${i} vs cpu`).toBeLessThan(2e-5);
        }
      }
    });
  }
});
