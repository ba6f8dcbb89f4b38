import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, GanKitError, rngFromState, type RngState } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { saveWeightsMap } from '@gankit/core/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  adam,
  ExponentialMovingAverage,
  linearDecaySchedule,
  rmsprop,
  ScheduledOptimizer,
  sgd,
  warmupSchedule,
} from './index';
import { loadTrainingState, saveTrainingState, type TrainingStateParts } from './node';

const dir = mkdtempSync(join(tmpdir(), 'gankit-optimizers-state-'));
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAKERS = {
  adamScheduled: () => new ScheduledOptimizer(adam(), warmupSchedule(2, linearDecaySchedule({ learningRate: 2e-3, startStep: 4, endStep: 20 }))),
  adamPyTorch: () => adam({ exact: 'pytorch', learningRate: 1e-2, beta1: 0.9 }),
  rmspropTfjs: () => rmsprop({ learningRate: 1e-3, momentum: 0.5 }),
  rmspropPyTorch: () => rmsprop({ learningRate: 1e-3, momentum: 0.5, centered: true, exact: 'pytorch' }),
  momentum: () => sgd({ learningRate: 0.05, momentum: 0.9 }),
} as const;
type Key = keyof typeof MAKERS;
const KEYS = Object.keys(MAKERS) as Key[];

/** One network (W [4,3], b [3]) per optimizer, an EMA over the first one, and a seeded data stream. */
function makeRun(initSeed: number) {
  const init = createRng(initSeed);
  const nets = Object.fromEntries(
    KEYS.map((k) => [k, tf.tidy(() => [tf.variable(tf.tensor2d(init.normalArray(12), [4, 3])), tf.variable(tf.tensor1d(init.normalArray(3)))])]),
  ) as Record<Key, tf.Variable[]>;
  const optimizers = Object.fromEntries(KEYS.map((k) => [k, MAKERS[k]()])) as { [K in Key]: ReturnType<(typeof MAKERS)[K]> };
  const ema = new ExponentialMovingAverage(nets.adamScheduled, { decay: 0.9, startStep: 1, warmup: true });
  return { nets, optimizers, ema, rng: createRng(99) };
}
type Run = ReturnType<typeof makeRun>;

function trainStep(run: Run): void {
  const x = tf.tensor2d(run.rng.normalArray(8 * 4), [8, 4]);
  const y = tf.tensor2d(run.rng.uniformArray(8 * 3, -0.5, 0.5), [8, 3]);
  for (const k of KEYS) {
    const [W, b] = run.nets[k] as [tf.Variable, tf.Variable];
    const loss = () => tf.tidy(() => tf.mean<tf.Scalar>(tf.square(tf.sub(tf.tanh(tf.add(tf.matMul(x, W), b)), y))));
    run.optimizers[k].minimize(loss, false, [W, b]);
  }
  run.ema.update();
  tf.dispose([x, y]);
}

function snapshot(run: Run): Float32Array[] {
  return [...KEYS.flatMap((k) => run.nets[k].map((v) => v.dataSync() as Float32Array)), ...run.ema.shadows.map((s) => s.dataSync() as Float32Array)];
}

function parts(run: Run): TrainingStateParts {
  return { optimizers: run.optimizers, emas: { generator: run.ema }, variables: run.nets };
}

function dispose(run: Run): void {
  for (const k of KEYS) {
    const o = run.optimizers[k];
    (o instanceof ScheduledOptimizer ? o.optimizer : o).dispose();
    tf.dispose(run.nets[k]);
  }
  run.ema.dispose();
}

describe('training state save/restore', () => {
  test('train k steps, save, restore into fresh objects, continue: bit-identical to an uninterrupted run (cpu)', async () => {
    const k = 20; // past warm-up and into the linear decay; tf.pow(0.999, 21) ≠ the float32 product tf.train.adam holds at this step
    const uninterrupted = makeRun(1);
    for (let i = 0; i < 2 * k; i++) trainStep(uninterrupted);
    const expected = snapshot(uninterrupted);
    dispose(uninterrupted);

    const first = makeRun(1);
    for (let i = 0; i < k; i++) trainStep(first);
    await saveTrainingState(dir, parts(first), { extra: { rng: first.rng.getState(), note: 'k steps' } });
    dispose(first);

    const before = tf.memory().numTensors;
    const resumed = makeRun(2); // different initial weights: everything must come from the file
    const { extra } = await loadTrainingState(dir, parts(resumed));
    expect(extra?.note).toBe('k steps');
    resumed.rng = rngFromState(extra!.rng as RngState);
    expect((resumed.optimizers.adamScheduled).step).toBe(k);
    expect(resumed.ema.updates).toBe(k);
    for (let i = 0; i < k; i++) trainStep(resumed);
    const actual = snapshot(resumed);
    expect(actual.length).toBe(expected.length);
    actual.forEach((a, i) => expect(Array.from(a), `tensor ${i}`).toEqual(Array.from(expected[i]!)));
    dispose(resumed);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('why the Adam accumulators are restored by repeated products: tf.pow(β, n) differs from them', () => {
    let acc = Math.fround(0.999);
    let differs = 0;
    for (let n = 2; n <= 300; n++) {
      acc = Math.fround(acc * Math.fround(0.999));
      const pow = tf.tidy(() => tf.pow(tf.scalar(0.999), tf.scalar(n)).dataSync()[0]);
      if (pow !== acc) differs += 1;
    }
    expect(differs).toBeGreaterThan(0);
  });

  test('errors: non-fresh optimizer, other optimizer class, missing file, foreign file', async () => {
    const run = makeRun(3);
    trainStep(run);
    await saveTrainingState(dir, parts(run), { name: 'one-step' });
    const used = sgd({ learningRate: 0.05, momentum: 0.9 });
    const p = tf.variable(tf.zeros([2]));
    used.minimize(() => tf.sum(p), false, [p]);
    const err = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);
    const nonFresh = await err(loadTrainingState(dir, { optimizers: { momentum: used } }, { name: 'one-step' }));
    expect(GanKitError.isInstance(nonFresh) && nonFresh.code).toBe('INVALID_ARGUMENT');
    const wrongClass = await err(loadTrainingState(dir, { optimizers: { momentum: adam() } }, { name: 'one-step' }));
    expect(GanKitError.isInstance(wrongClass) && wrongClass.code).toBe('FILE_MISMATCH');
    expect(String(wrongClass)).toMatch(/saved from a Momentum, cannot restore into a Adam/);
    const unknownKey = await err(loadTrainingState(dir, { optimizers: { nope: adam() } }, { name: 'one-step' }));
    expect(GanKitError.isInstance(unknownKey) && unknownKey.code).toBe('FILE_MISMATCH');
    const missing = await err(loadTrainingState(join(dir, 'absent'), parts(run)));
    expect(GanKitError.isInstance(missing) && missing.code).toBe('FILE_NOT_FOUND');
    const x = tf.zeros([1]);
    await saveWeightsMap(dir, { x }, { name: 'foreign' });
    const foreign = await err(loadTrainingState(dir, parts(run), { name: 'foreign' }));
    expect(GanKitError.isInstance(foreign) && foreign.code).toBe('FILE_CORRUPT');
    tf.dispose([x, p]);
    used.dispose();
    dispose(run);
  });
});
