// FID through the full Inception path of the built `gankit-eval` (PNG folders → pytorch-fid's FID Inception on
// wasm → float64 statistics → FID) against the same computation in PyTorch + SciPy, on the deterministic FID
// Inception weights of packages/metrics/test/fixtures/inception/make_reference.py (see @gankit/metrics' README,
// "Parity with PyTorch": pool3 features agree to ≤ 1e-3 of the feature scale, max |pool3|).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnist } from '@gankit/data/node';
import { type FeatureStats } from '@gankit/metrics';
import { loadStatsNpz } from '@gankit/metrics/node';
import { buildPackage, referencePython, repoPath, runNode, type ProcessResult } from '../../../testing/cli-process';

const cli = repoPath('apps', 'eval', 'dist', 'cli.js');
const makeReferenceScript = repoPath('packages', 'metrics', 'test', 'fixtures', 'inception', 'make_reference.py');
const referenceScript = repoPath('apps', 'eval', 'test', 'fixtures', 'inception_fid.py');
const python = referencePython(['torch', 'torchvision', 'scipy', 'PIL'], 'gankit-eval Inception FID parity');

/** Images per folder: Inception on wasm takes ~3 s per image on a busy 2-core machine. */
const PER_FOLDER = 10;
/** The documented Inception parity bound (metrics README): |Δ pool3| ≤ 1e-3 · max |pool3|. */
const FEATURE_TOLERANCE = 1e-3;

interface PythonReference {
  fid: number;
  fid_exact: number;
  trace_sqrt_sqrtm: number;
  trace_sqrt_exact: number;
  sqrtm_eps_retry: boolean;
  sqrtm_max_imag: number;
  sqrtm_would_raise: boolean;
  n_a: number;
  n_b: number;
  mu_a: number[];
  pool3_max_abs: number;
}

interface EvalReport {
  metrics: { metric: string; value: number }[];
  n_real: number | null;
  n_fake: number | null;
  warnings: string[];
}

/**
 * The weights make_reference.py writes, in the cache directory the metrics parity test uses (temp dir, keyed by
 * the script's hash: 2 × 95 MB, generated once per machine). Generated into a private folder and renamed, so
 * that two test processes starting at once never read a half-written file.
 */
async function referenceWeightsDir(py: string): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(makeReferenceScript)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `gankit-inception-reference-${hash}`);
  if (existsSync(join(dir, 'reference.json'))) return dir;
  const staging = `${dir}.eval-${process.pid}`;
  await promisify(execFile)(py, [makeReferenceScript, staging], { timeout: 600_000 });
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process finished first: use its copy
  }
  if (!existsSync(join(dir, 'reference.json'))) throw new Error(`make_reference.py did not produce ${dir}/reference.json`);
  return dir;
}

/** Folder A: MNIST training digits as 1-channel PNGs (both sides replicate gray to RGB). */
async function writeGrayDigits(dir: string, images: Uint8Array, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const pixels = images.subarray(i * 784, (i + 1) * 784);
    await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(dir, `${String(i).padStart(3, '0')}.png`));
  }
}

/** Folder B: MNIST test digits tinted into RGB PNGs (a different colour per image, so channel order matters). */
async function writeTintedDigits(dir: string, images: Uint8Array, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const tint = [1 - 0.07 * i, 0.35 + 0.06 * i, 0.2 + 0.08 * ((i * 3) % 10)];
    const rgb = new Uint8Array(784 * 3);
    for (let p = 0; p < 784; p++) {
      const v = images[i * 784 + p]!;
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(v * tint[c]! + 30 * c * (1 - v / 255));
    }
    await sharp(Buffer.from(rgb), { raw: { width: 28, height: 28, channels: 3 } }).png().toFile(join(dir, `${String(i).padStart(3, '0')}.png`));
  }
}

function evalCli(args: string[]): Promise<ProcessResult> {
  return runNode(cli, [...args, '--no-progress'], { timeout: 400_000, env: { ...process.env, GANKIT_INCEPTION_WEIGHTS: '' } });
}

function parseReport(result: ProcessResult): EvalReport {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as EvalReport;
}

