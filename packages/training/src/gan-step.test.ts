import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, createRng, type Rng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { getLoss, gradientPenalty } from '@gankit/losses';
import { mlpDiscriminator, mlpGenerator } from '@gankit/models';
import { ExponentialMovingAverage, adam } from '@gankit/optimizers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGanStep,
  disposeScalars,
  gradientPenaltyRegularizer,
  latentBatch,
  labelBatch,
  readScalars,
  trainableVariables,
  type Batch,
  type DiscriminatorRegularizer,
  type GanStepOptions,
} from './index';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const SHAPE = [4, 4, 1] as const;
const LATENT = 3;
const B = 6;

/** A tiny MLP G and D (no dropout, no batch norm: every forward is deterministic). */
function models(seed = 1, numClasses?: number): { generator: tfl.LayersModel; discriminator: tfl.LayersModel } {
  const common = { dataShape: SHAPE, seed, ...(numClasses !== undefined && { numClasses }) };
  return { generator: mlpGenerator({ ...common, latentDim: LATENT, hiddenUnits: [8] }), discriminator: mlpDiscriminator({ ...common, hiddenUnits: [8] }) };
}

function realBatch(rng: Rng, numClasses?: number): Batch {
  const images = tf.tensor4d(rng.uniformArray(B * 16, -1, 1), [B, ...SHAPE]);
  return numClasses === undefined ? { images } : { images, labels: labelBatch(rng, B, numClasses) };
}

/** Every trainable weight's values, copied. */
function snapshot(model: tfl.LayersModel): Float32Array[] {
  return trainableVariables(model).map((v) => v.dataSync() as Float32Array);
}

function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.from(x.buffer).equals(Buffer.from((b[i] as Float32Array).buffer)));
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - (b[i] as Float32Array)[j]!)))));
  return m;
}

function dispose(batch: Batch): void {
  tf.dispose([batch.images, ...(batch.labels ? [batch.labels] : [])]);
}

function stepOptions(extra: Partial<GanStepOptions> = {}, seed = 1): GanStepOptions {
  return {
    ...models(seed),
    loss: getLoss('standard'),
    generatorOptimizer: adam({ learningRate: 0.01, beta1: 0.5 }),
    discriminatorOptimizer: adam({ learningRate: 0.01, beta1: 0.5 }),
    rng: createRng(7),
    ...extra,
  };
}

describe('the D step holds G fixed, the G step holds D fixed', () => {
  it('after a D step G is bit-identical and D moved; after a G step D is bit-identical and G moved', () => {
    const options = stepOptions({ regularizers: [gradientPenaltyRegularizer({ lambda: 10, rng: createRng(3) })] });
    const gan = createGanStep(options);
    const batch = realBatch(createRng(2));
    const [g0, d0] = [snapshot(options.generator), snapshot(options.discriminator)];
    disposeScalars(gan.discriminatorStep(batch));
    const [g1, d1] = [snapshot(options.generator), snapshot(options.discriminator)];
    expect(sameBits(g0, g1)).toBe(true);
    expect(maxDiff(d0, d1)).toBeGreaterThan(0);
    disposeScalars(gan.generatorStep(batch));
    const [g2, d2] = [snapshot(options.generator), snapshot(options.discriminator)];
    expect(sameBits(d1, d2)).toBe(true);
    expect(maxDiff(g1, g2)).toBeGreaterThan(0);
    dispose(batch);
  });

  it('the shared-forward step updates D from G(z) without moving G first, then G from the updated D (= D step, then G step on the same z)', async () => {
    // Reference: G(z) outside any tape, a D update with tf.variableGrads, then a fresh G forward on the same z in G's own tape.
    const shared = stepOptions({ sharedForward: true });
    const gan = createGanStep(shared);
    expect(gan.sharesForward).toBe(true);
    const ref = stepOptions();
    const loss = getLoss('standard');
    const [rngA, rngB] = [createRng(5), createRng(5)];
    const zRng = createRng(7);
    for (let step = 0; step < 3; step++) {
      const [a, b] = [realBatch(rngA), realBatch(rngB)];
      disposeScalars(await gan.step(a));
      tf.tidy(() => {
        const z = latentBatch(zRng, B, LATENT);
        const D = (x: tf.Tensor) => ref.discriminator.apply(x, { training: true }) as tf.Tensor;
        const G = () => ref.generator.apply(z, { training: true }) as tf.Tensor;
        const fake = G();
        const d = tf.variableGrads(() => loss.discriminator(D(b.images), D(fake)), trainableVariables(ref.discriminator));
        ref.discriminatorOptimizer.applyGradients(d.grads);
        const g = tf.variableGrads(() => loss.generator(D(G())), trainableVariables(ref.generator));
        ref.generatorOptimizer.applyGradients(g.grads);
      });
      dispose(a);
      dispose(b);
    }
    expect(maxDiff(snapshot(shared.generator), snapshot(ref.generator))).toBeLessThan(1e-6);
    expect(maxDiff(snapshot(shared.discriminator), snapshot(ref.discriminator))).toBeLessThan(1e-6);
    expect(maxDiff(snapshot(shared.generator), snapshot(models().generator))).toBeGreaterThan(1e-4);
  });
});

