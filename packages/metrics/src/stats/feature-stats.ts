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
}

/** Options of {@link featureStats} and {@link StreamingFeatureStats}. */
export interface FeatureStatsOptions {
  /** Threads for the float64 kernels (default: `GANKIT_THREADS` or all cores). */
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
    const inv = 1 / (n - 1);
    for (let i = 0; i < scatter.length; i++) scatter[i]! *= inv;
    return { mu: mean, sigma: scatter, n, dim: this.acc.dim };
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
