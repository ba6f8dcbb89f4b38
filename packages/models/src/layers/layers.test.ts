import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { ClassEmbedding, ConditionalBatchNorm, MinibatchStdDev, OneHot, PixelNorm, SelfAttention } from '../index';
import { callLayer } from '../test-utils';

// Produced by test/fixtures/layer_reference.py with PyTorch (NHWC layout).
const ref = JSON.parse(readFileSync(fileURLToPath(new URL('../../test/fixtures/layer_reference.json', import.meta.url)), 'utf8')) as {
  input: { shape: number[]; values: number[] };
  pixelNorm: number[];
  minibatchStdDev: number[];
  selfAttention: { weights: number[][]; output: number[] };
  conditionalBatchNorm: { numClasses: number; labels: number[]; gamma: number[]; beta: number[]; training: number[]; movingMean: number[]; movingVariance: number[]; inference: number[] };
};

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

function expectClose(actual: tf.Tensor, expected: number[], tolerance = 1e-5): void {
  const values = actual.dataSync();
  expect(values.length).toBe(expected.length);
  const worst = expected.reduce((m, e, i) => Math.max(m, Math.abs(values[i]! - e) / Math.max(1, Math.abs(e))), 0);
  expect(worst).toBeLessThan(tolerance);
}

const x = () => tf.tensor4d(ref.input.values, ref.input.shape as [number, number, number, number]);

describe('custom layers match PyTorch reference implementations', () => {
  it('PixelNorm (ProGAN)', () => {
    const input = x();
    const out = callLayer(new PixelNorm(), input);
    expectClose(out, ref.pixelNorm);
    tf.dispose([input, out]);
  });

  it('MinibatchStdDev (ProGAN, group size 4) appends one channel', () => {
    const input = x();
    const out = callLayer(new MinibatchStdDev({ groupSize: 4 }), input);
    expect(out.shape).toEqual([...ref.input.shape.slice(0, 3), ref.input.shape[3]! + 1]);
    expectClose(out, ref.minibatchStdDev);
    tf.dispose([input, out]);
    expect(() => tf.tidy(() => callLayer(new MinibatchStdDev({ groupSize: 3 }), tf.zeros([4, 2, 2, 1])))).toThrow(/divisible/);
  });

  it('SelfAttention (SAGAN) with the reference weights; γ starts at 0 (identity)', () => {
    const input = x();
    const layer = new SelfAttention({ seed: 1 });
    const identity = callLayer(layer, input);
    expectClose(identity, ref.input.values, 1e-7);
    const shapes = layer.getWeights().map((w) => w.shape);
    layer.setWeights(ref.selfAttention.weights.map((w, i) => tf.tensor(w, shapes[i])));
    const out = callLayer(layer, input);
    expectClose(out, ref.selfAttention.output, 1e-4);
    const c = ref.input.shape[3]!;
    expect(layer.countParams()).toBe(2 * (c * (c / 8) + c / 8) + c * c + c + 1);
    tf.dispose([input, identity, out]);
  });

  it('ConditionalBatchNorm: training output, moving statistics and inference output', () => {
    const cbn = ref.conditionalBatchNorm;
    const input = x();
    const labels = tf.tensor2d(cbn.labels, [cbn.labels.length, 1], 'int32');
    const c = ref.input.shape[3]!;
    const layer = new ConditionalBatchNorm({ numClasses: cbn.numClasses });
    tf.dispose(callLayer(layer, [input, labels]));
    layer.setWeights([tf.tensor2d(cbn.gamma, [cbn.numClasses, c]), tf.tensor2d(cbn.beta, [cbn.numClasses, c]), tf.zeros([c]), tf.ones([c])]);
    const training = callLayer(layer, [input, labels], true);
    expectClose(training, cbn.training, 1e-4);
    const [, , movingMean, movingVariance] = layer.getWeights();
    expectClose(movingMean!, cbn.movingMean);
    expectClose(movingVariance!, cbn.movingVariance);
    const inference = callLayer(layer, [input, tf.cast(labels, 'float32')]);
    expectClose(inference, cbn.inference, 1e-4);
    tf.dispose([input, labels, training, inference]);
  });
});

describe('label layers', () => {
  it('ClassEmbedding looks up rows for int32 or float32 labels of shape [B, 1] or [B]', () => {
    const layer = new ClassEmbedding({ numClasses: 3, outputDim: 2, seed: 4 });
    const labels = tf.tensor2d([2, 0, 2], [3, 1], 'int32');
    const out = callLayer(layer, labels);
    const table = layer.getWeights()[0]!.arraySync() as number[][];
    expect(out.arraySync()).toEqual([table[2], table[0], table[2]]);
    const fromFloat = callLayer(layer, tf.tensor1d([2, 0, 2]));
    expect(fromFloat.arraySync()).toEqual(out.arraySync());
    tf.dispose([labels, out, fromFloat]);
  });

  it('OneHot encodes class indices', () => {
    const out = callLayer(new OneHot({ numClasses: 3 }), tf.tensor2d([1, 2], [2, 1], 'int32'));
    expect(out.arraySync()).toEqual([[0, 1, 0], [0, 0, 1]]);
    expect(() => new OneHot({ numClasses: 0 })).toThrow(GanKitError);
    out.dispose();
  });
});
