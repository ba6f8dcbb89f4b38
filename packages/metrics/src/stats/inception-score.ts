import { GanKitError } from '@gankit/core';
import { checkFinite, checkMatrix, type FeatureMatrix } from './features';
import { numpyLegacyPermutation } from './numpy-random';

/** Options of {@link inceptionScore}. */
export interface InceptionScoreOptions {
  /** Number of equal splits (torch-fidelity and the original IS code: 10). */
  splits?: number;
  /** Shuffle the rows first as torch-fidelity does (`np.random.RandomState(seed).permutation(N)`); default true. */
  shuffle?: boolean;
  /** Seed of that shuffle (torch-fidelity: 2020). */
  shuffleSeed?: number;
}

/** Mean and population standard deviation of the per-split scores. */
export interface ScoreWithStd {
  mean: number;
  std: number;
}

/**
 * Inception Score (Salimans et al. 2016, "Improved techniques for training GANs"):
 * IS = exp(E_x KL(p(y|x) ‖ p(y))), per split, from class logits, with torch-fidelity's conventions: float64
 * rows shuffled by NumPy's `RandomState(2020).permutation(N)` (reproduced exactly; `shuffle: false` keeps the
 * given order, as the original IS code), float64 softmax, split i = rows ⌊iN/s⌋ … ⌊(i+1)N/s⌋−1, mean and
 * population std over the splits.
 */
export function inceptionScore(logits: FeatureMatrix, options: InceptionScoreOptions = {}): ScoreWithStd {
  checkMatrix(logits, 'inceptionScore logits');
  checkFinite(logits.data, 'inceptionScore logits');
  const splits = options.splits ?? 10;
  const { rows: n, cols: c } = logits;
  const order = options.shuffle === false ? undefined : numpyLegacyPermutation(options.shuffleSeed ?? 2020, n);
  if (!Number.isInteger(splits) || splits < 1 || splits > n) {
    throw new GanKitError('INVALID_ARGUMENT', `inceptionScore: splits must be an integer in [1, N = ${n}], got ${splits}`);
  }
  // float64 softmax and log-softmax per row
  const p = new Float64Array(n * c);
  const logP = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray((order ? order[i]! : i) * c, ((order ? order[i]! : i) + 1) * c);
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, row[j]!);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(row[j]! - max);
    const logSum = Math.log(sum) + max;
    for (let j = 0; j < c; j++) {
      const lp = row[j]! - logSum;
      logP[i * c + j] = lp;
      p[i * c + j] = Math.exp(lp);
    }
  }
  const scores: number[] = [];
  for (let s = 0; s < splits; s++) {
    const r0 = Math.floor((s * n) / splits);
    const r1 = Math.floor(((s + 1) * n) / splits);
    const q = new Float64Array(c);
    for (let i = r0; i < r1; i++) for (let j = 0; j < c; j++) q[j]! += p[i * c + j]!;
    for (let j = 0; j < c; j++) q[j] = Math.log(q[j]! / (r1 - r0));
    let kl = 0;
    for (let i = r0; i < r1; i++) {
      let row = 0;
      for (let j = 0; j < c; j++) row += p[i * c + j]! * (logP[i * c + j]! - q[j]!);
      kl += row;
    }
    scores.push(Math.exp(kl / (r1 - r0)));
  }
  return meanAndStd(scores);
}

/** Mean and population standard deviation (NumPy's `np.std`, ddof = 0). */
export function meanAndStd(values: readonly number[]): ScoreWithStd {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
