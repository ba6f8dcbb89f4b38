// Conv kernel micro-benchmark for gankit's wasm training kernels, on DCGAN-28x28 shapes at batch 64.
// Per kernel: tfjs-backend-wasm's own kernel (where it exists), gankit's wasm kernel, the cpu backend and
// PyTorch CPU (Debian /usr/bin/python3, same thread count), all in this one run. Then the whole DCGAN train
// step (D step + G step) on wasm before (stock Conv2DBackpropInput + gankit Conv2DBackpropFilter, which wasm
// lacks) and after (all gankit kernels), a tf.profile of the "after" step, and the wasm matmul GFLOP/s ceiling.
// Usage: pnpm --filter @gankit/core build && node bench/kernels/run.mjs [--quick]
// Prints a markdown table and writes bench/results/kernels.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { configureWasm, initBackend, wasmConfig } from '@gankit/backend-wasm';

const QUICK = process.argv.includes('--quick');
const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
/** `--step-child N`: only time the 5×5 DCGAN step on wasm with N threads and print JSON (used for the threads rows). */
const STEP_CHILD_THREADS = argValue('--step-child');
const BATCH = 64;
const WASM_REPS = QUICK ? 2 : 5;
const STEP_ROUNDS = QUICK ? 1 : 3;
/** The cpu backend needs minutes per batch-64 filter gradient: it runs at this batch and is scaled to 64. */
const CPU_BATCH = 2;

/** DCGAN-28 conv layers in forward-conv terms: G's transposed convs are the transposes of D's convs. */
const LAYERS = [
  { name: 'D conv1 / G convT2: 28x28x1 <-> 14x14x64, k5 s2 same', x: [BATCH, 28, 28, 1], filter: [5, 5, 1, 64] },
  { name: 'D conv2 / G convT1: 14x14x64 <-> 7x7x128, k5 s2 same', x: [BATCH, 14, 14, 64], filter: [5, 5, 64, 128] },
  { name: 'D conv1 / G convT2: 28x28x1 <-> 14x14x64, k4 s2 same', x: [BATCH, 28, 28, 1], filter: [4, 4, 1, 64] },
  { name: 'D conv2 / G convT1: 14x14x64 <-> 7x7x128, k4 s2 same', x: [BATCH, 14, 14, 64], filter: [4, 4, 64, 128] },
  // DCGAN-32 (issue 9's second model) at batch 128: the first and last strided layers.
  { name: 'DCGAN-32 @128: 32x32x3 <-> 16x16x128, k4 s2 same', x: [128, 32, 32, 3], filter: [4, 4, 3, 128] },
  { name: 'DCGAN-32 @128: 16x16x128 <-> 8x8x256, k4 s2 same', x: [128, 16, 16, 128], filter: [4, 4, 128, 256] },
];
const STRIDE = 2;
const PAD = 'same';

const KINDS = {
  forward: { kernel: 'Conv2D', what: 'Conv2D (forward conv, reference)' },
  input: { kernel: 'Conv2DBackpropInput', what: 'Conv2DBackpropInput (convT forward, conv dx)' },
  filter: { kernel: 'Conv2DBackpropFilter', what: 'Conv2DBackpropFilter (conv/convT dW)' },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function randomTensor(shape, seed) {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function flops(layer) {
  const info = tf.backend_util.computeConv2DInfo(layer.x, layer.filter, STRIDE, 1, PAD);
  return 2 * info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
}

/** Runs one kernel on the active backend; inputs are made once, outside the timing. */
function kernelRunner(kind, fullLayer, batch) {
  const layer = batch === undefined ? fullLayer : { ...fullLayer, x: [batch, ...fullLayer.x.slice(1)] };
  const info = tf.backend_util.computeConv2DInfo(layer.x, layer.filter, STRIDE, 1, PAD);
  const x = randomTensor(layer.x, 1);
  const filter = randomTensor(layer.filter, 2);
  const dy = randomTensor(info.outShape, 3);
  const attrs = { strides: [STRIDE, STRIDE], pad: PAD, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const run = {
    forward: () => tf.engine().runKernel('Conv2D', { x, filter }, { ...attrs, dilations: [1, 1] }),
    input: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: layer.x }),
    filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: layer.filter }),
  }[kind];
  return {
    time() {
      const start = performance.now();
      const out = run();
      out.dataSync();
      const ms = performance.now() - start;
      out.dispose();
      return ms;
    },
    dispose: () => tf.dispose([x, filter, dy]),
  };
}