describe('n_critic, EMA and the scalars against a reference loop written out here', () => {
  it('nCritic 3 with a gradient penalty and an EMA: 3 D updates (fresh z each) then 1 G update per step, EMA once per step, same weights as the reference', async () => {
    const gOpts = stepOptions();
    const ema = new ExponentialMovingAverage(trainableVariables(gOpts.generator), { decay: 0.5 });
    const gan = createGanStep({ ...gOpts, nCritic: 3, ema, regularizers: [gradientPenaltyRegularizer({ lambda: 10, rng: createRng(3) })] });
    expect(gan.sharesForward).toBe(false);
    const ref = stepOptions();
    const refEma = new ExponentialMovingAverage(trainableVariables(ref.generator), { decay: 0.5 });
    const loss = getLoss('standard');
    const [dataA, dataB] = [createRng(5), createRng(5)];
    const [zRng, gpRng] = [createRng(7), createRng(3)];
    for (let step = 1; step <= 2; step++) {
      const taken: Batch[] = [];
      const scalars = await gan.step(() => {
        const batch = realBatch(dataA);
        taken.push(batch);
        return batch;
      });
      expect(taken.every((b) => b.images.isDisposed)).toBe(true); // batches from a function are the step's to dispose
      expect(Object.keys(scalars).sort()).toEqual(['d_fake', 'd_grad_norm', 'd_loss', 'd_real', 'd_real_sign', 'g_grad_norm', 'g_loss', 'gp']);
      const values = await readScalars(scalars);
      let last: Batch | undefined;
      let signs = 0;
      const D = (x: tf.Tensor) => ref.discriminator.apply(x, { training: true }) as tf.Tensor;
      const G = (z: tf.Tensor) => ref.generator.apply(z, { training: true }) as tf.Tensor;
      for (let k = 0; k < 3; k++) {
        if (last) dispose(last);
        const real = (last = realBatch(dataB));
        signs += tf.tidy(() => tf.mean(tf.sign(D(real.images))).dataSync()[0]!);
        tf.tidy(() => {
          const fake = G(latentBatch(zRng, B, LATENT));
          const { grads } = tf.variableGrads(() => tf.add(loss.discriminator(D(real.images), D(fake)), gradientPenalty(D, real.images, fake, gpRng, { lambda: 10 })), trainableVariables(ref.discriminator));
          ref.discriminatorOptimizer.applyGradients(grads);
        });
      }
      const gLoss = tf.tidy(() => {
        const z = latentBatch(zRng, B, LATENT);
        const { value, grads } = tf.variableGrads(() => loss.generator(D(G(z))), trainableVariables(ref.generator));
        ref.generatorOptimizer.applyGradients(grads);
        return value.dataSync()[0]!;
      });
      refEma.update();
      dispose(last as Batch);
      expect(values.d_real_sign).toBeCloseTo(signs / 3, 6);
      expect(values.g_loss).toBeCloseTo(gLoss, 5);
    }
    expect(gan.steps).toBe(2);
    expect(gan.discriminatorSteps).toBe(6);
    expect(ema.updates).toBe(2);
    expect(maxDiff(snapshot(gOpts.discriminator), snapshot(ref.discriminator))).toBeLessThan(1e-6);
    expect(maxDiff(snapshot(gOpts.generator), snapshot(ref.generator))).toBeLessThan(1e-6);
    expect(maxDiff(ema.shadows.map((s) => s.dataSync() as Float32Array), refEma.shadows.map((s) => s.dataSync() as Float32Array))).toBeLessThan(1e-6);
    ema.dispose();
    refEma.dispose();
  });

  it('resuming sets the D-step count to steps × nCritic', () => {
    const gan = createGanStep({ ...stepOptions(), nCritic: 5 });
    gan.steps = 7;
    expect(gan.discriminatorSteps).toBe(35);
  });
});

