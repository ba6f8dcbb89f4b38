import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExponentialMovingAverage, ScheduledOptimizer } from '@gankit/optimizers';
import type { Rng } from '@gankit/core';
import type { Augmenter } from '@gankit/augment';

/** One batch of real data: images in [-1, 1] `[B, H, W, C]` and, for labelled data, int32 labels `[B]`. */
export interface Batch {
  images: tf.Tensor4D;
  labels?: tf.Tensor1D;
}

/** An endless, seeded stream of batches whose position can be saved and restored. */
export interface BatchStream {
  next(): Promise<Batch>;
  getState(): unknown;
  setState(state: unknown): void;
}

/** A discriminator/generator loss pair over logits. */
export interface LossPair {
  discriminator(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
  generator(fakeLogits: tf.Tensor, realLogits?: tf.Tensor): tf.Scalar;
}

/** Evaluates the generator (e.g. MNIST FID with the bundled classifier). */
export interface Evaluator {
  readonly name: string;
  evaluate(generate: (n: number) => Promise<Uint8Array>, count: number): Promise<Record<string, number>>;
  dispose(): void;
}

/** Everything the loop trains, built from a config by the library packages. */
export interface Components {
  imageShape: [number, number, number];
  latentDim: number;
  /** Number of classes of a class-conditional model; undefined when unconditional. */
  numClasses: number | undefined;
  /** Generator inputs by name, in order (`z`, `labels`). */
  generatorInputs: string[];
  /** Discriminator inputs by name, in order (`images`, `labels`). */
  discriminatorInputs: string[];
  /** ACGAN: D's second output is class logits. */
  auxiliary: boolean;
  /** The generator loss also needs D's logits on real images (relativistic losses). */
  generatorNeedsRealLogits: boolean;
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  loss: LossPair;
  /** ACGAN auxiliary classification loss over class logits and labels. */
  auxLoss?: (classLogits: tf.Tensor, labels: tf.Tensor) => tf.Scalar;
  /** WGAN-GP / R1 penalties, given the critic function. */
  gradientPenalty?: (critic: (x: tf.Tensor, c?: tf.Tensor) => tf.Tensor, real: tf.Tensor, fake: tf.Tensor, rng: Rng, condition?: tf.Tensor) => tf.Scalar;
  r1Penalty?: (critic: (x: tf.Tensor, c?: tf.Tensor) => tf.Tensor, real: tf.Tensor, condition?: tf.Tensor) => tf.Scalar;
  /** WGAN weight clipping bound c (0 = off). */
  clipWeights: number;
  /** Gradient clipping by global norm (0 = off). */
  clipGradNorm: number;
  gOptimizer: ScheduledOptimizer;
  dOptimizer: ScheduledOptimizer;
  ema?: ExponentialMovingAverage;
  data: BatchStream;
  evaluator?: Evaluator;
  /** Discriminator augmentation (DiffAugment or ADA), set by the loop from `config.augment` with its own Rng. */
  augmenter?: Augmenter;
  dispose(): void;
}
