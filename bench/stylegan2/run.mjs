#!/usr/bin/env node
// bench/stylegan2: does gankit's StyleGAN2 learn? A short run of a small StyleGAN2 on MNIST 28×28 (the
// stylegan2-32 preset's recipe — non-saturating loss, lazy R1 γ 0.01 every 16 D steps,
// lr 0.0025, β = (0, 0.99), EMA half-life with ramp-up 0.05 — at width 16, z = w = 32, 2 mapping layers,
// batch 16, 600 steps; config: bench/stylegan2/mnist-stylegan2.json), trained by gankit-train on wasm, then scored by
// `gankit-eval fid mnist:test GEN --extractor mnist --num N` for three generators: the untrained one (createGan with
// the run's options and seed: the trainer's step-0 weights), the trained raw generator (the last checkpoint's
// weights) and the trained EMA generator (the run's export). Lower FID is better.
// Writes bench/results/stylegan2.md. Needs `pnpm build` first: `node bench/stylegan2/run.mjs`.
// Env: SG2_STEPS (default: the config's 600), SG2_NUM (default 2000 samples per FID), SG2_THREADS (default 1),
//      SG2_OUT (run folder; default a temporary folder), SG2_LR (both networks' Adam rate instead of the paper's
//      0.0025: the run extends the config with it, and the table goes to bench/results/stylegan2-lr<SG2_LR>.md; with
//      SG2_STEPS, to stylegan2[-lr<SG2_LR>]-steps<SG2_STEPS>.md).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem, loadWeightsMap } from '@gankit/core/node';
import { createGan } from '@gankit/models';
import { resolveConfig } from '@gankit/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const baseConfig = join(here, 'mnist-stylegan2.json');
const lr = process.env.SG2_LR;
const trainCli = join(root, 'apps', 'trainer', 'dist', 'cli.js');
const evalCli = join(root, 'apps', 'eval', 'dist', 'cli.js');
const num = Number(process.env.SG2_NUM ?? 2000);
const threads = Number(process.env.SG2_THREADS ?? 1);
const steps = process.env.SG2_STEPS;
const work = mkdtempSync(join(tmpdir(), 'gankit-stylegan2-'));
const configPath = lr ? join(work, 'config.json') : baseConfig;
if (lr) {
  const base = JSON.parse(readFileSync(baseConfig, 'utf8'));
  const rate = { name: 'adam', learningRate: Number(lr), beta1: 0, beta2: 0.99, epsilon: 1e-8 };
  writeFileSync(configPath, JSON.stringify({ ...base, optimizers: { generator: rate, discriminator: rate } }));
}
const runDir = process.env.SG2_OUT ?? join(work, 'run');
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
};

