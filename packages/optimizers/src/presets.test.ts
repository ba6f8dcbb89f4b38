import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { adam, getLearningRate, PyTorchAdamOptimizer, PyTorchRMSPropOptimizer, rmsprop, sgd, ttur } from './index';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('presets', () => {
  test('defaults: the seed Adam, WGAN RMSprop, TTUR rates', () => {
    const seed = adam();
    expect(seed).toBeInstanceOf(tf.AdamOptimizer);
    expect(seed.getConfig()).toEqual({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
    const exact = adam({ exact: 'pytorch' });
    expect(exact).toBeInstanceOf(PyTorchAdamOptimizer);
    expect(exact.getConfig()).toEqual({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const wgan = rmsprop();
    expect(wgan.getConfig()).toMatchObject({ learningRate: 5e-5, decay: 0.99, momentum: 0, epsilon: 1e-8 });
    expect(rmsprop({ exact: 'pytorch' })).toBeInstanceOf(PyTorchRMSPropOptimizer);
    const pair = ttur();
    expect([getLearningRate(pair.generator), getLearningRate(pair.discriminator)]).toEqual([1e-4, 4e-4]);
    expect(sgd().getClassName()).toBe('SGD');
    expect(sgd({ momentum: 0.9 }).getClassName()).toBe('Momentum');
    for (const o of [seed, exact, wgan, pair.generator, pair.discriminator]) o.dispose();
  });

  test('bad options throw INVALID_ARGUMENT naming the option', () => {
    const codeOf = (f: () => unknown) => { try { f(); } catch (e) { return GanKitError.isInstance(e) ? `${e.code}: ${e.message}` : String(e); } return 'no error'; };
    expect(codeOf(() => adam({ learningRate: -1 }))).toMatch(/^INVALID_ARGUMENT: adam learningRate/);
    expect(codeOf(() => adam({ beta2: 1 }))).toMatch(/^INVALID_ARGUMENT: adam beta2 must be a number in \[0, 1\)/);
    expect(codeOf(() => adam({ weightDecay: 0.1 }))).toMatch(/needs exact: "pytorch"/);
    expect(codeOf(() => adam({ exact: 'keras' as never }))).toMatch(/exact must be "tfjs" or "pytorch"/);
    expect(codeOf(() => sgd({ momentum: 1.5 }))).toMatch(/sgd momentum/);
  });

  test('PyTorch-exact optimizers are registered for serialization and rebuild from their config', () => {
    for (const optimizer of [adam({ exact: 'pytorch', learningRate: 1e-3, weightDecay: 0.01 }), rmsprop({ exact: 'pytorch', momentum: 0.9, centered: true })]) {
      const className = optimizer.getClassName();
      const registered = tf.serialization.SerializationMap.getMap().classNameMap[className];
      expect(registered, className).toBeDefined();
      const [cls, fromConfig] = registered!;
      const rebuilt = fromConfig(cls, optimizer.getConfig());
      expect(rebuilt.getClassName()).toBe(className);
      expect(rebuilt.getConfig()).toEqual(optimizer.getConfig());
      optimizer.dispose();
      (rebuilt as tf.Optimizer).dispose();
    }
  });

  test('weight decay follows PyTorch: g ← g + λ·p before the Adam update', () => {
    const p = tf.variable(tf.tensor1d([2]));
    const q = tf.variable(tf.tensor1d([2]));
    const decayed = adam({ exact: 'pytorch', learningRate: 0.1, weightDecay: 0.5 });
    const plain = adam({ exact: 'pytorch', learningRate: 0.1 });
    decayed.minimize(() => tf.sum(tf.mul(p, 0)), false, [p]); // gradient 0 + 0.5·2 = 1 → step lr·1/(1+ε)
    plain.minimize(() => tf.sum(q), false, [q]); // gradient 1 → the same step
    expect(p.dataSync()[0]).toBe(q.dataSync()[0]);
    expect(p.dataSync()[0]).toBeCloseTo(1.9, 6);
    tf.dispose([p, q]);
    decayed.dispose();
    plain.dispose();
  });
});
