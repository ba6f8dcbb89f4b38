// Statistics + FID speed: gankit (featureStats streaming in batches of 50 + frechetDistance, float64 wasm
// kernels on all cores) next to NumPy/SciPy doing pytorch-fid's computation (np.mean/np.cov ×2, then
// calculate_frechet_distance with scipy.linalg.sqrtm) on the same two seeded feature sets, in one run.
// Features: ReLU'd correlated Gaussians (64 shared factors + independent noise), float32 like pool3.
// Usage: pnpm build && node bench/metrics/run.mjs [--n 10000] [--d 2048] [--reps 2]
// Prints a markdown table and writes bench/results/metrics.md. (Inception extraction speed: extract.mjs.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '@gankit/core';
import { writeNpy } from '@gankit/data/node';
import { featureStats, float64KernelInfo, frechetDistanceDetailed } from '@gankit/metrics';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    d: { type: 'string', default: '2048' },
    reps: { type: 'string', default: '2' },
  },
});
const N = Number(args.n);
const D = Number(args.d);
const REPS = Number(args.reps);
const PYTHON = process.env.GANKIT_PYTHON || '/usr/bin/python3'; // the reference Python (GANKIT_PYTHON overrides, as in the tests)
const here = fileURLToPath(new URL('.', import.meta.url));

/** N×D float32 features: relu(F·L + 0.5·z + shift), F: N×64 factors, L: 64×D loadings. */
function makeFeatures(seed, loadingsSeed, shift) {
  const rng = createRng(seed);
  const lrng = createRng(loadingsSeed);
  const K = 64;
  const L = lrng.normalArray(K * D, 0, 1 / Math.sqrt(K));
  const bias = lrng.normalArray(D, shift, 0.2);
  const out = new Float32Array(N * D);
  const row = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const f = rng.normalArray(K);
    const z = rng.normalArray(D, 0, 0.5);
    for (let j = 0; j < D; j++) row[j] = bias[j] + z[j];
    for (let k = 0; k < K; k++) {
      const fk = f[k];
      const off = k * D;
      for (let j = 0; j < D; j++) row[j] += fk * L[off + j];
    }
    for (let j = 0; j < D; j++) out[i * D + j] = row[j] > 0 ? row[j] : 0;
  }
  return out;
}

async function* batchesOf(features, rows) {
  for (let r = 0; r < N; r += rows) {
    const n = Math.min(rows, N - r);
    yield { data: features.subarray(r * D, (r + n) * D), rows: n, cols: D };
  }
}

async function gankit(f1, f2) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const s1 = await featureStats(batchesOf(f1, 50));
  const s2 = await featureStats(batchesOf(f2, 50));
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const r = await frechetDistanceDetailed(s1, s2, { onWarning: () => {} });
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpu = (a, b) => (b.user + b.system - a.user - a.system) / 1e6;
  return { stats_s: (t1 - t0) / 1000, fid_s: (t2 - t1) / 1000, stats_cpu_s: cpu(c0, c1), fid_cpu_s: cpu(c1, c2), fid: r.fid };
}

