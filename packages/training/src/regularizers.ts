import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@gankit/core';
import { gradientPenalty, r1Penalty, r2Penalty } from '@gankit/losses';
import type { DiscriminatorRegularizer } from './gan-step';

/** WGAN-GP's penalty (Gulrajani et al. 2017) `λ·E[(‖∇D(x̂)‖₂ − 1)²]` as a D regularizer named `gp`; ε is drawn from `rng`. */
export function gradientPenaltyRegularizer(options: { lambda?: number; rng: Rng; interval?: number }): DiscriminatorRegularizer {
  const { rng, lambda, interval } = options;
  return {
    name: 'gp',
    ...(interval !== undefined && { interval }),
    penalty: ({ critic, real, fake, condition }): tf.Scalar => gradientPenalty(critic, real, fake, rng, { ...(lambda !== undefined && { lambda }), ...(condition && { condition }) }),
  };
}

/** R1 (Mescheder et al. 2018) `γ/2·E[‖∇D(x)‖²]` on reals as a D regularizer named `r1`; `interval` > 1 is StyleGAN2's lazy R1. */
export function r1Regularizer(options: { gamma?: number; interval?: number } = {}): DiscriminatorRegularizer {
  const { gamma, interval } = options;
  return {
    name: 'r1',
    ...(interval !== undefined && { interval }),
    penalty: ({ critic, real, condition }): tf.Scalar => r1Penalty(critic, real, { ...(gamma !== undefined && { gamma }), ...(condition && { condition }) }),
  };
}

/** R2 (Mescheder et al. 2018) `γ/2·E[‖∇D(G(z))‖²]` on this D step's fakes as a D regularizer named `r2`. */
export function r2Regularizer(options: { gamma?: number; interval?: number } = {}): DiscriminatorRegularizer {
  const { gamma, interval } = options;
  return {
    name: 'r2',
    ...(interval !== undefined && { interval }),
    penalty: ({ critic, fake, fakeCondition }): tf.Scalar => r2Penalty(critic, fake, { ...(gamma !== undefined && { gamma }), ...(fakeCondition && { condition: fakeCondition }) }),
  };
}
