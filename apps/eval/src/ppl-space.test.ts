// gankit-eval ppl on a stylegan2 export, in child processes: in w by default (StyleGAN's PPL in W: lerp between
// mapped latents, the synthesis network on them), equal to the same formula computed here by hand on createGan's own
// mapping and synthesis networks; --space z measures something else; --space w on a DCGAN is a usage error.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem } from '@gankit/core/node';
import { mnistClassifier } from '@gankit/metrics/node';
import { createGan } from '@gankit/models';
import { buildPackage, repoPath, runNode } from '../../../testing/cli-process';

const cli = repoPath('apps', 'eval', 'dist', 'cli.js');
let work: string;

beforeAll(async () => {
  await buildPackage('@gankit/eval');
  work = await mkdtemp(join(tmpdir(), 'gankit-ppl-space-'));
  await initBackend({ backend: 'cpu' });
}, 300_000);

interface PplJson {
  metrics: { metric: string; value: number }[];
  notes: string[];
}

function evalCli(args: string[]) {
  return runNode(cli, [...args, '--no-progress'], { env: { ...process.env, GANKIT_INCEPTION_WEIGHTS: '', GANKIT_CACHE_DIR: join(work, 'cache') } });
}

async function pplOf(args: string[]): Promise<{ ppl: number; notes: string[] }> {
  const result = await evalCli([...args, '--json']);
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  const json = JSON.parse(result.stdout) as PplJson;
  return { ppl: json.metrics.find((m) => m.metric === 'PPL')!.value, notes: json.notes };
}

describe('gankit-eval ppl --space', () => {
  it('stylegan2: w by default, equal to lerp(f(z₀), f(z₁)) through the synthesis network computed by hand; z differs; w on a DCGAN exits 2', async () => {
    const before = tf.memory().numTensors;
    const gan = createGan({ architecture: 'stylegan2', imageShape: [28, 28, 1], width: 4, latentDim: 6, wDim: 6, mappingLayers: 2, seed: 11 });
    const built = gan.styleGan2!;
    const dir = join(work, 'stylegan2');
    await gan.generator.save(fileSystem(dir));
    // ε = 1e-2 keeps d/ε² well conditioned in float32, so the CLI and the hand computation agree closely.
    const num = 12;
    const epsilon = 1e-2;
    const seed = 3;
    const common = ['ppl', dir, '--extractor', 'mnist', '--num', String(num), '--epsilon', String(epsilon), '--seed', String(seed), '--backend', 'cpu'];
    const byDefault = await pplOf(common);
    const inW = await pplOf([...common, '--space', 'w']);
    const inZ = await pplOf([...common, '--space', 'z']);
    expect(byDefault.ppl).toBe(inW.ppl);
    expect(inW.notes.join(' ')).toMatch(/^PPL in w \(lerp/);
    expect(inZ.notes.join(' ')).toMatch(/^PPL in z \(slerp\)/);

    // By hand: the seeded draws perceptualPathLength documents (z₀, z₁ ~ N(0, I), then t ~ U(0, 1)), createGan's own
    // mapping network, the lerp in float64, its own synthesis network, pixels (x + 1)·127.5 clipped to [0, 255], the
    // MNIST classifier's features, d = Σ(Δfeature)² / ε², and StyleGAN's 1st ('lower') – 99th ('higher') percentile filter.
    const rng = createRng(seed);
    const z0 = rng.normalArray(num * 6);
    const z1 = rng.normalArray(num * 6);
    const t = rng.uniformArray(num);
    const mapped = (z: Float32Array) => {
      const ws = tf.tidy(() => built.mapping.predict(tf.tensor2d(z, [num, 6])) as tf.Tensor);
      const data = ws.dataSync() as Float32Array;
      ws.dispose();
      return data;
    };
    const [w0, w1] = [mapped(z0), mapped(z1)];
    const extractor = await mnistClassifier();
    const perRow = built.numWs * built.wDim;
    const features = async (shift: number) => {
      const w = new Float32Array(num * perRow);
      for (let i = 0; i < num; i++) {
        const s = t[i]! + shift;
        for (let j = 0; j < perRow; j++) w[i * perRow + j] = w0[i * perRow + j]! + s * (w1[i * perRow + j]! - w0[i * perRow + j]!);
      }
      const pixels = tf.tidy(() => tf.clipByValue(tf.mul(tf.add(built.synthesis.predict(tf.tensor3d(w, [num, built.numWs, built.wDim])) as tf.Tensor4D, 1), 127.5), 0, 255));
      const out = (await extractor.extract(pixels as tf.Tensor4D)).features;
      pixels.dispose();
      return out;
    };
    const [fa, fb] = [await features(0), await features(epsilon)];
    extractor.dispose();
    const dim = fa.length / num;
    const distances = Array.from({ length: num }, (_, i) => {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += (fa[i * dim + j]! - fb[i * dim + j]!) ** 2;
      return sum / epsilon ** 2;
    });
    const sorted = [...distances].sort((a, b) => a - b);
    const lo = sorted[Math.floor((num - 1) * 0.01)]!;
    const hi = sorted[Math.ceil((num - 1) * 0.99)]!;
    const kept = distances.filter((d) => d >= lo && d <= hi);
    const expected = kept.reduce((a, b) => a + b, 0) / kept.length;
    gan.generator.dispose();
    gan.discriminator.dispose();
    expect(tf.memory().numTensors).toBe(before);
    console.log(`PPL in w: CLI ${inW.ppl}, by hand ${expected}; in z: ${inZ.ppl}`);
    expect(Math.abs(inW.ppl - expected) / expected).toBeLessThan(1e-4);
    expect(Math.abs(inZ.ppl - inW.ppl) / inW.ppl).toBeGreaterThan(1e-2);

    const dcgan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width: 4, latentDim: 8, seed: 2 });
    const dcganDir = join(work, 'dcgan');
    await dcgan.generator.save(fileSystem(dcganDir));
    dcgan.generator.dispose();
    dcgan.discriminator.dispose();
    const refused = await evalCli(['ppl', dcganDir, '--extractor', 'mnist', '--num', '4', '--space', 'w']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^gankit-eval: error: --space w needs a generator with a mapping network \(stylegan2\)[^\n]*$/);
    expect((await pplOf(['ppl', dcganDir, '--extractor', 'mnist', '--num', '4'])).notes.join(' ')).toMatch(/^PPL in z/);
    const misplaced = await evalCli(['fid', dir, dir, '--space', 'w']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr.trim()).toMatch(/^gankit-eval: error: --space goes with `ppl`/);
    const unknown = await evalCli(['ppl', dir, '--space', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^gankit-eval: error: --space must be one of z, w/);
  }, 200_000);
});