async function timeKernel(backend, kind, layer, reps, batch) {
  await tf.setBackend(backend);
  const runner = kernelRunner(kind, layer, batch);
  try {
    if (reps > 1) runner.time();
    return median(Array.from({ length: reps }, () => runner.time()));
  } finally {
    runner.dispose();
  }
}

function torchReference() {
  const python = process.env.GANKIT_PYTHON || '/usr/bin/python3'; // the reference Python (GANKIT_PYTHON overrides, as in the tests)
  if (!existsSync(python)) return { note: 'PyTorch column skipped: /usr/bin/python3 not found' };
  const cases = [];
  for (const [li, layer] of LAYERS.entries()) {
    for (const kind of Object.keys(KINDS)) cases.push({ id: `${kind}-${li}`, kind, x: layer.x, filter: layer.filter, stride: STRIDE, pad: PAD });
  }
  const script = fileURLToPath(new URL('./torch_kernels.py', import.meta.url));
  const res = spawnSync(python, [script, JSON.stringify(cases), '1'], { encoding: 'utf8', timeout: 600_000 });
  if (res.status !== 0) return { note: `PyTorch column skipped: ${(res.stderr || res.error?.message || '').trim().split('\n').pop()}` };
  return JSON.parse(res.stdout);
}

// ---- The DCGAN step ---------------------------------------------------------------------------------------

function generator(kernel) {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [100], units: 7 * 7 * 128, useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.reshape({ targetShape: [7, 7, 128] }),
      tfl.layers.conv2dTranspose({ filters: 64, kernelSize: kernel, strides: 2, padding: 'same', useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: kernel, strides: 2, padding: 'same', activation: 'tanh' }),
    ],
  });
}

function discriminator(kernel) {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 64, kernelSize: kernel, strides: 2, padding: 'same' }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({ filters: 128, kernelSize: kernel, strides: 2, padding: 'same' }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1 }),
    ],
  });
}

/** One D step + one G step with the seed guide's non-saturating losses and Adam(2e-4, 0.5, 0.999). */
function makeStep(kernel) {
  const g = generator(kernel);
  const d = discriminator(kernel);
  const gOpt = tf.train.adam(2e-4, 0.5, 0.999);
  const dOpt = tf.train.adam(2e-4, 0.5, 0.999);
  const real = tf.randomUniform([BATCH, 28, 28, 1], -1, 1, 'float32', 5);
  const dVars = d.trainableWeights.map((w) => w.read());
  const gVars = g.trainableWeights.map((w) => w.read());
  const step = () =>
    tf.tidy(() => {
      const z = tf.randomNormal([BATCH, 100]);
      dOpt.minimize(
        () => {
          const fake = g.apply(z, { training: true });
          return tf.add(tf.mean(tf.softplus(tf.neg(d.apply(real, { training: true })))), tf.mean(tf.softplus(d.apply(fake, { training: true }))));
        },
        false,
        dVars,
      );
      const gLoss = gOpt.minimize(() => tf.mean(tf.softplus(tf.neg(d.apply(g.apply(z, { training: true }), { training: true })))), true, gVars);
      gLoss.dataSync();
    });
  const dispose = () => {
    g.dispose();
    d.dispose();
    gOpt.dispose();
    dOpt.dispose();
    real.dispose();
  };
  return { step, dispose };
}

