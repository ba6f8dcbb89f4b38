import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgreementTable } from '../../../testing/agreement';
import {
  auxiliaryClassifierLoss,
  getLoss,
  infoGanMutualInformationLoss,
  isLossName,
  LOSS_NAMES,
  minimaxDiscriminatorLoss,
  sigmoidCrossEntropy,
  type LossName,
  type LossOptionsByName,
} from './index';

interface GradCase { value: number; gradReal: number[]; gradFake: number[] }
interface AdversarialCase { case: string; key: string; name: string; options: Record<string, number>; real: number[]; fake: number[]; d: GradCase; g: GradCase }
interface Fixture {
  adversarial: AdversarialCase[];
  sigmoidCrossEntropy: { case: string; logits: number[]; targets: number[]; value: number; grad: number[] }[];
  acgan: { case: string; logits: number[]; shape: [number, number]; labels: number[]; value: number; grad: number[] }[];
  infogan: {
    catLogits: number[]; catCodes: number[]; mean: number[]; logStd: number[]; codes: number[]; continuousWeight: number;
    gaussian: { value: number; gradCatLogits: number[]; gradMean: number[]; gradLogStd: number[] };
    mse: { value: number; gradCatLogits: number[]; gradMean: number[] };
  };
}

const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/losses.json', import.meta.url), 'utf8')) as Fixture;
const ATOL = 1e-6;
const RTOL = 2e-6;

function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[]): { value: number; grads: Float32Array[] } {
  const { value, grads } = tf.tidy(() => tf.valueAndGrads(f)(inputs));
  const result = { value: value.dataSync()[0] as number, grads: grads.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([value, ...grads]);
  return result;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`adversarial losses vs PyTorch autograd (${backend})`, () => {
    const table = new AgreementTable();
    beforeAll(async () => {
      await initBackend({ backend });
    });
    afterAll(() => {
      console.log(`\nagreement with PyTorch (float64), ${backend}:\n${table.toMarkdown('loss')}\n`);
    });

    for (const c of fixture.adversarial) {
      test(`${c.key} on ${c.case} logits: values and gradients`, () => {
        const loss = getLoss(c.name as LossName, c.options as LossOptionsByName[LossName]);
        const real = tf.tensor1d(c.real);
        const fake = tf.tensor1d(c.fake);
        const before = tf.memory().numTensors;
        const d = valueAndGrads((r, f) => loss.discriminator(r, f), [real, fake]);
        const g = loss.generatorNeedsRealLogits
          ? valueAndGrads((f, r) => loss.generator(f, r), [fake, real])
          : valueAndGrads((f) => loss.generator(f), [fake]);
        if (!loss.generatorNeedsRealLogits) g.grads.push(new Float32Array(c.real.length));
        expect(tf.memory().numTensors).toBe(before);
        table.check(`${c.key} D`, [d.value, ...d.grads[0]!, ...d.grads[1]!], [c.d.value, ...c.d.gradReal, ...c.d.gradFake], ATOL, RTOL);
        table.check(`${c.key} G`, [g.value, ...g.grads[0]!, ...g.grads[1]!], [c.g.value, ...c.g.gradFake, ...c.g.gradReal], ATOL, RTOL);
        tf.dispose([real, fake]);
      });
    }

    for (const c of fixture.sigmoidCrossEntropy) {
      test(`sigmoid cross-entropy with per-sample targets on ${c.case} logits`, () => {
        const targets = tf.tensor1d(c.targets);
        const r = valueAndGrads((x) => sigmoidCrossEntropy(x, targets), [tf.tensor1d(c.logits)]);
        table.check('sigmoidCrossEntropy', [r.value, ...r.grads[0]!], [c.value, ...c.grad], ATOL, RTOL);
        targets.dispose();
      });
    }

    for (const c of fixture.acgan) {
      test(`ACGAN auxiliary loss on ${c.case} class logits`, () => {
        const r = valueAndGrads((x) => auxiliaryClassifierLoss(x, c.labels), [tf.tensor2d(c.logits, c.shape)]);
        table.check('auxiliaryClassifierLoss', [r.value, ...r.grads[0]!], [c.value, ...c.grad], ATOL, RTOL);
      });
    }

    test('InfoGAN MI loss: categorical + Gaussian NLL, categorical + MSE', () => {
      const f = fixture.infogan;
      const cat = tf.tensor2d(f.catLogits, [5, 3]);
      const mean = tf.tensor2d(f.mean, [5, 2]);
      const logStd = tf.tensor2d(f.logStd, [5, 2]);
      const codes = tf.tensor2d(f.codes, [5, 2]);
      const gaussian = valueAndGrads(
        (l, m, s) => infoGanMutualInformationLoss({ categorical: [{ logits: l, codes: f.catCodes }], continuous: { mean: m, logStd: s, codes }, continuousWeight: f.continuousWeight }),
        [cat, mean, logStd],
      );
      table.check('infoGan (gaussian NLL)', [gaussian.value, ...gaussian.grads.flatMap((g) => [...g])], [f.gaussian.value, ...f.gaussian.gradCatLogits, ...f.gaussian.gradMean, ...f.gaussian.gradLogStd], ATOL, RTOL);
      const mse = valueAndGrads(
        (l, m) => infoGanMutualInformationLoss({ categorical: [{ logits: l, codes: f.catCodes }], continuous: { mean: m, codes }, continuousWeight: f.continuousWeight }),
        [cat, mean],
      );
      table.check('infoGan (MSE)', [mse.value, ...mse.grads.flatMap((g) => [...g])], [f.mse.value, ...f.mse.gradCatLogits, ...f.mse.gradMean], ATOL, RTOL);
      tf.dispose([cat, mean, logStd, codes]);
    });
  });
}

