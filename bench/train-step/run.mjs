#!/usr/bin/env node
// bench/train-step: the trainer's REAL step (`train()` of @gankit/trainer, timed from its own per-step progress
// events) for the DCGAN 28×28 (batch 64) and DCGAN 32×32 (batch 128) on wasm (gankit's GEMM convs on 1 and 2
// threads, and the XNNPACK convs they replaced), on the cpu backend (28×28 at batch 8, scaled), and PyTorch 1.13
// (torch_step.py: same architecture, Adam(2e-4, (0.5, 0.999)), 1 and 2 threads, and 1 thread restricted to 128-bit
// vectors) — all in this one run. Also: sampling images/s (10k images, batch 500, 28×28 G), achieved GFLOP/s next to
// the matmul rates, and a tf.profile of the trainer step per engine (kernels of a (1+k)-step run minus a 1-step run). Needs the built packages
// (`pnpm build`). Usage: node bench/train-step/run.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { configureWasm, initBackend, wasmConfig } from '@gankit/backend-wasm';
import { writePng } from '@gankit/core/node';
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
  m28i: { id: 'm28i', label: "DCGAN 28×28×1, the issue's net (G width 32, D width 64)", size: 28, channels: 1, width: 64, gWidth: 32, dWidth: 64, latent: 100, batch: 64, steps: QUICK ? 4 : 8, warmup: 2 },
  m32: { id: 'm32', label: 'DCGAN 32×32×3 (folder-dcgan64 preset at 32×32)', size: 32, channels: 3, width: 64, latent: 100, batch: 128, steps: QUICK ? 3 : 5, warmup: 1 },
};
const CPU_BATCH = 8;
const SAMPLE = { id: 'm28', count: QUICK ? 2000 : 10000, batch: 500 };
const REPEATS = QUICK ? 1 : 2;

// ---- FLOPs (analytic; torch_step.py counts its own from forward hooks) ----------------------------------------

