import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpz, type NpyArray } from '@gankit/data/node';
import { GanKitError } from '@gankit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { hasNumpyScipy, runMakeFixtures, STATS_FIXTURES } from '../../test/python';
import { getLinalg } from '../linalg/runtime';
import { featureMatrix, type FeatureMatrix } from './features';
import { featureStats, StreamingFeatureStats } from './feature-stats';
import { frechetDistance, frechetDistanceDetailed } from './frechet';
import { inceptionScore } from './inception-score';
import { kernelInceptionDistance } from './kid';
import { numpyLegacyPermutation } from './numpy-random';
import { precisionRecall } from './precision-recall';

function asF64(a: NpyArray | undefined): Float64Array {
  if (!a) throw new Error('missing array');
  if (a.data instanceof Float64Array) return a.data;
  return Float64Array.from(a.data as ArrayLike<number>);
}

function matrix(a: NpyArray | undefined): FeatureMatrix {
  if (!a) throw new Error('missing array');
  const data = a.data instanceof Float32Array || a.data instanceof Float64Array ? a.data : Float64Array.from(a.data as ArrayLike<number>);
  return featureMatrix(data, a.shape[1]!);
}

function scalar(a: NpyArray | undefined): number {
  return asF64(a)[0]!;
}

/** Splits a matrix into batches of `size` rows, as an async iterable. */
async function* batches(m: FeatureMatrix, size: number): AsyncGenerator<FeatureMatrix> {
  await Promise.resolve();
  for (let r = 0; r < m.rows; r += size) {
    const rows = Math.min(size, m.rows - r);
    yield { data: m.data.subarray(r * m.cols, (r + rows) * m.cols), rows, cols: m.cols };
  }
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let diff = 0;
  for (let i = 0; i < b.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  return diff / scale;
}

const quiet = { onWarning: (): void => undefined };

async function checkFidFixture(path: string, batchRows: number): Promise<{ fidRel: number; warnings: string[] }> {
  const f = await readNpz(path);
  const f1 = matrix(f.feats1);
  const f2 = matrix(f.feats2);
  const s1 = await featureStats(batches(f1, batchRows));
  const s2 = await featureStats(batches(f2, batchRows));
  // statistics: same numbers as np.mean / np.cov
  expect(maxRelDiff(s1.mu, asF64(f.mu1))).toBeLessThan(1e-12);
  expect(maxRelDiff(s1.sigma, asF64(f.sigma1))).toBeLessThan(1e-12);
  expect(maxRelDiff(s2.sigma, asF64(f.sigma2))).toBeLessThan(1e-12);
  const reference = scalar(f.fid);
  // FID on gankit's own statistics and on SciPy's statistics
  const ours = await frechetDistanceDetailed(s1, s2, quiet);
  const onReferenceStats = await frechetDistance({ mu: asF64(f.mu1), sigma: asF64(f.sigma1) }, { mu: asF64(f.mu2), sigma: asF64(f.sigma2) }, quiet);
  const fidRel = Math.max(Math.abs(ours.fid - reference), Math.abs(onReferenceStats - reference)) / Math.abs(reference);
  console.log(`${path.split('/').pop()}: gankit ${ours.fid} vs pytorch-fid/SciPy ${reference}: rel diff ${fidRel.toExponential(2)} (rank Σ₁ ${ours.rank})`);
  expect(fidRel).toBeLessThan(1e-6);
  return { fidRel, warnings: ours.warnings };
}

describe('featureStats + frechetDistance vs pytorch-fid formula (SciPy sqrtm)', () => {
  it.each([
    ['fid_d8_full.npz', 64],
    ['fid_d64_full.npz', 37],
    ['fid_d8_rankdef.npz', 2],
    ['fid_d64_rankdef.npz', 7],
  ])('%s agrees to 1e-6', async (name, batchRows) => {
    const { warnings } = await checkFidFixture(join(STATS_FIXTURES, name), batchRows);
    if (name.includes('rankdef')) {
      expect(warnings.some((w) => w.includes('N = '))).toBe(true);
      expect(warnings.some((w) => w.includes('singular product'))).toBe(true);
    } else {
      expect(warnings).toEqual([]);
    }
  });

  const python = hasNumpyScipy();
  const dir = mkdtempSync(join(tmpdir(), 'gankit-fid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.skipIf(!python)('d = 2048 with N < d (generated now by make_fixtures.py) agrees to 1e-6', async () => {
    runMakeFixtures(['--large', dir, 'fid_d2048_rankdef']);
    const { warnings } = await checkFidFixture(join(dir, 'fid_d2048_rankdef.npz'), 250);
    expect(warnings.some((w) => w.includes('rank 999 < d = 2048'))).toBe(true);
  });
  it.skipIf(!python || process.env.GANKIT_LARGE_TESTS !== '1')('d = 2048 full rank (GANKIT_LARGE_TESTS=1) agrees to 1e-6', async () => {
    runMakeFixtures(['--large', dir, 'fid_d2048_full']);
    await checkFidFixture(join(dir, 'fid_d2048_full.npz'), 500);
  });
});

describe('frechetDistance properties and errors', () => {
  it('is 0 for identical statistics and symmetric in its arguments', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'fid_d64_full.npz'));
    const a = { mu: asF64(f.mu1), sigma: asF64(f.sigma1) };
    const b = { mu: asF64(f.mu2), sigma: asF64(f.sigma2) };
    expect(Math.abs(await frechetDistance(a, a, quiet))).toBeLessThan(1e-10);
    const ab = await frechetDistance(a, b, quiet);
    const ba = await frechetDistance(b, a, quiet);
    expect(Math.abs(ab - ba) / ab).toBeLessThan(1e-10);
  });

  it('gives the same numbers on 1 and 2 threads (SPMD kernels)', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'fid_d64_rankdef.npz'));
    const run = async (threads: number) => {
      const s1 = await featureStats(batches(matrix(f.feats1), 9), { threads });
      const s2 = await featureStats(batches(matrix(f.feats2), 9), { threads });
      return { s1, fid: await frechetDistance(s1, s2, { ...quiet, threads }) };
    };
    const one = await run(1);
    const two = await run(2);
    const rt = await getLinalg(2);
    console.log(`float64 kernels: ${rt.fma ? 'relaxed-SIMD fused multiply-add' : 'SIMD128 multiply + add'} build`);
    expect(maxRelDiff(two.s1.sigma, one.s1.sigma)).toBeLessThan(1e-14);
    expect(Math.abs(two.fid - one.fid) / one.fid).toBeLessThan(1e-12);
  });

  it('rejects mismatched sizes and non-finite values with GanKitError', async () => {
    const a = { mu: new Float64Array(2), sigma: new Float64Array([1, 0, 0, 1]) };
    await expect(frechetDistance(a, { mu: new Float64Array(3), sigma: new Float64Array(9) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(frechetDistance(a, { mu: new Float64Array(2), sigma: new Float64Array(3) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(frechetDistance(a, { mu: new Float64Array([0, NaN]), sigma: new Float64Array(4) })).rejects.toSatisfy(GanKitError.isInstance);
  });

  it('retries with ε on the diagonals and warns when Tr √(Σ₁Σ₂) is not finite, then gives up with NUMERIC_FAILURE', async () => {
    const huge = { mu: new Float64Array(3), sigma: new Float64Array([1e300, 0, 0, 0, 1e300, 0, 0, 0, 1e300]) };
    const warnings: string[] = [];
    await expect(frechetDistance(huge, huge, { onWarning: (w) => warnings.push(w) })).rejects.toMatchObject({ code: 'NUMERIC_FAILURE' });
    expect(warnings).toEqual(['fid calculation produces singular product; adding 1e-6 to diagonal of cov estimates']);
  });

  it('refuses covariances that are not PSD (pytorch-fid: "Imaginary component")', async () => {
    const a = { mu: new Float64Array(2), sigma: new Float64Array([1, 0, 0, 1]) };
    const b = { mu: new Float64Array(2), sigma: new Float64Array([1, 0, 0, -4]) };
    await expect(frechetDistance(a, b, quiet)).rejects.toMatchObject({ code: 'NUMERIC_FAILURE' });
  });

  it('featureStats needs two vectors and the declared width', async () => {
    await expect(featureStats([featureMatrix(new Float32Array(4), 4)])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(featureStats([])).rejects.toMatchObject({ code: 'EMPTY_DATASET' });
    const s = await StreamingFeatureStats.create(4);
    expect(() => s.add(featureMatrix(new Float32Array(6), 3))).toThrow(/expected 4 features/);
    s.dispose();
  });
});

describe('inceptionScore vs torch-fidelity formulas (NumPy)', () => {
  it.each([
    [10, 'is10'],
    [1, 'is1'],
    [7, 'is7'],
  ] as const)('splits = %i', async (splits, key) => {
    const f = await readNpz(join(STATS_FIXTURES, 'is.npz'));
    const [mean, std] = asF64(f[key]);
    const ours = inceptionScore(matrix(f.logits), { splits, shuffle: false });
    console.log(`IS splits ${splits}: gankit ${ours.mean} ± ${ours.std} vs NumPy ${mean} ± ${std}`);
    expect(Math.abs(ours.mean - mean!) / mean!).toBeLessThan(1e-12);
    expect(Math.abs(ours.std - std!)).toBeLessThan(1e-12 * mean!);
  });

  it('by default shuffles like torch-fidelity (RandomState(2020)) and matches its numbers', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'is.npz'));
    const [mean, std] = asF64(f.is10_shuffled);
    const ours = inceptionScore(matrix(f.logits));
    console.log(`IS splits 10, torch-fidelity shuffle: gankit ${ours.mean} ± ${ours.std} vs NumPy ${mean} ± ${std}`);
    expect(Math.abs(ours.mean - mean!) / mean!).toBeLessThan(1e-12);
    expect(Math.abs(ours.std - std!)).toBeLessThan(1e-12 * mean!);
  });

  it.skipIf(!hasNumpyScipy())('reproduces np.random.RandomState(seed).permutation(n) exactly', () => {
    for (const [seed, n] of [[2020, 50_000], [7, 1]] as const) {
      expect(Array.from(numpyLegacyPermutation(seed, n))).toEqual(JSON.parse(runMakeFixtures(['--permutation', String(seed), String(n)])));
    }
  });

  it('rejects more splits than samples', () => {
    expect(() => inceptionScore(featureMatrix(new Float32Array(20), 10), { splits: 3 })).toThrow(/splits/);
  });
});

describe('kernelInceptionDistance vs torch-fidelity formulas (NumPy)', () => {
  it('unbiased MMD² over whole sets (subsetSize = N) matches, with std 0', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'kid.npz'));
    const reference = scalar(f.mmd2);
    const ours = await kernelInceptionDistance(matrix(f.x), matrix(f.y), { subsets: 3, subsetSize: 150, seed: 1 });
    console.log(`KID (whole sets): gankit ${ours.mean} vs NumPy ${reference}: rel diff ${(Math.abs(ours.mean - reference) / reference).toExponential(2)}`);
    expect(Math.abs(ours.mean - reference) / reference).toBeLessThan(1e-10);
    expect(ours.std).toBeLessThan(1e-12);
  });

  it('draws the same subsets as torch-fidelity (RandomState(2020).choice) and matches its mean and std', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'kid.npz'));
    const [mean, std] = asF64(f.kid_4x50_seed2020);
    const ours = await kernelInceptionDistance(matrix(f.x), matrix(f.y), { subsets: 4, subsetSize: 50 });
    console.log(`KID 4×50 (torch-fidelity subsets): gankit ${ours.mean} ± ${ours.std} vs NumPy ${mean} ± ${std}: rel diff ${(Math.abs(ours.mean - mean!) / mean!).toExponential(2)}`);
    expect(Math.abs(ours.mean - mean!) / mean!).toBeLessThan(1e-10);
    expect(Math.abs(ours.std - std!) / std!).toBeLessThan(1e-8);
  });

  it('samples subsets reproducibly from the seed (gankit sampler)', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'kid.npz'));
    const run = (seed: number) => kernelInceptionDistance(matrix(f.x), matrix(f.y), { subsets: 5, subsetSize: 50, seed, sampler: 'gankit' });
    const [a, b, c] = await Promise.all([run(3), run(3), run(4)]);
    expect(a).toEqual(b);
    expect(a.mean).not.toBe(c.mean);
    expect(a.std).toBeGreaterThan(0);
  });

  it('rejects a subset larger than a set', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'kid.npz'));
    await expect(kernelInceptionDistance(matrix(f.x), matrix(f.y), { subsetSize: 151 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('precisionRecall vs a brute-force NumPy reference', () => {
  it('k = 3 matches exactly', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'pr.npz'));
    const ours = await precisionRecall(matrix(f.real), matrix(f.fake));
    console.log(`PR: gankit ${ours.precision}/${ours.recall} vs NumPy ${scalar(f.precision)}/${scalar(f.recall)}`);
    expect(ours.precision).toBe(scalar(f.precision));
    expect(ours.recall).toBe(scalar(f.recall));
  });

  it('identical sets have precision = recall = 1', async () => {
    const f = await readNpz(join(STATS_FIXTURES, 'pr.npz'));
    const r = await precisionRecall(matrix(f.real), matrix(f.real));
    expect(r).toEqual({ precision: 1, recall: 1 });
  });
});
