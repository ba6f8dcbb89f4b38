import { GanKitError, createRng } from '@gankit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link perceptualPathLength}. */
export interface PerceptualPathLengthOptions {
  /** Size of the latent vector z. */
  latentDim: number;
  /**
   * z [B, latentDim] → images [B, H, W, C] in [−1, 1] (used for `space: 'z'`); `offset` is the index of the batch's
   * first path sample, so a conditional generator can hold its label fixed along each path.
   */
  generate?: (z: tf.Tensor2D, offset: number) => tf.Tensor4D;
  /** Mapping network z → w [B, wDim] and synthesis network w → images, for `space: 'w'` (StyleGAN-like generators). */
  mapping?: (z: tf.Tensor2D, offset: number) => tf.Tensor2D;
  synthesis?: (w: tf.Tensor2D, offset: number) => tf.Tensor4D;
  /** Perceptual distance of each pair of image batches (images in [0, 255], float): one value per row. */
  distance: (a: tf.Tensor4D, b: tf.Tensor4D) => Promise<Float64Array>;
  /** `z` (slerp between latents) or `w` (lerp between mapped latents; needs mapping + synthesis). Default: `w` when a mapping is given, else `z`. */
  space?: 'z' | 'w';
  /** Number of path samples (StyleGAN: 100,000). */
  num?: number;
  /** Step ε (1e-4). */
  epsilon?: number;
  /** `full`: t ~ U(0, 1); `end`: t ∈ {0, 1} (StyleGAN's two variants). */
  sampling?: 'full' | 'end';
  /** Samples per generator call (default 32). */
  batchSize?: number;
  seed?: number;
  /** Fixed draws instead of seeded ones: z₀, z₁ [num × latentDim] and t [num] (for reference comparisons). */
  latents?: { z0: Float32Array; z1: Float32Array; t: Float32Array };
}

/** PPL with the per-sample distances behind it. */
export interface PerceptualPathLength {
  /** Mean of d/ε² over the samples between the 1st and 99th percentiles. */
  ppl: number;
  /** d(G(l(t)), G(l(t+ε))) / ε² for every sample, unfiltered. */
  distances: Float64Array;
  /** Samples kept by the percentile filter. */
  kept: number;
  space: 'z' | 'w';
}

/** Spherical interpolation (Shoemake 1985) between rows of a and b at t: sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, Ω = ∠(a, b). */
export function slerp(a: tf.Tensor2D, b: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const na = tf.div(a, tf.norm(a, 'euclidean', 1, true));
    const nb = tf.div(b, tf.norm(b, 'euclidean', 1, true));
    const cos = tf.clipByValue(tf.sum(tf.mul(na, nb), 1, true), -1, 1);
    const omega = tf.acos(cos);
    const sinOmega = tf.sin(omega);
    const tt = tf.reshape(t, [-1, 1]);
    const wa = tf.div(tf.sin(tf.mul(tf.sub(1, tt), omega)), sinOmega);
    const wb = tf.div(tf.sin(tf.mul(tt, omega)), sinOmega);
    return tf.add<tf.Tensor2D>(tf.mul(wa, a), tf.mul(wb, b));
  });
}

/** Linear interpolation a + t·(b − a), row-wise. */
export function lerp(a: tf.Tensor2D, b: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.add<tf.Tensor2D>(a, tf.mul(tf.reshape(t, [-1, 1]), tf.sub(b, a))));
}

/** NumPy's percentile with interpolation 'lower' / 'higher' on a sorted array. */
function percentileOf(sorted: Float64Array, q: number, mode: 'lower' | 'higher'): number {
  const pos = ((sorted.length - 1) * q) / 100;
  return sorted[mode === 'lower' ? Math.floor(pos) : Math.ceil(pos)]!;
}

/**
 * Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for GANs", §4.2):
 * PPL = E[ d(G(l(t)), G(l(t+ε))) / ε² ] with t ~ U(0, 1), l = slerp(z₀, z₁, ·) in z or lerp(f(z₀), f(z₁), ·) in w,
 * ε = 1e-4, and — as StyleGAN's code — only distances between the 1st ('lower') and 99th ('higher') percentiles
 * averaged. The paper's d is LPIPS-VGG; here it is whatever `distance` computes (gankit-eval: squared Euclidean
 * distance of the extractor's features).
 */
