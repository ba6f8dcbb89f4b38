import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem } from '@gankit/core/node';
import { cloneModel, createGan, type CreateGanOptions } from './index';
import { asList, discriminatorInputsFor, disposeGan, generatorInputsFor, predictAll } from './test-utils';

const root = mkdtempSync(join(tmpdir(), 'gankit-models-save-'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cases: CreateGanOptions[] = [
  { architecture: 'mlp', imageShape: [28, 28, 1], numClasses: 10, hiddenUnits: { generator: [16], discriminator: [16] } },
  { architecture: 'dcgan', imageShape: [64, 64, 3], width: 4, minibatchStdDev: true },
  { architecture: 'dcgan', imageShape: [28, 28, 1], width: 4, spectralNorm: true },
  { architecture: 'cgan', imageShape: [28, 28, 1], width: 4, numClasses: 10 },
  { architecture: 'projection', imageShape: [32, 32, 3], width: 4, numClasses: 10 },
  { architecture: 'acgan', imageShape: [32, 32, 3], width: 4, numClasses: 10 },
  { architecture: 'infogan', imageShape: [28, 28, 1], width: 4, numClasses: 10 },
  { architecture: 'wgan-gp', imageShape: [32, 32, 3], width: 4 },
  { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, numClasses: 10, selfAttention: true },
  { architecture: 'stylegan2', imageShape: [32, 32, 3], width: 8, latentDim: 8, wDim: 8, mappingLayers: 2, styleMixingProb: 0.5 },
  { architecture: 'stylegan2', imageShape: [28, 28, 1], width: 4, latentDim: 6, wDim: 6, mappingLayers: 1 },
];

async function roundTrip(model: tfl.LayersModel, dir: string, inputs: tf.Tensor[]): Promise<void> {
  const before = predictAll(model, inputs);
  await model.save(fileSystem(dir));
  const loaded = await tfl.loadLayersModel(fileSystem(dir));
  const after = predictAll(loaded, inputs);
  expect(after.length).toBe(before.length);
  before.forEach((b, i) => expect(Array.from(after[i]!.dataSync())).toEqual(Array.from(b.dataSync())));
  expect(loaded.getWeights().length).toBe(model.getWeights().length);
  tf.dispose([...before, ...after]);
  loaded.dispose();
}

describe('save with core fileSystem → tf.loadLayersModel gives identical outputs', () => {
  it.each(cases.map((o, i) => [`${o.architecture} ${o.imageShape.join('×')}`, o, i] as const))('%s', async (_, options, i) => {
    const gan = createGan({ ...options, seed: 11 });
    const zs = generatorInputsFor(gan, 4);
    // One training-mode pass first, so BN moving statistics and spectral-norm `u` vectors are no longer their initial values.
    tf.tidy(() => {
      const fake = asList(gan.generator.apply(zs, { training: true }) as tf.Tensor | tf.Tensor[])[0]!;
      gan.discriminator.apply(discriminatorInputsFor(gan, fake), { training: true });
    });
    const images = predictAll(gan.generator, zs)[0]!;
    const dInputs = discriminatorInputsFor(gan, images);
    await roundTrip(gan.generator, join(root, `${i}-g`), zs);
    await roundTrip(gan.discriminator, join(root, `${i}-d`), dInputs);
    tf.dispose([...zs, ...dInputs]);
    disposeGan(gan);
  });

  it('the saved topology names the custom layer classes', async () => {
    const gan = createGan({ architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, numClasses: 3, selfAttention: true, seed: 1 });
    const dir = join(root, 'names');
    await gan.discriminator.save(fileSystem(dir));
    const json = readFileSync(join(dir, 'model.json'), 'utf8');
    for (const name of ['SpectralNormalization', 'SelfAttention', 'ClassEmbedding', 'GlobalSumPooling']) expect(json).toContain(`"class_name":"${name}"`);
    const weights = (JSON.parse(json) as { weightsManifest: { weights: { name: string }[] }[] }).weightsManifest[0]!.weights.map((w) => w.name);
    expect(weights.some((n) => n.endsWith('/sn_u'))).toBe(true);
    disposeGan(gan);
  });
});

describe('cloneModel (in-memory withSaveHandler → fromMemory round trip)', () => {
  it('gives an independent model with identical outputs', async () => {
    const gan = createGan({ architecture: 'projection', imageShape: [28, 28, 1], width: 4, numClasses: 3, seed: 2 });
    const zs = generatorInputsFor(gan, 3);
    tf.tidy(() => void gan.generator.apply(zs, { training: true }));
    const copy = await cloneModel(gan.generator);
    const [a] = predictAll(gan.generator, zs);
    const [b] = predictAll(copy, zs);
    expect(Array.from(b!.dataSync())).toEqual(Array.from(a!.dataSync()));
    // Independent weights: changing the copy leaves the original alone.
    copy.setWeights(copy.getWeights().map((w) => tf.zerosLike(w)));
    const [c] = predictAll(gan.generator, zs);
    expect(Array.from(c!.dataSync())).toEqual(Array.from(a!.dataSync()));
    tf.dispose([a!, b!, c!, ...zs]);
    copy.dispose();
    disposeGan(gan);
  });
});
