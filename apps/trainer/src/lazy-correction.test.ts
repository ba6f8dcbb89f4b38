// StyleGAN2's lazy-regularization correction (Karras et al. 2020, Appendix B) is applied by the trainer: the Adam
// hyperparameters read back from the optimisers after a training step are lr·c, β₁^c, β₂^c with c = k/(k+1) for
// the lazily regularised networks, and exactly the configured values otherwise.
import type * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@gankit/backend-wasm';
import { disposeScalars } from '@gankit/training';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildComponents } from './build';
import { resolveConfig, validateConfig, type TrainConfig } from './config';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

interface Used {
  learningRate: number;
  beta1: number;
  beta2: number;
}

/** Builds the run's components, trains one step (the scheduled rate is set on each optimiser then) and reads back what each Adam used. */
async function usedByOptimizers(config: TrainConfig): Promise<{ generator: Used; discriminator: Used; logged: { generator: number; discriminator: number } }> {
  const c = await buildComponents(config);
  try {
    disposeScalars(await c.step.step(() => c.data.next(), { read: false }));
    const read = (o: tf.Optimizer): Used => {
      const { learningRate, beta1, beta2 } = o.getConfig() as unknown as Used;
      return { learningRate, beta1, beta2 };
    };
    return {
      generator: read(c.gOptimizer.optimizer),
      discriminator: read(c.dOptimizer.optimizer),
      logged: { generator: c.gOptimizer.currentLearningRate, discriminator: c.dOptimizer.currentLearningRate },
    };
  } finally {
    c.dispose();
  }
}

/** The stylegan2-32 preset (paper values: lr 0.0025, β = (0, 0.99); R1 every 16 D steps) on 28×28 MNIST, tiny. */
async function styleGan2(regularizers: Partial<TrainConfig['regularizers']>): Promise<TrainConfig> {
  const config = await resolveConfig({ preset: 'stylegan2-32' }, { steps: 2, batchSize: 4, backend: 'cpu' });
  config.data = { ...config.data, source: 'mnist', limit: 16 };
  Object.assign(config.model, { width: 4, latentDim: 8, wDim: 8 });
  Object.assign(config.regularizers, regularizers);
  return config;
}

describe('lazy-regularization correction of the optimisers', () => {
  it('stylegan2-32: D (R1 every 16) runs at lr·16/17, β^(16/17); G with path length every 4 at lr·4/5, β^(4/5); the preset holds the paper values', async () => {
    const config = await styleGan2({ pathLength: 2, pathLengthEvery: 4 });
    for (const o of [config.optimizers.generator, config.optimizers.discriminator]) expect([o.learningRate, o.beta1, o.beta2]).toEqual([0.0025, 0, 0.99]);
    const used = await usedByOptimizers(config);
    const c = (k: number) => k / (k + 1);
    expect(used.discriminator.learningRate).toBeCloseTo(0.0025 * c(16), 15);
    expect(used.discriminator.beta1).toBe(0);
    expect(used.discriminator.beta2).toBeCloseTo(0.99 ** c(16), 15);
    expect(used.generator.learningRate).toBeCloseTo(0.0025 * c(4), 15);
    expect(used.generator.beta2).toBeCloseTo(0.99 ** c(4), 15);
    // The rate the preset used to carry by hand for D (0.002353, rounded), worked out independently of this code. (Its
    // hand-written β₂, 0.990591, was 5.5e-6 off 0.99^(16/17) = 0.9905855.)
    expect(Math.abs(used.discriminator.learningRate - 0.002353)).toBeLessThan(5e-7);
    expect(used.logged).toEqual({ generator: used.generator.learningRate, discriminator: used.discriminator.learningRate });
  });

  it('leaves a network that is not lazily regularised, and every network with lazyCorrection: false, at its configured values', async () => {
    // Path length off: only D is corrected.
    const noPathLength = await usedByOptimizers(await styleGan2({ pathLength: 0 }));
    expect(noPathLength.generator).toEqual({ learningRate: 0.0025, beta1: 0, beta2: 0.99 });
    expect(noPathLength.discriminator.learningRate).toBeLessThan(0.0025);
    const off = await usedByOptimizers(await styleGan2({ pathLength: 2, lazyCorrection: false }));
    expect(off.generator).toEqual({ learningRate: 0.0025, beta1: 0, beta2: 0.99 });
    expect(off.discriminator).toEqual({ learningRate: 0.0025, beta1: 0, beta2: 0.99 });
    // A DCGAN with R1 on every D step (interval 1) and the seed's Adam: unchanged.
    const dcgan = validateConfig({
      backend: 'cpu',
      data: { source: 'mnist', limit: 16 },
      model: { architecture: 'dcgan', width: 4, latentDim: 8 },
      loss: { name: 'standard' },
      regularizers: { r1: 1 },
      optimizers: { generator: { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 }, discriminator: { learningRate: 4e-4, beta1: 0.5, beta2: 0.999 } },
      training: { steps: 2, batchSize: 4 },
    });
    const plain = await usedByOptimizers(dcgan);
    expect(plain.generator).toEqual({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
    expect(plain.discriminator).toEqual({ learningRate: 4e-4, beta1: 0.5, beta2: 0.999 });
  });
});
