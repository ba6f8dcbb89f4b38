// intra-FID, density/coverage, PPL and CAS against the NumPy/SciPy implementations written from the papers in
// test/fixtures/metrics/make_fixtures.py (fixtures committed next to it), and exact merging of streamed statistics.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readNpz, type NpyArray } from '@gankit/data/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationAccuracyScore, predictLinear, trainRidgeClassifier } from './cas';
import { densityCoverage } from './density-coverage';
import { featureMatrix, type FeatureMatrix } from './features';
import { mergeFeatureStats, StreamingFeatureStats, type FeatureStats } from './feature-stats';
import { frechetDistance } from './frechet';
import { intraFid } from './intra-fid';
import { perceptualPathLength, squaredFeatureDistance } from './ppl';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'metrics');

function f64(a: NpyArray | undefined): Float64Array {
  if (!a) throw new Error('missing array');
  return a.data instanceof Float64Array ? a.data : Float64Array.from(a.data as ArrayLike<number>, Number);
}
function f32(a: NpyArray | undefined): Float32Array {
  if (!a) throw new Error('missing array');
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>, Number);
}
function ints(a: NpyArray | undefined): Int32Array {
  return Int32Array.from(f64(a));
}
function rows(a: NpyArray | undefined): FeatureMatrix {
  return featureMatrix(f64(a), a!.shape[1]!);
}
function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

async function statsOf(m: FeatureMatrix, select?: (row: number) => boolean): Promise<FeatureStats> {
  const acc = await StreamingFeatureStats.create(m.cols);
  for (let r = 0; r < m.rows; r++) if (!select || select(r)) acc.add({ data: m.data.subarray(r * m.cols, (r + 1) * m.cols), rows: 1, cols: m.cols });
  return acc.finish();
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('intra-FID', () => {
  it('is the mean per-class FID of the NumPy/SciPy reference (≤ 1e-6 relative)', async () => {
    const f = await readNpz(join(FIXTURES, 'intra_fid.npz'));
    const real = rows(f.real);
    const fake = rows(f.fake);
    const rl = ints(f.real_labels);
    const fl = ints(f.fake_labels);
    const perClass = f64(f.per_class);
    const realStats = await Promise.all([...perClass.keys()].map((c) => statsOf(real, (r) => rl[r] === c)));
    const fakeStats = await Promise.all([...perClass.keys()].map((c) => statsOf(fake, (r) => fl[r] === c)));
    const result = await intraFid(realStats, fakeStats, { onWarning: () => undefined });
    result.perClass.forEach((v, c) => expect(relative(v, perClass[c]!)).toBeLessThan(1e-6));
    expect(relative(result.mean, f64(f.mean)[0]!)).toBeLessThan(1e-6);
  });
});

describe('density and coverage', () => {
  it('match the NumPy implementation of Naeem et al. 2020 exactly', async () => {
    const f = await readNpz(join(FIXTURES, 'density_coverage.npz'));
    const k = f64(f.k)[0]!;
    const result = await densityCoverage(rows(f.real), rows(f.fake), { k });
    expect(relative(result.density, f64(f.density)[0]!)).toBeLessThan(1e-6);
    expect(relative(result.coverage, f64(f.coverage)[0]!)).toBeLessThan(1e-6);
    // the real set against itself covers everything
    expect((await densityCoverage(rows(f.real), rows(f.real), { k })).coverage).toBe(1);
  });
});

describe('perceptual path length', () => {
  it('matches the NumPy reference on fixed latents (float32 generator: ≤ 1e-4 relative) and leaks no tensors', async () => {
    const f = await readNpz(join(FIXTURES, 'ppl.npz'));
    const w = tf.tensor2d(f32(f.w), [f.w!.shape[0]!, 16]);
    const v = f32(f.v);
    const eps = f64(f.eps)[0]!;
    const features = (x: tf.Tensor4D): Float32Array => {
      const out = tf.tidy(() => tf.matMul(tf.reshape(x, [x.shape[0], 16]), tf.tensor2d(v, [16, 3])));
      const data = out.dataSync() as Float32Array;
      out.dispose();
      return data;
    };
    const before = tf.memory().numTensors;
    const result = await perceptualPathLength({
      latentDim: f.w!.shape[0]!,
      generate: (z) => tf.tidy(() => tf.reshape(tf.tanh(tf.matMul(z, w)), [z.shape[0], 4, 4, 1])),
      distance: (a, b) => Promise.resolve(squaredFeatureDistance(features(a), features(b), 3)),
      epsilon: eps,
      latents: { z0: f32(f.z0), z1: f32(f.z1), t: f32(f.t) },
      batchSize: 64,
    });
    expect(tf.memory().numTensors).toBe(before);
    const expected = f64(f.distances);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, relative(result.distances[i]!, expected[i]!));
    expect(worst).toBeLessThan(1e-3);
    expect(result.kept).toBe(f64(f.kept)[0]);
    expect(relative(result.ppl, f64(f.ppl)[0]!)).toBeLessThan(1e-4);
    w.dispose();
  });
});

describe('classification accuracy score', () => {
  it('trains the same ridge classifier as NumPy (weights ≤ 1e-6 relative) and reports its test accuracy', async () => {
    const f = await readNpz(join(FIXTURES, 'cas.npz'));
    const k = f64(f.k)[0]!;
    const lambda = f64(f.lam)[0]!;
    const classifier = await trainRidgeClassifier(rows(f.x_train), ints(f.y_train), k, { lambda });
    const expected = f64(f.weights);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(classifier.weights[i]! - expected[i]!));
    expect(worst / scale).toBeLessThan(1e-6);
    expect(Array.from(predictLinear(classifier, rows(f.x_test)))).toEqual(Array.from(ints(f.predictions)));
    const cas = await classificationAccuracyScore({ train: rows(f.x_train), trainLabels: ints(f.y_train), test: rows(f.x_test), testLabels: ints(f.y_test), numClasses: k }, { lambda });
    expect(cas).toBe(f64(f.accuracy)[0]);
  });
});

describe('merging statistics', () => {
  it('merges shards exactly: μ, Σ and the FID equal one streamed pass (≤ 1e-12 relative)', async () => {
    const f = await readNpz(join(FIXTURES, 'density_coverage.npz'));
    const real = rows(f.real);
    const fake = await statsOf(rows(f.fake));
    const whole = await statsOf(real);
    const bounds = [0, 37, 150, 152, real.rows];
    const parts = await Promise.all(bounds.slice(0, -1).map((start, i) => statsOf(real, (r) => r >= start && r < bounds[i + 1]!)));
    const merged = mergeFeatureStats(parts);
    expect(merged.n).toBe(whole.n);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < whole.sigma.length; i++) {
      worst = Math.max(worst, Math.abs(merged.sigma[i]! - whole.sigma[i]!));
      scale = Math.max(scale, Math.abs(whole.sigma[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-12);
    const a = await frechetDistance(merged, fake);
    const b = await frechetDistance(whole, fake);
    expect(relative(a, b)).toBeLessThan(1e-12);
    expect(() => mergeFeatureStats([{ ...whole, comoment: undefined }], ['plain.npz'])).toThrow(/plain\.npz has no count and co-moment/);
  });
});
