import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendInfo } from '@gankit/backend-wasm';
import { createGan, type CreateGanOptions, type Gan } from './index';
import { asList, discriminatorInputsFor, disposeGan, generatorInputsFor, labelsFor } from './test-utils';

let backend: BackendInfo;
beforeAll(async () => {
  backend = await initBackend({ backend: 'wasm' });
});

const B = 4;
const cases: CreateGanOptions[] = [
  { architecture: 'mlp', imageShape: [28, 28, 1], hiddenUnits: { generator: [16], discriminator: [16] } },
  { architecture: 'mlp', imageShape: [6], numClasses: 3, hiddenUnits: { generator: [8], discriminator: [8] } },
  { architecture: 'dcgan', imageShape: [28, 28, 1], width: 4 },
  { architecture: 'dcgan', imageShape: [32, 32, 3], width: 4, minibatchStdDev: true },
  { architecture: 'dcgan', imageShape: [64, 64, 3], width: 4, spectralNorm: true },
  { architecture: 'cgan', imageShape: [28, 28, 1], width: 4, numClasses: 10 },
  { architecture: 'projection', imageShape: [32, 32, 3], width: 4, numClasses: 10 },
  { architecture: 'acgan', imageShape: [32, 32, 3], width: 4, numClasses: 10 },
  { architecture: 'infogan', imageShape: [28, 28, 1], width: 4, numClasses: 10 },
  { architecture: 'wgan-gp', imageShape: [32, 32, 3], width: 4 },
  { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8 },
  { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, numClasses: 10, selfAttention: true },
  { architecture: 'stylegan2', imageShape: [32, 32, 3], width: 8, latentDim: 8, wDim: 8, mappingLayers: 2, styleMixingProb: 0.9 },
  { architecture: 'stylegan2', imageShape: [64, 64, 3], width: 4, latentDim: 8, wDim: 8, mappingLayers: 2 },
];

const softplus = (x: tf.Tensor) => tf.softplus(x);
/** Non-saturating GAN losses on logits (Goodfellow et al. 2014), written out here: losses live in @gankit/losses. */
const dAdversarial = (real: tf.Tensor, fake: tf.Tensor) => tf.add(tf.mean(softplus(tf.neg(real))), tf.mean(softplus(fake)));
const gAdversarial = (fake: tf.Tensor) => tf.mean(softplus(tf.neg(fake)));
const crossEntropy = (logits: tf.Tensor, labels: tf.Tensor, k: number) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape<tf.Rank.R1>(tf.cast(labels, 'int32'), [-1]), k), logits);

function variables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Auxiliary losses on D's extra outputs: ACGAN class, InfoGAN categorical + continuous codes. */
function auxiliary(gan: Gan, outputs: tf.Tensor[], zs: tf.Tensor[], realLabels: tf.Tensor | undefined): tf.Tensor {
  if (gan.conditional === 'auxiliary') return crossEntropy(outputs[1]!, realLabels ?? zs[1]!, gan.numClasses!);
  if (gan.conditional === 'info' && !realLabels) return tf.add(crossEntropy(outputs[1]!, zs[1]!, gan.numClasses!), tf.losses.meanSquaredError(zs[2]!, outputs[2]!));
  return tf.scalar(0);
}

function trainStep(gan: Gan, real: tf.Tensor, optD: tf.Optimizer, optG: tf.Optimizer, step: number): [number, number] {
  const wasserstein = gan.architecture === 'wgan-gp';
  const realLabels = labelsFor(gan, B);
  const zs = generatorInputsFor(gan, B, 100 + step);
  const dLoss = optD.minimize(() => {
    const fake = asList(gan.generator.apply(zs, { training: true }) as tf.Tensor)[0]!;
    const realOut = asList(gan.discriminator.apply(discriminatorInputsFor(gan, real), { training: true }) as tf.Tensor | tf.Tensor[]);
    const fakeOut = asList(gan.discriminator.apply(discriminatorInputsFor(gan, fake), { training: true }) as tf.Tensor | tf.Tensor[]);
    const adversarial = wasserstein ? tf.sub(tf.mean(fakeOut[0]!), tf.mean(realOut[0]!)) : dAdversarial(realOut[0]!, fakeOut[0]!);
    const aux = gan.conditional === 'auxiliary' ? auxiliary(gan, realOut, zs, realLabels) : auxiliary(gan, fakeOut, zs, undefined);
    return tf.add<tf.Scalar>(adversarial, aux);
  }, true, variables(gan.discriminator))!;
  const gLoss = optG.minimize(() => {
    const fake = asList(gan.generator.apply(zs, { training: true }) as tf.Tensor)[0]!;
    const fakeOut = asList(gan.discriminator.apply(discriminatorInputsFor(gan, fake), { training: true }) as tf.Tensor | tf.Tensor[]);
    const adversarial = wasserstein ? tf.neg(tf.mean(fakeOut[0]!)) : gAdversarial(fakeOut[0]!);
    return tf.add<tf.Scalar>(adversarial, auxiliary(gan, fakeOut, zs, undefined));
  }, true, variables(gan.generator))!;
  const losses: [number, number] = [dLoss.dataSync()[0]!, gLoss.dataSync()[0]!];
  tf.dispose([dLoss, gLoss, realLabels, ...zs]);
  return losses;
}

describe('three Adam training steps (D then G) per architecture on the wasm backend', () => {
  it('runs on wasm with gankit training kernels', () => {
    expect(backend.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(cases.map((o) => [`${o.architecture} ${o.imageShape.join('×')}${o.numClasses ? ` K=${o.numClasses}` : ''}`, o] as const))('%s', (_, options) => {
    const gan = createGan({ ...options, seed: 5 });
    const real = tf.randomUniform([B, ...gan.imageShape], -1, 1, 'float32', 9);
    const optD = tf.train.adam(2e-4, 0.5, 0.999);
    const optG = tf.train.adam(2e-4, 0.5, 0.999);
    const gBefore = gan.generator.getWeights().map((w) => w.dataSync().slice());
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      const losses = trainStep(gan, real, optD, optG, step);
      expect(losses.every(Number.isFinite)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    // Adam creates its moment variables on the first step; after that the tensor count must not move.
    expect(counts[2]).toBe(counts[1]);
    const gAfter = gan.generator.getWeights().map((w) => w.dataSync());
    expect(gAfter.some((w, i) => w.some((v, j) => v !== gBefore[i]![j]))).toBe(true);
    optD.dispose();
    optG.dispose();
    real.dispose();
    disposeGan(gan);
  });
});
