import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { GanKitError } from '@gankit/core';
import { configureWasm, initBackend, wasmConfig } from '../node';
import { normalValues, relativeMaxError, valuesOn } from '../test-utils';

describe('configureWasm({ xnnpackThreads }) (threaded SIMD wasm in Node)', () => {
  it('rejects a thread count outside 1–8', async () => {
    await expect(configureWasm({ xnnpackThreads: 0 })).rejects.toSatisfy((e: unknown) => GanKitError.isInstance(e) && e.code === 'INVALID_ARGUMENT');
  });

  it('runs XNNPACK on 2 threads; conv gradients and matmuls still agree with cpu; late calls are refused', async () => {
    await configureWasm({ xnnpackThreads: 2 });
    await initBackend({ backend: 'cpu' });
    await initBackend({ backend: 'wasm' });
    expect(wasmConfig().xnnpackThreads).toBe(2);

    const x = normalValues(1, 4 * 12 * 12 * 8);
    const w = normalValues(2, 5 * 5 * 8 * 16);
    const grads = (): tf.Tensor[] =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([tf.tensor(x, [4, 12, 12, 8]), tf.tensor(w, [5, 5, 8, 16])]);
    const [cpu, wasm] = [await valuesOn('cpu', grads), await valuesOn('wasm', grads)];
    cpu.forEach((expected, i) => expect(relativeMaxError(wasm[i]!, expected)).toBeLessThan(2e-5));

    const a = normalValues(3, 300 * 200);
    const b = normalValues(4, 200 * 100);
    const product = (): tf.Tensor => tf.matMul(tf.tensor2d(a, [300, 200]), tf.tensor2d(b, [200, 100]));
    expect(relativeMaxError((await valuesOn('wasm', product))[0]!, (await valuesOn('cpu', product))[0]!)).toBeLessThan(2e-5);

    await expect(configureWasm({ xnnpackThreads: 2 })).rejects.toSatisfy((e: unknown) => GanKitError.isInstance(e) && e.code === 'INVALID_ARGUMENT');
  });
});
