#!/usr/bin/env node
// bench/memory: peak resident memory of one training step of every shipped preset at its default batch size, gankit's
// trainer on wasm next to a PyTorch twin of the same step (torch_twin.py), in the same run; then the WGAN-GP step at
// n_critic 1, 5 and 10. Each measurement is its own process (peak RSS is per process). Writes bench/results/memory.md.
// Usage: pnpm build && node bench/memory/run.mjs   (or `pnpm bench memory`)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@gankit/core';
import { writePng } from '@gankit/core/node';
import { listPresets, resolveConfig } from '@gankit/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.GANKIT_PYTHON ?? '/usr/bin/python3';
const THREADS = Math.min(os.availableParallelism(), 8);
const FOLDER_IMAGES = 256;
const CIFAR_RECORDS = 128;
const log = (line = '') => console.log(line);

/** Files for the presets that read local data: a folder of random 64×64 PNGs and CIFAR-10 binary batches of random records. */
async function makeData(dir) {
  const rng = createRng(1);
  const folder = join(dir, 'images');
  mkdirSync(folder);
  for (let i = 0; i < FOLDER_IMAGES; i++) {
    const data = Uint8Array.from({ length: 64 * 64 * 3 }, () => rng.int(256));
    await writePng(join(folder, `${String(i).padStart(4, '0')}.png`), { width: 64, height: 64, channels: 3, data });
  }
  const cifar = join(dir, 'cifar-10-batches-bin');
  mkdirSync(cifar);
  for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
    const bytes = new Uint8Array(CIFAR_RECORDS * 3073);
    for (let r = 0; r < CIFAR_RECORDS; r++) {
      bytes[r * 3073] = rng.int(10);
      for (let j = 1; j < 3073; j++) bytes[r * 3073 + j] = rng.int(256);
    }
    writeFileSync(join(cifar, `${name}.bin`), bytes);
  }
  return { folder: { path: folder, size: FOLDER_IMAGES }, cifar10: { path: cifar, size: 5 * CIFAR_RECORDS } };
}

const DATASET_SIZE = { mnist: 60000, 'fashion-mnist': 60000 };

/** The PyTorch twin's spec from the resolved gankit config. */
function twinSpec(config, data, steps, nCritic) {
  const m = config.model;
  const shape = m.architecture === 'sngan-resnet' || config.data.source === 'cifar10' ? [32, 32, 3] : config.data.source === 'folder' ? [config.data.imageSize, config.data.imageSize, config.data.channels] : [28, 28, 1];
  return {
    architecture: m.architecture,
    imageShape: shape,
    width: m.width,
    generatorWidth: m.generatorWidth,
    discriminatorWidth: m.discriminatorWidth,
    latentDim: m.latentDim,
    numClasses: ['cgan', 'acgan', 'projection'].includes(m.architecture) ? 10 : undefined,
    spectralNorm: m.spectralNorm,
    discriminatorNormalization: m.discriminatorNormalization,
    loss: config.loss.name,
    gradientPenalty: config.regularizers.gradientPenalty,
    batchSize: config.training.batchSize,
    nCritic,
    shareGeneratorForward: config.training.shareGeneratorForward,
    ema: config.training.emaDecay > 0,
    datasetSize: data[config.data.source]?.size ?? DATASET_SIZE[config.data.source],
    optimizers: config.optimizers,
    steps,
    threads: THREADS,
  };
}

function runJson(command, args) {
  const out = execFileSync(command, args, { encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').at(-1));
}

async function measure(preset, data, { nCritic, steps }) {
  const config = await resolveConfig({ preset });
  const n = nCritic ?? config.training.nCritic;
  const dataPath = data[config.data.source]?.path;
  const gankit = runJson('node', [join(here, '_gankit_step.mjs'), JSON.stringify({ preset, steps, backend: 'wasm', threads: THREADS, nCritic: n, ...(dataPath && { dataPath }) })]);
  const torch = runJson(PYTHON, [join(here, 'torch_twin.py'), JSON.stringify(twinSpec(config, data, steps, n))]);
  return { preset, batch: config.training.batchSize, nCritic: n, gankit, torch };
}

const peak = (r) => Math.max(...r.perStepMB);
const row = (m) => `| ${m.preset} | ${m.batch} | ${m.nCritic} | ${peak(m.gankit)} (${m.gankit.perStepMB.join(' → ')}) | ${peak(m.torch)} (${m.torch.perStepMB.join(' → ')}) | **${(peak(m.gankit) / peak(m.torch)).toFixed(2)}×** |`;

const dir = mkdtempSync(join(os.tmpdir(), 'gankit-bench-memory-'));
const loads = [os.loadavg()[0]];
const results = [];
const critic = [];
try {
  const data = await makeData(dir);
  for (const preset of await listPresets()) {
    const steps = preset === 'cifar10-sngan' ? 2 : 3;
    const m = await measure(preset, data, { steps });
    log(row(m));
    results.push(m);
  }
  loads.push(os.loadavg()[0]);
  for (const nCritic of [1, 5, 10]) {
    const m = await measure('mnist-wgan-gp', data, { nCritic, steps: 2 });
    log(row(m));
    critic.push(m);
  }
  loads.push(os.loadavg()[0]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const header = ['| preset | batch | n_critic | gankit wasm peak RSS, MB (after each step) | PyTorch twin peak RSS, MB (after each step) | ratio |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
const worst = results.reduce((a, b) => (peak(a.gankit) / peak(a.torch) > peak(b.gankit) / peak(b.torch) ? a : b));
const md = [
  '# Training memory: peak RSS of a step, gankit on wasm vs a PyTorch twin',
  '',
  `Machine: ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} logical cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; PyTorch ${results[0]?.torch.torch ?? '?'}; ${THREADS} threads on both sides. ` +
    `Load average (1 min) at start / after the presets / end: ${loads.map((l) => l.toFixed(1)).join(' / ')}. Date: ${new Date().toISOString()}.`,
  '',
  'Command: `pnpm build && node bench/memory/run.mjs` (every number below is from this one run).',
  '',
  'Each cell is one process: gankit runs `train()` from `@gankit/trainer` on the shipped preset at its default batch size on wasm ' +
    '(evaluation, samples, TensorBoard and report off; the data source loaded as in a real run), PyTorch runs `torch_twin.py`: the same architecture, loss, ' +
    'regularizer, n_critic and Adam settings on a uint8 dataset of the same size in memory. The number is the process\'s peak resident set ' +
    '(`process.resourceUsage().maxRSS`, `getrusage` ru_maxrss) after each step, so it includes each runtime\'s baseline (Node + TF.js + wasm, ' +
    `Python + libtorch). Presets that read local files run on generated ones: ${FOLDER_IMAGES} random 64×64 PNGs (folder-dcgan64), ` +
    `CIFAR-10 binary batches of ${CIFAR_RECORDS} random records each (cifar10-sngan).`,
  '',
  ...header,
  ...results.map(row),
  '',
  `Worst ratio: ${worst.preset}, ${(peak(worst.gankit) / peak(worst.torch)).toFixed(2)}× (goal ≤ 2×).`,
  '',
  'The WGAN-GP step (`mnist-wgan-gp`, batch 64) at n_critic 1, 5 and 10: the peak must not grow with n_critic.',
  '',
  ...header,
  ...critic.map(row),
  '',
].join('\n');
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'memory.md'), md);
log(`\nwrote bench/results/memory.md`);
