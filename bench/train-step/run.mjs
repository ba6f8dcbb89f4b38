#!/usr/bin/env node
// bench/train-step: the trainer's REAL step (`train()` of @gankit/trainer, timed from its own per-step progress
// events) for the DCGAN 28×28 (batch 64) and DCGAN 32×32 (batch 128) on wasm (1 thread; 2 threads via
// enableWasmThreads in separate child processes), on the cpu backend (28×28 at batch 8, scaled), and PyTorch 1.13
// (torch_step.py: same architecture, Adam(2e-4, (0.5, 0.999)), 1 thread and the all-core count) — all in this one run.
// Also: sampling images/s (10k images, batch 500, 28×28 G), achieved GFLOP/s next to the wasm matmul rate, and a
// tf.profile of the trainer step (kernels of a (1+k)-step run minus a 1-step run). Needs the built packages
// (`pnpm build`). Usage: node bench/train-step/run.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { enableWasmThreads, initBackend, setWasmConvEngine, setWasmConvThreads, wasmThreadsCount, writePng } from '@gankit/core';
import { createGan } from '@gankit/models';
import { readPreset, train, validateConfig } from '@gankit/trainer';

const QUICK = process.argv.includes('--quick');
const here = fileURLToPath(new URL('.', import.meta.url));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The two benchmarked models: the shipped presets' DCGAN (architecture `dcgan`, width 64, latent 100). */
const MODELS = {
  m28: { id: 'm28', label: 'DCGAN 28×28×1 (mnist-dcgan preset)', size: 28, channels: 1, width: 64, latent: 100, batch: 64, steps: QUICK ? 4 : 8, warmup: 2 },
  m32: { id: 'm32', label: 'DCGAN 32×32×3 (folder-dcgan64 preset at 32×32)', size: 32, channels: 3, width: 64, latent: 100, batch: 128, steps: QUICK ? 3 : 5, warmup: 1 },
};
const CPU_BATCH = 8;
const SAMPLE = { id: 'm28', count: QUICK ? 2000 : 10000, batch: 500 };
const REPEATS = QUICK ? 1 : 2;

// ---- FLOPs (analytic; torch_step.py counts its own from forward hooks) ----------------------------------------

/** Multiply-adds per sample of each conv / convT / dense layer of gankit's dcgan G and D (k4 s2 'same' convs). */
function layerMacs(m) {
  const w = m.width;
  const k = 16;
  if (m.size === 28) {
    return {
      g: [m.latent * 7 * 7 * 4 * w, 7 * 7 * 4 * w * k * 2 * w, 14 * 14 * 2 * w * k * m.channels],
      d: [14 * 14 * w * k * m.channels, 7 * 7 * 2 * w * k * w, 7 * 7 * 2 * w],
    };
  }
  return {
    g: [m.latent * k * 4 * w, 4 * 4 * 4 * w * k * 2 * w, 8 * 8 * 2 * w * k * w, 16 * 16 * w * k * m.channels],
    d: [16 * 16 * w * k * m.channels, 8 * 8 * 2 * w * k * w, 4 * 4 * 4 * w * k * 2 * w, 4 * w * k],
  };
}

/** FLOPs of one D+G step with one shared G forward (same formula as torch_step.py's step_flops). */
function stepFlops(m, batch) {
  const { g, d } = layerMacs(m);
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return 2 * batch * (3 * sum(g) - g[0] + 8 * sum(d) - 2 * d[0]);
}

// ---- Child process jobs -----------------------------------------------------------------------------------

/** A 32×32 RGB PNG folder (random pixels) for the folder source of the 32×32 model. */
async function pngFolder(dir, count) {
  mkdirSync(dir, { recursive: true });
  const data = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j * 7) & 255;
    await writePng(join(dir, `img-${i}.png`), { width: 32, height: 32, channels: 3, data });
  }
}

