import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { countTrainableParams, setTruncationPsi, styleGan2Discriminator, styleGan2Generator, type ImageShape } from './index';
import { referencePython } from '../../../testing/python';

const script = fileURLToPath(new URL('../test/fixtures/stylegan2_parity.py', import.meta.url));
const PYTHON = referencePython(['torch'], 'StyleGAN2 forward parity with PyTorch');

interface Arr {
  shape: number[];
  values: number[];
}
interface Case {
  spec: { size: number; channels: number; z_dim: number; w_dim: number; mapping_layers: number; channel_base: number; channel_max: number };
  layers: Record<string, Arr[]>;
  num_ws: number;
  z: number[];
  fake: number[];
  fake_psi06: number[];
  fake_mean: number[];
  ws: number[];
  fake_ws: number[];
  real: number[];
  logits: number[];
  z_train: number[];
  w_avg_after: number[];
  params: { generator: number; discriminator: number };
  pl_noise: number[];
  pl_target: number;
  pl_value: number;
  pl_grads: Record<string, Arr[]>;
}

const dir = mkdtempSync(join(tmpdir(), 'gankit-stylegan2-parity-'));
let cases: Record<string, Case> = {};
const B = 4;
// What the test prints: the measured max relative errors, for the README.
const measured: string[] = [];

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  // The zero gradient of `Greater` (inside LeakyReLU's gradient) that @gankit/losses registers; this package may not
  // import losses, so the test registers the same fix (see second-order.test.ts).
  if (tf.getGradient('Greater') === undefined) {
    tf.registerGradient({
      kernelName: 'Greater',
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ a: () => tf.zerosLike(saved[0]!), b: () => tf.zerosLike(saved[1]!) }),
    });
  }
  if (PYTHON === undefined) return;
  const out = join(dir, 'parity.json');
  execFileSync(PYTHON, [script, out], { stdio: 'inherit' });
  cases = (JSON.parse(readFileSync(out, 'utf8')) as { cases: Record<string, Case> }).cases;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (measured.length > 0) console.log(`\nStyleGAN2 vs PyTorch, max |Δ| / max |reference|:\n${measured.join('\n')}\n`);
});

/** Loads the PyTorch weights by layer name; every layer that has weights must be covered. */
function load(model: tfl.LayersModel, ref: Case, prefix: string): void {
  const covered: string[] = [];
  for (const layer of model.layers) {
    if (layer.getWeights().length === 0) continue;
    const weights = ref.layers[layer.name];
    expect(weights, `PyTorch weights for ${layer.name}`).toBeDefined();
    expect(layer.getWeights().map((w) => w.shape)).toEqual(weights!.map((w) => w.shape));
    const tensors = weights!.map((w) => tf.tensor(w.values, w.shape));
    layer.setWeights(tensors);
    tf.dispose(tensors);
    covered.push(layer.name);
  }
  expect(covered.sort()).toEqual(Object.keys(ref.layers).filter((n) => n.startsWith(prefix)).sort());
}

