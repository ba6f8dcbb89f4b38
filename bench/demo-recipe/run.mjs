#!/usr/bin/env node
// bench/demo-recipe: which training recipe gives the lowest MNIST FID for the demo's compute budget?
//
// The machine is shared, so wall-clock time is noisy; the budget is counted in CPU-seconds instead (user + system
// time of this process, all threads: the trainer's 2 conv threads included), which waiting for a core does not
// inflate. For each recipe a short timing run measures its training CPU-seconds per step (steps 20→80, no
// evaluation); the recipe then trains for budget / that cost steps, where budget = the current demo preset's
// steps × its own measured cost minus the CPU cost of the extra evaluations the new demo runs during training
// (`EXTRA_EVALS` × one measured evaluation), so the new demo fits the old demo's time. Every recipe is scored
// like the demo: MNIST FID/IS of 5,000 EMA-generator samples against the 10k MNIST test digits (bundled classifier).
//
// Writes bench/results/demo-recipe.md. Needs `pnpm build` first (pnpm bench does it).
// Env: RECIPES (comma-separated names, default all), RECIPE_SEEDS (default "0"), EXTRA_EVALS (default 3).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig, train } from '@gankit/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const seeds = (process.env.RECIPE_SEEDS ?? '0').split(',').map(Number);
const extraEvals = Number(process.env.EXTRA_EVALS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'gankit-recipe-'));

// Each recipe is a patch over the demo preset as it was before this sweep (the "baseline" row).
const BASELINE = JSON.parse(readFileSync(join(here, 'baseline.json'), 'utf8'));
const adam = (lr, beta1 = 0.5) => ({ name: 'adam', learningRate: lr, beta1, beta2: 0.999 });
const RECIPES = {
  baseline: {},
  'batch64': { training: { batchSize: 64 } },
  'hinge': { loss: { name: 'hinge' } },
  'ema0.999': { training: { emaDecay: 0.999, emaStart: 200 } },
  'lr2e-4-ttur': { optimizers: { generator: adam(0.0002), discriminator: adam(0.0004) } },
  'width24': { model: { width: 24 } },
  'g32-d48': { model: { generatorWidth: 32, discriminatorWidth: 48 } },
  'lsgan': { loss: { name: 'lsgan' } },
};
const wanted = process.env.RECIPES ? process.env.RECIPES.split(',') : Object.keys(RECIPES);

function merge(base, patch) {
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = v && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' ? merge(out[k], v) : v;
  return out;
}