describe('lazy regularization', () => {
  /** A penalty whose gradient is known: c·Σw over D's first kernel, so with SGD it moves every entry by −lr·c·interval. */
  const sumPenalty = (d: tfl.LayersModel, calls: number[], interval: number): DiscriminatorRegularizer => ({
    name: 'sum',
    interval,
    penalty: ({ dStep }) => {
      calls.push(dStep);
      return tf.mul(0.5, tf.sum(trainableVariables(d)[0]!));
    },
  });

  it('applies a D regularizer on every interval-th D step only, weighted by the interval', () => {
    const lr = 0.1;
    const [withReg, without] = [stepOptions(), stepOptions()];
    for (const o of [withReg, without]) o.discriminatorOptimizer = tf.train.sgd(lr);
    const calls: number[] = [];
    const gan = createGanStep({ ...withReg, regularizers: [sumPenalty(withReg.discriminator, calls, 3)] });
    const plain = createGanStep(without);
    const [dataA, dataB] = [createRng(5), createRng(5)];
    for (let dStep = 1; dStep <= 6; dStep++) {
      const [a, b] = [realBatch(dataA), realBatch(dataB)];
      const before = snapshot(withReg.discriminator)[0]!;
      const plainBefore = snapshot(without.discriminator)[0]!;
      const values = gan.discriminatorStep(a);
      expect('sum' in values, `step ${dStep}`).toBe(dStep % 3 === 0);
      disposeScalars(values);
      disposeScalars(plain.discriminatorStep(b));
      // Move of the regularized run minus move of the plain run = −lr·0.5·interval on the applied steps, 0 otherwise.
      const [after, plainAfter] = [snapshot(withReg.discriminator)[0]!, snapshot(without.discriminator)[0]!];
      const extra = after.map((v, i) => v - before[i]! - (plainAfter[i]! - plainBefore[i]!));
      for (const e of extra) expect(e, `step ${dStep}`).toBeCloseTo(dStep % 3 === 0 ? -lr * 0.5 * 3 : 0, 5);
      // Re-align the two runs so every step starts equal.
      trainableVariables(without.discriminator).forEach((v, i) => v.assign(trainableVariables(withReg.discriminator)[i]!));
      dispose(a);
      dispose(b);
    }
    expect(calls).toEqual([3, 6]);
  });

  it('applies a G regularizer on every interval-th G step, with the G forward it is given', () => {
    const seen: number[] = [];
    const gan = createGanStep({
      ...stepOptions(),
      generatorRegularizers: [
        {
          name: 'g_reg',
          interval: 2,
          penalty: ({ generate, z, fake, gStep }) => {
            seen.push(gStep);
            expect(fake.shape).toEqual([B, ...SHAPE]);
            return tf.mean(tf.square(generate(z)));
          },
        },
      ],
    });
    const batch = realBatch(createRng(1));
    const present = [1, 2, 3, 4].map(() => {
      const values = gan.generatorStep(batch);
      const has = 'g_reg' in values;
      disposeScalars(values);
      return has;
    });
    expect(present).toEqual([false, true, false, true]);
    expect(seen).toEqual([2, 4]);
    dispose(batch);
  });
});

describe('the augment hook', () => {
  it('sees reals and fakes in the D step (and in the critic of its regularizers) and fakes in the G step', () => {
    const calls: string[] = [];
    const batch = realBatch(createRng(1));
    const real = batch.images;
    const augment = (x: tf.Tensor) => {
      calls.push(x === real ? 'real' : 'other');
      return tf.reverse(x, 2); // a deterministic horizontal flip
    };
    const gan = createGanStep({ ...stepOptions(), augment, regularizers: [{ name: 'probe', penalty: ({ critic, real: r }) => tf.mean(critic(r)) }] });
    disposeScalars(gan.discriminatorStep(batch));
    expect(calls).toEqual(['real', 'other', 'real']); // D(aug(x)), D(aug(G(z))), the regularizer's critic(x)
    calls.length = 0;
    disposeScalars(gan.generatorStep(batch));
    expect(calls).toEqual(['other']);
    dispose(batch);
  });

  it('is differentiable: G learns through it (an augment that blanks the images leaves G no gradient)', async () => {
    const norms = [];
    for (const augment of [(x: tf.Tensor) => tf.reverse(x, 2), (x: tf.Tensor) => tf.mul(x, 0)]) {
      const options = stepOptions({ augment });
      const gan = createGanStep(options);
      const batch = realBatch(createRng(1));
      const before = snapshot(options.generator);
      norms.push((await readScalars(gan.generatorStep(batch))).g_grad_norm);
      norms.push(maxDiff(before, snapshot(options.generator)));
      dispose(batch);
    }
    const [flipNorm, flipMove, blankNorm, blankMove] = norms as [number, number, number, number];
    expect(flipNorm).toBeGreaterThan(0);
    expect(flipMove).toBeGreaterThan(0);
    expect(blankNorm).toBe(0);
    expect(blankMove).toBe(0);
  });

  it('d_real_sign is E[sign(D(augment(x)))] over the D step (before the update)', async () => {
    const options = stepOptions({ augment: (x) => tf.reverse(x, 2) });
    const gan = createGanStep(options);
    const batch = realBatch(createRng(4));
    const expected = tf.tidy(() => tf.mean(tf.sign(options.discriminator.apply(tf.reverse(batch.images, 2), { training: true }) as tf.Tensor)).dataSync()[0]!);
    expect((await readScalars(gan.discriminatorStep(batch, { read: false }))).d_real_sign).toBeCloseTo(expected, 6);
    dispose(batch);
  });
});

