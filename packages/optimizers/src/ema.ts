import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

/** Options of `ExponentialMovingAverage`. */
export interface EmaOptions {
  /** Decay d of shadow ← d·shadow + (1 − d)·weight (default 0.999). */
  decay?: number;
  /** Updates before averaging starts: until then the shadow copies the weights (default 0). */
  startStep?: number;
  /** Use min(d, (1 + n)/(10 + n)) for the n-th averaged update, as tf.train.ExponentialMovingAverage's num_updates (default false). */
  warmup?: boolean;
  /**
   * StyleGAN2's EMA (Karras et al. 2020; NVlabs' `ema_kimg`): the half-life in training images, replacing `decay`:
   * d = 0.5^(batchSize / h) with h = min(halfLifeImages, images · rampup) where images = (n − 1)·batchSize are the
   * images seen before the n-th update (so the first update copies the weights). Needs `batchSize`.
   */
  halfLifeImages?: number;
  /** Ramp-up of the half-life (NVlabs' `ema_rampup`, 0.05 in StyleGAN2-ADA); default none (h = halfLifeImages). */
  rampup?: number;
  /** Images per update, for `halfLifeImages`. */
  batchSize?: number;
}

/** Saved counters of an `ExponentialMovingAverage` (the shadows are saved as tensors). */
export interface EmaState {
  updates: number;
}

/**
 * Exponential moving average of weights (Polyak averaging as used for GAN generators, e.g. Karras et al. 2018,
 * Yazıcı et al. 2019): shadow ← d·shadow + (1 − d)·weight after each `update()`. Sample with the averaged
 * weights through `withAveragedWeights(fn)` or `swapIn()`/`swapOut()`.
 */
export class ExponentialMovingAverage {
  readonly decay: number;
  readonly startStep: number;
  readonly warmup: boolean;
  readonly halfLifeImages: number | undefined;
  readonly rampup: number | undefined;
  readonly batchSize: number | undefined;
  /** Number of `update()` calls so far. */
  updates = 0;
  private shadowVariables: tf.Variable[];
  private backups: tf.Tensor[] | undefined;

  constructor(
    readonly variables: tf.Variable[],
    options: EmaOptions = {},
  ) {
    this.decay = options.decay ?? 0.999;
    this.startStep = options.startStep ?? 0;
    this.warmup = options.warmup ?? false;
    if (!(this.decay >= 0 && this.decay < 1)) throw new GanKitError('INVALID_ARGUMENT', `EMA decay must be in [0, 1), got ${this.decay}`);
    if (!Number.isInteger(this.startStep) || this.startStep < 0) throw new GanKitError('INVALID_ARGUMENT', `EMA startStep must be an integer ≥ 0, got ${this.startStep}`);
    if (variables.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'EMA needs at least one variable');
    this.halfLifeImages = options.halfLifeImages;
    this.rampup = options.rampup;
    this.batchSize = options.batchSize;
    if (this.halfLifeImages !== undefined) {
      if (!(this.halfLifeImages > 0)) throw new GanKitError('INVALID_ARGUMENT', `EMA halfLifeImages must be a positive number of images, got ${this.halfLifeImages}`);
      if (!(Number.isInteger(this.batchSize) && (this.batchSize ?? 0) > 0)) throw new GanKitError('INVALID_ARGUMENT', `EMA halfLifeImages needs batchSize, a positive integer (images per update), got ${this.batchSize}`);
      if (this.warmup) throw new GanKitError('INVALID_ARGUMENT', 'EMA: use either warmup or halfLifeImages (with rampup), not both');
    } else if (this.rampup !== undefined || this.batchSize !== undefined) {
      throw new GanKitError('INVALID_ARGUMENT', 'EMA rampup and batchSize go with halfLifeImages');
    }
    if (this.rampup !== undefined && !(this.rampup > 0)) throw new GanKitError('INVALID_ARGUMENT', `EMA rampup must be a positive number, got ${this.rampup}`);
    this.shadowVariables = variables.map((v) => tf.variable(v, false));
  }

