import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { countTrainableParams, createGan, dcganDiscriminator, dcganGenerator, type CreateGanOptions, type Gan } from './index';
import { disposeGan, discriminatorInputsFor, generatorInputsFor, predictAll } from './test-utils';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const B = 4;
const small = { width: 4, seed: 3 } as const;
const cases: CreateGanOptions[] = [
  { architecture: 'mlp', imageShape: [28, 28, 1], hiddenUnits: { generator: [16], discriminator: [16] }, seed: 3 },
  { architecture: 'mlp', imageShape: [5], numClasses: 3, hiddenUnits: { generator: [8], discriminator: [8] }, seed: 3 },
  ...([28, 32, 64] as const).flatMap((s): CreateGanOptions[] => {
    const imageShape = [s, s, s === 28 ? 1 : 3] as const;
    return [
      { architecture: 'dcgan', imageShape, ...small },
      { architecture: 'dcgan', imageShape, ...small, minibatchStdDev: true, spectralNorm: true },
      { architecture: 'cgan', imageShape, numClasses: 10, ...small },
      { architecture: 'projection', imageShape, numClasses: 10, ...small },
      { architecture: 'acgan', imageShape, numClasses: 10, ...small },
      { architecture: 'infogan', imageShape, numClasses: 10, numContinuous: 3, ...small },
      { architecture: 'wgan-gp', imageShape, ...small },
      { architecture: 'wgan-gp', imageShape, discriminatorNormalization: 'none', ...small },
    ];
  }),
  { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, seed: 3 },
  { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, numClasses: 10, selfAttention: true, seed: 3 },
];

function describeCase(o: CreateGanOptions): string {
  const extras = Object.entries(o).filter(([k]) => !['architecture', 'imageShape', 'seed', 'width', 'hiddenUnits'].includes(k));
  return `${o.architecture} ${o.imageShape.join('×')}${extras.length ? ' ' + JSON.stringify(Object.fromEntries(extras)) : ''}`;
}

describe('every architecture and resolution: input and output shapes', () => {
  it.each(cases.map((o) => [describeCase(o), o] as const))('%s', (_, options) => {
    const gan = createGan(options);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const images = predictAll(gan.generator, generatorInputsFor(gan, B))[0]!;
      expect(images.shape).toEqual([B, ...gan.imageShape]);
      const values = images.dataSync();
      expect(values.every((v) => v >= -1 && v <= 1)).toBe(true);
      expect(new Set(values).size).toBeGreaterThan(1);
      const outputs = predictAll(gan.discriminator, discriminatorInputsFor(gan, images));
      expect(outputs.length).toBe(gan.discriminatorOutputs.length);
      const widths = gan.discriminatorOutputs.map((name) => (name === 'logits' ? 1 : name === 'continuousMeans' ? gan.numContinuous : gan.numClasses));
      outputs.forEach((out, i) => expect(out.shape).toEqual([B, widths[i]]));
      // Logits, not probabilities: a sigmoid output could never leave (0, 1) — check values are finite.
      outputs.forEach((out) => expect(out.dataSync().every(Number.isFinite)).toBe(true));
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(gan.generator.inputs.map((t) => t.shape)).toEqual(
      gan.generatorInputs.map((name) => (name === 'z' ? [null, gan.latentDim] : name === 'continuous_code' ? [null, gan.numContinuous] : [null, 1])),
    );
    disposeGan(gan);
  });
});

