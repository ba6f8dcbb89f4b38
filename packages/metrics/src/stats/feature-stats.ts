import { GanKitError } from '@gankit/core';
import { ScatterAccumulator } from '../linalg/ops';
import { getLinalg } from '../linalg/runtime';
import { checkFinite, checkMatrix, type FeatureMatrix } from './features';

/** Mean and unbiased covariance of a set of feature vectors (float64), as pytorch-fid computes them. */
export interface FeatureStats {
  /** Mean vector μ (length dim). */
  mu: Float64Array;
  /** Covariance Σ = Σᵢ(xᵢ−μ)(xᵢ−μ)ᵀ/(N−1), row-major dim×dim. */
  sigma: Float64Array;
  /** Number of vectors N (0 when unknown, e.g. loaded from a stats file). */
  n: number;
  /** Feature size d. */
  dim: number;
  /**
   * The co-moment (scatter) matrix M₂ = Σᵢ(xᵢ−μ)(xᵢ−μ)ᵀ, row-major d×d, when known (streamed statistics and gankit's
   * shard files); with `n` and μ it lets statistics of disjoint sets be merged exactly ({@link mergeFeatureStats}).
   */
  comoment?: Float64Array;
}

/** Options of {@link featureStats} and {@link StreamingFeatureStats}. */
export interface FeatureStatsOptions {
  /** Threads for the float64 kernels (default: the engine's `configureWasm({ threads })`, i.e. `defaultWasmThreads()`). */
  threads?: number;
}

/**
 * Streaming μ and Σ (N−1 normalisation, like `np.cov(x, rowvar=False)`): add batches, then `finish()`.
 * Rows are centred per 1024-row chunk and merged with Chan et al.'s pairwise update, in float64.
 */
export class StreamingFeatureStats {
  private readonly acc: ScatterAccumulator;
  private finished = false;

  private constructor(acc: ScatterAccumulator) {
    this.acc = acc;
  }

  /** Starts an accumulator for `dim`-dimensional features. */
  static async create(dim: number, options: FeatureStatsOptions = {}): Promise<StreamingFeatureStats> {
    if (!Number.isInteger(dim) || dim < 1) throw new GanKitError('INVALID_ARGUMENT', `featureStats: feature size must be a positive integer, got ${dim}`);
    const rt = await getLinalg(options.threads);
    return new StreamingFeatureStats(new ScatterAccumulator(rt, dim));
  }

  /** Feature size d. */
  get dim(): number {
    return this.acc.dim;
  }

  /** Number of vectors added so far. */
  get n(): number {
    return this.acc.n;
  }

  /** Adds a batch of feature vectors. */
  add(batch: FeatureMatrix): void {
    if (this.finished) throw new GanKitError('INVALID_ARGUMENT', 'featureStats: add() after finish()');
    checkMatrix(batch, 'featureStats batch', this.acc.dim);
    checkFinite(batch.data, 'featureStats batch');
    if (batch.rows > 0) this.acc.add(batch.data, batch.rows);
  }

  /** Returns μ and Σ; needs at least 2 vectors. */
  finish(): FeatureStats {
    if (this.finished) throw new GanKitError('INVALID_ARGUMENT', 'featureStats: finish() called twice');
    const n = this.acc.n;
    if (n < 2) {
      this.dispose();
      throw new GanKitError('INVALID_ARGUMENT', `featureStats: the covariance needs at least 2 feature vectors, got ${n}`);
    }
    this.finished = true;
    const { mean, scatter } = this.acc.finish();
    return { mu: mean, sigma: covarianceOf(scatter, n), n, dim: this.acc.dim, comoment: scatter };
  }

  /** Frees the accumulator without a result. */
  dispose(): void {
    this.finished = true;
    this.acc.dispose();
  }
}

/**
 * μ and unbiased Σ (N−1) of feature vectors given as batches (sync or async iterable), in float64,
 * streaming: the batches are never held together. Same numbers as `np.mean(x, 0)`, `np.cov(x, rowvar=False)`.
 */
export async function featureStats(
  batches: Iterable<FeatureMatrix> | AsyncIterable<FeatureMatrix>,
  options: FeatureStatsOptions = {},
): Promise<FeatureStats> {
  let stats: StreamingFeatureStats | undefined;
  try {
    for await (const batch of batches) {
      stats ??= await StreamingFeatureStats.create(batch.cols, options);
      stats.add(batch);
    }
  } catch (err) {
    stats?.dispose();
    throw err;
  }
  if (!stats) throw new GanKitError('EMPTY_DATASET', 'featureStats: no feature batches were given');
  return stats.finish();
}

/** Σ = M₂/(N−1), a new array. */
function covarianceOf(comoment: Float64Array, n: number): Float64Array {
  const sigma = new Float64Array(comoment.length);
  const inv = 1 / (n - 1);
  for (let i = 0; i < comoment.length; i++) sigma[i] = comoment[i]! * inv;
  return sigma;
}

/**
 * Merges statistics of disjoint sets exactly (Chan, Golub & LeVeque 1979): N = Σ Nₖ, μ = Σ Nₖμₖ / N,
 * M₂ = Σ M₂ₖ + Σ Nₖ(μₖ−μ)(μₖ−μ)ᵀ, Σ = M₂/(N−1). Every part needs its count and co-moment (gankit's shard files
 * carry them; pytorch-fid files, with only μ and Σ, cannot be merged exactly and are refused).
 */
export function mergeFeatureStats(parts: readonly FeatureStats[], names: readonly string[] = parts.map((_, i) => `part ${i + 1}`)): FeatureStats {
  if (parts.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'mergeFeatureStats: no statistics to merge');
  const d = parts[0]!.dim;
  parts.forEach((p, i) => {
    if (p.dim !== d) throw new GanKitError('SHAPE_MISMATCH', `mergeFeatureStats: ${names[i]} has ${p.dim}-d statistics but ${names[0]} has ${d}-d (different extractors)`);
    if (!p.comoment || !(p.n > 0)) {
      throw new GanKitError('FILE_MISMATCH', `mergeFeatureStats: ${names[i]} has no count and co-moment (n, comoment): only statistics written by \`gankit-eval stats\` can be merged exactly`);
    }
  });
  let n = 0;
  for (const p of parts) n += p.n;
  const mu = new Float64Array(d);
  for (const p of parts) for (let j = 0; j < d; j++) mu[j]! += p.n * p.mu[j]!;
  for (let j = 0; j < d; j++) mu[j]! /= n;
  const comoment = new Float64Array(d * d);
  const delta = new Float64Array(d);
  for (const p of parts) {
    const m2 = p.comoment!;
    for (let j = 0; j < d; j++) delta[j] = p.mu[j]! - mu[j]!;
    for (let r = 0; r < d; r++) {
      const dr = p.n * delta[r]!;
      const row = r * d;
      for (let c = 0; c < d; c++) comoment[row + c]! += m2[row + c]! + dr * delta[c]!;
    }
  }
  if (n < 2) throw new GanKitError('INVALID_ARGUMENT', `mergeFeatureStats: the covariance needs at least 2 feature vectors, got ${n}`);
  return { mu, sigma: covarianceOf(comoment, n), n, dim: d, comoment };
}