  /** The averaged copies, one per variable (read-only; use `update`). */
  get shadows(): readonly tf.Variable[] {
    return this.shadowVariables;
  }

  /** The decay applied by the given (1-based) update; 0 means a plain copy (updates up to `startStep`). */
  decayForUpdate(updateNumber: number): number {
    if (updateNumber <= this.startStep) return 0;
    const n = updateNumber - this.startStep;
    if (this.halfLifeImages !== undefined) {
      const batch = this.batchSize!;
      const images = (updateNumber - 1) * batch;
      const halfLife = this.rampup === undefined ? this.halfLifeImages : Math.min(this.halfLifeImages, images * this.rampup);
      return Math.pow(0.5, batch / Math.max(halfLife, 1e-8));
    }
    return this.warmup ? Math.min(this.decay, (1 + n) / (10 + n)) : this.decay;
  }

  /** Folds the current weights into the shadows (before `startStep` updates: copies them). */
  update(): void {
    if (this.backups !== undefined) throw new GanKitError('INVALID_ARGUMENT', 'EMA.update() called while the averaged weights are swapped in; call swapOut() first');
    this.updates += 1;
    const d = this.decayForUpdate(this.updates);
    tf.tidy(() => {
      this.shadowVariables.forEach((shadow, i) => {
        const weight = this.variables[i] as tf.Variable;
        shadow.assign(d === 0 ? weight : tf.add(tf.mul(shadow, d), tf.mul(weight, 1 - d)));
      });
    });
  }

  /** Puts the averaged weights into the variables, keeping the training weights aside. */
  swapIn(): void {
    if (this.backups !== undefined) throw new GanKitError('INVALID_ARGUMENT', 'EMA weights are already swapped in');
    this.backups = this.variables.map((v) => tf.clone(v));
    this.variables.forEach((v, i) => v.assign(this.shadowVariables[i] as tf.Variable));
  }

  /** Restores the training weights put aside by `swapIn()`. */
  swapOut(): void {
    const backups = this.backups;
    if (backups === undefined) throw new GanKitError('INVALID_ARGUMENT', 'EMA weights are not swapped in');
    this.variables.forEach((v, i) => v.assign(backups[i] as tf.Tensor));
    tf.dispose(backups);
    this.backups = undefined;
  }

  /** Runs `fn` with the averaged weights swapped in and swaps back afterwards (also when `fn` throws or its promise rejects). */
  withAveragedWeights<T>(fn: () => T): T {
    this.swapIn();
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.swapOut();
      throw error;
    }
    if (result instanceof Promise) return result.finally(() => this.swapOut()) as T;
    this.swapOut();
    return result;
  }

  /** Counters for saving (shadows are saved separately as tensors, see `saveTrainingState`). */
  getState(): EmaState {
    return { updates: this.updates };
  }

  /** Restores counters and shadow values. */
  setState(state: EmaState, shadows: tf.Tensor[]): void {
    if (shadows.length !== this.shadowVariables.length) throw new GanKitError('SHAPE_MISMATCH', `EMA state has ${shadows.length} shadows, this EMA tracks ${this.shadowVariables.length} variables`);
    shadows.forEach((s, i) => {
      const shadow = this.shadowVariables[i] as tf.Variable;
      if (s.shape.join(',') !== shadow.shape.join(',')) throw new GanKitError('SHAPE_MISMATCH', `EMA shadow ${i} has shape [${s.shape.join(', ')}], expected [${shadow.shape.join(', ')}]`);
      shadow.assign(s);
    });
    this.updates = state.updates;
  }

  /** Frees the shadow variables. */
  dispose(): void {
    if (this.backups !== undefined) this.swapOut();
    tf.dispose(this.shadowVariables);
  }
}