export async function perceptualPathLength(options: PerceptualPathLengthOptions): Promise<PerceptualPathLength> {
  const space = options.space ?? (options.mapping ? 'w' : 'z');
  if (space === 'w' && (!options.mapping || !options.synthesis)) throw new GanKitError('INVALID_ARGUMENT', "perceptualPathLength: space 'w' needs mapping and synthesis networks");
  if (space === 'z' && !options.generate) throw new GanKitError('INVALID_ARGUMENT', "perceptualPathLength: space 'z' needs generate(z)");
  const d = options.latentDim;
  const num = options.latents ? options.latents.t.length : (options.num ?? 10_000);
  const epsilon = options.epsilon ?? 1e-4;
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(num) || num < 1) throw new GanKitError('INVALID_ARGUMENT', `perceptualPathLength: num must be a positive integer, got ${num}`);
  if (!(epsilon > 0)) throw new GanKitError('INVALID_ARGUMENT', `perceptualPathLength: epsilon must be > 0, got ${epsilon}`);
  let { z0, z1, t } = options.latents ?? { z0: new Float32Array(0), z1: new Float32Array(0), t: new Float32Array(0) };
  if (!options.latents) {
    const rng = createRng(options.seed ?? 0);
    z0 = rng.normalArray(num * d);
    z1 = rng.normalArray(num * d);
    t = options.sampling === 'end' ? Float32Array.from({ length: num }, () => (rng.uniform() < 0.5 ? 0 : 1)) : rng.uniformArray(num);
  } else if (z0.length !== num * d || z1.length !== num * d) {
    throw new GanKitError('SHAPE_MISMATCH', `perceptualPathLength: latents z0/z1 must have num × latentDim = ${num}×${d} values`);
  }
  const distances = new Float64Array(num);
  for (let start = 0; start < num; start += batchSize) {
    const n = Math.min(batchSize, num - start);
    const [a, b] = tf.tidy(() => {
      const za = tf.tensor2d(z0.subarray(start * d, (start + n) * d), [n, d]);
      const zb = tf.tensor2d(z1.subarray(start * d, (start + n) * d), [n, d]);
      const t0 = tf.tensor1d(t.subarray(start, start + n));
      const t1 = tf.add<tf.Tensor1D>(t0, epsilon);
      const toPixels = (x: tf.Tensor4D): tf.Tensor4D => tf.clipByValue(tf.mul<tf.Tensor4D>(tf.add(x, 1), 127.5), 0, 255);
      if (space === 'z') return [toPixels(options.generate!(slerp(za, zb, t0), start)), toPixels(options.generate!(slerp(za, zb, t1), start))];
      const wa = options.mapping!(za, start);
      const wb = options.mapping!(zb, start);
      return [toPixels(options.synthesis!(lerp(wa, wb, t0), start)), toPixels(options.synthesis!(lerp(wa, wb, t1), start))];
    });
    try {
      const dist = await options.distance(a, b);
      if (dist.length !== n) throw new GanKitError('SHAPE_MISMATCH', `perceptualPathLength: distance returned ${dist.length} values for ${n} pairs`);
      for (let i = 0; i < n; i++) distances[start + i] = dist[i]! / (epsilon * epsilon);
    } finally {
      tf.dispose([a, b]);
    }
  }
  const sorted = distances.slice().sort();
  const lo = percentileOf(sorted, 1, 'lower');
  const hi = percentileOf(sorted, 99, 'higher');
  let sum = 0;
  let kept = 0;
  for (const v of distances) {
    if (v >= lo && v <= hi) {
      sum += v;
      kept++;
    }
  }
  return { ppl: sum / kept, distances, kept, space };
}

/** Squared Euclidean distance between feature rows: Σⱼ (aᵢⱼ − bᵢⱼ)², in float64. */
export function squaredFeatureDistance(a: Float32Array, b: Float32Array, dim: number): Float64Array {
  const n = a.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const diff = a[i * dim + j]! - b[i * dim + j]!;
      s += diff * diff;
    }
    out[i] = s;
  }
  return out;
}
