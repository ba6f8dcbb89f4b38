import { GanKitError } from '@gankit/core';
import { readNpz, writeNpz, type NpyArray } from '@gankit/data/node';
import type { FeatureStats } from './stats/feature-stats';

/** What {@link saveStatsNpz} writes: the mean and covariance of one set of features. */
export interface StatsToSave {
  mu: ArrayLike<number>;
  sigma: ArrayLike<number>;
  /** With `comoment`: also written (as `n`, `sum` = N·μ, `comoment`), so the file can be merged exactly. */
  n?: number;
  comoment?: ArrayLike<number>;
}

/** Options of {@link saveStatsNpz}. */
export interface SaveStatsOptions {
  /** Deflate the members like pytorch-fid's `--save-stats` (`np.savez_compressed`, default) or store them (`np.savez`). */
  compress?: boolean;
}

/**
 * Writes FID statistics as pytorch-fid's `--save-stats` does (`np.savez_compressed(path, mu=mu, sigma=sigma)`):
 * `mu` float64 [d], `sigma` float64 [d, d]; like NumPy, `.npz` is appended when the path lacks it.
 * Returns the path written. The write is atomic.
 */
export async function saveStatsNpz(path: string, stats: StatsToSave, options: SaveStatsOptions = {}): Promise<string> {
  const d = stats.mu.length;
  if (d < 1 || stats.sigma.length !== d * d) {
    throw new GanKitError('SHAPE_MISMATCH', `saveStatsNpz: sigma must have d×d = ${d}×${d} entries for a mean of length ${d}, got ${stats.sigma.length}`, { path });
  }
  const out = path.endsWith('.npz') ? path : `${path}.npz`;
  const arrays: Record<string, NpyArray> = {
    mu: { dtype: 'float64', shape: [d], data: Float64Array.from(stats.mu) },
    sigma: { dtype: 'float64', shape: [d, d], data: Float64Array.from(stats.sigma) },
  };
  if (stats.comoment && stats.n !== undefined && stats.n > 0) {
    if (stats.comoment.length !== d * d) throw new GanKitError('SHAPE_MISMATCH', `saveStatsNpz: comoment must have ${d}×${d} entries, got ${stats.comoment.length}`, { path });
    arrays.n = { dtype: 'int64', shape: [], data: BigInt64Array.from([BigInt(stats.n)]) };
    arrays.sum = { dtype: 'float64', shape: [d], data: Float64Array.from(stats.mu, (m) => m * stats.n!) };
    arrays.comoment = { dtype: 'float64', shape: [d, d], data: Float64Array.from(stats.comoment) };
  }
  await writeNpz(out, arrays, { compress: options.compress ?? true });
  return out;
}

/**
 * Reads FID statistics written by pytorch-fid (`--save-stats`), TTUR's published `fid_stats_*.npz` or
 * {@link saveStatsNpz}: arrays `mu` [d] and `sigma` [d, d], float32 or float64, returned as float64.
 */
export async function loadStatsNpz(path: string): Promise<FeatureStats> {
  const arrays = await readNpz(path);
  const mu = requireFloat(arrays, 'mu', path);
  const sigma = requireFloat(arrays, 'sigma', path);
  const d = mu.shape.length === 1 ? mu.shape[0]! : -1;
  if (d < 1) throw new GanKitError('FILE_MISMATCH', `${path}: 'mu' must be a vector [d], got shape [${mu.shape.join(', ')}]`, { path });
  if (sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    throw new GanKitError('FILE_MISMATCH', `${path}: 'sigma' must have shape [${d}, ${d}] to match 'mu', got [${sigma.shape.join(', ')}]`, { path });
  }
  const stats: FeatureStats = { mu: Float64Array.from(mu.data as ArrayLike<number>), sigma: Float64Array.from(sigma.data as ArrayLike<number>), n: 0, dim: d };
  const n = arrays.n;
  const sum = arrays.sum;
  const comoment = arrays.comoment;
  if (n && comoment && sum && n.data.length === 1 && comoment.dtype === 'float64' && comoment.data.length === d * d && sum.data.length === d) {
    const count = Number(n.data[0]);
    if (!Number.isInteger(count) || count < 1) throw new GanKitError('FILE_CORRUPT', `${path}: 'n' must be a positive count, got ${count}`, { path });
    stats.n = count;
    stats.comoment = Float64Array.from(comoment.data);
  }
  return stats;
}

function requireFloat(arrays: Record<string, NpyArray>, key: 'mu' | 'sigma', path: string): NpyArray {
  const a = arrays[key];
  if (!a) {
    throw new GanKitError('FILE_MISMATCH', `${path}: no '${key}' array (found: ${Object.keys(arrays).join(', ') || 'none'}); expected pytorch-fid statistics with 'mu' and 'sigma'`, { path });
  }
  if (a.dtype !== 'float64' && a.dtype !== 'float32') {
    throw new GanKitError('FILE_MISMATCH', `${path}: '${key}' has dtype ${a.dtype}, expected float64 or float32`, { path });
  }
  return a;
}
