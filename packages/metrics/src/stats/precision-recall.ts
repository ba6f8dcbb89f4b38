import { GanKitError } from '@gankit/core';
import { gramBlocks } from '../linalg/ops';
import { getLinalg, type LinalgRuntime } from '../linalg/runtime';
import { checkFeaturePair, type FeatureMatrix } from './features';

/** Options of {@link precisionRecall}. */
export interface PrecisionRecallOptions {
  /** Neighbourhood size: a sample's radius is the distance to its k-th nearest neighbour (3). */
  k?: number;
  /** Threads for the float64 kernels. */
  threads?: number;
}

/** Improved precision and recall, both in [0, 1]. */
export interface PrecisionRecall {
  precision: number;
  recall: number;
}

const BLOCK_ROWS = 512;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019, "Improved precision and recall metric for assessing
 * generative models"): each set's manifold is the union of balls around its samples with radius = distance to
 * the k-th nearest neighbour (k = 3); precision = share of fake samples inside the real manifold, recall =
 * share of real samples inside the fake manifold. Exact (brute-force) Euclidean distances in float64.
 */
export async function precisionRecall(real: FeatureMatrix, fake: FeatureMatrix, options: PrecisionRecallOptions = {}): Promise<PrecisionRecall> {
  checkFeaturePair(real, fake, 'precisionRecall');
  const k = options.k ?? 3;
  if (!Number.isInteger(k) || k < 1 || k >= real.rows || k >= fake.rows) {
    throw new GanKitError('INVALID_ARGUMENT', `precisionRecall: k must be an integer in [1, min(N_real, N_fake) − 1], got ${k} (N_real = ${real.rows}, N_fake = ${fake.rows})`);
  }
  const rt = await getLinalg(options.threads);
  const realRadii = kthNeighbourDistances(rt, real, k);
  const fakeRadii = kthNeighbourDistances(rt, fake, k);
  return {
    precision: coveredShare(rt, fake, real, realRadii),
    recall: coveredShare(rt, real, fake, fakeRadii),
  };
}

export function squaredNorms(m: FeatureMatrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[i * m.cols + c]!;
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}

/** @internal Squared distance of each row to its k-th nearest other row (the row itself counts as neighbour 0). */
export function kthNeighbourDistances(rt: LinalgRuntime, m: FeatureMatrix, k: number): Float64Array {
  const n = m.rows;
  const norms = squaredNorms(m);
  const radii = new Float64Array(n);
  const row = new Float64Array(n);
  gramBlocks(rt, m.data, n, m.data, n, m.cols, BLOCK_ROWS, (g, i0, rb) => {
    for (let i = 0; i < rb; i++) {
      const gi = i0 + i;
      for (let j = 0; j < n; j++) row[j] = Math.max(0, norms[gi]! + norms[j]! - 2 * g[i * n + j]!);
      row[gi] = 0;
      radii[gi] = kthSmallest(row, k);
    }
  });
  return radii;
}

/** Share of rows of `queries` within radius (squared) of at least one row of `centres`. */
function coveredShare(rt: LinalgRuntime, queries: FeatureMatrix, centres: FeatureMatrix, radii: Float64Array): number {
  const qn = squaredNorms(queries);
  const cn = squaredNorms(centres);
  const m = centres.rows;
  let covered = 0;
  gramBlocks(rt, queries.data, queries.rows, centres.data, m, queries.cols, BLOCK_ROWS, (g, i0, rb) => {
    for (let i = 0; i < rb; i++) {
      const q = qn[i0 + i]!;
      for (let j = 0; j < m; j++) {
        if (Math.max(0, q + cn[j]! - 2 * g[i * m + j]!) <= radii[j]!) {
          covered++;
          break;
        }
      }
    }
  });
  return covered / queries.rows;
}

/** The k-th smallest value (0-based) of `values` (copied; quickselect). */
function kthSmallest(values: Float64Array, k: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