async function configOf(name, seed, steps) {
  const file = join(work, `${name}-${seed}.json`);
  writeFileSync(file, JSON.stringify(merge(BASELINE, RECIPES[name])));
  const config = await resolveConfig({ configPath: file }, { seed, threads: 2, ...(steps !== undefined && { steps }) });
  Object.assign(config.logging, { tensorboard: false, report: false, keepLast: 1 });
  return config;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Training CPU-seconds per step of a recipe: steps 20 → 80 of a short run without evaluation. */
async function stepCost(name) {
  const config = await configOf(name, 0, 80);
  Object.assign(config.logging, { metric: 'none', logEvery: 20, sampleEvery: 1000, checkpointEvery: 1000 });
  const marks = {};
  await train(config, { out: join(work, `time-${name}`), force: true, onProgress: (e) => (marks[e.step] = { cpu: cpuNow(), wall: performance.now() }) });
  return { cpu: (marks[80].cpu - marks[20].cpu) / 60, wall: (marks[80].wall - marks[20].wall) / 60_000 };
}

/** Trains a recipe for `steps` and returns its final MNIST FID/IS and the CPU cost of that last evaluation. */
async function score(name, seed, steps) {
  const config = await configOf(name, seed, steps);
  Object.assign(config.logging, { metric: 'mnist-fid', evalEvery: 0, evalSamples: 5000, logEvery: 50, sampleEvery: steps, checkpointEvery: steps });
  const marks = {};
  const out = join(work, `run-${name}-${seed}`);
  const result = await train(config, { out, force: true, onProgress: (e) => (marks[e.step] = cpuNow()) });
  // The last logged step includes the evaluation; the one before it does not.
  const before = marks[steps - 50];
  return { fid: result.metrics.mnist_fid, is: result.metrics.mnist_is, cpu: result.cpuSeconds, wall: result.seconds, evalCpu: before === undefined ? Number.NaN : marks[steps] - before, out };
}

console.log(`demo-recipe: ${wanted.length} recipes × ${seeds.length} seed(s); work folder ${work}`);
const costs = {};
for (const name of wanted) {
  costs[name] = await stepCost(name);
  console.log(`${name}: ${(costs[name].cpu * 1000).toFixed(0)} ms CPU / step (${(costs[name].wall * 1000).toFixed(0)} ms wall, load ${loadavg()[0].toFixed(1)})`);
}
// The baseline's own evaluation cost sets how much of the budget the new demo's extra evaluations take.
const baseSteps = BASELINE.training.steps;
const base = costs.baseline ?? (await stepCost('baseline'));
const baseRun = await score('baseline', seeds[0], baseSteps);
const evalCpu = baseRun.evalCpu - 50 * base.cpu;
const budget = baseSteps * base.cpu - extraEvals * evalCpu;
console.log(`baseline: FID ${baseRun.fid.toFixed(2)}; one evaluation ≈ ${evalCpu.toFixed(1)} CPU-s; training budget ${budget.toFixed(0)} CPU-s`);

const rows = [];
for (const name of wanted) {
  const steps = name === 'baseline' ? baseSteps : Math.max(100, Math.round(budget / costs[name].cpu / 50) * 50);
  for (const seed of seeds) {
    const r = name === 'baseline' && seed === seeds[0] ? baseRun : await score(name, seed, steps);
    rows.push({ name, seed, steps, cost: costs[name], ...r });
    console.log(`${name} seed ${seed}: ${steps} steps, FID ${r.fid.toFixed(2)}, IS ${r.is.toFixed(2)}, ${r.cpu.toFixed(0)} CPU-s, ${r.wall.toFixed(0)} s`);
    rmSync(r.out, { recursive: true, force: true });
  }
}
rmSync(work, { recursive: true, force: true });

const patchText = (name) => (Object.keys(RECIPES[name]).length ? `\`${JSON.stringify(RECIPES[name])}\`` : 'the demo preset before this sweep');
const lines = [
  `## demo recipe: lowest MNIST FID for the demo's compute budget`,
  '',
  `Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), wasm backend with 2 conv threads; run ${new Date().toISOString()}, load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
  '',
  `Budget: the machine is shared, so each recipe's cost is its measured training CPU-seconds per step (user + system time of the`,
  `process, all threads; steps 20→80 of a timing run) rather than wall time. Steps = (baseline's ${baseSteps} steps × its cost − ${extraEvals} extra`,
  `evaluations × ${evalCpu.toFixed(1)} CPU-s each, which the new demo runs during training) / the recipe's cost, rounded to 50.`,
  `FID/IS: 5,000 samples of the EMA generator vs the 10k MNIST test digits (bundled classifier), as the demo prints; lower FID is better.`,
  `Each recipe is a patch over \`bench/demo-recipe/baseline.json\` (the demo preset before this sweep).`,
  '',
  '| recipe | patch | seed | ms CPU / step | steps | train+eval CPU-s | wall s | MNIST FID | MNIST IS |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${patchText(r.name)} | ${r.seed} | ${(r.cost.cpu * 1000).toFixed(0)} | ${r.steps} | ${r.cpu.toFixed(0)} | ${r.wall.toFixed(0)} | ${r.fid.toFixed(2)} | ${r.is.toFixed(2)} |`),
  '',
  `Command: \`${process.env.RECIPES ? `RECIPES=${process.env.RECIPES} ` : ''}${process.env.RECIPE_SEEDS ? `RECIPE_SEEDS=${process.env.RECIPE_SEEDS} ` : ''}node bench/demo-recipe/run.mjs\``,
  '',
];
mkdirSync(join(here, '..', 'results'), { recursive: true });
const outName = process.env.RECIPE_TABLE ?? 'demo-recipe.md';
writeFileSync(join(here, '..', 'results', outName), lines.join('\n'));
console.log(lines.join('\n'));
