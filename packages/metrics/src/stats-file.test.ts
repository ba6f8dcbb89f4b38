import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpz } from '@gankit/data/node';
import { afterAll, describe, expect, it } from 'vitest';
import { hasNumpyScipy, runMakeFixtures, STATS_FIXTURES } from '../test/python';
import { loadStatsNpz, saveStatsNpz } from './stats-file';

const dir = mkdtempSync(join(tmpdir(), 'gankit-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface NumpyView {
  [key: string]: { dtype: string; shape: number[]; values: number[] };
}

describe('stats files (pytorch-fid --save-stats format)', () => {
  it('loads the committed file written by np.savez(path, mu=mu, sigma=sigma)', async () => {
    const s = await loadStatsNpz(join(STATS_FIXTURES, 'numpy_stats_d8.npz'));
    expect(s.dim).toBe(8);
    expect(s.mu).toBeInstanceOf(Float64Array);
    expect(s.sigma.length).toBe(64);
    expect(s.sigma[1]).toBe(s.sigma[8]); // symmetric, read in row-major order
  });

  it('round-trips through gankit, keeping float64 bits and appending .npz like NumPy', async () => {
    const mu = Float64Array.from([0.1, -2.5e-300, Math.PI]);
    const sigma = Float64Array.from({ length: 9 }, (_, i) => Math.sqrt(i + 1) / 7);
    const written = await saveStatsNpz(join(dir, 'ours'), { mu, sigma });
    expect(written).toBe(join(dir, 'ours.npz'));
    const back = await loadStatsNpz(written);
    expect(back.mu).toEqual(mu);
    expect(back.sigma).toEqual(sigma);
  });

  const python = hasNumpyScipy();
  it.skipIf(!python)('gankit files load in NumPy with keys mu/sigma, float64, shapes (d,) and (d, d)', async () => {
    const mu = Float64Array.from([1, 2, 3, 4]);
    const sigma = Float64Array.from({ length: 16 }, (_, i) => i / 3);
    for (const compress of [true, false]) {
      const path = await saveStatsNpz(join(dir, `for-numpy-${compress}.npz`), { mu, sigma }, { compress });
      const view = JSON.parse(runMakeFixtures(['--check-stats', path])) as NumpyView;
      expect(Object.keys(view).sort()).toEqual(['mu', 'sigma']);
      expect(view.mu).toEqual({ dtype: 'float64', shape: [4], values: [...mu] });
      expect(view.sigma).toEqual({ dtype: 'float64', shape: [4, 4], values: [...sigma] });
    }
  });

  it.skipIf(!python)('files written by NumPy now load in gankit with the same values', async () => {
    const path = join(dir, 'numpy.npz');
    const expected = JSON.parse(runMakeFixtures(['--stats-file', path])) as { mu: number[]; sigma: number[] };
    const s = await loadStatsNpz(path);
    expect([...s.mu]).toEqual(expected.mu);
    expect([...s.sigma]).toEqual(expected.sigma);
  });

  it('accepts float32 statistics (as some published files are) and converts them to float64', async () => {
    const path = join(dir, 'f32.npz');
    await writeNpz(path, { mu: { dtype: 'float32', shape: [2], data: Float32Array.from([0.5, 1.5]) }, sigma: { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 0.25, 0.25, 2]) } });
    const s = await loadStatsNpz(path);
    expect([...s.sigma]).toEqual([1, 0.25, 0.25, 2]);
  });

  it('names the problem: missing keys, wrong shapes, missing file', async () => {
    const noSigma = join(dir, 'nosigma.npz');
    await writeNpz(noSigma, { mu: { dtype: 'float64', shape: [2], data: new Float64Array(2) } });
    await expect(loadStatsNpz(noSigma)).rejects.toMatchObject({ code: 'FILE_MISMATCH', message: expect.stringContaining("no 'sigma'") as unknown });
    const badShape = join(dir, 'badshape.npz');
    await writeNpz(badShape, { mu: { dtype: 'float64', shape: [2], data: new Float64Array(2) }, sigma: { dtype: 'float64', shape: [3, 3], data: new Float64Array(9) } });
    await expect(loadStatsNpz(badShape)).rejects.toMatchObject({ code: 'FILE_MISMATCH' });
    await expect(loadStatsNpz(join(dir, 'absent.npz'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(saveStatsNpz(join(dir, 'x.npz'), { mu: [1, 2], sigma: [1] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });
});
