#!/usr/bin/env node
// bench/augment: does discriminator augmentation help with 1,000 training images?
//
// MNIST limited to 1,000 training digits (data.limit: a seeded class-balanced subset, the same for all variants of a
// seed) and the same DCGAN, optimiser, EMA and number of steps (the mnist-1k-diffaug preset), trained by gankit-train
// on wasm three ways: no augmentation, DiffAugment (the preset's policy), ADA (bgc, the mnist-1k-ada preset's
// controller), plus a PyTorch twin of the DiffAugment run (dcgan_mnist_diffaugment.py: the same architecture, loss,
// optimiser and EMA with its own DiffAugment written from the paper, 1 thread) on the same subset. Each run is scored by
// gankit's MNIST FID (bundled classifier) of 5,000 samples (of the EMA generator) against the 10k MNIST test digits.
// The same steps on the full 60k digits with ADA (and without augmentation, AUG_FULL=ada,none) show ADA's p and the
// overfitting heuristic r_t = E[sign(D(x_real))] when D cannot memorise its data.
// Writes bench/results/augment.md. Needs `pnpm build` first (pnpm bench does it): `node bench/augment/run.mjs`.
// Every run is its own child process (1 conv thread, or 1 PyTorch thread); AUG_WORKERS (default 2) run at a time.
// Env: AUG_STEPS (default: the preset's training.steps), AUG_SEEDS (default "0,1"), AUG_SAMPLES (default 5000),
//      AUG_LIMIT (default 1000), AUG_FULL_STEPS (default AUG_STEPS: the 60k runs), AUG_FULL (default "ada": the variants run on 60k;
//      "ada,none" adds the unaugmented one, "" runs none), AUG_EMA (default: the preset's emaDecay; 0 turns the EMA off on both sides),
//      AUG_BACKEND (default wasm), AUG_WORKERS (default 2), AUG_OUT (default augment.md: the table's file in bench/results;
//      `AUG_STEPS=6000 AUG_OUT=augment-6000.md` wrote the longer table).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { resolveConfig, train } from '@gankit/trainer';
import { mnistDir, mnistFid, python } from './_shared.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const preset = await resolveConfig({ preset: 'mnist-1k-diffaug' });
const steps = Number(process.env.AUG_STEPS ?? preset.training.steps);
const seeds = (process.env.AUG_SEEDS ?? '0,1').split(',').map(Number);
const samples = Number(process.env.AUG_SAMPLES ?? 5000);
const limit = Number(process.env.AUG_LIMIT ?? 1000);
const fullSteps = Number(process.env.AUG_FULL_STEPS ?? steps);
const fullVariants = (process.env.AUG_FULL ?? 'ada').split(',').filter(Boolean);
const emaDecay = Number(process.env.AUG_EMA ?? preset.training.emaDecay);
const emaStart = emaDecay > 0 ? preset.training.emaStart : 0;
const workers = Number(process.env.AUG_WORKERS ?? 2);
const backend = process.env.AUG_BACKEND ?? 'wasm';
const outName = process.env.AUG_OUT ?? 'augment.md';
const threads = 1;