function fidOf(report: EvalReport): number {
  const row = report.metrics.find((m) => m.metric === 'FID');
  if (!row) throw new Error(`no FID in ${JSON.stringify(report.metrics)}`);
  return row.value;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function maxAbs(a: Float64Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function relative(got: number, expected: number): number {
  return Math.abs(got - expected) / Math.abs(expected);
}

describe.skipIf(!python)('gankit-eval FID through the Inception path equals PyTorch + SciPy (same weights, same images)', () => {
  let work: string;
  let weightsDir: string;
  let ref: PythonReference;
  let fullPathFid: number;
  let fullPath: EvalReport;
  const report: string[] = [];
  const seconds = (start: number): string => `${((performance.now() - start) / 1000).toFixed(1)} s`;

  beforeAll(async () => {
    const py = python as string;
    const start = performance.now();
    const [dir] = await Promise.all([referenceWeightsDir(py), buildPackage('@gankit/eval')]);
    weightsDir = dir;
    report.push(`weights + build ready: ${seconds(start)}`);
    work = await mkdtemp(join(tmpdir(), 'gankit-eval-inception-'));
    await writeGrayDigits(join(work, 'a'), (await mnist({ split: 'train' })).images, PER_FOLDER);
    await writeTintedDigits(join(work, 'b'), (await mnist({ split: 'test' })).images, PER_FOLDER);

    // gankit-eval (wasm) and the PyTorch reference side by side: the same images, the same legacy-format file.
    const legacy = join(weightsDir, 'weights.legacy.pth');
    const cliStart = performance.now();
    const cliRun = evalCli(['fid', join(work, 'a'), join(work, 'b'), '--extractor', 'inception', '--weights', legacy, '--backend', 'wasm', '--cache', join(work, 'cache'), '--json']).then((r) => {
      report.push(`gankit-eval fid A B (${2 * PER_FOLDER} images, wasm): ${seconds(cliStart)}`);
      return r;
    });
    const pyStart = performance.now();
    const pyRun = promisify(execFile)(py, [referenceScript, join(work, 'a'), join(work, 'b'), legacy, join(work, 'reference.json')], { timeout: 400_000 }).then((r) => {
      report.push(`PyTorch reference (${2 * PER_FOLDER} images): ${seconds(pyStart)}`);
      return r;
    });
    const [cliResult] = await Promise.all([cliRun, pyRun]);
    fullPath = parseReport(cliResult);
    fullPathFid = fidOf(fullPath);
    ref = JSON.parse(await readFile(join(work, 'reference.json'), 'utf8')) as PythonReference;
  }, 900_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`gankit-eval Inception FID parity:\n  ${report.join('\n  ')}`);
  });

  it('`fid A B --extractor inception --weights weights.legacy.pth` equals the exact PyTorch + SciPy FID', () => {
    expect(fullPath.n_real).toBe(PER_FOLDER);
    expect(fullPath.n_fake).toBe(PER_FOLDER);
    expect(ref.n_a).toBe(PER_FOLDER);
    expect(ref.n_b).toBe(PER_FOLDER);
    const rel = relative(fullPathFid, ref.fid_exact);
    const relSqrtm = relative(fullPathFid, ref.fid);
    report.push(
      `FID gankit ${fullPathFid.toFixed(6)} | PyTorch features + exact Tr√(ΣaΣb) ${ref.fid_exact.toFixed(6)}: |Δ| ${Math.abs(fullPathFid - ref.fid_exact).toExponential(2)}, rel ${rel.toExponential(2)}`,
      `FID pytorch-fid formula (scipy sqrtm${ref.sqrtm_eps_retry ? ', eps retry' : ''}, max |imag| ${ref.sqrtm_max_imag.toExponential(2)}${ref.sqrtm_would_raise ? ', pytorch-fid would raise' : ''}) ${ref.fid.toFixed(6)}: |Δ| ${Math.abs(fullPathFid - ref.fid).toExponential(2)}, rel ${relSqrtm.toExponential(2)}`,
    );
    // 10 images, 2048 features: gankit-eval says the covariances are singular (and still gives the exact FID)
    expect(fullPath.warnings.some((w) => w.includes(`N = ${PER_FOLDER} < d = 2048`))).toBe(true);
    // FID is quadratic in the features: a relative feature error ε moves each of its terms by ≲ 2ε.
    expect(rel).toBeLessThanOrEqual(2 * FEATURE_TOLERANCE);
    // SciPy's sqrtm of the singular (rank ≤ 9) product is itself only approximate: looser, measured above.
    expect(relSqrtm).toBeLessThanOrEqual(1e-2);
  });

  it('`fid --save-stats A OUT --dims 768` gives pytorch-fid\'s block-2 (Mixed_6e) features: μ matches PyTorch', async () => {
    const zip = join(weightsDir, 'weights.zip.pth');
    const few = join(work, 'few');
    await mkdir(few, { recursive: true });
    for (const name of readdirSync(join(work, 'b')).sort().slice(0, 2)) copyFileSync(join(work, 'b', name), join(few, name));
    const start = performance.now();
    const out = join(work, 'few768.npz');
    const [run] = await Promise.all([
      evalCli(['fid', '--save-stats', few, out, '--dims', '768', '--weights', zip, '--backend', 'wasm']),
      promisify(execFile)(python as string, [repoPath('apps', 'eval', 'test', 'fixtures', 'inception_dims.py'), few, zip, '768', join(work, 'dims.json')], { timeout: 400_000 }),
    ]);
    expect(run.code, run.stderr).toBe(0);
    report.push(`gankit-eval fid --save-stats --dims 768 (2 images): ${seconds(start)}`);
    const torch = JSON.parse(await readFile(join(work, 'dims.json'), 'utf8')) as { n: number; mu: number[]; max_abs: number };
    const stats = await loadStatsNpz(out);
    expect(stats.dim).toBe(768);
    expect(torch.n).toBe(2);
    const diff = maxAbsDiff(stats.mu, Float64Array.from(torch.mu));
    report.push(`--dims 768 μ: max |Δ| ${diff.toExponential(2)} of max |feature| ${torch.max_abs.toFixed(3)}`);
    expect(diff).toBeLessThanOrEqual(FEATURE_TOLERANCE * torch.max_abs);
  });

  it('weights in the zip torch.save format: `stats B` μ, Σ match PyTorch; `fid a.npz b.npz` gives the same FID', async () => {
    const zip = join(weightsDir, 'weights.zip.pth');
    const start = performance.now();
    const out = join(work, 'b.gankit.npz');
    const stats = await evalCli(['stats', join(work, 'b'), '--out', out, '--extractor', 'inception', '--weights', zip, '--backend', 'wasm']);
    expect(stats.code, stats.stderr).toBe(0);
    report.push(`gankit-eval stats B (${PER_FOLDER} images, zip weights, wasm): ${seconds(start)}`);

    // A's statistics: the reference side of the full-path run, written into --cache as pytorch-fid's .npz.
    const cached = readdirSync(join(work, 'cache')).filter((f) => f.endsWith('.npz'));
    expect(cached).toHaveLength(1);
    const aNpz = join(work, 'cache', cached[0]!);
    const gankit: Record<'a' | 'b', FeatureStats> = { a: await loadStatsNpz(aNpz), b: await loadStatsNpz(out) };
    const torch: Record<'a' | 'b', FeatureStats> = { a: await loadStatsNpz(join(work, 'reference.a.npz')), b: await loadStatsNpz(join(work, 'reference.b.npz')) };
    const scale = ref.pool3_max_abs;
    for (const side of ['a', 'b'] as const) {
      const dMu = maxAbsDiff(gankit[side].mu, torch[side].mu);
      const dSigma = maxAbsDiff(gankit[side].sigma, torch[side].sigma);
      report.push(`${side.toUpperCase()} (${side === 'a' ? 'legacy' : 'zip'} weights): max |Δμ| ${dMu.toExponential(2)} (max |μ| ${maxAbs(torch[side].mu).toFixed(3)}), max |ΔΣ| ${dSigma.toExponential(2)} (max |Σ| ${maxAbs(torch[side].sigma).toFixed(3)}); feature scale max |pool3| ${scale.toFixed(3)}`);
      expect(dMu).toBeLessThanOrEqual(FEATURE_TOLERANCE * scale);
      // Σ is a mean of products of two features: each error ≤ ε·scale moves it by ≤ 2·ε·scale².
      expect(dSigma).toBeLessThanOrEqual(2 * FEATURE_TOLERANCE * scale * scale);
    }
    // and the μ[:8] the script printed (its JSON) agree with its .npz: the files are the ones this run wrote
    ref.mu_a.forEach((v, i) => expect(torch.a.mu[i]).toBe(v));

    // FID is dominated by ‖μa − μb‖² here: check its Tr √(Σa Σb) term on its own (gankit's, recovered from its FID).
    let meanTerm = 0;
    let traces = 0;
    for (let i = 0; i < gankit.a.dim; i++) {
      meanTerm += (gankit.a.mu[i]! - gankit.b.mu[i]!) ** 2;
      traces += gankit.a.sigma[i * gankit.a.dim + i]! + gankit.b.sigma[i * gankit.b.dim + i]!;
    }
    const traceSqrt = (meanTerm + traces - fullPathFid) / 2;
    report.push(`Tr√(ΣaΣb) gankit ${traceSqrt.toFixed(6)} vs exact from PyTorch features ${ref.trace_sqrt_exact.toFixed(6)}: rel ${relative(traceSqrt, ref.trace_sqrt_exact).toExponential(2)} (sqrtm: rel ${relative(ref.trace_sqrt_sqrtm, ref.trace_sqrt_exact).toExponential(2)})`);
    expect(relative(traceSqrt, ref.trace_sqrt_exact)).toBeLessThanOrEqual(2 * FEATURE_TOLERANCE);

    // The zip and legacy files hold the same tensors: FID of the two .npz files = the full-path FID.
    const fromFiles = fidOf(parseReport(await evalCli(['fid', aNpz, out, '--json'])));
    report.push(`fid a.npz b.npz (gankit stats) ${fromFiles.toFixed(6)} vs full path ${fullPathFid.toFixed(6)}: rel ${relative(fromFiles, fullPathFid).toExponential(2)}`);
    expect(relative(fromFiles, fullPathFid)).toBeLessThanOrEqual(1e-9);
  });
});
