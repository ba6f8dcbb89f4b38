import { GanKitError } from '@gankit/core';
import { traceSqrtProduct } from '../linalg/ops';
import { getLinalg } from '../linalg/runtime';
import { checkFinite } from './features';

/** Mean and covariance of one side of the FID (from {@link featureStats} or a stats file). */
export interface GaussianStats {
  mu: ArrayLike<number>;
  sigma: ArrayLike<number>;
  /** Number of samples behind the estimate, if known (used for the N < d warning). */
  n?: number;
}

/** Options of {@link frechetDistance}. */
export interface FrechetOptions {
  /** Added to both diagonals when the product's square root comes out non-finite (pytorch-fid: 1e-6). */
  eps?: number;
  /** Receives warnings (default: `console.warn`). */
  onWarning?: (message: string) => void;
  /** Threads for the float64 kernels. */
  threads?: number;
}

/** FID with its parts, from {@link frechetDistanceDetailed}. */
export interface FrechetResult {
  /** ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr √(Σ₁Σ₂). */
  fid: number;
  /** ‖μ₁−μ₂‖². */
  meanTerm: number;
  /** Tr √(Σ₁Σ₂). */
  traceSqrt: number;
  /** Numerical rank of Σ₁ (pivoted Cholesky, tolerance d·ε·max Σ₁ᵢᵢ). */
  rank: number;
  /** True when ε had to be added to the diagonals (pytorch-fid's fallback). */
  epsAdded: boolean;
  /** Warnings emitted. */
  warnings: string[];
}

/**
 * Fréchet distance between two Gaussians (Heusel et al. 2017, "GANs trained by a two time-scale update rule"):
 * d² = ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr √(Σ₁Σ₂), with Tr √(Σ₁Σ₂) = Σᵢ √λᵢ of the symmetric PSD matrix
 * U Σ₂ Uᵀ where Σ₁ = UᵀU (pivoted Cholesky), so singular (N < d) covariances need no regularisation.
 */
export async function frechetDistance(a: GaussianStats, b: GaussianStats, options: FrechetOptions = {}): Promise<number> {
  return (await frechetDistanceDetailed(a, b, options)).fid;
}

/** {@link frechetDistance} with its parts, the rank found and the warnings. */
export async function frechetDistanceDetailed(a: GaussianStats, b: GaussianStats, options: FrechetOptions = {}): Promise<FrechetResult> {
  const d = a.mu.length;
  checkGaussian(a, d, 'first');
  checkGaussian(b, d, 'second');
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    (options.onWarning ?? ((m: string) => console.warn(m)))(message);
  };
  for (const [side, s] of [['first', a], ['second', b]] as const) {
    if (s.n !== undefined && s.n > 0 && s.n < d) {
      warn(`fid: the ${side} statistics come from N = ${s.n} < d = ${d} samples: its covariance is singular and the FID is biased; use at least ${d} samples (pytorch-fid uses 50,000)`);
    }
  }
  let meanTerm = 0;
  for (let i = 0; i < d; i++) {
    const diff = a.mu[i]! - b.mu[i]!;
    meanTerm += diff * diff;
  }
  const sigma1 = Float64Array.from(a.sigma);
  const sigma2 = Float64Array.from(b.sigma);
  const rt = await getLinalg(options.threads);
  let epsAdded = false;
  let result = tryTraceSqrt(rt, sigma1, sigma2, d);
  if (!result || !Number.isFinite(result.trace)) {
    const eps = options.eps ?? 1e-6;
    warn(`fid calculation produces singular product; adding ${eps.toExponential()} to diagonal of cov estimates`);
    for (let i = 0; i < d; i++) {
      sigma1[i * d + i]! += eps;
      sigma2[i * d + i]! += eps;
    }
    epsAdded = true;
    result = tryTraceSqrt(rt, sigma1, sigma2, d);
    if (!result || !Number.isFinite(result.trace)) {
      throw new GanKitError('NUMERIC_FAILURE', 'fid: Tr √(Σ₁Σ₂) is not finite even with ε on the diagonals');
    }
  }
  let minEigen = 0;
  for (const lambda of result.eigenvalues) minEigen = Math.min(minEigen, lambda);
  if (Math.sqrt(-minEigen) > 1e-3) {
    // pytorch-fid raises "Imaginary component" when √(Σ₁Σ₂) has an imaginary part above 1e-3.
    throw new GanKitError('NUMERIC_FAILURE', `fid: Σ₁Σ₂ has eigenvalue ${minEigen} < 0, so the covariances are not positive semi-definite (imaginary component ${Math.sqrt(-minEigen)})`);
  }
  if (result.rank < d) {
    warn(`fid: Σ₁ has rank ${result.rank} < d = ${d} (singular product); Tr √(Σ₁Σ₂) uses the ${result.rank} non-zero eigenvalues`);
  }
  let traces = 0;
  for (let i = 0; i < d; i++) traces += sigma1[i * d + i]! + sigma2[i * d + i]!;
  return { fid: meanTerm + traces - 2 * result.trace, meanTerm, traceSqrt: result.trace, rank: result.rank, epsAdded, warnings };
}

function tryTraceSqrt(rt: Awaited<ReturnType<typeof getLinalg>>, s1: Float64Array, s2: Float64Array, d: number): ReturnType<typeof traceSqrtProduct> | undefined {
  try {
    return traceSqrtProduct(rt, s1, s2, d);
  } catch (err) {
    if (GanKitError.isInstance(err) && err.code === 'NUMERIC_FAILURE') return undefined;
    throw err;
  }
}

function checkGaussian(s: GaussianStats, d: number, side: string): void {
  if (s.mu.length !== d) throw new GanKitError('SHAPE_MISMATCH', `fid: the ${side} mean has length ${s.mu.length}, expected ${d} (same as the first)`);
  if (d < 1) throw new GanKitError('SHAPE_MISMATCH', 'fid: empty mean vector');
  if (s.sigma.length !== d * d) {
    throw new GanKitError('SHAPE_MISMATCH', `fid: the ${side} covariance has ${s.sigma.length} entries, expected d×d = ${d}×${d}`);
  }
  checkFinite(s.mu, `fid: ${side} mean`);
  checkFinite(s.sigma, `fid: ${side} covariance`);
}
