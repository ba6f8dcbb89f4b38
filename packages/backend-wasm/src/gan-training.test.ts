import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@gankit/core';
import { startBothBackends } from './test-utils';

const LATENT = 8;
const SIZE = 8;
const BATCH = 8;

function seeded(seed: number): ReturnType<typeof tfl.initializers.randomNormal> {
  return tfl.initializers.randomNormal({ mean: 0, stddev: 0.1, seed });
}

/** G: dense → 2×2×16 → convT 8 (5×5, s2) + batchNorm + relu → convT 1 (4×4, s2) → tanh, 8×8×1. */
function generator(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [LATENT], units: 2 * 2 * 16, kernelInitializer: seeded(1) }),
      tfl.layers.reshape({ targetShape: [2, 2, 16] }),
      tfl.layers.conv2dTranspose({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', useBias: false, kernelInitializer: seeded(2) }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: seeded(3) }),
      tfl.layers.activation({ activation: 'tanh' }),
    ],
  });
}

/** D: conv 8 (s2) + leakyRelu → conv 16 (s2) + leakyRelu → dense logit. */
function discriminator(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: seeded(4) }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: seeded(5) }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, kernelInitializer: seeded(6) }),
    ],
  });
}

/** "Real" images: a bright square at a random place on a dark background, in [-1, 1]. */
function realBatch(rng: ReturnType<typeof createRng>): tf.Tensor4D {
  const values = new Float32Array(BATCH * SIZE * SIZE).fill(-1);
  for (let b = 0; b < BATCH; b++) {
    const top = rng.int(SIZE - 3);
    const left = rng.int(SIZE - 3);
    for (let y = top; y < top + 3; y++) for (let x = left; x < left + 3; x++) values[(b * SIZE + y) * SIZE + x] = 1;
  }
  return tf.tensor4d(values, [BATCH, SIZE, SIZE, 1]);
}

beforeAll(async () => {
  await startBothBackends();
  await tf.setBackend('wasm');
});

describe('a small conv GAN on wasm', () => {
  it('trains with falling D loss, no tensor or buffer leak, through gankit conv kernels', async () => {
    const g = generator();
    const d = discriminator();
    const gOpt = tf.train.adam(1e-3, 0.5, 0.999);
    const dOpt = tf.train.adam(1e-3, 0.5, 0.999);
    const rng = createRng(7);
    const dVars = d.trainableWeights.map((w) => w.read() as tf.Variable);
    const gVars = g.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = (): number =>
      tf.tidy(() => {
        const real = realBatch(rng);
        const z = tf.tensor2d(rng.normalArray(BATCH * LATENT), [BATCH, LATENT]);
        const dLoss = dOpt.minimize(
          () => {
            const fake = g.apply(z, { training: true }) as tf.Tensor;
            const realLogits = d.apply(real, { training: true }) as tf.Tensor;
            const fakeLogits = d.apply(fake, { training: true }) as tf.Tensor;
            return tf.add<tf.Scalar>(tf.mean(tf.softplus(tf.neg(realLogits))), tf.mean(tf.softplus(fakeLogits)));
          },
          true,
          dVars,
        );
        gOpt.minimize(() => tf.mean<tf.Scalar>(tf.softplus(tf.neg(d.apply(g.apply(z, { training: true }), { training: true }) as tf.Tensor))), false, gVars);
        return dLoss!.dataSync()[0]!;
      });

    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push(step());
    const tensorsAfterWarmup = tf.memory().numTensors;
    const buffersAfterWarmup = tf.memory().numDataBuffers;
    const profile = await tf.profile(() => {
      losses.push(step());
    });
    for (let i = 0; i < 16; i++) losses.push(step());

    const kernels = new Set(profile.kernels.map((k) => k.name));
    expect(kernels).toContain('Conv2DBackpropFilter');
    expect(kernels).toContain('Conv2DBackpropInput');
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 3)) - 0.1);
    expect(tf.memory().numTensors).toBe(tensorsAfterWarmup);
    expect(tf.memory().numDataBuffers).toBe(buffersAfterWarmup);
    g.dispose();
    d.dispose();
    gOpt.dispose();
    dOpt.dispose();
  });
});
