// Issue 19's three goals, measured in one run, each next to its PyTorch/NumPy reference on the same inputs:
//   1. Inception feature extraction (pytorch-fid's network, pool3 + logits at 299×299): gankit's inceptionV3() on TF.js
//      wasm vs the same network in PyTorch CPU (extract_torch.py), at 1 and 2 threads;
//   2. μ and Σ of two N×2048 feature sets: gankit's featureStats vs NumPy's np.mean + np.cov (numpy_stats.py,
//      OpenBLAS with OPENBLAS_CORETYPE unset), at equal threads;
//   3. end to end, `gankit-eval fid A B` vs `python -m pytorch_fid A B --device cpu` (pytorch_fid_cli.py, pytorch-fid's
//      CLI rebuilt with Debian's PyTorch) on two folders of PNGs, both as whole processes, at the same thread count.
// Weights: seeded (packages/metrics/test/fixtures/inception/make_reference.py; speed does not depend on them) unless
// GANKIT_INCEPTION_WEIGHTS names the real file. The machine's load (`uptime`) is printed with every table, and the
// ceilings that bound the ratios (1024³ float32 matmul, float64 rank-k update) are measured in the same run.
// Usage: pnpm build && node bench/metrics/goals.mjs [--images 32] [--batch 16] [--size 64] [--n 10000] [--pngs 2000]
//        [--png-size 64] [--threads 1,2]
// Prints the tables and writes bench/results/eval-goals.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { writePng } from '@gankit/core/node';
import { configureWasm, initBackend } from '@gankit/backend-wasm';
import { writeNpy } from '@gankit/data/node';
import { featureStats, float64KernelInfo } from '@gankit/metrics';
import { inceptionV3 } from '@gankit/metrics/node';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '32' },
    batch: { type: 'string', default: '16' },
    size: { type: 'string', default: '64' },
    n: { type: 'string', default: '10000' },
    pngs: { type: 'string', default: '2000' },
    'png-size': { type: 'string', default: '64' },
    threads: { type: 'string', default: '1,2' },
  },
});
const IMAGES = Number(args.images);
const BATCH = Number(args.batch);
const SIZE = Number(args.size);
const N = Number(args.n);
const D = 2048;
const PNGS = Number(args.pngs);
const PNG_SIZE = Number(args['png-size']);
const THREADS = args.threads.split(',').map(Number);
const STATS_REPS = 3; // timings per side of goal 2 (μ, Σ); the median is reported
const PYTHON = process.env.GANKIT_PYTHON || '/usr/bin/python3'; // the reference Python (GANKIT_PYTHON overrides, as in the tests)
const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const work = mkdtempSync(join(os.tmpdir(), 'gankit-bench-goals-'));
const command = `node bench/metrics/goals.mjs --images ${IMAGES} --batch ${BATCH} --size ${SIZE} --n ${N} --pngs ${PNGS} --png-size ${PNG_SIZE} --threads ${THREADS.join(',')}`;

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
const loadLine = (when) => `Load (\`uptime\`, ${when}): ${uptime()}`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const log = (line) => console.log(`[goals ${new Date().toISOString().slice(11, 19)}] ${line}`);
/** Environment of a reference process with `threads` threads (OpenMP for PyTorch, OpenBLAS for NumPy). */
function refEnv(threads) {
  const env = { ...process.env };
  // see /work/.library/env/README.md: these slow a current NumPy; unset both for the references
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (threads !== undefined) Object.assign(env, { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) });
  return env;
}
const python = (script, argv, threads) =>
  JSON.parse(execFileSync(PYTHON, [join(here, script), ...argv], { env: refEnv(threads), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }).trim().split('\n').at(-1));

