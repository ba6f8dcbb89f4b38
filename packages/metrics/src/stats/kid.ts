import { createRng, GanKitError } from '@gankit/core';
import { gramBlocks } from '../linalg/ops';
import { getLinalg, type LinalgRuntime } from '../linalg/runtime';
import { checkFeaturePair, type FeatureMatrix } from './features';
import { meanAndStd, type ScoreWithStd } from './inception-score';
import { NumpyRandomState } from './numpy-random';

/** Options of {@link kernelInceptionDistance}. */
export interface KidOptions {
  /** Number of random subsets (torch-fidelity: 100). */
  subsets?: number;
  /** Vectors per subset, drawn without replacement from each set (torch-fidelity: 1000). */
  subsetSize?: number;
  /** Seed of the subset sampling (torch-fidelity: 2020 with the 'numpy' sampler; 0 with 'gankit'). */
  seed?: number;
  /**
   * 'numpy' (default): the subsets torch-fidelity draws, `np.random.RandomState(seed).choice(N, size, replace=False)`
   * for the real then the fake set, reproduced exactly; 'gankit': gankit's `createRng(seed)` permutations.
   */
  sampler?: 'numpy' | 'gankit';
  /** Polynomial kernel degree (3). */
  degree?: number;
  /** Kernel scale γ (default 1/d). */
  gamma?: number;
  /** Kernel offset (1). */
  coef0?: number;
  /** Threads for the float64 kernels. */
  threads?: number;
}

/**
 * Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): mean and population std over
 * random subsets of the unbiased MMD² with the polynomial kernel k(x, y) = (γ x·y + c₀)^degree, γ = 1/d,
 * c₀ = 1, degree 3 (torch-fidelity's `kid`), in float64. Subsets are drawn without replacement, by default exactly
 * as torch-fidelity draws them.
 */
export async function kernelInceptionDistance(real: FeatureMatrix, fake: FeatureMatrix, options: KidOptions = {}): Promise<ScoreWithStd> {
  checkFeaturePair(real, fake, 'kernelInceptionDistance');
  const subsets = options.subsets ?? 100;
  const size = options.subsetSize ?? 1000;
  if (!Number.isInteger(subsets) || subsets < 1) throw new GanKitError('INVALID_ARGUMENT', `kernelInceptionDistance: subsets must be a positive integer, got ${subsets}`);
  if (!Number.isInteger(size) || size < 2 || size > real.rows || size > fake.rows) {
    throw new GanKitError(
      'INVALID_ARGUMENT',
      `kernelInceptionDistance: subsetSize must be an integer in [2, min(N_real, N_fake) = ${Math.min(real.rows, fake.rows)}], got ${size}`,
    );
  }
  const d = real.cols;
  const kernel = { degree: options.degree ?? 3, gamma: options.gamma ?? 1 / d, coef0: options.coef0 ?? 1 };
  const sampler = options.sampler ?? 'numpy';
  if (sampler !== 'numpy' && sampler !== 'gankit') throw new GanKitError('INVALID_ARGUMENT', `kernelInceptionDistance: sampler must be 'numpy' or 'gankit', got ${String(sampler)}`);
  const draw: (n: number) => Uint32Array = sampler === 'numpy'
    ? ((state) => (n: number) => state.choiceWithoutReplacement(n, size))(new NumpyRandomState(options.seed ?? 2020))
    : ((rng) => (n: number) => rng.permutation(n).subarray(0, size))(createRng(options.seed ?? 0));
  const rt = await getLinalg(options.threads);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const x = gatherRows(real, draw(real.rows));
    const y = gatherRows(fake, draw(fake.rows));
    values.push(unbiasedPolynomialMmd(rt, x, y, size, d, kernel));
  }
  return meanAndStd(values);
}

/** Unbiased MMD² between two equally sized sets with the polynomial kernel (torch-fidelity's `mmd2`). */
export function unbiasedPolynomialMmd(
  rt: LinalgRuntime,
  x: Float64Array,
  y: Float64Array,
  m: number,
  d: number,
  kernel: { degree: number; gamma: number; coef0: number },
): number {
  const k = (g: number): number => Math.pow(kernel.gamma * g + kernel.coef0, kernel.degree);
  const offDiagonalSum = (a: Float64Array): number => {
    let sum = 0;
    gramBlocks(rt, a, m, a, m, d, 512, (g, i0, rb) => {
      for (let i = 0; i < rb; i++) for (let j = 0; j < m; j++) if (i0 + i !== j) sum += k(g[i * m + j]!);
    });
    return sum;
  };
  let crossSum = 0;
  gramBlocks(rt, x, m, y, m, d, 512, (g) => {
    for (let t = 0; t < g.length; t++) crossSum += k(g[t]!);
  });
  return (offDiagonalSum(x) + offDiagonalSum(y)) / (m * (m - 1)) - (2 * crossSum) / (m * m);
}

function gatherRows(m: FeatureMatrix, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * m.cols);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let c = 0; c < m.cols; c++) out[i * m.cols + c] = m.data[r * m.cols + c]!;
  }
  return out;
}
