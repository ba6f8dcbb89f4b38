import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { GanKitError } from '@gankit/core';
import { cloneModel, createGan, mappingNetworks, setTruncationPsi, styleGan2Parts, truncatedNormalArray, truncationKind, type Gan } from './index';
import { disposeGan } from './test-utils';
import { referencePython } from '../../../testing/python';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const tiny = { architecture: 'stylegan2', imageShape: [32, 32, 3], width: 4, latentDim: 6, wDim: 6, mappingLayers: 2 } as const;
const values = (t: tf.Tensor) => Array.from(t.dataSync());

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('stylegan2 generator behaviour', () => {
  it('disposing the generator frees every weight, including those its synthesis and mapping views share', () => {
    disposeGan(createGan({ ...tiny, seed: 1 })); // first pass: TF.js may cache constants once
    const before = tf.memory().numTensors;
    const gan = createGan({ ...tiny, seed: 1 });
    tf.tidy(() => void gan.styleGan2!.synthesis.predict(gan.styleGan2!.mapping.predict(tf.ones([2, 6])) as tf.Tensor));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    disposeGan(gan);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('outputs [B, H, W, C] at 28, 32 and 64; G = synthesis ∘ mapping with shared weights; predict is deterministic', () => {
    for (const [size, c] of [[28, 1], [32, 3], [64, 3]] as const) {
      const gan = createGan({ ...tiny, imageShape: [size, size, c], seed: 1 });
      const parts = gan.styleGan2!;
      tf.tidy(() => {
        const z = tf.randomNormal([3, 6], 0, 1, 'float32', 2);
        const image = gan.generator.predict(z) as tf.Tensor;
        expect(image.shape).toEqual([3, size, size, c]);
        expect(values(parts.synthesis.predict(parts.mapping.predict(z) as tf.Tensor) as tf.Tensor)).toEqual(values(image));
        expect(values(gan.generator.predict(z) as tf.Tensor)).toEqual(values(image));
        expect((parts.mapping.predict(z) as tf.Tensor).shape).toEqual([3, parts.numWs, 6]);
      });
      expect(parts.synthesis.trainableWeights.length + mappingNetworks(gan.generator)[0]!.trainableWeights.length).toBe(gan.generator.trainableWeights.length);
      disposeGan(gan);
    }
  });

  it('styleGan2Parts splits a saved and reloaded generator into the same mapping and synthesis as createGan\'s, and the reload still frees every weight', async () => {
    const gan = createGan({ ...tiny, imageShape: [28, 28, 1], seed: 3 });
    const built = gan.styleGan2!;
    // Non-zero noise strengths, so the synthesis view must also reach the fixed noise inputs.
    for (const layer of gan.generator.layers) {
      const index = layer.weights.findIndex((w) => w.name.includes('/noise_strength'));
      if (index >= 0) layer.setWeights(layer.getWeights().map((w, i) => (i === index ? tf.onesLike(w) : w)));
    }
    const before = tf.memory().numTensors;
    const loaded = await cloneModel(gan.generator);
    const parts = styleGan2Parts(loaded);
    expect([parts.numWs, parts.wDim]).toEqual([built.numWs, built.wDim]);
    tf.tidy(() => {
      const z = tf.randomNormal([3, 6], 0, 1, 'float32', 7);
      // A different style per layer, so every ModulatedConv2D's styleIndex is exercised.
      const ws = tf.randomNormal([3, built.numWs, built.wDim], 0, 1, 'float32', 8);
      expect(values(parts.mapping.predict(z) as tf.Tensor)).toEqual(values(built.mapping.predict(z) as tf.Tensor));
      expect(values(parts.synthesis.predict(ws) as tf.Tensor)).toEqual(values(built.synthesis.predict(ws) as tf.Tensor));
      expect(values(parts.synthesis.predict(parts.mapping.predict(z) as tf.Tensor) as tf.Tensor)).toEqual(values(loaded.predict(z) as tf.Tensor));
    });
    // The createGan generator gives the same halves too.
    const again = styleGan2Parts(gan.generator);
    tf.tidy(() => {
      const ws = tf.randomNormal([2, built.numWs, built.wDim], 0, 1, 'float32', 9);
      expect(values(again.synthesis.predict(ws) as tf.Tensor)).toEqual(values(built.synthesis.predict(ws) as tf.Tensor));
    });
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeGan(gan);
    const dcgan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width: 4, latentDim: 6, seed: 1 });
    let caught: unknown;
    try {
      styleGan2Parts(dcgan.generator);
    } catch (error) {
      caught = error;
    }
    expect(GanKitError.isInstance(caught) && caught.code).toBe('INVALID_ARGUMENT');
    expect((caught as Error).message).toMatch(/has no mapping network/);
    disposeGan(dcgan);
  });

  it('training calls draw fresh, seeded noise: two calls differ, the same seed repeats them, and restoring the saved counters repeats a call', () => {
    const run = (seed: number) => {
      const gan = createGan({ ...tiny, seed });
      // Non-zero noise strengths, so the noise shows in the images.
      for (const layer of gan.generator.layers) {
        const weights = layer.getWeights();
        const index = layer.weights.findIndex((w) => w.name.includes('/noise_strength'));
        if (index >= 0) layer.setWeights(weights.map((w, i) => (i === index ? tf.onesLike(w) : w)));
      }
      return gan;
    };
    const a = run(5);
    const b = run(5);
    const z = tf.randomNormal([2, 6], 0, 1, 'float32', 1);
    const saved = a.generator.getWeights().map((w) => w.clone());
    const a1 = a.generator.apply(z, { training: true }) as tf.Tensor;
    const a2 = a.generator.apply(z, { training: true }) as tf.Tensor;
    const b1 = b.generator.apply(z, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(a1, a2)).toBeGreaterThan(1e-3);
    expect(values(b1)).toEqual(values(a1));
    a.generator.setWeights(saved); // what resuming from a checkpoint does: the call counters and w_avg come back
    const again = a.generator.apply(z, { training: true }) as tf.Tensor;
    expect(values(again)).toEqual(values(a1));
    tf.dispose([z, a1, a2, b1, again, ...saved]);
    disposeGan(a);
    disposeGan(b);
  });

  it('style mixing (probability 1): the styles switch to a second latent from one crossover index on, which varies between calls', () => {
    const gan = createGan({ ...tiny, styleMixingProb: 1, seed: 3 });
    const { mapping, numWs } = gan.styleGan2!;
    const z = tf.randomNormal([2, 6], 0, 1, 'float32', 4);
    const plain = mapping.predict(z) as tf.Tensor3D; // ψ = 1 and w_avg = 0 at first: plain = f(z) broadcast
    const cutoffs = new Set<number>();
    for (let call = 0; call < 12; call++) {
      const mixed = mapping.apply(z, { training: true }) as tf.Tensor3D;
      const same = Array.from({ length: numWs }, (_, i) => maxAbsDiff(tf.slice(mixed, [0, i, 0], [2, 1, 6]), tf.slice(plain, [0, i, 0], [2, 1, 6])) === 0);
      const cutoff = same.indexOf(false);
      expect(cutoff).toBeGreaterThanOrEqual(1);
      expect(same.slice(cutoff).every((s) => !s)).toBe(true);
      expect(same.slice(0, cutoff).every((s) => s)).toBe(true);
      cutoffs.add(cutoff);
      mixed.dispose();
    }
    expect(cutoffs.size).toBeGreaterThan(1);
    tf.dispose([z, plain]);
    disposeGan(gan);
  });
});

