import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@gankit/training';
import type { GanStep } from '@gankit/training';
import type { ExponentialMovingAverage, ScheduledOptimizer } from '@gankit/optimizers';
import type { Rng } from '@gankit/core';
import type { Augmenter } from '@gankit/augment';
import type { PathLengthRegularizer } from '@gankit/losses';

export type { Batch } from '@gankit/training';

/** An endless, seeded stream of batches whose position can be saved and restored. */
export interface BatchStream {
  next(): Promise<Batch>;
  getState(): unknown;
  setState(state: unknown): void;
}

/** Evaluates the generator (e.g. MNIST FID with the bundled classifier). */
export interface Evaluator {
  readonly name: string;
  evaluate(generate: (n: number) => Promise<Uint8Array>, count: number): Promise<Record<string, number>>;
  dispose(): void;
}

/** The RNG streams of a run, each saved in checkpoints so a resumed run draws the same numbers. */
export interface RunRngs {
  latent: Rng;
  penalty: Rng;
  labels: Rng;
  /** Augmentation parameters (DiffAugment / ADA). */
  augment: Rng;
  /** The loss's label-flip stream (only when `loss.flipProbability` > 0). */
  loss?: Rng;
}

/** Everything the loop trains, built from a config by the library packages. */
export interface Components {
  imageShape: [number, number, number];
  latentDim: number;
  /** Number of classes of a class-conditional model; undefined when unconditional. */
  numClasses: number | undefined;
  /** Generator inputs by name, in order (`z`, `labels`). */
  generatorInputs: string[];
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  gOptimizer: ScheduledOptimizer;
  dOptimizer: ScheduledOptimizer;
  ema?: ExponentialMovingAverage;
  /** StyleGAN2's path-length regularizer (its running mean is saved in checkpoints). */
  pathLength?: PathLengthRegularizer;
  /** Latent, penalty and label streams (seeded from `config.seed`; saved in checkpoints). */
  rngs: RunRngs;
  /** The GAN step of `@gankit/training` over these models, losses, regularizers and optimisers. */
  step: GanStep;
  data: BatchStream;
  evaluator?: Evaluator;
  /** Discriminator augmentation (DiffAugment or ADA), set by the loop from `config.augment` with its own Rng. */
  augmenter?: Augmenter;
  dispose(): void;
}