function numpy(p1, p2) {
  const env = { ...process.env };
  // see /work/.library/env/README.md: these slow a current NumPy; unset both for this command only
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const out = execFileSync(PYTHON, [join(here, 'scipy_fid.py'), p1, p2], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const tmp = mkdtempSync(join(os.tmpdir(), 'gankit-bench-metrics-'));
try {
  console.log(`generating two ${N}×${D} feature sets...`);
  const f1 = makeFeatures(1, 100, 0.1);
  const f2 = makeFeatures(2, 101, 0.15);
  const p1 = join(tmp, 'f1.npy');
  const p2 = join(tmp, 'f2.npy');
  await writeNpy(p1, { dtype: 'float32', shape: [N, D], data: f1 });
  await writeNpy(p2, { dtype: 'float32', shape: [N, D], data: f2 });

  // start the kernels' worker threads once (reported, not counted in the rows below)
  const w0 = performance.now();
  await featureStats([{ data: f1.subarray(0, 4 * D), rows: 4, cols: D }]);
  const startup = (performance.now() - w0) / 1000;
  const kernels = await float64KernelInfo();

  const g = [];
  const p = [];
  for (let rep = 0; rep < REPS; rep++) {
    g.push(await gankit(f1, f2));
    console.log(`rep ${rep + 1} gankit: stats ${g.at(-1).stats_s.toFixed(2)} s, FID ${g.at(-1).fid_s.toFixed(2)} s`);
    p.push(numpy(p1, p2));
    console.log(`rep ${rep + 1} NumPy/SciPy: stats ${p.at(-1).stats_s.toFixed(2)} s, FID ${p.at(-1).fid_s.toFixed(2)} s`);
  }
  const gs = median(g.map((x) => x.stats_s));
  const gf = median(g.map((x) => x.fid_s));
  const gt = median(g.map((x) => x.stats_s + x.fid_s));
  const ps = median(p.map((x) => x.stats_s));
  const pf = median(p.map((x) => x.fid_s));
  const pt = median(p.map((x) => x.stats_s + x.fid_s));
  const gsc = median(g.map((x) => x.stats_cpu_s));
  const gfc = median(g.map((x) => x.fid_cpu_s));
  const psc = median(p.map((x) => x.stats_cpu_s));
  const pfc = median(p.map((x) => x.fid_cpu_s));
  const fidRel = Math.abs(g[0].fid - p[0].fid) / Math.abs(p[0].fid);
  const blas = p[0].blas;
  const load = os.loadavg()[0].toFixed(1);
  const md = [
    `## Statistics + FID, two ${N}×${D} feature sets (median of ${REPS}, same run)`,
    '',
    '| step | gankit (wasm SIMD, threads) | NumPy/SciPy (pytorch-fid) | gankit / NumPy |',
    '| --- | ---: | ---: | ---: |',
    `| μ, Σ of both sets (np.mean + np.cov ×2) | ${gs.toFixed(2)} s | ${ps.toFixed(2)} s | ${(gs / ps).toFixed(2)}× |`,
    `| FID from μ, Σ (sqrtm / Cholesky + eigenvalues) | ${gf.toFixed(2)} s | ${pf.toFixed(2)} s | ${(gf / pf).toFixed(2)}× |`,
    `| **total** | **${gt.toFixed(2)} s** | **${pt.toFixed(2)} s** | **${(gt / pt).toFixed(2)}×** |`,
    `| CPU time, μ/Σ (all threads) | ${gsc.toFixed(2)} s | ${psc.toFixed(2)} s | ${(gsc / psc).toFixed(2)}× |`,
    `| CPU time, FID (all threads) | ${gfc.toFixed(2)} s | ${pfc.toFixed(2)} s | ${(gfc / pfc).toFixed(2)}× |`,
    '',
    'Rows 1–3 are wall-clock times (the target: total ≤ 1.0×); the CPU-time rows are less sensitive to other load on the machine.',
    '',
    `FID: gankit ${g[0].fid.toPrecision(12)}, SciPy ${p[0].fid.toPrecision(12)} (relative difference ${fidRel.toExponential(2)}).`,
    `gankit: ${kernels.threads} threads, ${kernels.fma ? 'relaxed-SIMD fused multiply-add' : 'SIMD128 multiply + add (no relaxed SIMD in this Node)'} kernels (start-up ${startup.toFixed(2)} s, not counted); NumPy BLAS: OpenBLAS core ${blas.core}, ${blas.threads} threads (OPENBLAS_CORETYPE unset for it).`,
    `Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, load average ${load} at the end; Node ${process.version}.`,
    '',
  ].join('\n');
  console.log(`\n${md}`);
  mkdirSync(join(here, '..', 'results'), { recursive: true });
  writeFileSync(join(here, '..', 'results', 'metrics.md'), md);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