/** Multiply-adds per sample of each conv / convT / dense layer of gankit's dcgan G and D (k4 s2 'same' convs). */
function layerMacs(m) {
  const [g, d] = [m.gWidth ?? m.width, m.dWidth ?? m.width];
  const k = 16;
  if (m.size === 28) {
    return {
      g: [m.latent * 7 * 7 * 4 * g, 7 * 7 * 4 * g * k * 2 * g, 14 * 14 * 2 * g * k * m.channels],
      d: [14 * 14 * d * k * m.channels, 7 * 7 * 2 * d * k * d, 7 * 7 * 2 * d],
    };
  }
  return {
    g: [m.latent * k * 4 * g, 4 * 4 * 4 * g * k * 2 * g, 8 * 8 * 2 * g * k * g, 16 * 16 * g * k * m.channels],
    d: [16 * 16 * d * k * m.channels, 8 * 8 * 2 * d * k * d, 4 * 4 * 4 * d * k * 2 * d, 4 * d * k],
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
async function trainerConfig(m, backend, batch, steps, tmp, threads = 1) {
  const raw = await readPreset(m.size === 28 ? 'mnist-dcgan' : 'folder-dcgan64');
  if (m.size === 32) {
    const images = join(tmp, 'images');
    await pngFolder(images, Math.max(2 * batch, 64));
    raw.data = { ...raw.data, path: images, imageSize: 32, flip: false };
  } else {
    raw.data = { ...raw.data, limit: 4096 };
  }
  raw.backend = backend;
  raw.threads = threads;
  raw.model = { architecture: 'dcgan', latentDim: m.latent, width: m.width, ...(m.gWidth && { generatorWidth: m.gWidth }), ...(m.dWidth && { discriminatorWidth: m.dWidth }) };
  raw.training = { ...raw.training, steps, batchSize: batch, emaDecay: 0 };
  raw.logging = { logEvery: 1, sampleEvery: 1_000_000, checkpointEvery: 1_000_000, evalEvery: 0, metric: 'none', tensorboard: false, report: false, sampleCount: 16 };
  return validateConfig(raw, `bench ${m.id}`);
}

async function runTrain(m, backend, batch, steps, tmp, threads) {
  const config = await trainerConfig(m, backend, batch, steps, tmp, threads);
  const stepMs = [];
  const onProgress = (e) => stepMs.push((batch * 1000) / e.imagesPerSec);
  await train(config, { out: join(tmp, 'run'), force: true, onProgress });
  return stepMs;
}

/** 1024³ matmul GFLOP/s with gankit's GEMM (at the current thread count) and with XNNPACK (tfjs's own, 1 thread). */
async function matmulRates() {
  const engine = wasmConfig().convEngine;
  const rates = {};
  for (const e of ['gemm', 'xnnpack']) {
    await configureWasm({ convEngine: e });
    rates[e] = matmulGflops();
  }
  await configureWasm({ convEngine: engine });
  return rates;
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
async function profileRun(m, steps, tmp, threads) {
  const config = await trainerConfig(m, 'wasm', m.batch, steps, tmp, threads);
  await train(config, { out: join(tmp, 'warm-up'), force: true });
  const stepMs = [];
  const info = await tf.profile(async () => {
    await train(config, { out: join(tmp, `prof-${steps}`), force: true, onProgress: (e) => stepMs.push((m.batch * 1000) / e.imagesPerSec) });
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
    const threads = job.threads ?? 1;
    await configureWasm({ ...(job.convEngine && { convEngine: job.convEngine }), ...job.wasm });
    if (job.kind === 'train') {
      const stepMs = await runTrain(m, job.backend, job.batch, job.steps, tmp, threads);
      const wasm = job.backend === 'wasm';
      return { stepMs: stepMs.slice(job.warmup), threads: wasm ? wasmConfig().threads : undefined, fma: wasmConfig().fma, matmul: wasm ? await matmulRates() : undefined };
    }
    await initBackend({ backend: 'wasm', threads });
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
      return { seconds, imagesPerSec: job.count / seconds };
    }
    if (job.kind === 'profile') {
      const one = await profileRun(m, 1, tmp, threads);
      const many = await profileRun(m, 1 + job.steps, tmp, threads);
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
  const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ...job.env } });
  const seconds = (performance.now() - started) / 1000;
  const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) {
    const why = res.error?.code === 'ETIMEDOUT' ? `timed out after ${(timeoutMs / 1000).toFixed(0)} s` : (res.stderr || res.stdout || 'no output').trim().split('\n').slice(-3).join(' | ');
    console.error(`child ${JSON.stringify(job)} failed: ${why}`);
    return { error: why, seconds };
  }
  return { ...JSON.parse(line.slice('@@RESULT '.length)), seconds };
}

/** PyTorch restricted to 128-bit vectors, the width of wasm SIMD: oneDNN SSE4.1, ATen's default (non-AVX) kernels, OpenBLAS's Nehalem kernels. */
const TORCH_128_BIT = { DNNL_MAX_CPU_ISA: 'SSE41', ATEN_CPU_CAPABILITY: 'default', OPENBLAS_CORETYPE: 'Nehalem' };

function runTorch(threads, sample, env = {}) {
  const spec = { threads, models: Object.values(MODELS), ...(sample && { sample: SAMPLE }), repeats: 1 };
  const res = spawnSync(process.env.GANKIT_PYTHON || '/usr/bin/python3', [join(here, 'torch_step.py'), JSON.stringify(spec)], { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 << 20, env: { ...process.env, ...env } });
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

// ---- Parent: every engine side by side, interleaved processes so all see similar load -------------------------

/** gankit's configurations: the default (gankit GEMM convs) on 1 and 2 threads, and the XNNPACK convs it replaced. */
const ENGINES = [
  { key: 'gemm1', label: 'gankit wasm, GEMM convs (default), 1 thread', convEngine: 'gemm', threads: 1 },
  { key: 'gemm2', label: 'gankit wasm, GEMM convs (default), 2 threads', convEngine: 'gemm', threads: 2 },
  // "before" = an earlier landing: XNNPACK convs and wasm's own element-wise kernels (configureWasm({ elementwise: false })).
  { key: 'xnn1', label: 'gankit wasm before: XNNPACK convs, wasm element-wise kernels, 1 thread', convEngine: 'xnnpack', threads: 1, wasm: { elementwise: false } },
];
const MODEL_IDS = Object.keys(MODELS);
const runs = Object.fromEntries(MODEL_IDS.map((id) => [id, Object.fromEntries(ENGINES.map((e) => [e.key, []]))]));
const torchRuns = [];
for (let r = 0; r < REPEATS; r++) {
  torchRuns.push(runTorch([1, 2], r === 0));
  for (const id of MODEL_IDS) {
    const m = MODELS[id];
    for (const e of ENGINES) {
      const out = spawnChild({ kind: 'train', model: id, backend: 'wasm', convEngine: e.convEngine, threads: e.threads, wasm: e.wasm, batch: m.batch, steps: m.steps + m.warmup, warmup: m.warmup });
      runs[id][e.key].push(out);
      console.error(`${id} ${e.key}: ${out.error ?? `median ${median(out.stepMs).toFixed(0)} ms (threads ${out.threads}, fma ${out.fma}), matmul ${JSON.stringify(out.matmul)}`}`);
    }
  }
}
loads.push(os.loadavg()[0]);
const torch128 = runTorch([1], false, TORCH_128_BIT);
const torch = { ...torchRuns[0], train: torchRuns.flatMap((t) => t.train), matmul: torchRuns.flatMap((t) => t.matmul) };
console.error(`torch done: ${torch.train.map((t) => `${t.id}/${t.threads}: ${median(t.stepMs).toFixed(0)}`).join(', ')}`);
const cpuTimeout = QUICK ? 1000 : 90_000;
const cpu = spawnChild({ kind: 'train', model: 'm28', backend: 'cpu', threads: 1, batch: CPU_BATCH, steps: 1, warmup: 0 }, cpuTimeout);
console.error(`cpu m28: ${cpu.error ?? median(cpu.stepMs).toFixed(0)}`);
const samples = Object.fromEntries(ENGINES.map((e) => [e.key, Array.from({ length: REPEATS }, () => spawnChild({ kind: 'sample', model: 'm28', convEngine: e.convEngine, threads: e.threads, wasm: e.wasm, ...SAMPLE }))]));
const PROFILE_STEPS = QUICK ? 2 : 4;
const profiles = Object.fromEntries(ENGINES.map((e) => [e.key, spawnChild({ kind: 'profile', model: 'm28', convEngine: e.convEngine, threads: e.threads, wasm: e.wasm, steps: PROFILE_STEPS })]));
loads.push(os.loadavg()[0]);

// ---- Tables ------------------------------------------------------------------------------------------------

const fmt = (x) => (x === undefined || Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
const ok = (outs) => outs.filter((o) => !o.error);
const allSteps = (outs) => ok(outs).flatMap((o) => o.stepMs);
const torchMs = (id, threads, source = torch) => median(source.train.filter((t) => t.id === id && t.threads === String(threads)).flatMap((t) => t.stepMs));
const torchMatmul = (threads) => median(torch.matmul.filter((x) => x.threads === String(threads)).map((x) => x.gflops));
const wasmOuts = Object.values(runs).flatMap((byEngine) => Object.entries(byEngine)).flatMap(([key, outs]) => ok(outs).map((o) => ({ key, ...o })));
const gemmRate = (threads) => median(wasmOuts.filter((o) => o.threads === threads && o.key.startsWith('gemm')).map((o) => o.matmul.gemm));
const xnnRate = median(wasmOuts.filter((o) => o.threads === 1).map((o) => o.matmul.xnnpack));
const rate = { 1: gemmRate(1), 2: gemmRate(2) };
const fma = wasmOuts.some((o) => o.fma);

log('# Trainer step: gankit `train()` on wasm / cpu vs PyTorch CPU (DCGAN, D step + G step)');
log();
log(`Machine: ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} logical cores (AVX-512), Node ${process.version}, tfjs ${tf.version_core}; PyTorch ${torch.torch} (default thread count ${torch.defaultThreads}). ` +
  `Load average (1 min) at start / after the interleaved gankit + PyTorch rounds / end: ${loads.map((l) => l.toFixed(1)).join(' / ')}. Date: ${started.toISOString()}.`);
log();
log(`Command: \`pnpm build && node bench/train-step/run.mjs${QUICK ? ' --quick' : ''}\` (every number below is from this one run).`);
log();
log('gankit rows time the trainer\'s real loop: `train(config, { onProgress })` from `@gankit/trainer` with a shipped preset (`mnist-dcgan`; `folder-dcgan64` at 32×32 on a folder of random 32×32 PNGs), ' +
  'logging every step; ms/step = batch / the images/s the trainer reports for that step (data pipeline, the shared-G-forward D+G step and the read-back of the losses included). ' +
  `EMA, metric evaluation, TensorBoard and report are off; the first ${MODELS.m28.warmup} (28×28) / ${MODELS.m32.warmup} (32×32) steps of each process are dropped. ` +
  `Medians over ${REPEATS} processes × ${MODELS.m28.steps} (28×28) / ${MODELS.m32.steps} (32×32) steps per row; PyTorch (torch_step.py, fed a fixed random batch, the same step counts after warm-up) runs in the same rounds, interleaved. ` +
  'Architecture (both sides): `dcgan`, width 64, z 100, 4×4 kernels, batch norm. 28×28: G dense → 7×7×256 → convT 128 → convT 1, D conv 64 → conv 128 → dense 1. 32×32: G convT 256 (4×4 valid) → 128 → 64 → 3, D conv 64 → 128 → 256 → conv 1 (4×4 valid). ' +
  "The issue's own 28×28 net (G dense → 7×7×128 → convT 64 → convT 1, D conv 64 → conv 128 → dense) is the preset with `model.generatorWidth: 32, discriminatorWidth: 64`.");
log();
log('GFLOP/s = conv/matmul FLOPs a step needs (counted from the layer shapes in run.mjs, and independently from forward hooks in torch_step.py) / step time.');
log();
log(`1024³ matmul in this run (the ceilings): gankit's GEMM (wasm SIMD128, ${fma ? 'relaxed-SIMD fused multiply-add' : 'mul + add'}) **${fmt(rate[1])} GFLOP/s** on 1 thread, ${fmt(rate[2])} on 2; ` +
  `tfjs-backend-wasm's own (XNNPACK) ${fmt(xnnRate)} on 1 thread; PyTorch ${fmt(torchMatmul(1))} on 1 thread, ${fmt(torchMatmul(2))} on 2 (AVX-512), ` +
  `${fmt(median(torch128.matmul.map((x) => x.gflops)))} when restricted to 128-bit vectors.`);
log();
log('| model | batch | engine | ms/step (median) | vs PyTorch 1 thread | vs PyTorch, same threads | GFLOP/s | share of its matmul ceiling |');
log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
const summary = {};
for (const id of MODEL_IDS) {
  const m = MODELS[id];
  const flops = stepFlops(m, m.batch);
  const torchFlops = torch.train.find((t) => t.id === id)?.flops;
  if (torchFlops !== undefined && Math.abs(torchFlops - flops) > 1e-6 * flops) console.error(`FLOP counts differ for ${id}: run.mjs ${flops}, torch_step.py ${torchFlops}`);
  const t = { 1: torchMs(id, 1), 2: torchMs(id, 2) };
  const row = (engine, ms, { threads, ceiling, batch = m.batch } = {}) => {
    const gflops = ms ? stepFlops(m, batch) / (ms * 1e6) : undefined;
    log(`| ${m.label} | ${batch} | ${engine} | ${fmt(ms)} | ${ratio(ms, t[1])} | ${threads ? ratio(ms, t[threads]) : '—'} | ${fmt(gflops)} | ${gflops && ceiling ? `${((100 * gflops) / ceiling).toFixed(0)}%` : '—'} |`);
  };
  summary[id] = { flops, t };
  for (const e of ENGINES) {
    const ms = median(allSteps(runs[id][e.key]));
    summary[id][e.key] = ms;
    row(e.label, ms, { threads: e.threads, ceiling: e.convEngine === 'gemm' ? rate[e.threads] : xnnRate });
  }
  if (id === 'm28') {
    if (cpu.error) log(`| ${m.label} | ${CPU_BATCH} | gankit cpu backend | skipped: one step at batch ${CPU_BATCH} ${cpu.error.startsWith('timed out') ? `did not finish in ${cpuTimeout / 1000} s` : `failed: ${cpu.error}`} | — | — | — | — |`);
    else row(`gankit cpu backend (batch ${CPU_BATCH}: ${fmt(median(cpu.stepMs))} ms, scaled ×${m.batch / CPU_BATCH})`, (median(cpu.stepMs) * m.batch) / CPU_BATCH, { threads: 1 });
  } else if (id === 'm32') {
    log(`| ${m.label} | ${m.batch} | gankit cpu backend | skipped: its 16×16×128↔8×8×256 filter gradient alone takes > 1 min at batch 2 (bench/results/kernels.md) | — | — | — | — |`);
  }
  row('PyTorch CPU, 1 thread', t[1], { threads: 1, ceiling: torchMatmul(1) });
  row('PyTorch CPU, 2 threads', t[2], { threads: 2, ceiling: torchMatmul(2) });
  row('PyTorch CPU, 1 thread, 128-bit vectors only (DNNL_MAX_CPU_ISA=SSE41, ATEN_CPU_CAPABILITY=default, OPENBLAS_CORETYPE=Nehalem)', torchMs(id, 1, torch128), { ceiling: median(torch128.matmul.map((x) => x.gflops)) });
}
log();
const perProcess = (outs) => outs.map((o) => (o.error ? 'failed' : fmt(median(o.stepMs)))).join(', ');
for (const id of MODEL_IDS) {
  log(`Per-process medians, ${MODELS[id].label}: ${ENGINES.map((e) => `${e.key} ${perProcess(runs[id][e.key])} ms`).join('; ')}; ` +
    `PyTorch 1 thread ${torchRuns.map((r) => fmt(median(r.train.find((x) => x.id === id && x.threads === '1')?.stepMs ?? []))).join(', ')} ms, 2 threads ${torchRuns.map((r) => fmt(median(r.train.find((x) => x.id === id && x.threads === '2')?.stepMs ?? []))).join(', ')} ms.`);
  log();
}
log('## Sampling: 10k images from the 28×28 generator (batch 500, inference mode, images read back to the host)');
log();
log('| engine | images/s | seconds | vs PyTorch 1 thread |');
log('| --- | ---: | ---: | ---: |');
const torchSample = torchRuns[0].sample ?? [];
const tSample1 = torchSample.find((s) => s.threads === '1')?.imagesPerSec;
for (const e of ENGINES) {
  const ips = median(ok(samples[e.key]).map((s) => s.imagesPerSec));
  log(`| ${e.label} (median of ${ok(samples[e.key]).length} processes) | ${fmt(ips)} | ${fmt(SAMPLE.count / ips)} | ${ratio(ips, tSample1)} |`);
}
for (const s of torchSample) log(`| PyTorch CPU, ${s.threads} thread${s.threads === '1' ? '' : 's'} | ${fmt(s.imagesPerSec)} | ${fmt(s.seconds)} | ${ratio(s.imagesPerSec, tSample1)} |`);
log();
log('Inception feature extraction images/s next to PyTorch is measured by bench/metrics/extract.mjs: see `bench/results/extract.md`.');
log();
log("## Per kernel: where the 28×28 step (batch 64) spends its time, before (XNNPACK convs, wasm's element-wise kernels) and after (GEMM convs, gankit's element-wise kernels)");
log();
log(`tf.profile of \`train()\` (after a warm-up run in the same process): kernel ms of a ${1 + PROFILE_STEPS}-step run minus a 1-step run, per step (wall time of each kernel; profiler on).`);
log();
const GEMM_KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', '_FusedMatMul'];
const perKernel = Object.fromEntries(ENGINES.map((e) => [e.key, new Map(profiles[e.key].error ? [] : profiles[e.key].perStep)]));
const names = [...new Set(ENGINES.flatMap((e) => [...perKernel[e.key].keys()]))];
const sumOf = (key, pick) => [...perKernel[key].entries()].filter(([n]) => pick(n)).reduce((a, [, ms]) => a + Math.max(0, ms), 0);
names.sort((a, b) => (perKernel.xnn1.get(b) ?? 0) - (perKernel.xnn1.get(a) ?? 0));
log(`| kernel | ${ENGINES.map((e) => e.label).join(' | ')} | speed-up (1 thread) |`);
log(`| --- | ${ENGINES.map(() => '---:').join(' | ')} | ---: |`);
for (const name of names.slice(0, 16)) {
  log(`| ${name} | ${ENGINES.map((e) => fmt(perKernel[e.key].get(name))).join(' | ')} | ${ratio(perKernel.xnn1.get(name), perKernel.gemm1.get(name))} |`);
}
const convMs = Object.fromEntries(ENGINES.map((e) => [e.key, sumOf(e.key, (n) => GEMM_KERNELS.includes(n))]));
const otherMs = Object.fromEntries(ENGINES.map((e) => [e.key, sumOf(e.key, (n) => !GEMM_KERNELS.includes(n))]));
log(`| **conv + matmul kernels** | ${ENGINES.map((e) => fmt(convMs[e.key])).join(' | ')} | ${ratio(convMs.xnn1, convMs.gemm1)} |`);
log(`| **all other kernels** | ${ENGINES.map((e) => fmt(otherMs[e.key])).join(' | ')} | ${ratio(otherMs.xnn1, otherMs.gemm1)} |`);
log(`| **step (profiled)** | ${ENGINES.map((e) => fmt(profiles[e.key].stepMs)).join(' | ')} | ${ratio(profiles.xnn1.stepMs, profiles.gemm1.stepMs)} |`);
log();
const s = summary.m28;
const gemm1Gflops = s.flops / (convMs.gemm1 * 1e6);
const torchGflops = s.flops / (s.t[1] * 1e6);
const floor1 = s.flops / (rate[1] * 1e6);
log('## What bounds the ratio (28×28, batch 64; all numbers from this run)');
log();
log(`- **Vector width.** The step needs ${(s.flops / 1e9).toFixed(1)} GFLOP of conv/matmul work. PyTorch 1 thread does it in ${fmt(s.t[1])} ms = **${fmt(torchGflops)} GFLOP/s** with oneDNN's AVX-512 kernels (its 1024³ matmul: ${fmt(torchMatmul(1))}). ` +
  `WebAssembly SIMD is 128 bits wide. Restricted to 128-bit vectors, the same PyTorch step takes ${fmt(torchMs('m28', 1, torch128))} ms (${ratio(torchMs('m28', 1, torch128), s.t[1])} its AVX-512 time), and gankit on 1 thread is ${ratio(s.gemm1, torchMs('m28', 1, torch128))} that.`);
log(`- **The wasm ceiling.** Even a step that ran every FLOP at gankit's 1-thread GEMM rate (${fmt(rate[1])} GFLOP/s) and nothing else would take ${fmt(floor1)} ms = **${ratio(floor1, s.t[1])} PyTorch's 1-thread step**: ` +
  `${floor1 / s.t[1] > 1.5 ? 'above 1.5×, so the goal is out of reach for 1-thread wasm on this CPU whatever the kernels do' : 'below 1.5×, so the remaining gap is kernels and overhead'}. ` +
  `The GEMM is ${ratio(rate[1], xnnRate)} XNNPACK's rate here because V8 gives wasm fewer xmm registers than XNNPACK's micro-kernels need (their accumulators spill every iteration; gankit's 4×8 kernel keeps them in registers${fma ? ' and uses fused multiply-add' : ''}).`);
log(`- **Inside gankit's step** (1 thread, profiled): conv/matmul kernels ${fmt(convMs.gemm1)} ms (${fmt(gemm1Gflops)} GFLOP/s = ${((100 * gemm1Gflops) / rate[1]).toFixed(0)}% of the GEMM rate: im2col/col2im, packing, copies in and out of the GEMM's memory), ` +
  `all other kernels (batch norm, activations and their gradients, losses, Adam) ${fmt(otherMs.gemm1)} ms, outside kernels (JS autodiff, Layers bookkeeping, data, loss read-back) ${fmt(profiles.gemm1.stepMs - convMs.gemm1 - otherMs.gemm1)} ms.`);
log(`- **Threads.** With 2 threads gankit's step is ${fmt(s.gemm2)} ms (${ratio(s.gemm1, s.gemm2)} faster than 1 thread; only the conv/matmul kernels are threaded). PyTorch's 2-thread step is ${fmt(s.t[2])} ms vs ${fmt(s.t[1])} on 1 thread on this 2-core VM, so at 2 threads each the ratio is ${ratio(s.gemm2, s.t[2])}; best against best (gankit 2 threads, PyTorch's faster setting) it is ${ratio(s.gemm2, Math.min(s.t[1], s.t[2]))}.`);
log();
console.error(JSON.stringify({ summary, loads }));

const outDir = join(here, '..', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, QUICK ? 'train-step.quick.md' : 'train-step.md'), `${lines.join('\n')}\n`);
