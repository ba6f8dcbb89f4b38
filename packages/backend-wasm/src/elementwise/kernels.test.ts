import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalValues, startBothBackends, valuesOn } from '../test-utils';

beforeAll(startBothBackends);

/** Seeded normals with the values that trip comparisons: ±0, NaN, ±Infinity, a denormal. */
function awkwardValues(seed: number, size: number): Float32Array {
  const values = normalValues(seed, size);
  [0, -0, Number.NaN, Infinity, -Infinity, 1e-40].forEach((v, i) => (values[(i * 7) % size] = v));
  return values;
}

/** cpu and wasm give the same values, NaN where cpu has NaN (odd sizes exercise the SIMD loops' tails). */
async function expectSameOnBoth(compute: () => tf.Tensor | tf.Tensor[], tolerance = 0): Promise<void> {
  const [cpu, wasm] = [await valuesOn('cpu', compute), await valuesOn('wasm', compute)];
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((expected, k) => {
    const actual = wasm[k]!;
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const [a, e] = [actual[i]!, expected[i]!];
      if (Number.isNaN(e) || !Number.isFinite(e)) expect(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))).toBe(true);
      else expect(Math.abs(a - e)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e)));
    }
  });
}

describe("gankit's element-wise wasm kernels agree with cpu", () => {
  const shape: [number, number, number, number] = [3, 5, 7, 11];
  const n = 3 * 5 * 7 * 11;
  const x = awkwardValues(1, n);
  const y = awkwardValues(2, n);

  it('LeakyRelu and its gradient', async () => {
    // cpu multiplies in float64 before rounding; the SIMD kernel in float32: 1 ulp apart at most.
    await expectSameOnBoth(() => tf.leakyRelu(tf.tensor4d(x, shape), 0.2), 1.2e-7);
    await expectSameOnBoth(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(a, 0.3), tf.tensor4d(y.map((v) => (Number.isFinite(v) ? v : 1)), shape))))(tf.tensor4d(normalValues(3, n), shape)), 1.2e-7);
  });

  it('Greater against a scalar and against a tensor of the same shape (fallback: broadcasting)', async () => {
    await expectSameOnBoth(() => tf.cast(tf.greater(tf.tensor4d(x, shape), tf.scalar(0)), 'float32'));
    await expectSameOnBoth(() => tf.cast(tf.greater(tf.tensor4d(x, shape), tf.tensor4d(y, shape)), 'float32'));
    await expectSameOnBoth(() => tf.cast(tf.greater(tf.tensor4d(x, shape), tf.tensor1d(y.slice(0, 11))), 'float32'));
  });

  it('Select with a bool mask (fallback: int32 branches)', async () => {
    await expectSameOnBoth(() => tf.where(tf.greater(tf.tensor4d(y, shape), 0), tf.tensor4d(x, shape), tf.tensor4d(y, shape)));
    await expectSameOnBoth(() => tf.cast(tf.where(tf.tensor1d([true, false, true], 'bool'), tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')), 'float32'));
  });

  it('Cast bool → float32 (and other casts through the fallback)', async () => {
    await expectSameOnBoth(() => tf.cast(tf.less(tf.tensor4d(x, shape), 0.5), 'float32'));
    await expectSameOnBoth(() => tf.cast(tf.cast(tf.tensor4d(x.map((v) => (Number.isFinite(v) ? v * 100 : 0)), shape), 'int32'), 'float32'));
  });

  it('Sqrt and Rsqrt', async () => {
    const positive = x.map((v) => Math.abs(v));
    await expectSameOnBoth(() => [tf.sqrt(tf.tensor4d(positive, shape)), tf.rsqrt(tf.tensor4d(positive, shape)), tf.sqrt(tf.tensor4d(x, shape))], 1e-6);
  });

  it('FusedBatchNorm with per-channel statistics, with and without scale/offset (fallback: broadcast statistics)', async () => {
    const xs = normalValues(5, n);
    const [mean, variance, offset, scale] = [6, 7, 8, 9].map((s) => normalValues(s, 11)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const v = variance.map((a) => a * a + 0.1);
    await expectSameOnBoth(() => tf.batchNorm(tf.tensor4d(xs, shape), tf.tensor1d(mean), tf.tensor1d(v), tf.tensor1d(offset), tf.tensor1d(scale), 1e-3), 2e-6);
    await expectSameOnBoth(() => tf.batchNorm(tf.tensor4d(xs, shape), tf.tensor1d(mean), tf.tensor1d(v)), 2e-6);
    await expectSameOnBoth(() => tf.batchNorm(tf.tensor4d(xs, shape), tf.scalar(0.5), tf.scalar(2), tf.scalar(0.1), tf.scalar(3), 1e-3), 2e-6);
  });

  it('keeps the tensor count flat over repeated calls', async () => {
    await tf.setBackend('wasm');
    const input = tf.tensor4d(x, shape);
    const step = (): void => tf.dispose(tf.tidy(() => [tf.leakyRelu(input, 0.2), tf.where(tf.greater(input, 0), input, tf.sqrt(tf.abs(input))), tf.batchNorm(input, tf.zeros([11]), tf.ones([11]))]));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
  });
});