/** Kernels gankit replaces on wasm (the "before" step uses wasm's own for all of them). */
const REPLACED = ['Conv2DBackpropInput', 'Tile', 'BatchMatMul', '_FusedMatMul', 'Sum', 'Mean', 'Identity'];

async function useKernels(variant) {
  await configureWasm({ kernels: Object.fromEntries(REPLACED.map((name) => [name, variant])) });
}

function timeStep(step) {
  const start = performance.now();
  step();
  return performance.now() - start;
}

const prod = (shape) => shape.reduce((a, b) => a * b, 1);

/** Multiply-add FLOPs of one profiled conv/matmul kernel, from its input and output shapes (0 for others). */
function kernelFlops({ name, inputShapes, outputShapes }) {
  const out = outputShapes[0] ?? [];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const [kh, kw, ci] = inputShapes[1];
      return 2 * prod(out) * kh * kw * ci;
    }
    case 'Conv2DBackpropInput': {
      const [kh, kw, ci] = inputShapes[1];
      return 2 * prod(inputShapes[0]) * kh * kw * ci;
    }
    case 'Conv2DBackpropFilter': {
      const [kh, kw, ci] = out;
      return 2 * prod(inputShapes[1]) * kh * kw * ci;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      const a = inputShapes[0];
      const m = out[out.length - 2];
      return 2 * prod(out) * (prod(a) / (prod(out.slice(0, -2)) * m));
    }
    default:
      return 0;
  }
}

async function profileStep(step) {
  const profile = await tf.profile(step);
  const byKernel = new Map();
  let flops = 0;
  // Entries named `<op>__op` are customGrad op scopes whose kernels are listed on their own as well.
  for (const k of profile.kernels) {
    if (k.name.endsWith('__op')) continue;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + k.kernelTimeMs);
    flops += kernelFlops(k);
  }
  return { kernels: [...byKernel.entries()].sort((a, b) => b[1] - a[1]), flops };
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

// ---- Run ---------------------------------------------------------------------------------------------------

