import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { fixture } from '../test/problem';
import {
  adam,
  constantSchedule,
  cosineSchedule,
  createSchedule,
  getLearningRate,
  linearDecaySchedule,
  rmsprop,
  ScheduledOptimizer,
  sgd,
  stepDecaySchedule,
  warmupSchedule,
  type LearningRateSchedule,
} from './index';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('schedules', () => {
  test('step decay and cosine equal PyTorch StepLR / CosineAnnealingLR rates', () => {
    const { step, cosine } = fixture.schedules;
    const stepSchedule = stepDecaySchedule({ learningRate: step.lr, stepSize: step.stepSize, gamma: step.gamma });
    step.rates.forEach((rate, i) => expect(stepSchedule(i)).toBeCloseTo(rate, 12));
    const cos = cosineSchedule({ learningRate: cosine.lr, totalSteps: cosine.totalSteps, minLearningRate: cosine.minLr });
    // PyTorch's CosineAnnealingLR is recursive; it agrees with the closed form to float64 rounding
    cosine.rates.forEach((rate, i) => expect(Math.abs(cos(i) - rate)).toBeLessThan(1e-12));
  });

  test('warm-up, linear decay to zero, constant, config builder', () => {
    const warm = warmupSchedule(4, constantSchedule(0.1));
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((rate, i) => expect(warm([0, 1, 2, 3, 4, 10][i]!)).toBeCloseTo(rate, 15));
    const linear = linearDecaySchedule({ learningRate: 0.2, startStep: 10, endStep: 20 });
    expect([0, 10, 15, 20, 30].map(linear)).toEqual([0.2, 0.2, 0.1, 0, 0]);
    const built = createSchedule({ type: 'linear-decay', learningRate: 0.2, startStep: 10, endStep: 20, warmupSteps: 2 });
    expect([0, 1, 15].map(built)).toEqual([0.1, 0.2, 0.1]);
    expect(() => createSchedule({ type: 'exponential' } as never)).toThrow(GanKitError);
    expect(() => linearDecaySchedule({ learningRate: 0.1, startStep: 5, endStep: 5 })).toThrow(/endStep/);
  });
});

/** Runs `steps` scheduled updates of p on loss = Σp (gradient 1) and returns the observed per-step change of p. */
function observedSteps(optimizer: tf.Optimizer, schedule: LearningRateSchedule, steps: number): { deltas: number[]; rates: number[] } {
  const p = tf.variable(tf.zeros([1]));
  const scheduled = new ScheduledOptimizer(optimizer, schedule);
  const deltas: number[] = [];
  const rates: number[] = [];
  for (let i = 0; i < steps; i++) {
    const before = p.dataSync()[0]!;
    scheduled.minimize(() => tf.sum(p), false, [p]);
    deltas.push(before - p.dataSync()[0]!);
    rates.push(scheduled.currentLearningRate);
  }
  expect(scheduled.step).toBe(steps);
  optimizer.dispose();
  p.dispose();
  return { deltas, rates };
}

describe('ScheduledOptimizer applies the scheduled rate at every step (observed through the parameter update)', () => {
  const schedule = warmupSchedule(3, stepDecaySchedule({ learningRate: 0.1, stepSize: 4, gamma: 0.5 }));
  const expected = Array.from({ length: 10 }, (_, i) => schedule(i));

  test('SGD (rate cached in a tensor, updated via setLearningRate): Δp = lr·g exactly', () => {
    const { deltas, rates } = observedSteps(sgd(), schedule, 10);
    expect(rates).toEqual(expected);
    deltas.forEach((d, i) => expect(d).toBeCloseTo(expected[i]!, 6));
  });

  test('SGD with momentum: Δp follows lr·(accumulated momentum)', () => {
    const { deltas } = observedSteps(sgd({ momentum: 0.5 }), schedule, 10);
    let buffer = 0;
    deltas.forEach((d, i) => {
      buffer = 0.5 * buffer + 1;
      expect(d).toBeCloseTo(expected[i]! * buffer, 6);
    });
  });

  for (const exact of ['tfjs', 'pytorch'] as const) {
    test(`Adam (${exact}): with a constant gradient m̂/√v̂ = 1, so Δp = lr/(1 + ε) each step`, () => {
      const { deltas } = observedSteps(adam({ exact }), schedule, 10);
      // relative 1e-5: TF.js's float32 β^t accumulators (and float32 p) limit the agreement
      deltas.forEach((d, i) => expect(Math.abs(d - expected[i]!) / expected[i]!).toBeLessThan(2e-5));
    });
    test(`RMSprop (${exact}): Δp = lr·g/√(s) with s = 1 − α^t`, () => {
      const { deltas } = observedSteps(rmsprop({ exact, decay: 0.5 }), schedule, 6);
      deltas.forEach((d, i) => expect(d).toBeCloseTo(expected[i]! / Math.sqrt(1 - 0.5 ** (i + 1)), 5));
    });
  }

  test('state: the position is saved and restored; non-schedulable input is rejected', () => {
    const scheduled = new ScheduledOptimizer(sgd(), schedule);
    scheduled.setState({ step: 7 });
    expect(scheduled.nextLearningRate).toBe(schedule(7));
    expect(scheduled.getState()).toEqual({ step: 7 });
    expect(() => scheduled.setState({ step: -1 })).toThrow(/integer ≥ 0/);
    expect(getLearningRate(scheduled.optimizer)).toBe(0.01);
    scheduled.optimizer.dispose();
  });
});
