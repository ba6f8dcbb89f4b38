import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeMetrics, type ImageBatch } from './compute-metrics';
import type { ExtractedFeatures, FeatureExtractor } from './extractor';
import { featureMatrix } from './stats/features';
import { featureStats } from './stats/feature-stats';
import { frechetDistance } from './stats/frechet';
import { inceptionScore } from './stats/inception-score';
import { kernelInceptionDistance } from './stats/kid';
import { precisionRecall } from './stats/precision-recall';

/**
 * A small but real extractor made of TF.js ops: images → [0,1] → 3×3 average-pooled grid (9·C values)
 * → ReLU(x·W₁) features (12) → logits = features·W₂ (5 classes). Weights are fixed by a seed.
 */
function tinyExtractor(channels: number): FeatureExtractor & { calls: number } {
  const rng = createRng(42);
  const w1 = tf.tensor2d(rng.normalArray(9 * channels * 12), [9 * channels, 12]);
  const w2 = tf.tensor2d(rng.normalArray(12 * 5), [12, 5]);
  const extractor = {
    name: 'tiny-test-extractor',
    featureDim: 12,
    numClasses: 5,
    inputSize: `any HxWx${channels}, pooled to 3x3`,
    calls: 0,
    async extract(images: tf.Tensor4D): Promise<ExtractedFeatures> {
      extractor.calls++;
      const [features, logits] = tf.tidy((): [tf.Tensor2D, tf.Tensor2D] => {
        const x = tf.div<tf.Tensor4D>(tf.cast(images, 'float32'), 255);
        const pooled = tf.image.resizeBilinear(x, [3, 3]);
        const flat = tf.reshape(pooled, [images.shape[0], 9 * channels]);
        const f = tf.relu(tf.sub<tf.Tensor2D>(tf.matMul(flat, w1), 0.1));
        return [f, tf.matMul(f, w2)];
      });
      const out = { features: (await features.data()) as Float32Array, logits: (await logits.data()) as Float32Array };
      features.dispose();
      logits.dispose();
      return out;
    },
    dispose(): void {
      w1.dispose();
      w2.dispose();
    },
  };
  return extractor;
}

/** Seeded random uint8 images, yielded in batches of `per` (tensors, or raw bytes when `raw`). */
function* images(seed: number, count: number, per: number, bright: number, raw = false): Generator<ImageBatch> {
  const rng = createRng(seed);
  for (let start = 0; start < count; start += per) {
    const b = Math.min(per, count - start);
    const data = new Uint8Array(b * 8 * 8 * 1);
    for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.floor(rng.uniform() * 200 + bright * ((i % 8) / 8)));
    yield raw ? { data, shape: [b, 8, 8, 1] } : tf.tensor4d(data, [b, 8, 8, 1], 'int32');
  }
}

async function extractAll(extractor: FeatureExtractor, batches: Iterable<ImageBatch>): Promise<{ features: Float32Array; logits: Float32Array }> {
  const f: number[] = [];
  const l: number[] = [];
  for (const batch of batches) {
    const t = batch instanceof tf.Tensor ? batch : tf.tensor4d(batch.data, batch.shape, 'int32');
    const out = await extractor.extract(t);
    t.dispose();
    f.push(...out.features);
    l.push(...out.logits);
  }
  return { features: Float32Array.from(f), logits: Float32Array.from(l) };
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const kid = { subsets: 4, subsetSize: 20 };
const quiet = (): void => undefined;

describe('computeMetrics', () => {
  it('equals the metric functions applied to the same extractor outputs, extracting each image once', async () => {
    const extractor = tinyExtractor(1);
    const progress: string[] = [];
    const result = await computeMetrics({
      real: images(1, 41, 7, 40),
      fake: images(2, 36, 9, 90, true),
      extractor,
      metrics: ['fid', 'is', 'kid', 'pr'],
      batchSize: 4,
      seed: 5,
      kid,
      is: { splits: 3 },
      onProgress: (p) => progress.push(`${p.side}:${p.images}`),
      onWarning: quiet,
    });
    // 41 real images in batches of 7 split to ≤ 4: 5×(4+3) + (4+2) = 12 calls; 36 fake in 9s: 4×(4+4+1) = 12 calls
    expect(extractor.calls).toBe(24);
    expect(result.counts).toEqual({ real: 41, fake: 36 });
    expect(progress.at(-1)).toBe('fake:36');
    expect(progress[0]).toBe('real:4');

    const real = await extractAll(extractor, images(1, 41, 7, 40));
    const fake = await extractAll(extractor, images(2, 36, 9, 90, true));
    const realM = featureMatrix(real.features, 12);
    const fakeM = featureMatrix(fake.features, 12);
    const fid = await frechetDistance(await featureStats([realM]), await featureStats([fakeM]), { onWarning: quiet });
    expect(result.fid).toBeGreaterThan(0);
    expect(Math.abs(result.fid! - fid) / fid).toBeLessThan(1e-9);
    expect(result.is).toEqual(inceptionScore(featureMatrix(fake.logits, 5), { splits: 3 }));
    expect(result.kid).toEqual(await kernelInceptionDistance(realM, fakeM, { ...kid, seed: 5 }));
    expect(result.pr).toEqual(await precisionRecall(realM, fakeM));
    expect(result.realStats?.n).toBe(41);
    extractor.dispose();
  });

  it('accepts precomputed real statistics for FID and leaks no tensors', async () => {
    const extractor = tinyExtractor(1);
    const first = await computeMetrics({ real: images(3, 30, 10, 0), fake: images(4, 30, 10, 60), extractor, metrics: ['fid'], onWarning: quiet });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const again = await computeMetrics({ real: first.realStats!, fake: images(4, 30, 10, 60), extractor, metrics: ['fid', 'is'], is: { splits: 2 }, onWarning: quiet });
      expect(again.fid).toBeCloseTo(first.fid!, 10);
      expect(again.counts.real).toBe(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    extractor.dispose();
  });

  it('keeps at most `num` features per side for KID/PR', async () => {
    const extractor = tinyExtractor(1);
    const r = await computeMetrics({ real: images(5, 40, 8, 0), fake: images(6, 40, 8, 50), extractor, metrics: ['pr'], num: 25 });
    const real = await extractAll(extractor, images(5, 25, 8, 0));
    const fake = await extractAll(extractor, images(6, 25, 8, 50));
    expect(r.pr).toEqual(await precisionRecall(featureMatrix(real.features, 12), featureMatrix(fake.features, 12)));
    extractor.dispose();
  });

  it('names what is wrong', async () => {
    const extractor = tinyExtractor(1);
    await expect(computeMetrics({ fake: images(1, 4, 4, 0), extractor, metrics: ['fid'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const stats = { mu: new Float64Array(12), sigma: new Float64Array(144), n: 0, dim: 12 };
    await expect(computeMetrics({ real: stats, fake: images(1, 4, 4, 0), extractor, metrics: ['kid'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(computeMetrics({ fake: images(1, 4, 4, 0), extractor, metrics: ['fdi' as 'fid'] })).rejects.toMatchObject({ code: 'UNKNOWN_NAME' });
    await expect(computeMetrics({ real: images(1, 0, 4, 0), fake: images(1, 4, 4, 0), extractor, metrics: ['fid'] })).rejects.toMatchObject({ code: 'EMPTY_DATASET' });
    await expect(computeMetrics({ fake: [{ data: new Uint8Array(5), shape: [1, 2, 2, 1] }], extractor, metrics: ['is'] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    extractor.dispose();
  });
});