function relativeError(actual: tf.Tensor | number[], expected: number[]): number {
  const values = Array.isArray(actual) ? actual : Array.from(actual.dataSync());
  expect(values).toHaveLength(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  return expected.reduce((m, e, i) => Math.max(m, Math.abs(values[i]! - e) / scale), 0);
}

function check(what: string, actual: tf.Tensor | number[], expected: number[]): void {
  const error = relativeError(actual, expected);
  measured.push(`  ${what}: ${error.toExponential(2)}`);
  expect(error, what).toBeLessThan(1e-4);
}

function build(ref: Case) {
  const s = ref.spec;
  const imageShape: ImageShape = [s.size, s.size, s.channels];
  const channels = { channelBase: s.channel_base, channelMax: s.channel_max };
  const g = styleGan2Generator({ imageShape, latentDim: s.z_dim, wDim: s.w_dim, mappingLayers: s.mapping_layers, ...channels, seed: 1 });
  const d = styleGan2Discriminator({ imageShape, ...channels, seed: 2 });
  return { g, d, imageShape };
}

describe.skipIf(PYTHON === undefined)('stylegan2 equals the PyTorch reference written from the paper (test/fixtures/stylegan2_reference.py)', () => {
  for (const name of ['32x32x3', '28x28x1']) {
    it(`${name}: parameter counts, G(z) with the fixed noise inputs at ψ = 1 and 0.6, synthesis of per-layer styles, D(x), w_avg tracking`, () => {
      const ref = cases[name]!;
      const { g, d, imageShape } = build(ref);
      expect(g.numWs).toBe(ref.num_ws);
      expect({ generator: countTrainableParams(g.generator), discriminator: countTrainableParams(d) }).toEqual(ref.params);
      load(g.generator, ref, 'g_');
      load(d, ref, 'd_');
      const before = tf.memory().numTensors;
      const s = ref.spec;
      tf.tidy(() => {
        const z = tf.tensor2d(ref.z, [B, s.z_dim]);
        check(`${name} G(z), ψ = 1`, g.generator.predict(z) as tf.Tensor, ref.fake);
        setTruncationPsi(g.generator, 0.6);
        check(`${name} G(z), ψ = 0.6`, g.generator.predict(z) as tf.Tensor, ref.fake_psi06);
        setTruncationPsi(g.generator, 0);
        const mean = g.generator.predict(z) as tf.Tensor;
        check(`${name} G(z), ψ = 0 (the mean image)`, mean, Array.from({ length: B }, () => ref.fake_mean).flat());
        setTruncationPsi(g.generator, 1);
        const ws = tf.tensor3d(ref.ws, [B, ref.num_ws, s.w_dim]);
        check(`${name} synthesis(ws), one style per layer`, g.synthesis.predict(ws) as tf.Tensor, ref.fake_ws);
        check(`${name} D(x)`, d.predict(tf.tensor4d(ref.real, [B, ...imageShape])) as tf.Tensor, ref.logits);
      });
      // Path-length penalty (fixed target) and its gradient w.r.t. every G weight: a gradient of a gradient through
      // the mapping and synthesis networks, which TF.js computes only as far as each op's gradient allows.
      tf.tidy(() => {
        const z = tf.tensor2d(ref.z, [B, s.z_dim]);
        const noise = tf.tensor4d(ref.pl_noise, [B, ...imageShape]);
        const { value, grads } = tf.variableGrads(() => {
          const ws = g.mapping.apply(z) as tf.Tensor;
          const gw = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(g.synthesis.apply(w) as tf.Tensor, noise)))(ws);
          return tf.mean<tf.Scalar>(tf.square(tf.sub(tf.sqrt(tf.mean(tf.sum(tf.square(gw), 2), 1)), ref.pl_target)));
        }, g.generator.trainableWeights.map((w) => w.read() as tf.Variable));
        check(`${name} path-length penalty`, [value.dataSync()[0]!], [ref.pl_value]);
        const actual: number[] = [];
        const expected: number[] = [];
        for (const layer of g.generator.layers) {
          if (layer.trainableWeights.length === 0) continue;
          const reference = ref.pl_grads[layer.name]!;
          expect(reference.map((r) => r.shape)).toEqual(layer.trainableWeights.map((w) => w.shape));
          layer.trainableWeights.forEach((w, i) => {
            actual.push(...Array.from(grads[w.originalName]?.dataSync() ?? grads[w.name]?.dataSync() ?? new Float32Array(reference[i]!.values.length)));
            expected.push(...reference[i]!.values);
          });
        }
        check(`${name} path-length gradients w.r.t. every G weight`, actual, expected);
      });
      tf.tidy(() => {
        g.mapping.apply(tf.tensor2d(ref.z_train, [B, s.z_dim]), { training: true });
      });
      const wAvg = g.generator.getLayer('g_mapping').getWeights()[2 * s.mapping_layers]!;
      check(`${name} w_avg after a training call`, wAvg, ref.w_avg_after);
      expect(tf.memory().numTensors).toBe(before);
      g.generator.dispose();
      d.dispose();
    });
  }
});