function hasTorch() {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The bench config of one variant: the mnist-1k-diffaug (or -ada) preset with the variant's augmentation and data. */
async function configFor(variant, seed, runSteps, dataLimit) {
  const config = await resolveConfig({ preset: variant === 'ada' ? 'mnist-1k-ada' : 'mnist-1k-diffaug' }, { steps: runSteps, seed, backend });
  if (variant === 'none') delete config.augment;
  if (dataLimit >= 60_000) delete config.data.limit;
  else config.data.limit = dataLimit;
  config.data.limitSeed = seed;
  config.training.emaDecay = emaDecay;
  config.training.emaStart = emaStart;
  config.threads = threads;
  Object.assign(config.logging, { metric: 'none', tensorboard: false, report: false, sampleEvery: runSteps, checkpointEvery: runSteps, logEvery: 50 });
  return config;
}

/** Uint8 samples [n, 28, 28] of an exported generator, from seeded latents. */
async function sampleGenerator(dir, seed) {
  const generator = await tfl.loadLayersModel(fileSystem(dir));
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
  return data;
}

/** One run in this process: a gankit-train variant, or the PyTorch twin; returns its FID, seconds and curves. */
async function runJob(job, work) {
  await initBackend({ backend, threads });
  const label = `${job.kind === 'torch' ? 'torch diffaugment' : job.variant} seed ${job.seed}${job.limit >= 60_000 ? ' 60k' : ''}`;
  if (job.kind === 'torch') {
    const trainSet = await mnist({ split: 'train' });
    const subset = join(work, 'subset.json');
    writeFileSync(subset, JSON.stringify(Array.from(balancedSubset(trainSet.labels, job.limit, job.seed))));
    const c = await configFor('diffaugment', job.seed, job.steps, job.limit);
    const out = join(work, 'torch.npy');
    const args = [join(here, 'dcgan_mnist_diffaugment.py'), '--mnist-dir', mnistDir, '--indices', subset, '--steps', String(job.steps), '--seed', String(job.seed), '--samples', String(samples),
      '--generator-width', String(c.model.generatorWidth), '--discriminator-width', String(c.model.discriminatorWidth), '--latent', String(c.model.latentDim), '--batch-size', String(c.training.batchSize),
      '--lr', String(c.optimizers.generator.learningRate), '--d-lr', String(c.optimizers.discriminator.learningRate), '--beta1', String(c.optimizers.generator.beta1), '--beta2', String(c.optimizers.generator.beta2),
      '--policy', c.augment.policy, '--ema-decay', String(c.training.emaDecay), '--ema-start', String(c.training.emaStart), '--out', out];
    const text = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    process.stdout.write(text.split('\n').map((l) => (l ? `${label} ${l}` : l)).join('\n'));
    const seconds = Number(/in ([\d.]+) s/.exec(text)?.[1]);
    const fid = await mnistFid((await readNpy(out)).data);
    console.log(`${label}: MNIST FID ${fid.toFixed(2)} (${seconds.toFixed(0)} s)`);
    return { fid, seconds };
  }
  const config = await configFor(job.variant, job.seed, job.steps, job.limit);
  const out = join(work, 'run');
  const started = performance.now();
  await train(config, { out, onProgress: (e) => e.step % 500 === 0 && console.log(`${label} step ${e.step}/${config.training.steps} d_loss ${e.dLoss.toFixed(4)} g_loss ${e.gLoss.toFixed(4)} r_t ${e.values.d_real_sign?.toFixed(3)}${e.values.ada_p === undefined ? '' : ` p ${e.values.ada_p.toFixed(3)}`}`) });
  const seconds = (performance.now() - started) / 1000;
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const pCurve = records.filter((r) => r.ada_p !== undefined).map((r) => r.ada_p);
  const rtCurve = records.filter((r) => r.d_real_sign !== undefined).map((r) => r.d_real_sign);
  const fid = await mnistFid(await sampleGenerator(join(out, 'generator'), job.seed));
  console.log(`${label}: MNIST FID ${fid.toFixed(2)} (${seconds.toFixed(0)} s)`);
  return { fid, seconds, pCurve, rtCurve };
}

if (process.env.AUG_CHILD !== undefined) {
  const work = mkdtempSync(join(tmpdir(), 'gankit-augment-'));
  try {
    writeFileSync(process.env.AUG_CHILD_OUT, JSON.stringify(await runJob(JSON.parse(process.env.AUG_CHILD), work)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

const benchStarted = performance.now();
const loads = [loadavg()[0]];
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
};
const uptimeStart = uptime();
const torch = hasTorch();
if (!torch) console.warn(`SKIPPED the PyTorch twin: ${python} has no torch (apt-get install -y python3-torch)`);
const resultsDir = mkdtempSync(join(tmpdir(), 'gankit-augment-results-'));

/** Runs one job in a child process; resolves with its JSON result. */
function runChild(job, index) {
  const out = join(resultsDir, `job-${index}.json`);
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, AUG_CHILD: JSON.stringify(job), AUG_CHILD_OUT: out } });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolvePromise(JSON.parse(readFileSync(out, 'utf8'))) : reject(new Error(`bench run ${JSON.stringify(job)} exited ${code}`))));
  });
}