describe('truncation trick', () => {
  it('ψ = 0 gives every z the mean image synthesis(w_avg); ψ → 0 approaches it; ψ = 1 is no truncation', () => {
    const gan = createGan({ ...tiny, seed: 7 });
    const { mapping, synthesis, numWs } = gan.styleGan2!;
    tf.tidy(() => {
      // Track a mean w first: w_avg is updated by training calls.
      for (let i = 0; i < 3; i++) mapping.apply(tf.randomNormal([8, 6], 0, 1, 'float32', 10 + i), { training: true });
      const wAvg = mappingNetworks(gan.generator)[0]!.meanW;
      expect(Math.max(...values(tf.abs(wAvg)))).toBeGreaterThan(0);
      const meanImage = synthesis.predict(tf.tile(tf.reshape(wAvg, [1, 1, 6]), [1, numWs, 1])) as tf.Tensor;
      const z = tf.randomNormal([4, 6], 0, 1, 'float32', 3);
      const free = gan.generator.predict(z) as tf.Tensor;
      expect(setTruncationPsi(gan.generator, 0)).toBe(1);
      const truncated = gan.generator.predict(z) as tf.Tensor;
      for (let i = 0; i < 4; i++) expect(maxAbsDiff(tf.slice(truncated, [i, 0, 0, 0], [1, 32, 32, 3]), meanImage)).toBeLessThan(1e-6);
      setTruncationPsi(gan.generator, 1e-4);
      const near = maxAbsDiff(gan.generator.predict(z) as tf.Tensor, tf.tile(meanImage, [4, 1, 1, 1]));
      setTruncationPsi(gan.generator, 0.5);
      const half = maxAbsDiff(gan.generator.predict(z) as tf.Tensor, tf.tile(meanImage, [4, 1, 1, 1]));
      setTruncationPsi(gan.generator, 1);
      expect(near).toBeLessThan(1e-3);
      expect(half).toBeGreaterThan(near);
      expect(values(gan.generator.predict(z) as tf.Tensor)).toEqual(values(free));
    });
    expect(truncationKind(gan.generator)).toBe('psi');
    expect(() => setTruncationPsi(gan.generator, Number.NaN)).toThrow(/finite/);
    disposeGan(gan);
  });

  it('z-truncation for the DCGAN family: t = 0 gives G(0) (the mean latent) for every sample, small t approaches it', () => {
    const gan: Gan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width: 4, latentDim: 8, seed: 2 });
    expect(truncationKind(gan.generator)).toBe('z');
    expect(() => setTruncationPsi(gan.generator, 0.5)).toThrow(/no mapping network/);
    tf.tidy(() => {
      const mean = gan.generator.predict(tf.zeros([1, 8])) as tf.Tensor;
      const zero = tf.tensor2d(truncatedNormalArray(createRng(1), 4 * 8, 0), [4, 8]);
      expect(values(zero).every((v) => v === 0)).toBe(true);
      expect(maxAbsDiff(gan.generator.predict(zero) as tf.Tensor, tf.tile(mean, [4, 1, 1, 1]))).toBe(0);
      const small = tf.tensor2d(truncatedNormalArray(createRng(1), 4 * 8, 1e-4), [4, 8]);
      expect(Math.max(...values(tf.abs(small)))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(gan.generator.predict(small) as tf.Tensor, tf.tile(mean, [4, 1, 1, 1]))).toBeLessThan(1e-3);
    });
    expect(() => truncatedNormalArray(createRng(1), 4, -1)).toThrow(/≥ 0/);
    disposeGan(gan);
  });

  const python = referencePython(['scipy'], 'z-truncation moments against scipy.stats.truncnorm');
  it.skipIf(python === undefined)('truncatedNormalArray is N(0, 1) truncated to [−t, t]: bounded, seeded, variance of scipy.stats.truncnorm (t < 1 and t ≥ 1 samplers)', () => {
    const thresholds = [0.3, 0.9, 1, 2];
    const probe = spawnSync(python!, ['-c', `import json; from scipy.stats import truncnorm; print(json.dumps([truncnorm.var(-t, t) for t in ${JSON.stringify(thresholds)}]))`], { encoding: 'utf8' });
    const variances = JSON.parse(probe.stdout) as number[];
    const n = 200_000;
    thresholds.forEach((t, k) => {
      const sample = truncatedNormalArray(createRng(11 + k), n, t);
      expect(Array.from(truncatedNormalArray(createRng(11 + k), 8, t))).toEqual(Array.from(sample.subarray(0, 8)));
      let sum = 0;
      let squares = 0;
      let max = 0;
      for (const v of sample) {
        sum += v;
        squares += v * v;
        max = Math.max(max, Math.abs(v));
      }
      expect(max).toBeLessThanOrEqual(t);
      expect(Math.abs(sum / n)).toBeLessThan((4 * Math.sqrt(variances[k]!)) / Math.sqrt(n));
      // The sample variance of n draws has a standard error below 2·var/√n for these bounded distributions.
      expect(Math.abs(squares / n - variances[k]!)).toBeLessThan((4 * variances[k]!) / Math.sqrt(n));
    });
  });
});
