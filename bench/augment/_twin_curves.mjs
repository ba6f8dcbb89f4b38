#!/usr/bin/env node
// bench/augment/_twin_curves.mjs: FID curves of the PyTorch twin with and without DiffAugment, on 1,000 training
// digits and on all 60k, to read whether the bench's DCGAN is data-limited at all: if the unaugmented run on 1k
// reaches about the FID of the one on 60k, D is not overfitting in a way that costs FID, and augmentation has nothing
// to win back. The twin (dcgan_mnist_diffaugment.py, 1 thread, the mnist-1k-diffaug preset's model, optimiser and EMA)
// runs 3.5x faster than gankit-train on wasm, so it can train long enough to show the trend within minutes. Every
// TC_EVERY steps it writes 5,000 samples of the EMA generator, scored by gankit's MNIST FID against the 10k test digits.
// Not run by `pnpm bench` (the leading _); run it alone on a quiet machine: `node bench/augment/_twin_curves.mjs`.
// Writes bench/results/augment-twin-curves.md.
// Env: TC_STEPS (6000), TC_EVERY (1000), TC_SEEDS ("0,1"), TC_LIMITS ("1000,60000"), TC_VARIANTS ("none,diffaugment"),
//      TC_DWIDTH (the preset's discriminatorWidth), TC_WORKERS (2).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '@gankit/backend-wasm';
import { balancedSubset } from '@gankit/data';
import { mnist, readNpy } from '@gankit/data/node';
import { resolveConfig } from '@gankit/trainer';
import { mnistDir, mnistFid, python } from './_shared.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const steps = Number(process.env.TC_STEPS ?? 6000);
const every = Number(process.env.TC_EVERY ?? 1000);
const seeds = (process.env.TC_SEEDS ?? '0,1').split(',').map(Number);
const limits = (process.env.TC_LIMITS ?? '1000,60000').split(',').map(Number);
const variants = (process.env.TC_VARIANTS ?? 'none,diffaugment').split(',');
const workers = Number(process.env.TC_WORKERS ?? 2);
const config = await resolveConfig({ preset: 'mnist-1k-diffaug' });
const dWidth = Number(process.env.TC_DWIDTH ?? config.model.discriminatorWidth);
const checkpoints = Array.from({ length: Math.floor(steps / every) }, (_, i) => (i + 1) * every);
const work = mkdtempSync(join(tmpdir(), 'gankit-twin-curves-'));
const run = promisify(execFile);
await initBackend({ backend: 'wasm', threads: 1 });
const trainLabels = (await mnist({ split: 'train' })).labels;
const loads = [loadavg()[0]];
const started = performance.now();

/** Trains one twin run and returns its FID after each checkpoint and its r_t (mean sign of D(x_real)) per 500 steps. */
async function twinCurve(job) {
  const tag = `${job.variant}-${job.limit}-${job.seed}`;
  const indices = join(work, `${tag}.json`);
  writeFileSync(indices, JSON.stringify(job.limit >= trainLabels.length ? Array.from(trainLabels.keys()) : Array.from(balancedSubset(trainLabels, job.limit, job.seed))));
  const out = join(work, `${tag}.npy`);
  const o = config.optimizers;
  const args = [join(here, 'dcgan_mnist_diffaugment.py'), '--mnist-dir', mnistDir, '--indices', indices, '--steps', String(steps), '--seed', String(job.seed), '--samples', '5000',
    '--generator-width', String(config.model.generatorWidth), '--discriminator-width', String(dWidth), '--latent', String(config.model.latentDim), '--batch-size', String(config.training.batchSize),
    '--lr', String(o.generator.learningRate), '--d-lr', String(o.discriminator.learningRate), '--beta1', String(o.generator.beta1), '--beta2', String(o.generator.beta2),
    '--policy', job.variant === 'none' ? '' : config.augment.policy, '--ema-decay', String(config.training.emaDecay), '--ema-start', String(config.training.emaStart),
    '--snapshots', checkpoints.join(','), '--out', out];
  const { stdout } = await run(python, args, { maxBuffer: 1 << 24 });
  const rt = [...stdout.matchAll(/r_t (-?[\d.]+)/g)].map((m) => Number(m[1]));
  const fids = [];
  for (const step of checkpoints) fids.push(await mnistFid((await readNpy(out.replace(/\.npy$/, `-${step}.npy`))).data));
  console.log(`${tag}: FID ${fids.map((f, i) => `${checkpoints[i]}:${f.toFixed(1)}`).join(' ')} | r_t per 500 steps ${rt.map((r) => r.toFixed(2)).join(' ')}`);
  return { ...job, fids, rt };
}