/** The trainer config of a model: a shipped preset, with logging every step and no EMA/metric/disk extras. */
async function trainerConfig(m, backend, batch, steps, tmp) {
  const raw = await readPreset(m.size === 28 ? 'mnist-dcgan' : 'folder-dcgan64');
  if (m.size === 32) {
    const images = join(tmp, 'images');
    await pngFolder(images, Math.max(2 * batch, 64));
    raw.data = { ...raw.data, path: images, imageSize: 32, flip: false };
  } else {
    raw.data = { ...raw.data, limit: 4096 };
  }
  raw.backend = backend;
  raw.model = { architecture: 'dcgan', latentDim: m.latent, width: m.width };
  raw.training = { ...raw.training, steps, batchSize: batch, emaDecay: 0 };
  raw.logging = { logEvery: 1, sampleEvery: 1_000_000, checkpointEvery: 1_000_000, evalEvery: 0, metric: 'none', tensorboard: false, report: false, sampleCount: 16 };
  return validateConfig(raw, `bench ${m.id}`);
}

/**
 * "before" of the Sum/Mean change in packages/core/src/wasm-kernels/leading-axes-reduce.ts: the previous gankit kernel
 * (one row per pass over the float64 accumulators), re-registered over the current one for leading-axes float32 reductions.
 * Installed from the first progress event, i.e. after `train()`'s initBackend (which re-registers gankit's kernels).
 */
const stockReduce = {};
/** tfjs-backend-wasm's own Sum/Mean, captured before gankit replaces them (the old kernel's fallback). */
async function captureStockReduce() {
  await import('@tensorflow/tfjs-backend-wasm');
  for (const name of ['Sum', 'Mean']) stockReduce[name] = tf.getKernel(name, 'wasm');
}
function useOldLeadingAxesReduce() {
  for (const name of ['Sum', 'Mean']) {
    const current = tf.getKernel(name, 'wasm');
    if (current.kernelFunc.isOld) continue;
    const stock = stockReduce[name];
    const kernelFunc = (args) => {
      const x = args.inputs.x;
      const axes = tf.util.parseAxisParam(args.attrs.axis, x.shape).sort((a, b) => a - b);
      const count = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i) && x.dtype === 'float32' ? axes.length : 0;
      if (count === 0) return stock.kernelFunc(args);
      const rows = tf.util.sizeFromShape(x.shape.slice(0, count));
      const innerShape = x.shape.slice(count);
      const inner = tf.util.sizeFromShape(innerShape);
      const out = args.backend.makeOutput(args.attrs.keepDims ? [...x.shape.slice(0, count).map(() => 1), ...innerShape] : innerShape, 'float32');
      const src = args.backend.typedArrayFromHeap(x);
      const dst = args.backend.typedArrayFromHeap(out);
      const acc = new Float64Array(inner);
      for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < inner; j++, o++) acc[j] += src[o];
      const scale = name === 'Mean' ? 1 / rows : 1;
      for (let j = 0; j < inner; j++) dst[j] = acc[j] * scale;
      return out;
    };
    kernelFunc.isOld = true;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...current, kernelFunc });
  }
}

async function runTrain(m, backend, batch, steps, tmp, oldReduce = false) {
  const config = await trainerConfig(m, backend, batch, steps, tmp);
  const stepMs = [];
  const onProgress = (e) => {
    stepMs.push((batch * 1000) / e.imagesPerSec);
    if (oldReduce) useOldLeadingAxesReduce();
  };
  await train(config, { out: join(tmp, 'run'), force: true, onProgress });
  return stepMs;
}

function matmulGflops() {
  const n = 1024;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = () => {
    const start = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = performance.now() - start;
    c.dispose();
    return ms;
  };
  once();
  const ms = median(Array.from({ length: 5 }, once));
  tf.dispose([a, b]);
  return (2 * n * n * n) / (ms * 1e6);
}

/** Kernel ms by name of a `train()` run. */
async function profileRun(m, steps, tmp, oldReduce) {
  const config = await trainerConfig(m, 'wasm', m.batch, steps, tmp);
  const onProgress = () => oldReduce && useOldLeadingAxesReduce();
  await train(config, { out: join(tmp, 'warm-up'), force: true, onProgress });
  const stepMs = [];
  const info = await tf.profile(async () => {
    await train(config, { out: join(tmp, `prof-${steps}`), force: true, onProgress: (e) => (stepMs.push((m.batch * 1000) / e.imagesPerSec), onProgress()) });
    return tf.scalar(0);
  });
  const byKernel = new Map();
  // Ops that wrap other kernels (e.g. `fusedConv2d__op` around FusedConv2D) would count them twice.
  for (const k of info.kernels.filter((k) => !k.name.endsWith('__op'))) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + k.kernelTimeMs);
  return { byKernel, stepMs };
}

