import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, type Rng } from '@gankit/core';
import type { Initializer } from '../layers/common';

/** Hands out one initializer seed per weight, derived from one base seed, so the same seed gives the same model. */
export class Seeds {
  private readonly rng: Rng | undefined;

  constructor(seed: number | undefined) {
    this.rng = seed === undefined ? undefined : createRng(seed);
  }

  /** The next seed (undefined when unseeded). */
  next(): number | undefined {
    return this.rng === undefined ? undefined : this.rng.nextUint32() % 2_147_483_647;
  }

  /** N(mean, std) initializer with the next seed. */
  normal(std: number, mean = 0): Initializer {
    return tfl.initializers.randomNormal({ mean, stddev: std, seed: this.next() });
  }

  /** Glorot-uniform initializer scaled by `gain` (variance × gain²), with the next seed. */
  glorot(gain = 1): Initializer {
    return tfl.initializers.varianceScaling({ scale: gain * gain, mode: 'fanAvg', distribution: 'uniform', seed: this.next() });
  }
}
