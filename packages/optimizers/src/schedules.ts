import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { getLearningRate, setLearningRate } from './learning-rate';

/** A learning-rate schedule: the rate to apply at update `step` (0 for the first update). */
export type LearningRateSchedule = (step: number) => number;

function check(value: number, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new GanKitError('INVALID_ARGUMENT', `${what} must be a finite number ≥ ${min}, got ${String(value)}`);
  return value;
}

/** The same rate at every step. */
export function constantSchedule(learningRate: number): LearningRateSchedule {
  check(learningRate, 'learningRate');
  return () => learningRate;
}

/** Linear warm-up (Goyal et al. 2017): rate · (step + 1)/warmupSteps for the first `warmupSteps` updates, then `after(step)`. */
export function warmupSchedule(warmupSteps: number, after: LearningRateSchedule): LearningRateSchedule {
  check(warmupSteps, 'warmupSteps', 1);
  return (step) => (step < warmupSteps ? (after(step) * (step + 1)) / warmupSteps : after(step));
}

/** Constant until `startStep`, then linear decay reaching zero at `endStep` (e.g. CycleGAN's schedule). */
export function linearDecaySchedule(options: { learningRate: number; startStep: number; endStep: number }): LearningRateSchedule {
  const { learningRate, startStep, endStep } = options;
  check(learningRate, 'learningRate');
  check(startStep, 'startStep');
  if (!(endStep > startStep)) throw new GanKitError('INVALID_ARGUMENT', `endStep (${endStep}) must be greater than startStep (${startStep})`);
  return (step) => (step <= startStep ? learningRate : learningRate * Math.max(0, 1 - (step - startStep) / (endStep - startStep)));
}

/** Cosine annealing (Loshchilov & Hutter 2017, = PyTorch CosineAnnealingLR): min + ½(lr − min)(1 + cos(π·t/T)), held at min after T. */
export function cosineSchedule(options: { learningRate: number; totalSteps: number; minLearningRate?: number }): LearningRateSchedule {
  const { learningRate, totalSteps, minLearningRate = 0 } = options;
  check(learningRate, 'learningRate');
  check(totalSteps, 'totalSteps', 1);
  check(minLearningRate, 'minLearningRate');
  return (step) => minLearningRate + 0.5 * (learningRate - minLearningRate) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps));
}

/** Step decay (= PyTorch StepLR): lr · γ^⌊step / stepSize⌋. */
export function stepDecaySchedule(options: { learningRate: number; stepSize: number; gamma: number }): LearningRateSchedule {
  const { learningRate, stepSize, gamma } = options;
  check(learningRate, 'learningRate');
  check(stepSize, 'stepSize', 1);
  check(gamma, 'gamma');
  return (step) => learningRate * gamma ** Math.floor(step / stepSize);
}

/** A schedule described by plain data (from a config file). */
export type ScheduleConfig =
  | { type: 'constant'; learningRate: number; warmupSteps?: number }
  | { type: 'linear-decay'; learningRate: number; startStep: number; endStep: number; warmupSteps?: number }
  | { type: 'cosine'; learningRate: number; totalSteps: number; minLearningRate?: number; warmupSteps?: number }
  | { type: 'step'; learningRate: number; stepSize: number; gamma: number; warmupSteps?: number };

/** Builds a schedule from its config; `warmupSteps` wraps it in a linear warm-up. */
export function createSchedule(config: ScheduleConfig): LearningRateSchedule {
  const base = ((): LearningRateSchedule => {
    switch (config.type) {
      case 'constant':
        return constantSchedule(config.learningRate);
      case 'linear-decay':
        return linearDecaySchedule(config);
      case 'cosine':
        return cosineSchedule(config);
      case 'step':
        return stepDecaySchedule(config);
      default:
        throw new GanKitError('UNKNOWN_NAME', `unknown schedule type "${String((config as { type: unknown }).type)}"; expected constant, linear-decay, cosine or step`);
    }
  })();
  return config.warmupSteps ? warmupSchedule(config.warmupSteps, base) : base;
}

/** Saved position of a `ScheduledOptimizer`. */
export interface ScheduleState {
  step: number;
}

/**
 * Wraps a TF.js optimizer so that each update first sets the learning rate to `schedule(step)`, then steps.
 * Use its `minimize`/`applyGradients` instead of the optimizer's.
 */
export class ScheduledOptimizer {
  /** Number of updates applied so far (the schedule position). */
  step = 0;

  constructor(
    readonly optimizer: tf.Optimizer,
    readonly schedule: LearningRateSchedule,
  ) {
    getLearningRate(optimizer);
  }

  /** The rate the next update will use. */
  get nextLearningRate(): number {
    return this.schedule(this.step);
  }

  /** The rate currently set on the optimizer (the one the last update used). */
  get currentLearningRate(): number {
    return getLearningRate(this.optimizer);
  }

  private beforeUpdate(): void {
    setLearningRate(this.optimizer, this.schedule(this.step));
  }

  /** Sets the scheduled rate, then `optimizer.applyGradients(grads)`. */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.beforeUpdate();
    this.optimizer.applyGradients(grads);
    this.step += 1;
  }

  /** Sets the scheduled rate, then `optimizer.minimize(f, returnCost, varList)`. */
  minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    this.beforeUpdate();
    const cost = this.optimizer.minimize(f, returnCost, varList);
    this.step += 1;
    return cost;
  }

  /** The schedule position, JSON-serialisable. */
  getState(): ScheduleState {
    return { step: this.step };
  }

  /** Restores a position saved by `getState`. */
  setState(state: ScheduleState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new GanKitError('INVALID_ARGUMENT', `schedule step must be an integer ≥ 0, got ${String(state.step)}`);
    this.step = state.step;
  }
}