const fmt = (ms) => (ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(1)}×`);

if (STEP_CHILD_THREADS !== undefined) {
  const threads = Number(STEP_CHILD_THREADS);
  if (threads > 1) await configureWasm({ xnnpackThreads: threads });
  await initBackend({ backend: 'wasm' });
  const { step, dispose } = makeStep(5);
  step();
  const times = Array.from({ length: STEP_ROUNDS }, () => timeStep(step));
  dispose();
  console.log(JSON.stringify({ threads: wasmConfig().xnnpackThreads, stepMs: median(times), matmulGflops: matmulGflops() }));
  process.exit(0);
}

/** Times the step in child processes with 1 and with `n` threads, alternating, `rounds` times each. */
function threadRows(n, rounds) {
  const script = fileURLToPath(import.meta.url);
  const results = { 1: [], [n]: [] };
  for (let r = 0; r < rounds; r++) {
    for (const threads of [1, n]) {
      const res = spawnSync(process.execPath, [script, '--step-child', String(threads), ...(QUICK ? ['--quick'] : [])], { encoding: 'utf8', timeout: 600_000 });
      const line = res.stdout.trim().split('\n').pop() ?? '';
      try {
        results[threads].push(JSON.parse(line));
      } catch {
        results[threads].push({ error: (res.stderr || line).trim().split('\n').pop() });
      }
    }
  }
  return results;
}

await initBackend({ backend: 'cpu' });
const wasmInfo = await initBackend({ backend: 'wasm' });
const lines = [];
const log = (line = '') => {
  lines.push(line);
  console.log(line);
};

const torch = torchReference();
const rows = [];
for (const [li, layer] of LAYERS.entries()) {
  for (const kind of Object.keys(KINDS)) {
    const row = { layer: layer.name, kind, gflop: flops(layer) / 1e9 };
    if (kind === 'input') {
      await configureWasm({ kernels: { Conv2DBackpropInput: 'stock' } });
      row.stock = await timeKernel('wasm', kind, layer, Math.max(2, WASM_REPS - 2));
      await configureWasm({ kernels: { Conv2DBackpropInput: 'gankit' } });
      await configureWasm({ transposedConv: 'stacked' });
      row.stacked = await timeKernel('wasm', kind, layer, WASM_REPS);
      await configureWasm({ transposedConv: 'per-phase' });
      row.perPhase = await timeKernel('wasm', kind, layer, WASM_REPS);
      await configureWasm({ transposedConv: 'auto' });
    }
    if (kind === 'forward') row.stock = await timeKernel('wasm', kind, layer, WASM_REPS);
    else row.gankit = await timeKernel('wasm', kind, layer, WASM_REPS);
    // The cpu backend's filter gradient runs at a few MFLOP/s: past this size one call takes over a minute.
    const cpuTooSlow = kind === 'filter' && (flops(layer) * CPU_BATCH) / layer.x[0] > 50e6;
    row.cpu = QUICK || cpuTooSlow ? undefined : ((await timeKernel('cpu', kind, layer, 1, CPU_BATCH)) * layer.x[0]) / CPU_BATCH;
    row.cpuSkipped = cpuTooSlow && !QUICK;
    row.torch = torch.kernels?.[`${kind}-${li}`];
    rows.push(row);
  }
}
await tf.setBackend('wasm');
const gflops = matmulGflops();

log('# Conv kernels on wasm: gankit vs tfjs-backend-wasm vs cpu vs PyTorch');
log();
log(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} logical cores), load ${os.loadavg()[0].toFixed(2)}; ` + `tfjs ${tf.version_core}, wasm threads: ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'on' : 'off'}, SIMD: ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}. ` + `PyTorch ${torch.threads ? `1.13, ${torch.threads} thread` : `— (${torch.note})`}. Batch ${BATCH} (DCGAN-32 rows: 128), median of ${WASM_REPS} wasm runs, 5 PyTorch runs; cpu: 1 run at batch ${CPU_BATCH}, scaled to the row's batch (its batch-64 filter gradients take minutes). ${wasmInfo.notes.join('; ')}.`);
log();
log(`wasm matmul 1024×1024×1024: **${gflops.toFixed(1)} GFLOP/s** (the ceiling for XNNPACK-backed kernels on this machine, single thread).`);
log();
log('Conv2DBackpropInput is a sub-pixel decomposition into stride-1 XNNPACK convs: "per-phase" runs one exact-size conv2d per stride phase, "stacked" one conv2d with all phases as output channels over a shared window (zero taps included); "gankit" is the default (`auto`: per-phase from 16 dx channels, else stacked). Conv2DBackpropFilter is one dilated conv2d on transposed tensors, or an im2col matmul when KH·KW·inC ≤ 128.');
log();
log('| layer (forward geometry) | kernel | stock wasm ms | gankit wasm ms | per-phase ms | stacked ms | gankit GFLOP/s | speed-up vs stock | cpu ms (batch-2 run, scaled) | PyTorch ms | gankit / PyTorch |');
log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const own = r.gankit ?? r.stock;
  log(
    `| ${r.layer} | ${KINDS[r.kind].what} | ${r.stock === undefined ? (r.kind === 'filter' ? 'missing' : '—') : fmt(r.stock)} | ${fmt(r.gankit)} | ${fmt(r.perPhase)} | ${fmt(r.stacked)} | ${(r.gflop / (own / 1000)).toFixed(1)} | ${r.kind === 'input' ? ratio(r.stock, r.gankit) : '—'} | ${r.cpuSkipped ? 'skipped (> 1 min)' : fmt(r.cpu)} | ${fmt(r.torch)} | ${ratio(own, r.torch)} |`,
  );
}