const jobs = limits.flatMap((limit) => seeds.flatMap((seed) => variants.map((variant) => ({ variant, limit, seed }))));
const results = [];
let next = 0;
const timer = setInterval(() => loads.push(loadavg()[0]), 30_000);
await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, async () => {
  while (next < jobs.length) results.push(await twinCurve(jobs[next++]));
}));
clearInterval(timer);
rmSync(work, { recursive: true, force: true });

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const find = (variant, limit, seed) => results.find((r) => r.variant === variant && r.limit === limit && r.seed === seed);
const ratioRow = (label, num, den) => `| ${label} | ${checkpoints.map((_, i) => fmt(mean(seeds.map((s) => num(s).fids[i] / den(s).fids[i])), 2)).join(' | ')} |`;
const order = [...results].sort((a, b) => a.limit - b.limit || a.variant.localeCompare(b.variant) || a.seed - b.seed);
const lines = [
  `## augment, PyTorch twin curves: DCGAN (G width ${config.model.generatorWidth}, D width ${dWidth}), ${steps} steps of batch ${config.training.batchSize}, with and without DiffAugment, on ${limits.join(' and ')} training digits`,
  '',
  `\`node bench/augment/_twin_curves.mjs\` (not part of \`pnpm bench\`): the twin of bench/augment (the mnist-1k-diffaug preset's model, Adam ${config.optimizers.generator.learningRate}, β ${config.optimizers.generator.beta1}, ${config.optimizers.generator.beta2}, EMA ${config.training.emaDecay} from step ${config.training.emaStart}; DiffAugment \`${config.augment.policy}\`), 1 PyTorch thread per run, ${workers} runs at a time. MNIST FID of 5,000 EMA samples against the 10k test digits after every ${every} steps (lower is better); r_t = E[sign(D(x_real))] averaged over the last 500 steps (the twin's D sees augmented reals when augmented).`,
  '',
  `| run (variant, training digits, seed) | ${checkpoints.map((s) => `FID @${s}`).join(' | ')} | r_t @${steps} |`,
  `| --- | ${checkpoints.map(() => '---').join(' | ')} | --- |`,
  ...order.map((r) => `| ${r.variant}, ${r.limit}, seed ${r.seed} | ${r.fids.map((f) => fmt(f)).join(' | ')} | ${fmt(r.rt.at(-1), 2)} |`),
  '',
  'Ratios, mean over the seeds of the per-seed ratio:',
  '',
  `| ratio | ${checkpoints.map((s) => `@${s}`).join(' | ')} |`,
  `| --- | ${checkpoints.map(() => '---').join(' | ')} |`,
  ...limits.filter(() => variants.includes('none') && variants.includes('diffaugment')).map((l) => ratioRow(`DiffAugment / none on ${l}`, (s) => find('diffaugment', l, s), (s) => find('none', l, s))),
  ...(variants.includes('none') && limits.length > 1 ? [ratioRow(`none on ${limits[0]} / none on ${limits.at(-1)}`, (s) => find('none', limits[0], s), (s) => find('none', limits.at(-1), s))] : []),
  '',
  `Whole run: ${fmt((performance.now() - started) / 60_000)} min on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}); 1-min load ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))} (the runs' own ${workers} count ≈ ${workers}).`,
  '',
];
writeFileSync(join(here, '..', 'results', 'augment-twin-curves.md'), lines.join('\n'));
console.log(lines.join('\n'));
