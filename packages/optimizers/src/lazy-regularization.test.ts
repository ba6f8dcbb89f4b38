import { GanKitError } from '@gankit/core';
import { describe, expect, it } from 'vitest';
import { lazyRegularizationFactor, lazyRegularizedAdam } from './index';

describe('lazy-regularization correction (Karras et al. 2020, Appendix B)', () => {
  it('c = k/(k+1) for k > 1 and 1 for k = 1; Adam gets lr·c, β₁^c, β₂^c with the preset defaults filled in first', () => {
    expect(lazyRegularizationFactor(1)).toBe(1);
    expect(lazyRegularizationFactor(16)).toBe(16 / 17);
    expect(lazyRegularizedAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, epsilon: 1e-8, exact: 'pytorch' }, 4)).toEqual({
      learningRate: 0.0025 * 0.8,
      beta1: 0,
      beta2: 0.99 ** 0.8,
      epsilon: 1e-8,
      exact: 'pytorch',
    });
    // Interval 1: adam()'s defaults, unchanged.
    expect(lazyRegularizedAdam({}, 1)).toEqual({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
    expect(lazyRegularizedAdam({}, 16)).toEqual({ learningRate: (2e-4 * 16) / 17, beta1: 0.5 ** (16 / 17), beta2: 0.999 ** (16 / 17) });
  });

  it('rejects an interval that is not an integer ≥ 1', () => {
    for (const bad of [0, -2, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        lazyRegularizationFactor(bad);
      } catch (error) {
        caught = error;
      }
      expect(GanKitError.isInstance(caught) && caught.code, String(bad)).toBe('INVALID_ARGUMENT');
    }
  });
});