// The slowest runs first, so the pool ends together.
const jobs = [
  ...seeds.flatMap((seed) => ['ada', 'diffaugment'].map((variant) => ({ kind: 'gankit', variant, seed, steps, limit }))),
  ...fullVariants.map((variant) => ({ kind: 'gankit', variant, seed: seeds[0], steps: fullSteps, limit: 60_000 })),
  ...seeds.map((seed) => ({ kind: 'gankit', variant: 'none', seed, steps, limit })),
  ...(torch ? seeds.map((seed) => ({ kind: 'torch', seed, steps, limit })) : []),
];
const results = new Array(jobs.length);
let next = 0;
const loadTimer = setInterval(() => loads.push(loadavg()[0]), 30_000);
await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, async () => {
  while (next < jobs.length) {
    const i = next++;
    results[i] = await runChild(jobs[i], i);
  }
}));
clearInterval(loadTimer);
loads.push(loadavg()[0]);
rmSync(resultsDir, { recursive: true, force: true });
const find = (kind, variant, seed, lim) => results[jobs.findIndex((j) => j.kind === kind && (kind === 'torch' || j.variant === variant) && j.seed === seed && j.limit === lim)];
const rows = seeds.map((seed) => ({ seed, none: find('gankit', 'none', seed, limit), diffaugment: find('gankit', 'diffaugment', seed, limit), ada: find('gankit', 'ada', seed, limit), torch: torch ? find('torch', '', seed, limit) : undefined }));
const full = Object.fromEntries(fullVariants.map((v) => [v, find('gankit', v, seeds[0], 60_000)]));

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const m = (k) => mean(rows.map((r) => r[k]?.fid ?? Number.NaN));
const lateMean = (curve) => mean(curve.slice(Math.floor(curve.length / 2)));
const pSummary = (curve) => (curve?.length ? `${fmt(Math.max(...curve), 3)} max, ${fmt(lateMean(curve), 3)} mean over the 2nd half, ${fmt(curve.at(-1), 3)} final` : 'n/a');
const rtSummary = (curve) => (curve?.length ? `${fmt(mean(curve.slice(0, Math.ceil(curve.length / 4))))} in the 1st quarter, ${fmt(lateMean(curve))} over the 2nd half` : 'n/a');
const minutes = (performance.now() - benchStarted) / 60_000;
const check = (ok) => (ok ? 'met' : 'not met');
const ratioDa = m('diffaugment') / m('none');
const ratioAda = m('ada') / m('none');
const ratioTwin = m('diffaugment') / m('torch');
const perSeed = (k, bound, den = 'none') => rows.map((r) => `${fmt(r[k].fid / r[den]?.fid)}`).join(', ') + ` (${rows.filter((r) => r[k].fid / r[den]?.fid <= bound).length} of ${rows.length} seeds ≤ ${bound})`;
const emaText = emaDecay > 0 ? `EMA of G (decay ${emaDecay}, from step ${emaStart}) on both sides, samples from the EMA weights` : 'EMA off';
const c0 = await configFor('diffaugment', seeds[0], steps, limit);
const a0 = await configFor('ada', seeds[0], steps, limit);
const lines = [
  `## augment: MNIST limited to ${limit} training digits, DCGAN (G width ${c0.model.generatorWidth}, D width ${c0.model.discriminatorWidth}, z ${c0.model.latentDim}), ${steps} steps of batch ${c0.training.batchSize}; MNIST FID of ${samples} samples vs the 10k test digits`,
  '',
  `\`${outName === 'augment.md' ? '' : `AUG_STEPS=${steps} AUG_OUT=${outName} `}node bench/augment/run.mjs\` (${seeds.length} seeds; gankit-train on ${backend} with 1 conv thread per run, Adam ${c0.optimizers.generator.learningRate} / ${c0.optimizers.discriminator.learningRate} (G / D), β ${c0.optimizers.generator.beta1}, ${c0.optimizers.generator.beta2}, ${emaText}; DiffAugment \`${c0.augment.policy}\`; ADA \`bgc\` with target ${a0.augment.ada.target}, interval ${a0.augment.ada.interval}, kimg ${a0.augment.ada.kimg}; PyTorch twin ${torch ? '1 thread' : 'not run'}; ${workers} runs at a time, each its own process). Lower FID is better.`,
  `Subsets: data.limit's seeded class-balanced subset of seed s (the same for every variant of that seed and for the twin). r_t = E[sign(D(x_real))] of the D steps, read every 50 steps.`,
  '',
  '| seed | none | DiffAugment | ADA (bgc) | PyTorch DiffAugment twin | DiffAugment / none | ADA / none | DiffAugment / twin | ADA p on 1k | r_t without augmentation on 1k |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.seed} | ${fmt(r.none.fid)} | ${fmt(r.diffaugment.fid)} | ${fmt(r.ada.fid)} | ${fmt(r.torch?.fid ?? Number.NaN)} | ${fmt(r.diffaugment.fid / r.none.fid)} | ${fmt(r.ada.fid / r.none.fid)} | ${fmt(r.diffaugment.fid / (r.torch?.fid ?? Number.NaN))} | ${pSummary(r.ada.pCurve)} | ${rtSummary(r.none.rtCurve)} |`),
  `| mean | ${fmt(m('none'))} | ${fmt(m('diffaugment'))} | ${fmt(m('ada'))} | ${fmt(m('torch'))} | ${fmt(ratioDa)} | ${fmt(ratioAda)} | ${fmt(ratioTwin)} | | |`,
  '',
  ...(full.ada ? [`Full 60k training digits, ADA (seed ${seeds[0]}, ${fullSteps} steps, same controller): p ${pSummary(full.ada.pCurve)}; r_t ${rtSummary(full.ada.rtCurve)}; MNIST FID ${fmt(full.ada.fid)}.`] : []),
  ...(full.none ? [`Full 60k training digits, no augmentation (seed ${seeds[0]}, ${fullSteps} steps): r_t ${rtSummary(full.none.rtCurve)}; MNIST FID ${fmt(full.none.fid)}.`] : []),
  '',
  `Goals (issue 16), read on the means over the seeds (per seed in brackets): DiffAugment ≤ 0.7× none: ${fmt(ratioDa)}, ${check(ratioDa <= 0.7)} [${perSeed('diffaugment', 0.7)}]; ADA ≤ 0.7× none: ${fmt(ratioAda)}, ${check(ratioAda <= 0.7)} [${perSeed('ada', 0.7)}]; gankit DiffAugment ≤ 1.05× the twin: ${fmt(ratioTwin)}, ${check(ratioTwin <= 1.05)}${torch ? ` [${perSeed('diffaugment', 1.05, 'torch')}]` : ''}; bench ≤ 30 min: ${fmt(minutes, 1)} min, ${check(minutes <= 30)}.`,
  '',
  `Training seconds per run (gankit none / DiffAugment / ADA / twin): ` +
    rows.map((r) => `seed ${r.seed}: ${fmt(r.none.seconds, 0)} / ${fmt(r.diffaugment.seconds, 0)} / ${fmt(r.ada.seconds, 0)} / ${fmt(r.torch?.seconds ?? Number.NaN, 0)}`).join('; ') +
    Object.entries(full).map(([v, r]) => `; 60k ${v}: ${fmt(r.seconds, 0)}`).join('') + '.',
  '',
  `Whole bench: ${fmt(minutes, 1)} min on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}); 1-min load ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)} (mean ${fmt(mean(loads), 1)}) during the runs (the bench's own ${workers} runs count ≈ ${workers}); \`uptime\` at the start: ${uptimeStart}; at the end: ${uptime()}`,
  '',
];
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', outName), lines.join('\n'));
console.log(lines.join('\n'));
