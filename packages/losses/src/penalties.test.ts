import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgreementTable } from '../../../testing/agreement';
import { draganPenalty, draganPenaltyAt, gradientPenalty, gradientPenaltyAt, r1Penalty, r2Penalty, registerSecondOrderGradientFixes, type Critic } from './index';

interface PenaltyCase { name: string; critic: 'mlp' | 'mlp-conditional' | 'conv'; value: number; grads: Record<string, number[]> }
interface Tiny {
  leak: number; labels: number[]; coefficients: number[];
  mlp: Record<string, number[]>; mlpConditional: Record<string, number[]>; conv: Record<string, number[]>;
  xReal: number[]; xFake: number[]; imgReal: number[]; imgFake: number[]; noiseX: number[]; noiseImg: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/losses.json', import.meta.url), 'utf8')) as { tiny: Tiny; penalties: PenaltyCase[] };
const tiny = fixture.tiny;
const N = 4;

const SHAPES: Record<PenaltyCase['critic'], Record<string, number[]>> = {
  mlp: { w1: [6, 8], b1: [8], w2: [8, 1], b2: [1] },
  'mlp-conditional': { w1: [9, 8], b1: [8], w2: [8, 1], b2: [1] },
  conv: { k: [3, 3, 1, 4], bk: [4], w2: [36, 1], b2: [1] },
};

/** The fixture's tiny critic with its fixed weights as TF.js variables. */
function makeCritic(kind: PenaltyCase['critic']): { critic: Critic; vars: Record<string, tf.Variable> } {
  const weights = kind === 'mlp' ? tiny.mlp : kind === 'conv' ? tiny.conv : tiny.mlpConditional;
  const vars = Object.fromEntries(Object.entries(SHAPES[kind]).map(([k, shape]) => [k, tf.variable(tf.tensor(weights[k]!, shape), true, `${kind}/${k}/${Math.random()}`)]));
  const v = (k: string) => vars[k]!;
  if (kind === 'conv') {
    const critic: Critic = (x) => {
      const h = tf.leakyRelu(tf.add(tf.conv2d(x as tf.Tensor4D, v('k') as tf.Tensor4D, 2, 'valid'), v('bk')), tiny.leak);
      return tf.add(tf.matMul(tf.reshape(h, [x.shape[0], 36]), v('w2') as tf.Tensor2D), v('b2'));
    };
    return { critic, vars };
  }
  const critic: Critic = (x, condition) => {
    const input = condition === undefined ? x : tf.concat([x, condition], 1);
    const h = tf.leakyRelu(tf.add(tf.matMul(input as tf.Tensor2D, v('w1') as tf.Tensor2D), v('b1')), tiny.leak);
    return tf.add(tf.matMul(h, v('w2') as tf.Tensor2D), v('b2'));
  };
  return { critic, vars };
}

function penaltyFor(c: PenaltyCase, critic: Critic): tf.Scalar {
  const image = c.critic === 'conv';
  const real = image ? tf.tensor4d(tiny.imgReal, [N, 7, 7, 1]) : tf.tensor2d(tiny.xReal, [N, 6]);
  const fake = image ? tf.tensor4d(tiny.imgFake, [N, 7, 7, 1]) : tf.tensor2d(tiny.xFake, [N, 6]);
  const condition = c.critic === 'mlp-conditional' ? tf.cast(tf.oneHot(tf.tensor1d(tiny.labels, 'int32'), 3), 'float32') : undefined;
  const eps = Float32Array.from(tiny.coefficients);
  switch (c.name) {
    case 'gradientPenalty': return gradientPenaltyAt(critic, real, fake, eps);
    case 'gradientPenalty-oneSided': return gradientPenaltyAt(critic, real, fake, eps, { oneSided: true });
    case 'gradientPenalty-conditional': return gradientPenaltyAt(critic, real, fake, eps, { condition });
    case 'r1Penalty': return r1Penalty(critic, real);
    case 'r1Penalty-conditional': return r1Penalty(critic, real, { condition });
    case 'r2Penalty': return r2Penalty(critic, fake, { gamma: 1 });
    case 'draganPenalty': return draganPenaltyAt(critic, real, Float32Array.from(image ? tiny.noiseImg : tiny.noiseX), eps);
    default: throw new Error(`unknown case ${c.name}`);
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`penalties vs PyTorch autograd, gradient of a gradient w.r.t. the critic's weights (${backend})`, () => {
    const table = new AgreementTable();
    beforeAll(async () => {
      await initBackend({ backend });
    });
    afterAll(() => {
      console.log(`\npenalties: agreement with PyTorch (float64), ${backend}:\n${table.toMarkdown('penalty (critic)')}\n`);
    });

    for (const c of fixture.penalties) {
      test(`${c.name} on the ${c.critic} critic: value and weight gradients inside tf.variableGrads`, () => {
        const { critic, vars } = makeCritic(c.critic);
        const names = Object.keys(vars);
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => tf.tidy(() => penaltyFor(c, critic)), names.map((k) => vars[k]!));
        // a weight that cannot affect an input gradient (the last bias) gets no gradient from TF.js: zero
        const gradOf = (k: string) => grads[vars[k]!.name]?.dataSync() ?? new Float32Array(vars[k]!.size);
        const actual = [value.dataSync()[0]!, ...names.flatMap((k) => [...gradOf(k)])];
        const expected = [c.value, ...names.flatMap((k) => c.grads[k]!)];
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before);
        table.check(`${c.name} (${c.critic})`, actual, expected, 2e-5, 2e-5);
        tf.dispose(Object.values(vars));
      });
    }
  });
}

