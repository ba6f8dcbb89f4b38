import { GanKitError } from '@gankit/core';
import { gramBlocks } from '../linalg/ops';
import { getLinalg } from '../linalg/runtime';
import { checkFeaturePair, type FeatureMatrix } from './features';
import { kthNeighbourDistances, squaredNorms } from './precision-recall';

/** Options of {@link densityCoverage}. */
export interface DensityCoverageOptions {
  /** Neighbourhood size k of the real-sample balls (5, as in the paper). */
  k?: number;
  /** Threads for the float64 kernels. */
  threads?: number;
}

/** Density (unbounded above, 1 ≈ matching distributions) and coverage (in [0, 1]). */
export interface DensityCoverage {
  density: number;
  coverage: number;
}

const BLOCK_ROWS = 512;

/**
 * Density and coverage (Naeem et al., ICML 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"),
 * with B(xᵢ, rᵢ) the ball around real sample xᵢ whose radius rᵢ is the distance to its k-th nearest real neighbour:
 * density = 1/(kM) Σⱼ Σᵢ 1[yⱼ ∈ B(xᵢ, rᵢ)] over the M fake samples yⱼ, coverage = 1/N Σᵢ 1[∃ j: yⱼ ∈ B(xᵢ, rᵢ)]
 * over the N real samples. Exact Euclidean distances in float64.
 */
export async function densityCoverage(real: FeatureMatrix, fake: FeatureMatrix, options: DensityCoverageOptions = {}): Promise<DensityCoverage> {
  checkFeaturePair(real, fake, 'densityCoverage');
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k >= real.rows) {
    throw new GanKitError('INVALID_ARGUMENT', `densityCoverage: k must be an integer in [1, N_real − 1], got ${k} (N_real = ${real.rows})`);
  }
  const rt = await getLinalg(options.threads);
  const radii = kthNeighbourDistances(rt, real, k);
  const fakeNorms = squaredNorms(fake);
  const realNorms = squaredNorms(real);
  const n = real.rows;
  const covered = new Uint8Array(n);
  let inside = 0;
  gramBlocks(rt, fake.data, fake.rows, real.data, n, real.cols, BLOCK_ROWS, (g, i0, rb) => {
    for (let i = 0; i < rb; i++) {
      const q = fakeNorms[i0 + i]!;
      for (let j = 0; j < n; j++) {
        if (Math.max(0, q + realNorms[j]! - 2 * g[i * n + j]!) <= radii[j]!) {
          inside++;
          covered[j] = 1;
        }
      }
    }
  });
  let coveredCount = 0;
  for (const c of covered) coveredCount += c;
  return { density: inside / (k * fake.rows), coverage: coveredCount / n };
}
