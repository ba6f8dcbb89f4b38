import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { createGan, type CreateGanOptions } from './index';
import { discriminatorInputsFor, disposeGan } from './test-utils';

// TF.js 4.22 has no gradient for the comparison kernel `Greater` used inside LeakyReLU's gradient. @gankit/losses
// registers zero gradients for it (registerSecondOrderGradientFixes); this package may not import losses, so the
// test registers the same fix locally. Everything else these critics need is differentiable twice as built
// (the SNGAN-ResNet uses AveragePooling2x2 because TF.js has no gradient for AvgPoolGrad).
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  if (tf.getGradient('Greater') === undefined) {
    tf.registerGradient({
      kernelName: 'Greater',
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ a: () => tf.zerosLike(saved[0]!), b: () => tf.zerosLike(saved[1]!) }),
    });
  }
});

const cases: CreateGanOptions[] = [
  { architecture: 'wgan-gp', imageShape: [32, 32, 3], width: 4 },
  { architecture: 'wgan-gp', imageShape: [28, 28, 1], width: 4, discriminatorNormalization: 'none', minibatchStdDev: true },
  { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, numClasses: 4, selfAttention: true },
  { architecture: 'projection', imageShape: [32, 32, 3], width: 4, numClasses: 4 },
  { architecture: 'dcgan', imageShape: [28, 28, 1], width: 4 },
  { architecture: 'mlp', imageShape: [28, 28, 1], hiddenUnits: { generator: [8], discriminator: [8] } },
  { architecture: 'stylegan2', imageShape: [32, 32, 3], width: 8 },
];

describe('gradient penalties (second-order gradients) through every critic on wasm', () => {
  it.each(cases.map((o) => [`${o.architecture} ${o.imageShape.join('×')}`, o] as const))('%s: 3 Adam steps on E[(‖∇x D(x)‖ − 1)²]', (_, options) => {
    const gan = createGan({ ...options, seed: 4 });
    const x = tf.randomUniform([4, ...gan.imageShape], -1, 1, 'float32', 1);
    const optimizer = tf.train.adam(1e-3);
    const vars = gan.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      const loss = optimizer.minimize(() => {
        const gradX = tf.grad((images: tf.Tensor) => {
          const out = gan.discriminator.apply(discriminatorInputsFor(gan, images), { training: true }) as tf.Tensor | tf.Tensor[];
          return tf.sum(Array.isArray(out) ? out[0]! : out);
        })(x);
        const norms = tf.sqrt(tf.add(tf.sum(tf.square(gradX), gradX.shape.slice(1).map((_d, i) => i + 1)), 1e-12));
        return tf.mean<tf.Scalar>(tf.square(tf.sub(norms, 1)));
      }, true, vars)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).not.toBe(losses[0]);
    expect(counts[2]).toBe(counts[1]);
    tf.dispose([x]);
    optimizer.dispose();
    disposeGan(gan);
  });
});