describe('loss options, registry and errors', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  test('label flipping swaps exactly the targets the seeded rng picks', () => {
    const real = tf.tensor1d([2, -1, 0.5, 3, -2, 1]);
    const fake = tf.tensor1d([-1, 0.2, 2, -3, 0, 1.5]);
    const p = 0.4;
    const draws = createRng(7);
    const realDraws = draws.uniformArray(6);
    const fakeDraws = draws.uniformArray(6);
    const realTargets = Array.from(realDraws, (u) => (u < p ? 0 : 0.9));
    const fakeTargets = Array.from(fakeDraws, (u) => (u < p ? 0.9 : 0));
    expect(realTargets.filter((t) => t === 0).length + fakeTargets.filter((t) => t === 0.9).length).toBeGreaterThan(0);
    const flipped = minimaxDiscriminatorLoss(real, fake, { realLabel: 0.9, flip: { probability: p, rng: createRng(7) } });
    const expected = tf.add(sigmoidCrossEntropy(real, tf.tensor1d(realTargets)), sigmoidCrossEntropy(fake, tf.tensor1d(fakeTargets)));
    expect(flipped.dataSync()[0]).toBeCloseTo(expected.dataSync()[0]!, 6);
    const unflipped = minimaxDiscriminatorLoss(real, fake, { realLabel: 0.9 });
    expect(Math.abs(unflipped.dataSync()[0]! - flipped.dataSync()[0]!)).toBeGreaterThan(1e-3);
  });

  test('the seed objective: standard D loss equals −log σ(r) − log(1 − σ(f)) computed naively on moderate logits', () => {
    const r = [0.3, -1.2, 2.0];
    const f = [-0.5, 0.7, -2.5];
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const dNaive = mean(r.map((x) => -Math.log(sigmoid(x)))) + mean(f.map((x) => -Math.log(1 - sigmoid(x))));
    const gNaive = mean(f.map((x) => -Math.log(sigmoid(x))));
    const loss = getLoss('standard');
    expect(loss.discriminator(tf.tensor1d(r), tf.tensor1d(f)).dataSync()[0]).toBeCloseTo(dNaive, 5);
    expect(loss.generator(tf.tensor1d(f)).dataSync()[0]).toBeCloseTo(gNaive, 5);
  });

  test('registry: every name resolves, unknown names and options are rejected with codes', () => {
    for (const name of LOSS_NAMES) expect(getLoss(name).name).toBe(name);
    expect(isLossName('hinge')).toBe(true);
    expect(isLossName('nope')).toBe(false);
    const unknown = (() => { try { getLoss('nope' as LossName); } catch (e) { return e; } })();
    expect(GanKitError.isInstance(unknown) && unknown.code).toBe('UNKNOWN_NAME');
    const badOption = (() => { try { getLoss('hinge', { realLabel: 0.9 } as never); } catch (e) { return e; } })();
    expect(GanKitError.isInstance(badOption) && badOption.code).toBe('INVALID_ARGUMENT');
    const relativistic = getLoss('relativistic-average');
    expect(relativistic.generatorNeedsRealLogits).toBe(true);
    expect(() => relativistic.generator(tf.tensor1d([1, 2]))).toThrow(/needs the discriminator's logits on real samples/);
  });

  test('bad inputs name what was expected', () => {
    const loss = getLoss('standard', { realLabel: 1.5 });
    expect(() => loss.discriminator(tf.tensor1d([1]), tf.tensor1d([0]))).toThrow(/realLabel must be a number in \[0, 1\]/);
    expect(() => getLoss('hinge').discriminator(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([0, 1]))).toThrow(/shape \[N\] or \[N, 1\]/);
    expect(() => getLoss('relativistic').discriminator(tf.tensor1d([1, 2]), tf.tensor1d([0]))).toThrow(/same batch size/);
    expect(() => auxiliaryClassifierLoss(tf.tensor2d([1, 2, 3, 4], [2, 2]), [0, 2])).toThrow(/integer class index in \[0, 2\)/);
    expect(() => infoGanMutualInformationLoss({})).toThrow(/at least one/);
  });

  test('no tensor leaks over repeated calls of every loss', () => {
    const real = tf.tensor2d([1, -2, 3, 0.5], [4, 1]);
    const fake = tf.tensor2d([-1, 2, 0, 4], [4, 1]);
    const run = () => {
      for (const name of LOSS_NAMES) {
        const loss = getLoss(name);
        tf.dispose([loss.discriminator(real, fake), loss.generator(fake, real)]);
      }
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });
});