describe('a class-conditional GAN', () => {
  it('draws fake labels for G, passes real labels to a conditional D, and G stays fixed in the D step', async () => {
    const numClasses = 3;
    const labelsSeen: number[][] = [];
    const gan = createGanStep({
      ...stepOptions(),
      ...models(1, numClasses),
      numClasses,
      discriminatorInputs: ['images', 'labels'],
      sampleLabels: (n) => {
        const labels = labelBatch(createRng(labelsSeen.length), n, numClasses);
        labelsSeen.push(Array.from(labels.dataSync()));
        return labels;
      },
    });
    const batch = realBatch(createRng(1), numClasses);
    const values = await readScalars(await gan.step(batch));
    expect(Number.isFinite(values.d_loss) && Number.isFinite(values.g_loss)).toBe(true);
    expect(labelsSeen).toHaveLength(1); // one shared G forward
    const unlabelled = { images: batch.images };
    expect(() => gan.discriminatorStep(unlabelled)).toThrow(/needs batch\.labels/);
    dispose(batch);
  });
});

describe('bad options are GanKitError INVALID_ARGUMENT naming the option', () => {
  const cases: [string, Partial<GanStepOptions> & Record<string, unknown>, RegExp][] = [
    ['nCritic 0', { nCritic: 0 }, /nCritic must be an integer ≥ 1, got 0/],
    ['nCritic 1.5', { nCritic: 1.5 }, /nCritic must be an integer ≥ 1/],
    ['clipGradNorm −1', { clipGradNorm: -1 }, /clipGradNorm must be a finite number ≥ 0/],
    ['a regularizer interval 0', { regularizers: [{ name: 'r1', interval: 0, penalty: () => tf.scalar(0) }] }, /regularizers\[0\]\.interval must be an integer ≥ 1/],
    ['two regularizers named alike', { regularizers: [{ name: 'a', penalty: () => tf.scalar(0) }, { name: 'a', penalty: () => tf.scalar(0) }] }, /"a" is used twice/],
    ['no D optimizer', { discriminatorOptimizer: undefined }, /discriminatorOptimizer must have applyGradients/],
    ['a loss without generator()', { loss: { discriminator: () => tf.scalar(0) } as never }, /loss must have discriminator/],
    ['labels for G without classes', { generatorInputs: ['z', 'labels'] }, /the generator takes labels: set numClasses/],
    ['augment not a function', { augment: 3 as never }, /augment must be a function, got number/],
  ];
  it.each(cases)('%s', (_, extra, message) => {
    let error: unknown;
    try {
      createGanStep({ ...stepOptions(), ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GanKitError);
    expect((error as GanKitError).code).toBe('INVALID_ARGUMENT');
    expect((error as GanKitError).message).toMatch(message);
  });

  it('step() with one batch when nCritic needs more', async () => {
    const gan = createGanStep({ ...stepOptions(), nCritic: 2 });
    const batch = realBatch(createRng(1));
    await expect(gan.step(batch)).rejects.toThrow(/nCritic is 2, so step\(\) needs 2 batches/);
    await expect(gan.step([batch])).rejects.toThrow(/got an array of 1/);
    dispose(batch);
  });
});

describe.each(['cpu', 'wasm'] as const)('no tensor leaks on %s', (backend) => {
  it('tf.memory().numTensors is flat over repeated steps (shared forward; n_critic 2 with GP, augment and a G regularizer)', async () => {
    await initBackend({ backend, threads: 1 });
    for (const extra of [{}, { nCritic: 2, augment: (x: tf.Tensor) => tf.reverse(x, 2), regularizers: [gradientPenaltyRegularizer({ rng: createRng(1) })], generatorRegularizers: [{ name: 'pl', interval: 2, penalty: ({ fake }: { fake: tf.Tensor }) => tf.mean(tf.square(fake)) }] }] as Partial<GanStepOptions>[]) {
      const options = stepOptions(extra);
      const ema = new ExponentialMovingAverage(trainableVariables(options.generator), { decay: 0.9 });
      const gan = createGanStep({ ...options, ema });
      const rng = createRng(2);
      const counts: number[] = [];
      for (let step = 0; step < 4; step++) {
        const scalars = await gan.step(() => realBatch(rng), { read: step % 2 === 0 });
        disposeScalars(scalars);
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts.slice(1)).size, `${backend} ${JSON.stringify(Object.keys(extra))}: ${counts.join(', ')}`).toBe(1);
      ema.dispose();
    }
  });
});
