import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { snganResnetDiscriminator, snganResnetGenerator } from './index';
import { referencePython } from '../../../testing/python';

const script = fileURLToPath(new URL('../test/fixtures/sngan_parity.py', import.meta.url));
const PYTHON = referencePython(['torch'], 'SNGAN-ResNet forward parity with PyTorch');
const hasTorch = PYTHON !== undefined;

interface Arr {
  shape: number[];
  values: number[];
}
interface Parity {
  layers: Record<string, Arr[]>;
  z: number[];
  labels: number[];
  fake: number[];
  real: number[];
  logits: number[];
  u_after: Arr;
}

const dir = mkdtempSync(join(tmpdir(), 'gankit-sngan-parity-'));
let ref: Parity;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  if (!hasTorch) return;
  const out = join(dir, 'parity.json');
  execFileSync(PYTHON, [script, out], { stdio: 'inherit' });
  ref = JSON.parse(readFileSync(out, 'utf8')) as Parity;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads the PyTorch weights by layer name; every layer that has weights must be covered. */
function load(model: tfl.LayersModel, prefix: string): void {
  const covered = new Set<string>();
  for (const layer of model.layers) {
    if (layer.getWeights().length === 0) continue;
    const weights = ref.layers[layer.name];
    expect(weights, `PyTorch weights for ${layer.name}`).toBeDefined();
    expect(layer.getWeights().map((w) => w.shape)).toEqual(weights!.map((w) => w.shape));
    layer.setWeights(weights!.map((w) => tf.tensor(w.values, w.shape)));
    covered.add(layer.name);
  }
  expect([...covered].sort()).toEqual(Object.keys(ref.layers).filter((n) => n.startsWith(prefix)).sort());
}

function maxRelativeError(actual: tf.Tensor, expected: number[]): number {
  const values = actual.dataSync();
  const scale = Math.max(...expected.map(Math.abs));
  return expected.reduce((m, e, i) => Math.max(m, Math.abs(values[i]! - e) / scale), 0);
}

const common = { imageShape: [32, 32, 3] as const, numClasses: 3, selfAttention: true, channels: 16 };

describe.skipIf(!hasTorch)('conditional SNGAN-ResNet + self-attention equals the PyTorch network (training-mode forward)', () => {
  it('generator (conditional BN, up blocks, attention): same weights, z, labels → same images', () => {
    const g = snganResnetGenerator({ ...common, latentDim: 16 });
    load(g, 'g_');
    const z = tf.tensor2d(ref.z, [4, 16]);
    const labels = tf.tensor2d(ref.labels, [4, 1], 'int32');
    const fake = g.apply([z, labels], { training: true }) as tf.Tensor;
    expect(maxRelativeError(fake, ref.fake)).toBeLessThan(1e-4);
    tf.dispose([z, labels, fake]);
    g.dispose();
  });

  it('discriminator (spectral norm with PyTorch u, v; projection): same logits and the same u after one training call', () => {
    const d = snganResnetDiscriminator(common);
    load(d, 'd_');
    const real = tf.tensor4d(ref.real, [4, 32, 32, 3]);
    const labels = tf.tensor2d(ref.labels, [4, 1], 'int32');
    const logits = d.apply([real, labels], { training: true }) as tf.Tensor;
    expect(maxRelativeError(logits, ref.logits)).toBeLessThan(1e-4);
    const u = d.getLayer('d_block2_conv1').getWeights()[2]!;
    expect(maxRelativeError(u, ref.u_after.values)).toBeLessThan(1e-4);
    tf.dispose([real, labels, logits]);
    d.dispose();
  });
});
