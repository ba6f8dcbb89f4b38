import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

interface WithRate {
  learningRate?: unknown;
  setLearningRate?: (rate: number) => void;
}

/** The learning rate an optimizer will apply at its next step (TF.js keeps it in a protected `learningRate` field). */
export function getLearningRate(optimizer: tf.Optimizer): number {
  const rate = (optimizer as unknown as WithRate).learningRate;
  if (typeof rate !== 'number') {
    throw new GanKitError('INVALID_ARGUMENT', `${optimizer.getClassName()} has no numeric learningRate; learning-rate schedules need an optimizer that reads it each step`);
  }
  return rate;
}

/**
 * Sets the learning rate used from the next step on. SGD and Momentum cache −lr in a tensor and are updated
 * through their `setLearningRate`; Adam, RMSProp, Adagrad, Adamax, Adadelta and gankit's PyTorch-exact
 * optimizers read the `learningRate` field at every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
    throw new GanKitError('INVALID_ARGUMENT', `learning rate must be a finite number ≥ 0, got ${String(rate)}`);
  }
  getLearningRate(optimizer);
  const target = optimizer as unknown as WithRate;
  if (typeof target.setLearningRate === 'function') target.setLearningRate(rate);
  else target.learningRate = rate;
}