describe('penalties: seeding, training use, layers critics', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  test('gradientPenalty draws ε with rng.uniformArray(N); draganPenalty draws noise then α', () => {
    const { critic, vars } = makeCritic('mlp');
    const real = tf.tensor2d(tiny.xReal, [N, 6]);
    const fake = tf.tensor2d(tiny.xFake, [N, 6]);
    const drawn = createRng(42).uniformArray(N);
    expect(gradientPenalty(critic, real, fake, createRng(42)).dataSync()[0]).toBe(gradientPenaltyAt(critic, real, fake, drawn).dataSync()[0]);
    const rng = createRng(5);
    const noise = rng.uniformArray(N * 6);
    const alpha = rng.uniformArray(N);
    expect(draganPenalty(critic, real, createRng(5)).dataSync()[0]).toBe(draganPenaltyAt(critic, real, noise, alpha).dataSync()[0]);
    expect(gradientPenalty(critic, real, fake, createRng(1)).dataSync()[0]).not.toBe(gradientPenalty(critic, real, fake, createRng(2)).dataSync()[0]);
    tf.dispose([real, fake, ...Object.values(vars)]);
  });

  test('WGAN-GP critic step with optimizer.minimize on a tfjs-layers conv critic: finite, weights move, no leaks', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
        tfl.layers.leakyReLU({ alpha: 0.2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    const critic: Critic = (x) => model.apply(x) as tf.Tensor;
    const optimizer = tf.train.adam(1e-3, 0.5, 0.9);
    const rng = createRng(3);
    const real = tf.tensor4d(rng.normalArray(6 * 64), [6, 8, 8, 1]);
    const fake = tf.tensor4d(rng.normalArray(6 * 64), [6, 8, 8, 1]);
    const weightsBefore = model.getWeights()[0]!.dataSync().slice();
    const step = () => {
      const cost = optimizer.minimize(() => tf.add(tf.sub(tf.mean(critic(fake)), tf.mean(critic(real))), gradientPenalty(critic, real, fake, rng)), true);
      const value = cost!.dataSync()[0]!;
      cost!.dispose();
      return value;
    };
    step();
    const before = tf.memory().numTensors;
    const costs = [step(), step(), step()];
    expect(tf.memory().numTensors).toBe(before);
    expect(costs.every(Number.isFinite)).toBe(true);
    expect(model.getWeights()[0]!.dataSync()).not.toEqual(weightsBefore);
    tf.dispose([real, fake]);
    optimizer.dispose();
    model.dispose();
  });

  test('TF.js 4.22 lacks the Greater gradient that second order through leakyRelu needs; the fix registers it', () => {
    const { critic, vars } = makeCritic('mlp');
    const penalty = () => tf.variableGrads(() => r1Penalty(critic, tf.tensor2d(tiny.xReal, [N, 6])), [vars.w1!]);
    tf.unregisterGradient('Greater');
    expect(penalty).toThrow(/gradient function not found for Greater/);
    expect(registerSecondOrderGradientFixes()).toEqual(['Greater']);
    const { value, grads } = penalty();
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(registerSecondOrderGradientFixes()).toEqual([]);
    tf.dispose([value, ...Object.values(grads), ...Object.values(vars)]);
  });

  test('shape errors name the expectation', () => {
    const { critic, vars } = makeCritic('mlp');
    expect(() => gradientPenaltyAt(critic, tf.zeros([4, 6]), tf.zeros([3, 6]), new Float32Array(4))).toThrow(/same shape/);
    expect(() => gradientPenaltyAt(critic, tf.zeros([4, 6]), tf.zeros([4, 6]), new Float32Array(3))).toThrow(/one interpolation coefficient per sample \(4\)/);
    expect(() => r1Penalty(critic, tf.zeros([6]))).toThrow(/rank ≥ 2/);
    tf.dispose(Object.values(vars));
  });
});