const uptimeBefore = uptime();
const trainArgs = ['--config', lr ? 'CONFIG' : 'bench/stylegan2/mnist-stylegan2.json', '--out', runDir, '--backend', 'wasm', '--threads', String(threads), ...(steps ? ['--steps', steps] : [])];
console.log(`node apps/trainer/dist/cli.js ${trainArgs.join(' ')}`);
const trainOut = execFileSync(process.execPath, [trainCli, ...trainArgs.map((a) => (a === 'CONFIG' ? configPath : a))], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
const done = /done: (\d+) steps in ([\d.]+) s \(([\d.]+) s CPU\)/.exec(trainOut);
if (!done) throw new Error(`no "done:" line in the trainer's output:\n${trainOut.slice(-2000)}`);
const [, doneSteps, wallSeconds, cpuSeconds] = done;
console.log(done[0]);
const uptimeAfterTraining = uptime();

// The raw generator: the export's topology with the last checkpoint's generator weights (saved in model.weights order).
await initBackend({ backend: 'cpu' });
const config = await resolveConfig({ configPath }, steps ? { steps: Number(steps) } : {});
const lastStep = config.training.steps;
const raw = await tfl.loadLayersModel(fileSystem(join(runDir, 'generator')));
const saved = (await loadWeightsMap(join(runDir, 'checkpoints', `step-${lastStep}`), { name: 'generator' })).entries;
if (saved.length !== raw.weights.length) throw new Error(`checkpoint has ${saved.length} generator tensors, the model ${raw.weights.length}`);
for (const { name, tensor } of saved) raw.weights[Number(name.split(':')[0])].write(tensor);
await raw.save(fileSystem(join(work, 'raw')));
raw.dispose();
tf.dispose(saved.map((s) => s.tensor));
// The untrained generator: createGan with the options and seed the trainer builds it with.
const m = config.model;
const untrained = createGan({ architecture: 'stylegan2', imageShape: [28, 28, 1], seed: config.seed, latentDim: m.latentDim, wDim: m.wDim, mappingLayers: m.mappingLayers, width: m.width, styleMixingProb: m.styleMixingProb });
const params = { generator: untrained.generator.countParams(), discriminator: untrained.discriminator.countParams() };
await untrained.generator.save(fileSystem(join(work, 'untrained')));
untrained.generator.dispose();
untrained.discriminator.dispose();

function fid(dir) {
  const args = ['fid', 'mnist:test', dir, '--extractor', 'mnist', '--num', String(num), '--json', '--no-progress', '--cache', join(work, 'cache')];
  const out = JSON.parse(execFileSync(process.execPath, [evalCli, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  return out.metrics.find((row) => row.metric === 'FID').value;
}
const scores = { untrained: fid(join(work, 'untrained')), raw: fid(join(work, 'raw')), ema: fid(runDir) };
console.log(scores);
const uptimeEnd = uptime();
const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const last = metrics.at(-1);

const lines = [
  `## stylegan2${lr ? ` (lr ${lr})` : ''}: does a small StyleGAN2 learn MNIST? (${doneSteps} steps of batch ${config.training.batchSize}); MNIST FID of ${num} samples vs ${num} test digits`,
  '',
  `\`${lr ? `SG2_LR=${lr} ` : ''}${steps ? `SG2_STEPS=${steps} ` : ''}${threads === 1 ? '' : `SG2_THREADS=${threads} `}node bench/stylegan2/run.mjs\` (${lr ? `Adam lr ${lr} for G and D instead of the config's 0.0025; ` : ''}${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}). Training: \`node apps/trainer/dist/cli.js ${trainArgs.map((a) => (a === runDir ? 'RUN' : a)).join(' ')}\` (wasm, ${threads} conv thread${threads === 1 ? '' : 's'}): ${doneSteps} steps in ${wallSeconds} s wall / ${cpuSeconds} s CPU. Each FID: \`node apps/eval/dist/cli.js fid mnist:test GEN --extractor mnist --num ${num}\` (the bundled MNIST classifier's features; a seeded subset of ${num} test digits against ${num} samples). Lower is better.`,
  '',
  '| generator | MNIST FID |',
  '| --- | ---: |',
  `| untrained (createGan, the run's seed) | ${scores.untrained.toFixed(2)} |`,
  `| trained, raw weights (checkpoint step ${lastStep}) | ${scores.raw.toFixed(2)} |`,
  `| trained, EMA weights (the run's exported generator) | ${scores.ema.toFixed(2)} |`,
  '',
  `Model: stylegan2 28×28×1, width ${m.width}, z = w = ${m.latentDim}, ${m.mappingLayers} mapping layers (G ${params.generator.toLocaleString('en-US')} / D ${params.discriminator.toLocaleString('en-US')} weights); last logged losses: d_loss ${last.d_loss.toFixed(3)}, g_loss ${last.g_loss.toFixed(3)}; lr_d ${last.lr_d}, lr_g ${last.lr_g}.`,
  '',
  `Machine load (\`uptime\`): before training: ${uptimeBefore}; after training: ${uptimeAfterTraining}; at the end: ${uptimeEnd}.`,
  '',
];
const text = lines.join('\n');
writeFileSync(join(root, 'bench', 'results', `stylegan2${lr ? `-lr${lr}` : ''}${steps ? `-steps${steps}` : ''}.md`), text);
console.log(text);
