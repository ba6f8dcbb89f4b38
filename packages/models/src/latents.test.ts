import { describe, expect, it } from 'vitest';
import { GanKitError } from '@gankit/core';
import { LATENT_CHUNK, sampleLatents, type LatentSignature } from './index';

const signature: LatentSignature = { latentDim: 6, extras: [{ kind: 'labels', numClasses: 10 }, { kind: 'continuous', dim: 2 }] };

describe('sampleLatents', () => {
  it('draws samples [start, end) as the same rows of one long draw, across chunk boundaries', () => {
    const end = 2 * LATENT_CHUNK + 40;
    const all = sampleLatents(signature, 0, end, { seed: 7 });
    expect(all.z.length).toBe(end * 6);
    const [from, to] = [LATENT_CHUNK - 6, 2 * LATENT_CHUNK + 3];
    const part = sampleLatents(signature, from, to, { seed: 7 });
    expect(Array.from(part.z)).toEqual(Array.from(all.z.subarray(from * 6, to * 6)));
    expect(Array.from(part.extras[0]!)).toEqual(Array.from(all.extras[0]!.subarray(from, to)));
    expect(Array.from(part.extras[1]!)).toEqual(Array.from(all.extras[1]!.subarray(from * 2, to * 2)));
    const other = sampleLatents(signature, 0, end, { seed: 8 });
    expect(Array.from(other.z.subarray(0, 6))).not.toEqual(Array.from(all.z.subarray(0, 6)));
    expect(sampleLatents(signature, 5, 5, { seed: 7 }).z.length).toBe(0);
  });

  it('z ~ N(0, 1), labels are integers in [0, K) (cycling by sample index with per-class), codes in [−1, 1)', () => {
    const n = 2000;
    const { z, extras } = sampleLatents(signature, 0, n, { seed: 3 });
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / (z.length - 1);
    // n·6 = 12000 draws: the standard error of the mean is 0.009, of the variance 0.013.
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.07);
    expect(extras[0]!.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    expect(new Set(extras[0]).size).toBe(10);
    expect(extras[1]!.every((v) => v >= -1 && v < 1)).toBe(true);
    const cycled = sampleLatents(signature, 13, 40, { seed: 3, labels: 'per-class' }).extras[0]!;
    expect(Array.from(cycled)).toEqual(Array.from({ length: 27 }, (_, i) => (13 + i) % 10));
  });

  it('zTruncation t bounds every z component by t (t = 0: the mean latent, z = 0), leaving labels in range', () => {
    for (const t of [0, 0.5, 1.5]) {
      const { z, extras } = sampleLatents(signature, 0, 300, { seed: 4, zTruncation: t });
      expect(z.every((v) => Math.abs(v) <= t), `t = ${t}`).toBe(true);
      expect(extras[0]!.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
      if (t > 0) expect(new Set(z).size).toBeGreaterThan(1000);
    }
  });

  it('rejects bad ranges and signatures with INVALID_ARGUMENT', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error instanceof GanKitError ? error.code : 'not a GanKitError';
      }
      return 'no error';
    };
    expect(code(() => sampleLatents(signature, 4, 2, { seed: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => sampleLatents(signature, -1, 2, { seed: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => sampleLatents({ latentDim: 0, extras: [] }, 0, 2, { seed: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => sampleLatents({ latentDim: 2, extras: [{ kind: 'labels', numClasses: 0 }] }, 0, 2, { seed: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => sampleLatents(signature, 0, 2, { seed: 1, zTruncation: -1 }))).toBe('INVALID_ARGUMENT');
  });
});