async function child(job) {
  const tmp = mkdtempSync(join(os.tmpdir(), 'gankit-train-step-'));
  try {
    const m = MODELS[job.model];
    if (job.oldReduce) await captureStockReduce();
    if (job.threads > 1) await enableWasmThreads(job.threads);
    if (job.convEngine) setWasmConvEngine(job.convEngine);
    if (job.convThreads) await setWasmConvThreads(job.convThreads);
    if (job.kind === 'train') {
      const stepMs = await runTrain(m, job.backend, job.batch, job.steps, tmp, job.oldReduce);
      const wasm = job.backend === 'wasm';
      return { stepMs: stepMs.slice(job.warmup), threads: wasm ? wasmThreadsCount() : undefined, matmulGflops: wasm ? matmulGflops() : undefined };
    }
    await initBackend({ backend: 'wasm' });
    if (job.kind === 'sample') {
      const { generator } = createGan({ architecture: 'dcgan', imageShape: [m.size, m.size, m.channels], latentDim: m.latent, width: m.width, seed: 0 });
      const batchOf = (n) => tf.tidy(() => generator.apply(tf.randomNormal([n, m.latent]), { training: false }));
      tf.dispose(batchOf(job.batch));
      const start = performance.now();
      for (let done = 0; done < job.count; done += job.batch) {
        const images = batchOf(Math.min(job.batch, job.count - done));
        await images.data();
        images.dispose();
      }
      const seconds = (performance.now() - start) / 1000;
      generator.dispose();
      return { seconds, imagesPerSec: job.count / seconds, matmulGflops: matmulGflops() };
    }
    if (job.kind === 'profile') {
      const one = await profileRun(m, 1, tmp, job.oldReduce);
      const many = await profileRun(m, 1 + job.steps, tmp, job.oldReduce);
      const perStep = [...many.byKernel.entries()].map(([name, ms]) => [name, (ms - (one.byKernel.get(name) ?? 0)) / job.steps]).sort((a, b) => b[1] - a[1]);
      return { perStep, stepMs: median(many.stepMs.slice(1)) };
    }
    throw new Error(`unknown job ${job.kind}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) {
  const result = await child(JSON.parse(process.argv[childArg + 1]));
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ---- Parent: run everything side by side --------------------------------------------------------------------

function spawnChild(job, timeoutMs = 900_000) {
  const started = performance.now();
  const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) {
    const why = res.error?.code === 'ETIMEDOUT' ? `timed out after ${(timeoutMs / 1000).toFixed(0)} s` : (res.stderr || res.stdout || 'no output').trim().split('\n').slice(-3).join(' | ');
    console.error(`child ${JSON.stringify(job)} failed: ${why}`);
    return { error: why, seconds };
  }
  return { ...JSON.parse(line.slice('@@RESULT '.length)), seconds };
}

function runTorch(threads, sample) {
  const spec = { threads, models: Object.values(MODELS), ...(sample && { sample: SAMPLE }), repeats: 1 };
  const res = spawnSync('/usr/bin/python3', [join(here, 'torch_step.py'), JSON.stringify(spec)], { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`torch_step.py failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

const log = (s = '') => {
  lines.push(s);
  console.log(s);
};
const lines = [];
const loads = [os.loadavg()[0]];
const started = new Date();

// wasm 1 and 2 threads and PyTorch 1 thread, interleaved processes so all see similar load.
const wasm = { m28: { 1: [], 2: [] }, m32: { 1: [], 2: [] } };
const torchRuns = [];
for (let r = 0; r < REPEATS; r++) {
  torchRuns.push(runTorch([1], r === 0));
  for (const id of ['m28', 'm32']) {
    const m = MODELS[id];
    for (const threads of [1, 2]) {
      const out = spawnChild({ kind: 'train', model: id, backend: 'wasm', threads, batch: m.batch, steps: m.steps + m.warmup, warmup: m.warmup });
      wasm[id][threads].push(out);
      console.error(`wasm ${id} ${threads}t: ${out.error ?? `median ${median(out.stepMs).toFixed(0)} ms (pool ${out.threads}), matmul ${out.matmulGflops.toFixed(1)} GFLOP/s`}`);
    }
  }
}
loads.push(os.loadavg()[0]);
torchRuns.push(runTorch([0], true));
const torchMatmul1 = median(torchRuns.flatMap((t) => t.matmul).filter((x) => x.threads === '1').map((x) => x.gflops));
const torch = { ...torchRuns[0], train: torchRuns.flatMap((t) => t.train), sample: torchRuns.flatMap((t) => t.sample), matmul: torchRuns.flatMap((t) => t.matmul) };
console.error(`torch done: ${torch.train.map((t) => `${t.id}/${t.threads}: ${median(t.stepMs).toFixed(0)}`).join(', ')}`);
loads.push(os.loadavg()[0]);
const cpuTimeout = QUICK ? 1000 : 90_000;
const cpu = spawnChild({ kind: 'train', model: 'm28', backend: 'cpu', threads: 1, batch: CPU_BATCH, steps: 1, warmup: 0 }, cpuTimeout);
console.error(`cpu m28: ${cpu.error ?? median(cpu.stepMs).toFixed(0)}`);
const samples = Array.from({ length: REPEATS }, () => spawnChild({ kind: 'sample', model: 'm28', threads: 1, ...SAMPLE }));
const PROFILE_STEPS = QUICK ? 2 : 4;
const profile = spawnChild({ kind: 'profile', model: 'm28', threads: 1, steps: PROFILE_STEPS });
// Before/after of the Sum/Mean change in core (alternating processes, 28×28, 1 thread).
const reduceAB = { before: [], after: [] };
for (let r = 0; r < REPEATS; r++) {
  for (const variant of ['before', 'after']) {
    const m = MODELS.m28;
    reduceAB[variant].push(spawnChild({ kind: 'train', model: 'm28', backend: 'wasm', threads: 1, batch: m.batch, steps: m.steps + m.warmup, warmup: m.warmup, oldReduce: variant === 'before' }));
  }
}
const profileBefore = spawnChild({ kind: 'profile', model: 'm28', threads: 1, steps: PROFILE_STEPS, oldReduce: true });
loads.push(os.loadavg()[0]);

// ---- Tables ------------------------------------------------------------------------------------------------

const fmt = (x) => (x === undefined || Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const allSteps = (outs) => outs.filter((o) => !o.error).flatMap((o) => o.stepMs);
const torchRows = (id) => {
  const byThreads = new Map();
  for (const t of torch.train.filter((t) => t.id === id)) byThreads.set(t.threads, [...(byThreads.get(t.threads) ?? []), ...t.stepMs]);
  return [...byThreads.entries()].map(([threads, ms]) => ({ threads, ms: median(ms) }));
};
const matmulAll = Object.values(wasm).flatMap((byT) => byT[1].filter((o) => !o.error).map((o) => o.matmulGflops));
const matmul1 = median(matmulAll);
const matmul2 = median(Object.values(wasm).flatMap((byT) => byT[2].filter((o) => !o.error).map((o) => o.matmulGflops)));

log('# Trainer step: gankit `train()` on wasm / cpu vs PyTorch CPU (DCGAN, D step + G step)');
log();
log(`Machine: ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} logical cores, Node ${process.version}, tfjs ${tf.version_core}; PyTorch ${torch.torch} (default thread count ${torch.defaultThreads}). ` +
  `Load average (1 min) at start / after the interleaved wasm + PyTorch 1-thread rounds / after PyTorch all-core / end: ${loads.map((l) => l.toFixed(1)).join(' / ')} (shared machine: compare ratios within a run, not absolute times). Date: ${started.toISOString()}.`);
log();
log(`Command: \`pnpm build && node bench/train-step/run.mjs${QUICK ? ' --quick' : ''}\` (every row measured in this one run).`);
log();
log('gankit rows time the trainer\'s real loop: `train(config, { onProgress })` from `@gankit/trainer` with a shipped preset (`mnist-dcgan`; `folder-dcgan64` at 32×32 on a folder of random 32×32 PNGs), ' +
  'logging every step, and ms/step = batch / the images/s the trainer reports for that step (data pipeline, the shared-G-forward D+G step and the read-back of the losses included). ' +
  `EMA, metric evaluation, TensorBoard and report are off; the first ${MODELS.m28.warmup} (28×28) / ${MODELS.m32.warmup} (32×32) steps of each process are dropped. ` +
  `Medians over ${REPEATS} processes × ${MODELS.m28.steps} (28×28) / ${MODELS.m32.steps} (32×32) steps; PyTorch 1 thread: ${REPEATS} processes interleaved with the wasm ones, the same step counts after warm-up, fed a fixed random batch (all-core row: 1 process). ` +
  'Architecture (both sides): `dcgan`, width 64, z 100, 4×4 kernels, batch norm. 28×28: G dense → 7×7×256 → convT 128 → convT 1, D conv 64 → conv 128 → dense 1. 32×32: G convT 256 (4×4 valid) → 128 → 64 → 3, D conv 64 → 128 → 256 → conv 1 (4×4 valid). ' +
  'Note: the issue\'s 28×28 net (G 7×7×128 → convT 64; D conv 64 → conv 128) has a G of width 32 and a D of width 64; the trainer has one `model.width` for both, so no preset gives exactly it — the rows use the shipped preset (width 64: the issue\'s D, a G twice as wide).');
log();
log('GFLOP/s = conv/matmul FLOPs a step needs (counted analytically from the layer shapes in run.mjs, and independently from forward hooks in torch_step.py; G forward once, D forward on real + fake, D dW/dX, D forward + dX for the G step, G dW/dX; no D dW in the G step) / step time.');
log();
log(`wasm matmul 1024×1024×1024 in this run (median of the wasm child processes): **${fmt(matmul1)} GFLOP/s** with 1 thread, ${fmt(matmul2)} GFLOP/s with 2 threads. ` +
  `PyTorch's own 1024³ matmul in this run: ${fmt(torchMatmul1)} GFLOP/s with 1 thread (median of ${REPEATS} processes), ${torch.matmul.filter((x) => x.threads !== '1').map((x) => `${fmt(x.gflops)} GFLOP/s with ${x.threads} threads`).join(', ')}.`);
log();
log('| model | batch | engine | ms/step (median) | vs PyTorch 1 thread | GFLOP/s | vs wasm matmul (1 thread) |');
log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
const summary = {};
for (const id of ['m28', 'm32']) {
  const m = MODELS[id];
  const flops = stepFlops(m, m.batch);
  const torchFlops = torch.train.find((t) => t.id === id)?.flops;
  if (torchFlops !== undefined && Math.abs(torchFlops - flops) > 1e-6 * flops) console.error(`FLOP counts differ for ${id}: run.mjs ${flops}, torch_step.py ${torchFlops}`);
  const trows = torchRows(id);
  const t1 = trows[0]?.ms;
  const row = (engine, ms, batch = m.batch, note = '') => {
    const gflops = ms ? stepFlops(m, batch) / (ms * 1e6) : undefined;
    log(`| ${m.label} | ${batch}${note} | ${engine} | ${fmt(ms)} | ${ms && t1 ? `${(ms / t1).toFixed(2)}×` : '—'} | ${fmt(gflops)} | ${gflops ? `${((100 * gflops) / matmul1).toFixed(0)}%` : '—'} |`);
  };
  const w1 = median(allSteps(wasm[id][1]));
  const w2 = median(allSteps(wasm[id][2]));
  const pools = [...new Set(wasm[id][2].map((o) => o.threads))].join(', ');
  row('gankit wasm, 1 thread', w1);
  row(`gankit wasm, 2 threads (enableWasmThreads(2); pool reports ${pools})`, w2);
  if (id === 'm28') {
    if (cpu.error) log(`| ${m.label} | ${CPU_BATCH} | gankit cpu backend | skipped: one step at batch ${CPU_BATCH} (plus setup) ${cpu.error.startsWith('timed out') ? `did not finish in ${cpuTimeout / 1000} s` : `failed: ${cpu.error}`} | — | — | — |`);
    else {
      const ms = median(cpu.stepMs);
      row(`gankit cpu backend (batch ${CPU_BATCH}: ${fmt(ms)} ms, scaled ×${m.batch / CPU_BATCH})`, (ms * m.batch) / CPU_BATCH);
    }
  } else {
    log(`| ${m.label} | ${m.batch} | gankit cpu backend | skipped: its 16×16×128↔8×8×256 filter gradient alone takes > 1 min at batch 2 (bench/results/kernels.md) | — | — | — |`);
  }
  for (const t of trows) row(`PyTorch CPU, ${t.threads} thread${t.threads === '1' ? '' : 's'}`, t.ms);
  summary[id] = { w1, w2, t1, flops };
}
log();
const perProcess = (outs) => outs.map((o) => (o.error ? 'failed' : fmt(median(o.stepMs)))).join(', ');
const torchPerProcess = (id) => torchRuns.slice(0, REPEATS).map((t) => fmt(median(t.train.find((x) => x.id === id)?.stepMs ?? []))).join(', ');
for (const id of ['m28', 'm32']) {
  log(`Per-process medians, ${MODELS[id].label}: wasm 1 thread ${perProcess(wasm[id][1])} ms; wasm 2 threads ${perProcess(wasm[id][2])} ms; PyTorch 1 thread ${torchPerProcess(id)} ms.`);
  log();
}
log('PyTorch with 2 threads on this loaded 2-core machine is far slower than with 1: its OpenMP threads wait for each other whenever one of them loses its core to another process.');
log();
log('## Sampling: 10k images from the 28×28 generator (batch 500, inference mode, images read back to the host)');
log();
log('| engine | images/s | seconds | vs PyTorch 1 thread |');
log('| --- | ---: | ---: | ---: |');
const sampleOk = samples.filter((s) => !s.error);
const tSample1 = torch.sample[0]?.imagesPerSec;
const sampleWasm = median(sampleOk.map((s) => s.imagesPerSec));
log(`| gankit wasm, 1 thread (median of ${sampleOk.length} processes) | ${fmt(sampleWasm)} | ${fmt(SAMPLE.count / sampleWasm)} | ${(sampleWasm / tSample1).toFixed(2)}× |`);
for (const s of torch.sample) log(`| PyTorch CPU, ${s.threads} thread${s.threads === '1' ? '' : 's'} | ${fmt(s.imagesPerSec)} | ${fmt(s.seconds)} | ${(s.imagesPerSec / tSample1).toFixed(2)}× |`);
log();
log('Inception feature extraction images/s next to PyTorch is measured by bench/metrics/extract.mjs: see `bench/results/extract.md`.');
log();
log(`## Where the wasm trainer step (28×28, batch 64, 1 thread) spends its time`);
log();
if (profile.error) log(`profile failed: ${profile.error}`);
else {
  const total = profile.perStep.reduce((a, [, ms]) => a + Math.max(0, ms), 0);
  log(`tf.profile of \`train()\` (after a warm-up run in the same process): kernel ms of a ${1 + PROFILE_STEPS}-step run minus a 1-step run, per step (wall time of each kernel). ` +
    `The profiled steps took ${fmt(profile.stepMs)} ms (median, profiler on; load ${loads.at(-1).toFixed(1)}), of which the kernels below ${fmt(profile.perStep.reduce((a, [, ms]) => a + Math.max(0, ms), 0))} ms; the rest is outside kernels (JS autodiff, Layers bookkeeping, data pipeline, loss read-back).`);
  log();
  log('| kernel | ms/step | share |');
  log('| --- | ---: | ---: |');
  for (const [name, ms] of profile.perStep.slice(0, 15)) log(`| ${name} | ${fmt(ms)} | ${((100 * ms) / total).toFixed(0)}% |`);
  log(`| (all ${profile.perStep.length} kernels) | ${fmt(total)} | 100% |`);
  summary.profileTotal = total;
  const GEMM = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', '_FusedMatMul', 'MatMul'];
  const gemmMs = profile.perStep.filter(([name]) => GEMM.includes(name)).reduce((a, [, ms]) => a + ms, 0);
  const s = summary.m28;
  const floorMs = s.flops / (matmul1 * 1e6);
  const torchGflops = s.flops / (s.t1 * 1e6);
  log();
  log('## What bounds the ratio (28×28, batch 64, 1 thread; all numbers from this run)');
  log();
  log(`- The step needs ${(s.flops / 1e9).toFixed(1)} GFLOP of conv/matmul work. PyTorch does it in ${fmt(s.t1)} ms: **${fmt(torchGflops)} GFLOP/s**, ` +
    `${(torchGflops / matmul1).toFixed(1)}× the ${fmt(matmul1)} GFLOP/s a 1024³ matmul reaches on wasm (XNNPACK, 128-bit wasm SIMD) — PyTorch's native oneDNN/MKL kernels use the CPU's full vector width (its own 1024³ matmul: ${fmt(torchMatmul1)} GFLOP/s).`);
  const floorRatio = floorMs / s.t1;
  const neededGflops = s.flops / (1.5 * s.t1 * 1e6);
  log(`- So even a wasm step that ran every FLOP at the matmul rate and nothing else would take ${fmt(floorMs)} ms = **${floorRatio.toFixed(2)}× PyTorch** in this run. ` +
    (floorRatio > 1.5
      ? 'That floor alone is above 1.5×: the goal is out of reach for single-threaded wasm on this CPU, whatever the kernels do.'
      : `1.5× (${fmt(1.5 * s.t1)} ms) would need the whole step at ${fmt(neededGflops)} GFLOP/s = ${((100 * neededGflops) / matmul1).toFixed(0)}% of the wasm matmul rate, i.e. every kernel but the GEMMs and all JS overhead nearly free; the step reaches ${((100 * s.flops) / (s.w1 * 1e6) / matmul1).toFixed(0)}% (below).`) +
    ` PyTorch's step time moves with the machine's load more than wasm's (per-process medians under the first table), and this floor ratio with it.`);
  log(`- Inside the measured step, the conv/matmul kernels (${GEMM.filter((n) => profile.perStep.some(([k]) => k === n)).join(', ')}) take ${fmt(gemmMs)} ms/step, i.e. ${fmt(s.flops / (gemmMs * 1e6))} GFLOP/s = ${((100 * s.flops) / (gemmMs * 1e6) / matmul1).toFixed(0)}% of the wasm matmul rate; ` +
    `all other kernels (batch norm, activations, losses, Adam updates) ${fmt(total - gemmMs)} ms; the rest of the profiled ${fmt(profile.stepMs)} ms step (${fmt(profile.stepMs - total)} ms) is outside kernels (JS autodiff and Layers bookkeeping, the data pipeline, reading back the losses).`);
  log(`- A second thread (enableWasmThreads(2)) would lift the ceiling, but on this shared machine (load ${loads.map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores) there is no idle core: the 2-thread rows above are not faster (matmul ${fmt(matmul2)} vs ${fmt(matmul1)} GFLOP/s).`);
}
log();
log('## Change in core: Sum/Mean over leading axes (packages/core/src/wasm-kernels/leading-axes-reduce.ts)');
log();
log('The profile showed gankit\'s Sum/Mean kernel (batch-norm statistics and gradients, bias gradients: a reduction over [batch, height, width] of NHWC) at ~3–4 ns per element: one row per pass over the float64 accumulators. ' +
  'It now adds eight rows per pass (pairwise, still float64). "before" re-registers the previous loop over the current kernel in the same build (bench/train-step/run.mjs `useOldLeadingAxesReduce`); processes alternate before/after.');
log();
const reduceMs = (p) => (p.error ? undefined : p.perStep.filter(([n]) => n === 'Sum' || n === 'Mean').reduce((a, [, ms]) => a + ms, 0));
const abStep = (v) => median(allSteps(reduceAB[v]));
log('| 28×28 trainer step, wasm 1 thread | before | after | speed-up |');
log('| --- | ---: | ---: | ---: |');
log(`| Sum + Mean kernel ms/step (tf.profile) | ${fmt(reduceMs(profileBefore))} | ${fmt(reduceMs(profile))} | ${(reduceMs(profileBefore) / reduceMs(profile)).toFixed(1)}× |`);
log(`| step ms (median of ${REPEATS} processes × ${MODELS.m28.steps} steps each) | ${fmt(abStep('before'))} | ${fmt(abStep('after'))} | ${(abStep('before') / abStep('after')).toFixed(2)}× |`);
log();
console.error(JSON.stringify({ summary, loads }));

const outDir = join(here, '..', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, QUICK ? 'train-step.quick.md' : 'train-step.md'), `${lines.join('\n')}\n`);
