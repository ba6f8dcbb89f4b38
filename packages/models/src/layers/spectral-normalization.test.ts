import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { SpectralNormalization } from '../index';
import { callLayer } from '../test-utils';
import { referencePython } from '../../../../testing/python';

const script = fileURLToPath(new URL('../../test/fixtures/spectral_norm_reference.py', import.meta.url));
const PYTHON = referencePython(['numpy'], 'spectral-norm reference checks');
const hasNumpy = PYTHON !== undefined;

interface Reference {
  sigma_raw: number;
  sigma_normalized: number;
  u1: number[];
  v1: number[];
  grad: number[];
}

function numpyReference(input: Record<string, number[]>): Reference {
  return JSON.parse(execFileSync(PYTHON!, [script], { input: JSON.stringify(input), encoding: 'utf8' })) as Reference;
}

function stored(layer: SpectralNormalization, name: 'sn_u' | 'sn_v'): number[] {
  return Array.from(layer.nonTrainableWeights.find((w) => w.originalName.endsWith(name))!.read().dataSync());
}
const uOf = (layer: SpectralNormalization) => stored(layer, 'sn_u');

function kernelOf(layer: SpectralNormalization): tfl.LayerVariable {
  return layer.trainableWeights.find((w) => w.originalName.endsWith('kernel'))!;
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const cases = [
  { name: 'Conv2D 3×3, 8 → 16', make: () => tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.randomNormal({ stddev: 1, seed: 5 }) }), input: [2, 6, 6, 8] },
  { name: 'Dense 40 → 12', make: () => tfl.layers.dense({ units: 12, kernelInitializer: tfl.initializers.randomNormal({ stddev: 1, seed: 6 }) }), input: [3, 40] },
];

describe.skipIf(!hasNumpy)('SpectralNormalization against NumPy SVD', () => {
  it.each(cases)('$name: σ(W/σ̂) = 1 ± 1e-3 after the power iterations; one iteration per training call (u, v as PyTorch); gradient with u, v constant', ({ make, input }) => {
    const layer = new SpectralNormalization({ layer: make(), seed: 9 });
    const x = tf.randomNormal(input, 0, 1, 'float32', 2);
    tf.dispose(callLayer(layer, x));
    const kernel = kernelOf(layer);
    const u0 = uOf(layer);

    // Inference calls leave u alone.
    tf.dispose([callLayer(layer, x), callLayer(layer, x, false)]);
    expect(uOf(layer)).toEqual(u0);

    // One training call = one power iteration; capture the gradient of sum(W_sn * G) in the same state.
    tf.dispose(callLayer(layer, x, true));
    const u1 = uOf(layer);
    const v1 = stored(layer, 'sn_v');
    const upstream = tf.randomNormal(kernel.shape as number[], 0, 1, 'float32', 3);
    const variable = kernel.read() as tf.Variable;
    const { grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(layer.normalizedKernel(false), upstream)), [variable]);
    const grad = grads[variable.name]!;

    const before = tf.memory().numTensors;
    for (let i = 0; i < 300; i++) tf.dispose(callLayer(layer, x, true));
    expect(tf.memory().numTensors).toBe(before);
    const normalized = tf.tidy(() => layer.normalizedKernel(false));

    const ref = numpyReference({
      kernel: Array.from(kernel.read().dataSync()),
      shape: kernel.shape as number[],
      normalized: Array.from(normalized.dataSync()),
      u0,
      u1: [],
      upstream: Array.from(upstream.dataSync()),
    });
    expect(Math.abs(ref.sigma_normalized - 1)).toBeLessThan(1e-3);
    expect(ref.sigma_raw).toBeGreaterThan(1.5); // the raw kernel really is rescaled
    u1.forEach((value, i) => expect(value).toBeCloseTo(ref.u1[i]!, 5));
    v1.forEach((value, i) => expect(value).toBeCloseTo(ref.v1[i]!, 5));
    const gradValues = grad.dataSync();
    const scale = Math.max(...ref.grad.map(Math.abs));
    ref.grad.forEach((value, i) => expect(Math.abs(gradValues[i]! - value) / scale).toBeLessThan(1e-4));
    tf.dispose([x, upstream, grad, normalized]);
    layer.dispose();
  });
});

describe('SpectralNormalization arguments', () => {
  it('rejects layers it cannot normalise and activations inside the wrapped layer', () => {
    expect(() => new SpectralNormalization({ layer: tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2 }) })).toThrow(GanKitError);
    expect(() => new SpectralNormalization({ layer: tfl.layers.dense({ units: 2, activation: 'relu' }) })).toThrow(/linear activation/);
    expect(() => new SpectralNormalization({ layer: tfl.layers.dense({ units: 2 }), powerIterations: 0 })).toThrow(/powerIterations/);
  });
});
