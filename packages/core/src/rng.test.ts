import { describe, expect, it } from 'vitest';
import { createRng, rngFromState } from './rng';
import { GanKitError } from './errors';

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42).normalArray(16);
    const b = createRng(42).normalArray(16);
    const c = createRng(43).normalArray(16);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('resumes exactly from a saved state, including a cached normal', () => {
    const rng = createRng(7);
    rng.normal(); // leaves a spare normal cached
    const saved = JSON.parse(JSON.stringify(rng.getState())) as ReturnType<typeof rng.getState>;
    const expected = [rng.normal(), rng.uniform(), rng.int(10)];
    const restored = rngFromState(saved);
    expect([restored.normal(), restored.uniform(), restored.int(10)]).toEqual(expected);
  });

  it('draws normals with mean 0 and variance 1 and uniforms in [0, 1)', () => {
    const n = 200_000;
    const x = createRng(1).normalArray(n);
    let sum = 0;
    let sq = 0;
    for (const v of x) { sum += v; sq += v * v; }
    const mean = sum / n;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - mean * mean - 1)).toBeLessThan(0.02);
    const u = createRng(2).uniformArray(n);
    expect(u.reduce((m, v) => Math.min(m, v), 1)).toBeGreaterThanOrEqual(0);
    expect(u.reduce((m, v) => Math.max(m, v), 0)).toBeLessThan(1);
  });

  it('shuffles into a permutation and samples integers without bias', () => {
    const rng = createRng(3);
    const p = Array.from(rng.permutation(100));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const counts = new Array<number>(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[rng.int(3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('rejects bad seeds and states with a GanKitError', () => {
    expect(() => createRng(Number.NaN)).toThrow(GanKitError);
    expect(() => rngFromState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(/all zeros/);
    try {
      createRng(1).int(0);
    } catch (error) {
      expect(GanKitError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    }
  });
});