describe('memory', () => {
  it('building and disposing models leaves no tensors behind', () => {
    const build = () => {
      for (const options of cases) disposeGan(createGan(options));
    };
    build(); // first pass: TF.js may cache constants once
    const before = tf.memory().numTensors;
    build();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('labels', () => {
  it('int32 and float32 label tensors give the same outputs', () => {
    const gan = createGan({ architecture: 'cgan', imageShape: [28, 28, 1], numClasses: 10, width: 4, seed: 1 });
    tf.tidy(() => {
      const z = tf.randomNormal([3, gan.latentDim], 0, 1, 'float32', 1);
      const asInt = gan.generator.predict([z, tf.tensor2d([1, 5, 9], [3, 1], 'int32')]) as tf.Tensor;
      const asFloat = gan.generator.predict([z, tf.tensor2d([1, 5, 9], [3, 1])]) as tf.Tensor;
      expect(Array.from(asFloat.dataSync())).toEqual(Array.from(asInt.dataSync()));
    });
    disposeGan(gan);
  });
});

describe('weights are seeded', () => {
  it('the same seed gives the same weights; another seed different ones', () => {
    const weights = (seed: number) => {
      const g = dcganGenerator({ imageShape: [32, 32, 3], width: 4, seed });
      const values = g.getWeights().map((w) => Array.from(w.dataSync()));
      g.dispose();
      return values;
    };
    const a = weights(7);
    expect(weights(7)).toEqual(a);
    expect(weights(8)).not.toEqual(a);
  });

  it('DCGAN init: conv kernels ~ N(0, 0.02), BN gamma ~ N(1, 0.02), beta = 0', () => {
    const d = dcganDiscriminator({ imageShape: [64, 64, 3], width: 16, seed: 1 });
    const kernel = d.trainableWeights.find((w) => w.originalName.endsWith('kernel') && w.shape.at(-1) === 64)!;
    const gamma = d.trainableWeights.find((w) => w.originalName.endsWith('gamma'))!;
    const beta = d.trainableWeights.find((w) => w.originalName.endsWith('beta'))!;
    const stats = (v: tf.Tensor) => tf.tidy(() => {
      const { mean, variance } = tf.moments(v);
      return [mean.dataSync()[0]!, Math.sqrt(variance.dataSync()[0]!)];
    });
    const [km, ks] = stats(kernel.read());
    expect(Math.abs(km!)).toBeLessThan(0.001);
    expect(ks).toBeCloseTo(0.02, 3);
    const [gm, gs] = stats(gamma.read());
    expect(gm).toBeCloseTo(1, 2);
    expect(gs).toBeGreaterThan(0.01);
    expect(gs).toBeLessThan(0.03);
    expect(Array.from(beta.read().dataSync()).every((v) => v === 0)).toBe(true);
    d.dispose();
  });
});

describe('bad combinations are rejected with GanKitError', () => {
  const expectCode = (fn: () => unknown, code: string, text: RegExp) => {
    try {
      fn();
    } catch (error) {
      expect(GanKitError.isInstance(error)).toBe(true);
      expect((error as GanKitError).code).toBe(code);
      expect((error as Error).message).toMatch(text);
      return;
    }
    throw new Error('expected a GanKitError');
  };

  it('dcgan at 48×48 → INVALID_ARGUMENT naming the sizes', () => {
    expectCode(() => createGan({ architecture: 'dcgan', imageShape: [48, 48, 3] }), 'INVALID_ARGUMENT', /28, 32, 64.*48×48/);
  });
  it('conditional without numClasses → INVALID_ARGUMENT', () => {
    for (const architecture of ['cgan', 'projection', 'acgan', 'infogan'] as const) {
      expectCode(() => createGan({ architecture, imageShape: [28, 28, 1] }), 'INVALID_ARGUMENT', /numClasses/);
    }
  });
  it('numClasses on an unconditional architecture → INVALID_ARGUMENT', () => {
    expectCode(() => createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], numClasses: 10 }), 'INVALID_ARGUMENT', /cgan/);
  });
  it('wgan-gp with batch norm, sngan-resnet at 64×64, rank-1 shapes for conv nets, bad widths', () => {
    expectCode(() => createGan({ architecture: 'wgan-gp', imageShape: [32, 32, 3], discriminatorNormalization: 'batch' }), 'INVALID_ARGUMENT', /batch norm/);
    expectCode(() => createGan({ architecture: 'sngan-resnet', imageShape: [64, 64, 3] }), 'INVALID_ARGUMENT', /32×32/);
    expectCode(() => createGan({ architecture: 'dcgan', imageShape: [784] }), 'INVALID_ARGUMENT', /imageShape/);
    expectCode(() => createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width: 0 }), 'INVALID_ARGUMENT', /width/);
    expectCode(() => createGan({ architecture: 'stylegan2', imageShape: [48, 48, 3], width: 4 }), 'INVALID_ARGUMENT', /4·2\^k or 7·2\^k/);
    expectCode(() => createGan({ architecture: 'stylegan2', imageShape: [32, 32, 3], width: 4, numClasses: 10 }), 'INVALID_ARGUMENT', /unconditional/);
    expectCode(() => createGan({ architecture: 'stylegan2', imageShape: [32, 32, 3], width: 4, styleMixingProb: 2 }), 'INVALID_ARGUMENT', /styleMixingProb/);
  });
  it('unknown architecture → UNKNOWN_NAME listing the known ones', () => {
    expectCode(() => createGan({ architecture: 'stylegan' as 'dcgan', imageShape: [28, 28, 1] }), 'UNKNOWN_NAME', /mlp, dcgan/);
  });
});

describe('separate generator and discriminator widths', () => {
  it('generatorWidth/discriminatorWidth give the G of one width and the D of another', () => {
    const mixed = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width: 64, generatorWidth: 32, discriminatorWidth: 48, seed: 0 });
    const [narrow, wide] = [32, 48].map((width) => createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width, seed: 0 })) as [Gan, Gan];
    expect(countTrainableParams(mixed.generator)).toBe(countTrainableParams(narrow.generator));
    expect(countTrainableParams(mixed.discriminator)).toBe(countTrainableParams(wide.discriminator));
    [mixed, narrow, wide].forEach(disposeGan);
  });

  it('mlp refuses them with INVALID_ARGUMENT (its sizes are hiddenUnits)', () => {
    expect(() => createGan({ architecture: 'mlp', imageShape: [28, 28, 1], generatorWidth: 32 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
  });
});