// The whole step, before and after, interleaved so that load changes hit both alike.
log();
log('## DCGAN-28 train step on wasm (batch 64, D step + G step)');
log();
log(`| kernel size | before: wasm's own ${REPLACED.join('/')} + gankit Conv2DBackpropFilter (wasm has none), ms | after: gankit kernels, ms | speed-up | PyTorch 1 thread, ms | after / PyTorch |`);
log('| --- | ---: | ---: | ---: | ---: | ---: |');
let profile = { kernels: [], flops: 0 };
let afterStepMs;
for (const kernel of [5, 4]) {
  const { step, dispose } = makeStep(kernel);
  const before = [];
  const after = [];
  await useKernels('gankit');
  step();
  await useKernels('stock');
  step();
  for (let i = 0; i < STEP_ROUNDS; i++) {
    await useKernels('stock');
    before.push(timeStep(step));
    await useKernels('gankit');
    after.push(timeStep(step));
  }
  if (kernel === 5) {
    profile = await profileStep(step);
    afterStepMs = median(after);
  }
  dispose();
  const torchStep = kernel === 5 ? torch.step_ms : undefined;
  log(`| ${kernel}×${kernel} | ${fmt(median(before))} | ${fmt(median(after))} | ${ratio(median(before), median(after))} | ${fmt(torchStep)} | ${ratio(median(after), torchStep)} |`);
}
log();
log('PyTorch runs the same model (5×5) with its usual `fake.detach()` pattern (one G forward shared by the D and G steps); the TF.js step runs G forward twice.');
log();
log('## Where the "after" step (5×5) spends its time (tf.profile, kernel ms summed by kernel)');
log();
log('| kernel | ms |');
log('| --- | ---: |');
const total = profile.kernels.reduce((a, [, ms]) => a + ms, 0);
for (const [name, ms] of profile.kernels.slice(0, 12)) log(`| ${name} | ${fmt(ms)} |`);
log(`| (all ${profile.kernels.length} kernels) | ${fmt(total)} |`);
log();
log(
  `The step runs ${(profile.flops / 1e9).toFixed(1)} GFLOP in conv and matmul kernels (counted from the profiled shapes): ` +
    `${(profile.flops / 1e6 / afterStepMs).toFixed(1)} GFLOP/s achieved over the whole "after" step, against ${gflops.toFixed(1)} GFLOP/s for a 1024³ wasm matmul in this run. ` +
    `The big conv kernels run at roughly half to nearly all of that rate (GFLOP/s column above; the 1-input-channel layers far below it), so the wasm step is bounded by XNNPACK's single-thread wasm SIMD GEMM rate, plus the second G forward and the non-conv kernels; PyTorch runs the same work with native kernels at a higher rate.`,
);

log();
log('## wasm threads in Node (`configureWasm({ xnnpackThreads })`, child processes alternating 1 and 2 threads)');
log();
log('tfjs-backend-wasm turns threads off in Node (tfjs issue #3830: its loader hands worker_threads a Blob URL) and its C++ caps the pool at `os.cpus().length / 2` threads. `configureWasm({ xnnpackThreads: n })` loads the shipped `tfjs-backend-wasm-threaded-simd.wasm` with the worker script written to a file, lifts that cap and unrefs the workers.');
log();
log(`Load average at this point: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} logical cores: a second thread only pays when a core is idle.`);
log();
log('| threads (reported by the pool) | DCGAN-28 5×5 step ms (median per process) | matmul GFLOP/s |');
log('| --- | --- | --- |');
const threadResults = threadRows(2, QUICK ? 1 : 2);
for (const [, list] of Object.entries(threadResults)) {
  const ok = list.filter((r) => r.error === undefined);
  const reported = [...new Set(ok.map((r) => r.threads))].join('/') || '—';
  const errors = list.filter((r) => r.error !== undefined).map((r) => r.error);
  log(`| ${reported} | ${ok.map((r) => fmt(r.stepMs)).join(', ')}${errors.length ? ` (failed: ${errors.join('; ')})` : ''} | ${ok.map((r) => r.matmulGflops.toFixed(1)).join(', ')} |`);
}

const outDir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}kernels.md`, `${lines.join('\n')}\n`);
console.log(`\nwrote ${outDir}kernels.md`);
