// Order of gradient registration: @gankit/losses is imported first, @tensorflow/tfjs-layers after it (statically,
// and once more as a fresh copy whose load re-registers TF.js's whole gradient list), then a gradient penalty is
// computed through a leakyRelu critic: a gradient of a gradient, which needs the zero gradient of `Greater`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { gradientPenaltyAt, registerSecondOrderGradientFixes, type Critic } from './index';
import * as tfl from '@tensorflow/tfjs-layers';

interface Fixture {
  tiny: { leak: number; coefficients: number[]; mlp: Record<string, number[]>; xReal: number[]; xFake: number[] };
  penalties: { name: string; critic: string; value: number; grads: Record<string, number[]> }[];
}
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/losses.json', import.meta.url), 'utf8')) as Fixture;
const { tiny } = fixture;
const reference = fixture.penalties.find((c) => c.name === 'gradientPenalty' && c.critic === 'mlp')!;
const SHAPES: Record<string, number[]> = { w1: [6, 8], b1: [8], w2: [8, 1], b2: [1] };
const COMPARISONS = ['Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual'];
const requireCjs = createRequire(import.meta.url);

/** WGAN-GP penalty (fixed interpolation coefficients) and its gradients w.r.t. the fixture MLP critic's weights. */
function penaltyAndWeightGradients(): { value: number; grads: Record<string, number[]> } {
  const vars = Object.fromEntries(Object.entries(SHAPES).map(([k, shape]) => [k, tf.tidy(() => tf.variable(tf.tensor(tiny.mlp[k]!, shape), true, `order/${k}/${Math.random()}`))]));
  const v = (k: string) => vars[k]!;
  const critic: Critic = (x) => tf.add(tf.matMul(tf.leakyRelu(tf.add(tf.matMul(x as tf.Tensor2D, v('w1') as tf.Tensor2D), v('b1')), tiny.leak), v('w2') as tf.Tensor2D), v('b2'));
  const real = tf.tensor2d(tiny.xReal, [4, 6]);
  const fake = tf.tensor2d(tiny.xFake, [4, 6]);
  const { value, grads } = tf.variableGrads(() => gradientPenaltyAt(critic, real, fake, Float32Array.from(tiny.coefficients)), Object.values(vars));
  const result = { value: value.dataSync()[0]!, grads: Object.fromEntries(Object.keys(SHAPES).map((k) => [k, weightGradient(grads[v(k).name], SHAPES[k]!)])) };
  tf.dispose([value, ...Object.values(grads), ...Object.values(vars), real, fake]);
  return result;
}

/** A weight's gradient; `variableGrads` leaves out a weight the loss does not depend on (the output bias here). */
function weightGradient(grad: tf.Tensor | undefined, shape: number[]): number[] {
  return grad === undefined ? new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0) : Array.from(grad.dataSync());
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(expected[i]!)));
}

describe('gradient registration order: @gankit/losses, then @tensorflow/tfjs-layers', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  test('the zero comparison gradients survive tfjs-layers re-registering every standard gradient', () => {
    expect(tfl.version_layers).toBe('4.22.0');
    const fixes = COMPARISONS.map((k) => tf.getGradient(k));
    expect(fixes.every((g) => g !== undefined)).toBe(true);
    const before = penaltyAndWeightGradients();

    // A fresh copy of tfjs-layers' Node bundle registers TF.js's complete gradient list into the shared registry again.
    const layersEntry = requireCjs.resolve('@tensorflow/tfjs-layers');
    const standardBefore = tf.getGradient('LeakyRelu');
    delete requireCjs.cache[layersEntry];
    const fresh = requireCjs(layersEntry) as typeof tfl;
    expect(fresh.version_layers).toBe('4.22.0');
    expect(tf.getGradient('LeakyRelu')).toBeDefined();
    expect(tf.getGradient('LeakyRelu')).not.toBe(standardBefore); // the re-registration really happened
    expect(COMPARISONS.map((k) => tf.getGradient(k))).toEqual(fixes); // ... and left the fixes in place
    expect(registerSecondOrderGradientFixes()).toEqual([]);

    const numTensors = tf.memory().numTensors;
    const after = penaltyAndWeightGradients();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(after).toEqual(before);
    expectClose([after.value], [reference.value]);
    for (const k of Object.keys(SHAPES)) expectClose(after.grads[k]!, reference.grads[k]!);
  });

  test('the fixes refuse to run before the standard gradients are registered', () => {
    const leakyRelu = tf.getGradient('LeakyRelu');
    tf.unregisterGradient('LeakyRelu');
    let caught: unknown;
    try {
      registerSecondOrderGradientFixes();
    } catch (error) {
      caught = error;
    }
    tf.registerGradient(leakyRelu);
    expect(GanKitError.isInstance(caught)).toBe(true);
    expect((caught as GanKitError).code).toBe('MISSING_DEPENDENCY');
    expect((caught as GanKitError).message).toMatch(/standard gradients are not registered.*@tensorflow\/tfjs-layers@4\.22\.0/);
  });
});
