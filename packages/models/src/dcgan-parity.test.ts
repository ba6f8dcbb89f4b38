import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { dcganDiscriminator, dcganGenerator } from './index';
import { referencePython } from '../../../testing/python';

const script = fileURLToPath(new URL('../test/fixtures/dcgan_parity.py', import.meta.url));
const PYTHON = referencePython(['torch'], 'DCGAN forward parity with PyTorch');
const hasTorch = PYTHON !== undefined;

interface Parity {
  generatorWeights: { shape: number[]; values: number[] }[];
  discriminatorWeights: { shape: number[]; values: number[] }[];
  z: number[];
  fake: number[];
  real: number[];
  logits: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'gankit-dcgan-parity-'));
let ref: Parity;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  if (!hasTorch) return;
  const out = join(dir, 'parity.json');
  execFileSync(PYTHON, [script, out], { stdio: 'inherit' });
  ref = JSON.parse(readFileSync(out, 'utf8')) as Parity;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sets weights layer by layer, in the order the PyTorch script wrote them (each layer's own getWeights order). */
function load(model: tfl.LayersModel, weights: Parity['generatorWeights']): void {
  let next = 0;
  for (const layer of model.layers) {
    const count = layer.getWeights().length;
    if (count === 0) continue;
    const values = weights.slice(next, next + count);
    expect(layer.getWeights().map((w) => w.shape)).toEqual(values.map((w) => w.shape));
    layer.setWeights(values.map((w) => tf.tensor(w.values, w.shape)));
    next += count;
  }
  expect(next).toBe(weights.length);
}

function maxRelativeError(actual: tf.Tensor, expected: number[]): number {
  const values = actual.dataSync();
  const scale = Math.max(...expected.map(Math.abs));
  return expected.reduce((m, e, i) => Math.max(m, Math.abs(values[i]! - e) / scale), 0);
}

describe.skipIf(!hasTorch)('DCGAN 64×64 equals the PyTorch DCGAN tutorial layer for layer (ngf = ndf = 8, training-mode forward)', () => {
  it('generator: same weights, same z → same images', () => {
    const g = dcganGenerator({ imageShape: [64, 64, 3], latentDim: 100, width: 8 });
    load(g, ref.generatorWeights);
    const z = tf.tensor2d(ref.z, [4, 100]);
    const fake = g.apply(z, { training: true }) as tf.Tensor;
    expect(fake.shape).toEqual([4, 64, 64, 3]);
    expect(maxRelativeError(fake, ref.fake)).toBeLessThan(1e-4);
    tf.dispose([z, fake]);
    g.dispose();
  });

  it('discriminator: same weights, same images → same logits', () => {
    const d = dcganDiscriminator({ imageShape: [64, 64, 3], width: 8 });
    load(d, ref.discriminatorWeights);
    const real = tf.tensor4d(ref.real, [4, 64, 64, 3]);
    const logits = d.apply(real, { training: true }) as tf.Tensor;
    expect(logits.shape).toEqual([4, 1]);
    expect(maxRelativeError(logits, ref.logits)).toBeLessThan(1e-4);
    tf.dispose([real, logits]);
    d.dispose();
  });
});
