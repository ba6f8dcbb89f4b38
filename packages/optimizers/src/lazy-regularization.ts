import { GanKitError } from '@gankit/core';
import { ADAM_DEFAULTS, type AdamOptions } from './presets';

function checkInterval(interval: number): number {
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1) {
    throw new GanKitError('INVALID_ARGUMENT', `lazy regularization interval must be an integer ≥ 1 (1 = regularized every step), got ${String(interval)}`);
  }
  return interval;
}

/**
 * StyleGAN2's lazy-regularization factor (Karras et al. 2020, Appendix B): c = k/(k+1) for a regularizer evaluated
 * every k > 1 minibatches, 1 for k = 1 (not lazy). Scale the network's optimiser by it: learning rate × c, Adam's
 * β₁ and β₂ to the power c (`lazyRegularizedAdam`). `INVALID_ARGUMENT` unless k is an integer ≥ 1.
 */
export function lazyRegularizationFactor(interval: number): number {
  const k = checkInterval(interval);
  return k === 1 ? 1 : k / (k + 1);
}

/**
 * Adam's options corrected for a regularizer evaluated every `interval` minibatches (Karras et al. 2020, Appendix B):
 * lr·c, β₁^c, β₂^c with c = `lazyRegularizationFactor(interval)`; missing lr/β take `adam()`'s defaults first, the
 * other options pass through. With interval 1 the options come back with their defaults filled in, unchanged.
 */
export function lazyRegularizedAdam(options: AdamOptions, interval: number): AdamOptions {
  const c = lazyRegularizationFactor(interval);
  const learningRate = options.learningRate ?? ADAM_DEFAULTS.learningRate;
  const beta1 = options.beta1 ?? ADAM_DEFAULTS.beta1;
  const beta2 = options.beta2 ?? ADAM_DEFAULTS.beta2;
  return { ...options, learningRate: learningRate * c, beta1: beta1 ** c, beta2: beta2 ** c };
}