function weightsPath() {
  if (process.env.GANKIT_INCEPTION_WEIGHTS) return { path: process.env.GANKIT_INCEPTION_WEIGHTS, kind: 'pt_inception-2015-12-05 (real)' };
  const dir = join(os.tmpdir(), 'gankit-bench-extract', 'weights');
  if (!existsSync(join(dir, 'weights.legacy.pth'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync(PYTHON, [join(root, 'packages/metrics/test/fixtures/inception/make_reference.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { path: join(dir, 'weights.legacy.pth'), kind: 'seeded (make_reference.py)' };
}

const md = [];
const section = (lines) => {
  console.log(`\n${lines.join('\n')}\n`);
  md.push(...lines, '');
};

try {
  const weights = weightsPath();
  const goals = [];
  md.push(`# Issue 19's goals: gankit vs PyTorch / NumPy on this machine, one run`, '');
  md.push(
    `Command: \`pnpm build && ${command}\` (every number below is from this one run; ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown'}, Node ${process.version}; Inception weights: ${weights.kind}; ${new Date().toISOString()}).`,
    'The machine is shared with other engineers: wall times move with the load printed next to each table, the ratios less so.',
    '',
  );

  // ---- 1. Inception extraction
  const pixels = new Uint8Array(IMAGES * SIZE * SIZE * 3);
  const rng = createRng(42);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  const imagesFile = join(work, 'images.u8');
  writeFileSync(imagesFile, pixels);
  const extraction = [];
  const loadBefore1 = uptime();
  for (const threads of THREADS) {
    await initBackend({ backend: 'wasm', threads });
    const extractor = await inceptionV3({ weightsPath: weights.path, maxBatch: BATCH });
    const all = tf.tensor4d(pixels, [IMAGES, SIZE, SIZE, 3], 'int32');
    const warm = tf.slice(all, [0, 0, 0, 0], [Math.min(BATCH, IMAGES), -1, -1, -1]);
    await extractor.extract(warm); // warm-up
    warm.dispose();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < IMAGES; i += BATCH) {
      const chunk = tf.slice(all, [i, 0, 0, 0], [Math.min(BATCH, IMAGES - i), -1, -1, -1]);
      await extractor.extract(chunk);
      chunk.dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    all.dispose();
    extractor.dispose();
    log(`gankit Inception, ${threads} thread(s): ${seconds.toFixed(2)} s`);
    const torch = python('extract_torch.py', [weights.path, imagesFile, String(IMAGES), String(SIZE), String(SIZE), String(BATCH), String(threads)], threads);
    log(`PyTorch Inception, ${torch.threads} thread(s): ${torch.seconds.toFixed(2)} s`);
    extraction.push({ threads, gankit: seconds, gankitCpu: (cpu.user + cpu.system) / 1e6, torch: torch.seconds, torchCpu: torch.cpu_seconds, torchThreads: torch.threads, flops: torch.flops_per_image });
  }
  // the ceilings: a 1024³ float32 matmul on each side
  const ceilings = [];
  for (const threads of THREADS) {
    await initBackend({ backend: 'wasm', threads });
    const a = tf.randomNormal([1024, 1024]);
    const b = tf.randomNormal([1024, 1024]);
    for (let i = 0; i < 2; i++) tf.matMul(a, b).dataSync();
    const times = [];
    const c0 = process.cpuUsage();
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      times.push((performance.now() - t0) / 1000);
      c.dispose();
    }
    const cpu = process.cpuUsage(c0);
    tf.dispose([a, b]);
    const torch = JSON.parse(
      execFileSync(PYTHON, ['-c', 'import torch,time,json,sys; t=int(sys.argv[1]); torch.set_num_threads(t); a=torch.randn(1024,1024); b=torch.randn(1024,1024); [a@b for _ in range(3)]; s=[]; c0=time.process_time()\nfor _ in range(5):\n  t0=time.perf_counter(); a@b; s.append(time.perf_counter()-t0)\nprint(json.dumps([sorted(s)[2], (time.process_time()-c0)/5]))', String(threads)], { env: refEnv(threads), encoding: 'utf8' }),
    );
    const gflop = (2 * 1024 ** 3) / 1e9;
    ceilings.push({ threads, gankit: gflop / median(times), gankitCpu: gflop / ((cpu.user + cpu.system) / 1e6 / 5), torch: gflop / torch[0], torchCpu: gflop / torch[1] });
  }
  const flops = extraction[0].flops;
  section([
    `## 1. Inception feature extraction: ${IMAGES} random ${SIZE}×${SIZE} RGB images → 299×299, pool3 + logits, batch ${BATCH}`,
    '',
    '| threads | gankit inceptionV3() (TF.js wasm) | PyTorch CPU (pytorch-fid network) | gankit / PyTorch | gankit GFLOP/s | PyTorch GFLOP/s | CPU s gankit / PyTorch (ratio) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...extraction.map((r) => `| ${r.threads} | ${r.gankit.toFixed(2)} s | ${r.torch.toFixed(2)} s (${r.torchThreads} thr.) | **${ratio(r.gankit, r.torch)}** | ${((IMAGES * flops) / r.gankit / 1e9).toFixed(1)} | ${((IMAGES * flops) / r.torch / 1e9).toFixed(1)} | ${r.gankitCpu.toFixed(2)} / ${r.torchCpu.toFixed(2)} (${ratio(r.gankitCpu, r.torchCpu)}) |`),
    '',
    `FLOPs: ${(flops / 1e9).toFixed(2)} GFLOP per image (2 × multiply-adds of the convolutions and the logits, counted by extract_torch.py's hooks).`,
    `Ceilings, 1024³ float32 matmul in this run (GFLOP/s wall, and per CPU-second): ${ceilings.map((c) => `${c.threads} thread(s): gankit's GEMM (wasm SIMD128, 4 floats per vector) ${c.gankit.toFixed(1)} (${c.gankitCpu.toFixed(1)} per CPU-s), PyTorch (AVX-512, 16) ${c.torch.toFixed(1)} (${c.torchCpu.toFixed(1)} per CPU-s)`).join('; ')}.`,
    `The bound: even if every FLOP of the network ran at gankit's 1-thread matmul ceiling, gankit's 1-thread CPU time would be ${((IMAGES * flops) / ceilings[0].gankitCpu / 1e9 / extraction[0].torchCpu).toFixed(2)}× PyTorch's measured one (FLOPs ÷ gankit's GFLOP per CPU-s ÷ PyTorch's CPU s). At 2 threads PyTorch's CPU time includes OpenMP's spin-waiting, so compare wall times there.`,
    '',
    `Load (\`uptime\`, before): ${loadBefore1}`,
    '',
    `${loadLine('after')}`,
  ]);
  for (const r of extraction) goals.push({ goal: `Inception extraction (${IMAGES} images), ${r.threads} thread(s)`, gankit: r.gankit, ref: r.torch, refName: `PyTorch CPU, ${r.torchThreads} thread(s)` });

  // ---- 2. μ, Σ of two N×2048 feature sets
  const features = [1, 2].map((seed) => {
    const r = createRng(seed);
    const K = 64;
    const loadings = createRng(100 + seed).normalArray(K * D, 0, 1 / Math.sqrt(K));
    const out = new Float32Array(N * D);
    for (let i = 0; i < N; i++) {
      const f = r.normalArray(K);
      const row = r.normalArray(D, 0.1 * seed, 0.5);
      for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) row[j] += f[k] * loadings[k * D + j];
      for (let j = 0; j < D; j++) out[i * D + j] = row[j] > 0 ? row[j] : 0;
    }
    return out;
  });
  const npys = [join(work, 'f1.npy'), join(work, 'f2.npy')];
  for (const [i, p] of npys.entries()) await writeNpy(p, { dtype: 'float32', shape: [N, D], data: features[i] });
  async function* batchesOf(f) {
    for (let r = 0; r < N; r += 50) yield { data: f.subarray(r * D, Math.min(N, r + 50) * D), rows: Math.min(50, N - r), cols: D };
  }
  const stats = [];
  const loadBefore2 = uptime();
  for (const threads of THREADS) {
    await configureWasm({ threads });
    await featureStats([{ data: features[0].subarray(0, 4 * D), rows: 4, cols: D }]); // start the threads
    const kernels = await float64KernelInfo();
    // The median of STATS_REPS timings on each side: a single timing of either was seen 2× off its repeats.
    const runs = [];
    let s1;
    let s2;
    for (let rep = 0; rep < STATS_REPS; rep++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      s1 = await featureStats(batchesOf(features[0]));
      s2 = await featureStats(batchesOf(features[1]));
      const used = process.cpuUsage(c0);
      runs.push({ seconds: (performance.now() - t0) / 1000, cpu: used });
    }
    const { seconds, cpu } = runs.sort((a, b) => a.seconds - b.seconds)[runs.length >> 1];
    log(`gankit μ, Σ, ${threads} thread(s): ${seconds.toFixed(2)} s (median of ${STATS_REPS})`);
    const np = python('numpy_stats.py', [...npys, String(STATS_REPS)], threads);
    log(`NumPy μ, Σ, ${np.blas.threads} thread(s): ${np.seconds.toFixed(2)} s (median of ${STATS_REPS})`);
    let trace = 0;
    for (let i = 0; i < D; i++) trace += s1.sigma[i * D + i] + s2.sigma[i * D + i];
    stats.push({ threads, gankit: seconds, gankitCpu: (cpu.user + cpu.system) / 1e6, fma: kernels.fma, np, traceRel: Math.abs(trace - np.trace) / np.trace });
  }
  const syrkFlops = 2 * N * D * D; // N·D² per set: the symmetric half both sides compute (np.cov's X·Xᵀ is a BLAS syrk)
  section([
    `## 2. μ and Σ of two ${N}×2048 feature sets (float64; np.mean + np.cov ×2 vs featureStats ×2; median of ${STATS_REPS} timings per side)`,
    '',
    '| threads | gankit featureStats (wasm float64 kernels) | NumPy (OpenBLAS) | gankit / NumPy | gankit GFLOP/s | NumPy GFLOP/s | CPU s gankit / NumPy |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...stats.map((r) => `| ${r.threads} | ${r.gankit.toFixed(2)} s | ${r.np.seconds.toFixed(2)} s (${r.np.blas.threads} thr., ${r.np.blas.core}) | **${ratio(r.gankit, r.np.seconds)}** | ${(syrkFlops / r.gankit / 1e9).toFixed(1)} | ${(syrkFlops / r.np.seconds / 1e9).toFixed(1)} | ${r.gankitCpu.toFixed(2)} / ${r.np.cpu_seconds.toFixed(2)} |`),
    '',
    `GFLOP/s counts the symmetric half (N·2048² multiply-adds ×2 per set ÷ 2) for both: np.cov's X·Xᵀ runs as OpenBLAS's dsyrk, gankit's as its upper-triangle rank-k update (kernels.c \`gemm_atb\` with \`upper\`, then \`mirror_upper\`). gankit's kernels: ${stats[0].fma ? 'relaxed-SIMD fused multiply-add' : 'SIMD128 multiply + add'} on f64x2 (2 doubles per vector; OpenBLAS uses 8 with AVX-512). Σ traces agree to ${Math.max(...stats.map((s) => s.traceRel)).toExponential(1)} (relative).`,
    `Per CPU-second (load-independent): ${stats.map((r) => `${r.threads} thread(s): gankit ${(syrkFlops / r.gankitCpu / 1e9).toFixed(1)} GFLOP, NumPy ${(syrkFlops / r.np.cpu_seconds / 1e9).toFixed(1)} GFLOP`).join('; ')}: the CPU-time ratio is the vector-width bound (f64x2 fused multiply-add vs AVX-512's 8 doubles).`,
    '',
    `Load (\`uptime\`, before): ${loadBefore2}`,
    '',
    `${loadLine('after')}`,
  ]);
  for (const r of stats) goals.push({ goal: `μ, Σ of 2 × ${N}×2048, ${r.threads} thread(s)`, gankit: r.gankit, ref: r.np.seconds, refName: `NumPy, ${r.np.blas.threads} thread(s)` });

  // ---- 3. end to end
  const dirs = [join(work, 'A'), join(work, 'B')];
  for (const [d, dir] of dirs.entries()) {
    mkdirSync(dir);
    const r = createRng(7 + d);
    for (let i = 0; i < PNGS; i++) {
      // smooth random images (a few random gradients + noise), so the PNGs compress like pictures, not noise
      const data = new Uint8Array(PNG_SIZE * PNG_SIZE * 3);
      const [a, b, c] = [255 * r.uniform(), 6 * r.uniform() - 3, 6 * r.uniform() - 3];
      for (let y = 0; y < PNG_SIZE; y++) for (let x = 0; x < PNG_SIZE; x++) for (let ch = 0; ch < 3; ch++) data[(y * PNG_SIZE + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(a + b * x + c * y * (ch + 1) * 0.5 + 12 * r.normal())));
      await writePng(join(dir, `${String(i).padStart(5, '0')}.png`), { width: PNG_SIZE, height: PNG_SIZE, channels: 3, data });
    }
  }
  const threads = os.cpus().length;
  const loadBefore3 = uptime();
  const timeProcess = (file, argv, env) => {
    const t0 = performance.now();
    const out = execFileSync(file, argv, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    return { seconds: (performance.now() - t0) / 1000, out };
  };
  const ours = timeProcess('node', [join(root, 'apps/eval/dist/cli.js'), 'fid', ...dirs, '--weights', weights.path, '--no-cache', '--no-progress', '--format', 'pytorch-fid'], { ...process.env });
  log(`gankit-eval fid: ${ours.seconds.toFixed(2)} s`);
  const theirs = timeProcess(PYTHON, [join(here, 'pytorch_fid_cli.py'), ...dirs, '--weights', weights.path, '--device', 'cpu'], refEnv(threads));
  log(`pytorch_fid (twin), ${threads} threads: ${theirs.seconds.toFixed(2)} s`);
  const theirsDefault = timeProcess(PYTHON, [join(here, 'pytorch_fid_cli.py'), ...dirs, '--weights', weights.path, '--device', 'cpu'], refEnv(undefined));
  log(`pytorch_fid (twin), default threads: ${theirsDefault.seconds.toFixed(2)} s`);
  const fidOf = (out) => Number(/FID:\s+(\S+)/.exec(out)?.[1]);
  const info = JSON.parse(theirs.out.trim().split('\n').at(-1));
  const infoDefault = JSON.parse(theirsDefault.out.trim().split('\n').at(-1));
  section([
    `## 3. End to end: \`gankit-eval fid A B\` vs \`python -m pytorch_fid A B --device cpu\`, two folders of ${PNGS} ${PNG_SIZE}×${PNG_SIZE} PNGs`,
    '',
    '| command (whole process: start-up, PNG decoding, Inception, statistics, FID) | seconds | vs gankit-eval |',
    '| --- | ---: | ---: |',
    `| \`gankit-eval fid A B --weights W --no-cache\` (${threads} threads, its default) | ${ours.seconds.toFixed(2)} | 1.00× |`,
    `| pytorch_fid_cli.py A B --device cpu, OMP_NUM_THREADS=${threads} (torch: ${info.threads} threads, ${info.num_workers} loader workers) | ${theirs.seconds.toFixed(2)} | ${ratio(theirs.seconds, ours.seconds)} |`,
    `| pytorch_fid_cli.py A B --device cpu, torch's default threads here (${infoDefault.threads}, ${infoDefault.num_workers} loader workers) | ${theirsDefault.seconds.toFixed(2)} | ${ratio(theirsDefault.seconds, ours.seconds)} |`,
    '',
    `FID: gankit ${fidOf(ours.out).toPrecision(10)}, pytorch-fid's formula in PyTorch/SciPy ${fidOf(theirs.out).toPrecision(10)}. PyTorch time split (${threads} threads): Inception + PNG loading ${info.inception.toFixed(2)} s, np.mean/np.cov ${info.stats.toFixed(2)} s, sqrtm FID ${info.fid.toFixed(2)} s.`,
    '',
    `Load (\`uptime\`, before): ${loadBefore3}`,
    '',
    `${loadLine('after')}`,
  ]);
  goals.push({ goal: `\`gankit-eval fid A B\`, 2 × ${PNGS} PNGs, ${threads} threads`, gankit: ours.seconds, ref: theirs.seconds, refName: `pytorch-fid CLI (twin), ${info.threads} threads` });

  const summary = [
    '## Summary: the three goals (target: gankit / reference ≤ 1.00×)',
    '',
    '| goal | gankit | reference | gankit / reference |',
    '| --- | ---: | ---: | ---: |',
    ...goals.map((g) => `| ${g.goal} | ${g.gankit.toFixed(2)} s | ${g.ref.toFixed(2)} s (${g.refName}) | **${ratio(g.gankit, g.ref)}** |`),
    '',
    loadLine('at the end'),
  ];
  console.log(`\n${summary.join('\n')}\n`);
  md.splice(5, 0, ...summary, '');
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'eval-goals.md'), md.join('\n'));
  log('wrote bench/results/eval-goals.md');
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
