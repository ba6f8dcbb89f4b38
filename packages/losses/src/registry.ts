import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import {
  hingeDiscriminatorLoss,
  hingeGeneratorLoss,
  leastSquaresDiscriminatorLoss,
  leastSquaresGeneratorLoss,
  minimaxDiscriminatorLoss,
  minimaxGeneratorLoss,
  nonSaturatingGeneratorLoss,
  relativisticAverageDiscriminatorLoss,
  relativisticAverageGeneratorLoss,
  relativisticDiscriminatorLoss,
  relativisticGeneratorLoss,
  wassersteinCriticLoss,
  wassersteinGeneratorLoss,
  type BinaryLabelOptions,
  type LeastSquaresOptions,
} from './adversarial';
import { assertKnownKeys } from './validate';

/** Options accepted by each registered loss. */
export interface LossOptionsByName {
  /** The seed's objective: minimax D loss, non-saturating G loss. */
  standard: BinaryLabelOptions;
  /** Minimax D loss with the original saturating G loss. */
  minimax: BinaryLabelOptions;
  /** WGAN critic and generator losses (pair with `gradientPenalty` or weight clipping). */
  wasserstein: Record<string, never>;
  /** Hinge losses (SNGAN/BigGAN). */
  hinge: Record<string, never>;
  /** Least-squares losses with a/b/c targets. */
  lsgan: LeastSquaresOptions;
  /** Relativistic standard GAN (pairwise). */
  relativistic: Record<string, never>;
  /** Relativistic average GAN. */
  'relativistic-average': Record<string, never>;
}

/** Name of a registered adversarial loss. */
export type LossName = keyof LossOptionsByName;

/** A D/G loss pair over logits; `generator` receives the real logits too (only the relativistic losses need them). */
export interface GanLoss<N extends LossName = LossName> {
  /** The registry name. */
  readonly name: N;
  /** True when `generator` needs `realLogits` (relativistic losses). */
  readonly generatorNeedsRealLogits: boolean;
  /** Discriminator (critic) loss from D's logits on real and generated samples. */
  discriminator(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
  /** Generator loss from D's logits on generated samples (and on real samples for relativistic losses). */
  generator(fakeLogits: tf.Tensor, realLogits?: tf.Tensor): tf.Scalar;
}

/** Every registered loss name, in a stable order. */
export const LOSS_NAMES: readonly LossName[] = ['standard', 'minimax', 'wasserstein', 'hinge', 'lsgan', 'relativistic', 'relativistic-average'];

const OPTION_KEYS: { [N in LossName]: readonly string[] } = {
  standard: ['realLabel', 'fakeLabel', 'flip'],
  minimax: ['realLabel', 'fakeLabel', 'flip'],
  wasserstein: [],
  hinge: [],
  lsgan: ['a', 'b', 'c'],
  relativistic: [],
  'relativistic-average': [],
};

/** True when `name` is a registered loss name. */
export function isLossName(name: string): name is LossName {
  return (LOSS_NAMES as readonly string[]).includes(name);
}

function needReal(name: string, realLogits: tf.Tensor | undefined): tf.Tensor {
  if (realLogits === undefined) throw new GanKitError('INVALID_ARGUMENT', `the "${name}" generator loss needs the discriminator's logits on real samples as its second argument`);
  return realLogits;
}

function build(name: LossName, options: Record<string, unknown>): Omit<GanLoss, 'name'> {
  switch (name) {
    case 'standard':
    case 'minimax': {
      const labels = options as BinaryLabelOptions;
      const generator = name === 'standard' ? nonSaturatingGeneratorLoss : minimaxGeneratorLoss;
      return { generatorNeedsRealLogits: false, discriminator: (r, f) => minimaxDiscriminatorLoss(r, f, labels), generator: (f) => generator(f) };
    }
    case 'wasserstein':
      return { generatorNeedsRealLogits: false, discriminator: wassersteinCriticLoss, generator: (f) => wassersteinGeneratorLoss(f) };
    case 'hinge':
      return { generatorNeedsRealLogits: false, discriminator: hingeDiscriminatorLoss, generator: (f) => hingeGeneratorLoss(f) };
    case 'lsgan': {
      const targets = options as LeastSquaresOptions;
      return { generatorNeedsRealLogits: false, discriminator: (r, f) => leastSquaresDiscriminatorLoss(r, f, targets), generator: (f) => leastSquaresGeneratorLoss(f, targets) };
    }
    case 'relativistic':
      return { generatorNeedsRealLogits: true, discriminator: relativisticDiscriminatorLoss, generator: (f, r) => relativisticGeneratorLoss(f, needReal(name, r)) };
    case 'relativistic-average':
      return {
        generatorNeedsRealLogits: true,
        discriminator: relativisticAverageDiscriminatorLoss,
        generator: (f, r) => relativisticAverageGeneratorLoss(f, needReal(name, r)),
      };
  }
}

/**
 * Returns the D/G loss pair registered under `name`, configured with its typed options. Unknown names
 * (e.g. from a config file) throw `UNKNOWN_NAME`; unknown option keys throw `INVALID_ARGUMENT`.
 */
export function getLoss<N extends LossName>(name: N, options?: LossOptionsByName[N]): GanLoss<N> {
  if (typeof name !== 'string' || !isLossName(name)) {
    throw new GanKitError('UNKNOWN_NAME', `unknown loss "${String(name)}"; expected one of ${LOSS_NAMES.join(', ')}`);
  }
  const opts = (options ?? {}) as Record<string, unknown>;
  if (typeof opts !== 'object' || opts === null) throw new GanKitError('INVALID_ARGUMENT', `options of loss "${name}" must be an object`);
  assertKnownKeys(opts, OPTION_KEYS[name], `loss "${name}"`);
  return { name, ...build(name, opts) };
}
