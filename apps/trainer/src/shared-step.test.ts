import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { buildComponents } from './build';
import { validateConfig } from './config';
import { callModel, discriminatorUpdate, generatorInputs, generatorLoss, sharedStep, variablesOf, type RunRngs, type StepScalars } from './train';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const config = validateConfig({
  seed: 5,
  backend: 'cpu',
  data: { source: 'mnist', limit: 64 },
  model: { architecture: 'dcgan', width: 2, latentDim: 8 },
  loss: { name: 'standard' },
  optimizers: { generator: { learningRate: 0.01, beta1: 0.5 }, discriminator: { learningRate: 0.01, beta1: 0.5 } },
  training: { steps: 2, batchSize: 4 },
});
const rngs = (): RunRngs => ({ latent: createRng(1), penalty: createRng(2), labels: createRng(3) });

it('the shared generator forward gives the same updates as a D step then a G step with its own forward on the same z', async () => {
  const [shared, separate] = [await buildComponents(config), await buildComponents(config)];
  for (let step = 1; step <= 2; step++) {
    const [b1, b2] = [await shared.data.next(), await separate.data.next()];
    const r1 = rngs();
    tf.dispose(Object.values(sharedStep(shared, config, r1, b1, step, true)));
    // Reference: G(z) outside any tape for the D update, then a fresh G forward on the same z in G's own tape.
    const r2 = rngs();
    tf.tidy(() => {
      const z = tf.tensor2d(r2.latent.normalArray(4 * 8), [4, 8]);
      const kept: StepScalars = {};
      const fake = callModel(separate.generator, generatorInputs(separate, z, undefined), true)[0]!;
      discriminatorUpdate(separate, config, r2, b2, fake, undefined, step, false, kept);
      const { grads } = tf.variableGrads(() => {
        const again = callModel(separate.generator, generatorInputs(separate, z, undefined), true)[0]!;
        return generatorLoss(separate, config, b2, again, undefined, false, kept);
      }, variablesOf(separate.generator));
      separate.gOptimizer.applyGradients(grads);
      tf.dispose(Object.values(kept));
    });
    tf.dispose([b1.images, b2.images]);
  }
  for (const [a, b] of [
    [shared.generator, separate.generator],
    [shared.discriminator, separate.discriminator],
  ] as const) {
    const [wa, wb] = [variablesOf(a), variablesOf(b)];
    for (let i = 0; i < wa.length; i++) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(wa[i]!, wb[i]!))).dataSync()[0]!);
      expect(diff, wa[i]!.name).toBeLessThan(1e-6);
    }
  }
  const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(variablesOf(shared.generator)[0]!, 0))).dataSync()[0]!);
  expect(moved).toBeGreaterThan(0);
  shared.dispose();
  separate.dispose();
});
