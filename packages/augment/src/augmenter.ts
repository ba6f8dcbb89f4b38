import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type Rng } from '@gankit/core';
import { adaAugment, type AdaPipelineOptions } from './ada';
import { AdaController, type AdaControllerOptions } from './controller';
import { diffAugment, parseDiffAugmentPolicy, type DiffAugmentOptions } from './diffaugment';

/** Which augmentation to run: DiffAugment with a policy, or ADA with its controller and pipeline settings. */
export type AugmentConfig =
  | ({ policy: string } & DiffAugmentOptions)
  | { ada: AdaControllerOptions & AdaPipelineOptions };

/** A configured augmentation: `augment` maps a batch of NHWC images to augmented ones (differentiably). */
export interface Augmenter {
  /** `diffaugment` or `ada`. */
  readonly kind: 'diffaugment' | 'ada';
  /** Augments a batch with fresh random parameters from the augmenter's Rng. */
  augment(images: tf.Tensor4D): tf.Tensor4D;
  /** ADA's controller (undefined for DiffAugment): feed it D(x_real) after each D step. */
  readonly controller?: AdaController;
}

/** Builds an `Augmenter` from a config, drawing all randomness from `rng` (fork one for augmentation). */
export function createAugmenter(config: AugmentConfig, rng: Rng): Augmenter {
  if ('policy' in config) {
    const ops = parseDiffAugmentPolicy(config.policy);
    const options: DiffAugmentOptions = { translationRatio: config.translationRatio, cutoutRatio: config.cutoutRatio };
    return { kind: 'diffaugment', augment: (x) => diffAugment(x, rng, ops, options) };
  }
  if ('ada' in config && typeof config.ada === 'object' && config.ada !== null) {
    const controller = new AdaController(config.ada);
    const pipeline: AdaPipelineOptions = { ...config.ada };
    return { kind: 'ada', controller, augment: (x) => adaAugment(x, rng, controller.p, pipeline) };
  }
  throw new GanKitError('CONFIG_INVALID', `augment config ${JSON.stringify(config)} is invalid; expected { policy: "color,translation,cutout" } or { ada: { target, interval, kimg } }`);
}
