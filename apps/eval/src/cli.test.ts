import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem } from '@gankit/core/node';
import { randomSubset } from '@gankit/data';
import { mnist, readNpz, writeIdx } from '@gankit/data/node';
import { createGan } from '@gankit/models';
import { buildPackage, referencePython, repoPath, runNode, type ProcessResult } from '../../../testing/cli-process';

const cli = repoPath('apps', 'eval', 'dist', 'cli.js');
let work: string;

async function writeDigits(dir: string, images: Uint8Array, from: number, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const pixels = images.subarray((from + i) * 784, (from + i + 1) * 784);
    await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(dir, `${String(i).padStart(5, '0')}.png`));
  }
}

async function writeNoise(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(5);
  for (let i = 0; i < count; i++) {
    const pixels = Uint8Array.from({ length: 784 }, () => rng.int(256));
    await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(dir, `${i}.png`));
  }
}

function evalCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runNode(cli, [...args, '--no-progress'], { env: { ...process.env, GANKIT_INCEPTION_WEIGHTS: '', GANKIT_CACHE_DIR: join(work, 'default-cache'), ...env } });
}

async function evalJson(args: string[]): Promise<{ metrics: { metric: string; value: number; std?: number }[]; n_real: number | null; n_fake: number | null; warnings: string[] }> {
  const result = await evalCli([...args, '--json']);
  expect(result.stderr.split('\n').filter((l) => l.includes('error'))).toEqual([]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Awaited<ReturnType<typeof evalJson>>;
}

function metric(report: Awaited<ReturnType<typeof evalJson>>, name: string): number {
  const row = report.metrics.find((m) => m.metric === name);
  if (!row) throw new Error(`no ${name} in ${JSON.stringify(report.metrics)}`);
  return row.value;
}

beforeAll(async () => {
  await buildPackage('@gankit/eval');
  work = await mkdtemp(join(tmpdir(), 'gankit-eval-'));
  const train = await mnist({ split: 'train' });
  const test = await mnist({ split: 'test' });
  await writeDigits(join(work, 'train'), train.images, 0, 400);
  await writeDigits(join(work, 'test'), test.images, 0, 400);
  await writeNoise(join(work, 'noise'), 400);
});

describe('gankit-eval usage', () => {
  it('prints help and version, and rejects bad usage with one line and exit 2', async () => {
    const help = await evalCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: gankit-eval <command>/);
    expect((await evalCli(['--version'])).stdout).toMatch(/^gankit-eval \d+\.\d+\.\d+/);
    for (const args of [['fid', 'a'], ['nope', 'a', 'b'], ['fid', 'a', 'b', '--batch-size', '0'], ['stats', 'a'], ['fid', 'a', 'b', '--bogus']]) {
      const r = await evalCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^gankit-eval: error: .*see gankit-eval --help/);
    }
    const dash = await evalCli(['fid', 'a', 'b', '--num', '-5']);
    expect(dash.code).toBe(2);
    expect(dash.stderr.trim()).toBe('gankit-eval: error: --num got "-5", which starts with a dash and so reads as an option; write --num=-5 if it is the value (see gankit-eval --help)');
  });

  it('names a missing input and where to get missing Inception weights, in one line', async () => {
    const missing = await evalCli(['fid', join(work, 'nowhere'), join(work, 'test'), '--extractor', 'mnist']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^gankit-eval: error: input ".*nowhere" does not exist/);
    const noWeights = await evalCli(['fid', join(work, 'train'), join(work, 'test')]);
    expect(noWeights.code).toBe(1);
    const lines = noWeights.stderr.trim().split('\n').filter((l) => !l.includes('warning'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pt_inception-2015-12-05-6726825d\.pth/);
    expect(lines[0]).toMatch(/--weights \/path\/to\/pt_inception/);
    expect(lines[0]).not.toMatch(/inceptionV3\(/);
  });
});

describe('gankit-eval on real MNIST digits (bundled MNIST classifier)', () => {
  it('gives FID ≈ 0 for a set against itself, small for train vs test, large for noise', async () => {
    const self = metric(await evalJson(['fid', join(work, 'test'), join(work, 'test'), '--extractor', 'mnist']), 'FID');
    const trainTest = metric(await evalJson(['fid', join(work, 'train'), join(work, 'test'), '--extractor', 'mnist']), 'FID');
    const noise = metric(await evalJson(['fid', join(work, 'train'), join(work, 'noise'), '--extractor', 'mnist']), 'FID');
    expect(Math.abs(self)).toBeLessThan(1e-6 * Math.max(1, trainTest));
    expect(trainTest).toBeGreaterThan(0);
    expect(noise).toBeGreaterThan(20 * trainTest);
  });

  it('`all` equals the separate commands (one feature pass, same numbers)', async () => {
    const a = join(work, 'train');
    const b = join(work, 'test');
    const all = await evalJson(['all', a, b, '--extractor', 'mnist', '--kid-subsets', '10', '--kid-subset-size', '100']);
    const fid = await evalJson(['fid', a, b, '--extractor', 'mnist']);
    const kid = await evalJson(['kid', a, b, '--extractor', 'mnist', '--kid-subsets', '10', '--kid-subset-size', '100']);
    const pr = await evalJson(['pr', a, b, '--extractor', 'mnist']);
    const is = await evalJson(['is', b, '--extractor', 'mnist']);
    expect(metric(all, 'FID')).toBeCloseTo(metric(fid, 'FID'), 9);
    expect(metric(all, 'KID')).toBeCloseTo(metric(kid, 'KID'), 12);
    expect(metric(all, 'precision')).toBe(metric(pr, 'precision'));
    expect(metric(all, 'recall')).toBe(metric(pr, 'recall'));
    expect(metric(all, 'IS')).toBeCloseTo(metric(is, 'IS'), 9);
    expect(all.n_real).toBe(400);
    expect(all.n_fake).toBe(400);
  });

  it('reads named datasets and IDX files and prints a readable table', async () => {
    const table = await evalCli(['fid', 'mnist:test', join(work, 'test'), '--extractor', 'mnist', '--num', '400']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^metric\s+value\s+± std/m);
    expect(table.stdout).toMatch(/^FID\s+-?\d/m);
    expect(table.stdout).toMatch(/^N real\s+400/m);
    expect(table.stdout).toMatch(/^extractor\s+mnist-classifier/m);
    expect(table.stdout).toMatch(/^backend\s+(wasm|tensorflow|cpu)/m);
    expect(table.stdout).toMatch(/^subset\s+mnist:test: 400 of 10000 \(seed 0\)/m);
    // --num 400 is the seeded random subset randomSubset(10000, 400, seed): the same digits as a PNG folder give FID 0
    const test = await mnist({ split: 'test' });
    const chosen = randomSubset(10000, 400, 0);
    const picked = new Uint8Array(400 * 784);
    chosen.forEach((index, row) => picked.set(test.images.subarray(index * 784, (index + 1) * 784), row * 784));
    await writeDigits(join(work, 'test-subset'), picked, 0, 400);
    expect(Math.abs(metric(await evalJson(['fid', 'mnist:test', join(work, 'test-subset'), '--extractor', 'mnist', '--num', '400']), 'FID'))).toBeLessThan(1e-6);
    const idx = join(work, 't10k-images-idx3-ubyte.gz');
    await writeIdx(idx, { dtype: 'uint8', shape: [400, 28, 28], data: test.images.slice(0, 400 * 784) }, { gzip: true });
    expect(Math.abs(metric(await evalJson(['fid', idx, join(work, 'test'), '--extractor', 'mnist']), 'FID'))).toBeLessThan(1e-6);
  });

  it('caches reference statistics and recomputes them when the folder changes', async () => {
    const cache = join(work, 'cache');
    const args = ['fid', join(work, 'train'), join(work, 'test'), '--extractor', 'mnist', '--cache', cache, '--recursive'];
    const first = metric(await evalJson(args), 'FID');
    const second = metric(await evalJson(args), 'FID');
    expect(second).toBeCloseTo(first, 9);
    const entries = spawnSync('ls', [cache], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(entries.filter((e) => e.endsWith('.npz'))).toHaveLength(1);
    await writeDigits(join(work, 'train', 'extra'), (await mnist({ split: 'train' })).images, 500, 3);
    const changed = await evalJson(args);
    expect(changed.n_real).toBe(403);
    const after = spawnSync('ls', [cache], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(after.filter((e) => e.endsWith('.npz'))).toHaveLength(2);
  });
});

describe('gankit-eval with statistics files', () => {
  const python = referencePython(['numpy', 'scipy'], 'gankit-eval FID/stats agreement with SciPy');

  it.runIf(python)('`fid a.npz b.npz` equals SciPy (pytorch-fid formula) to 1e-6', async () => {
    for (const [dim, seed] of [[16, 1], [256, 2]] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'gankit-eval-npz-'));
      const ref = spawnSync(python as string, [repoPath('apps', 'eval', 'test', 'fixtures', 'fid_npz.py'), dir, String(dim), String(seed)], { encoding: 'utf8' });
      expect(ref.status, ref.stderr).toBe(0);
      const expected = (JSON.parse(ref.stdout) as { fid: number }).fid;
      const got = metric(await evalJson(['fid', join(dir, 'a.npz'), join(dir, 'b.npz')]), 'FID');
      expect(Math.abs(got - expected) / expected).toBeLessThan(1e-6);
    }
  });

  it.runIf(python)('`stats` writes a file NumPy loads with float64 mu [d] and sigma [d, d]', async () => {
    const out = join(work, 'ref.npz');
    const result = await evalCli(['stats', join(work, 'test'), '--out', out, '--extractor', 'mnist']);
    expect(result.code, result.stderr).toBe(0);
    const check = spawnSync(python as string, ['-c', `import numpy as np, json; f = np.load(${JSON.stringify(out)}); print(json.dumps({k: [str(f[k].dtype), list(f[k].shape)] for k in f.files}))`], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const arrays = JSON.parse(check.stdout) as Record<string, [string, number[]]>;
    // pytorch-fid's mu and sigma, plus the count, sum and co-moment that make the file mergeable
    expect(Object.keys(arrays).sort()).toEqual(['comoment', 'mu', 'n', 'sigma', 'sum']);
    const d = arrays.mu![1][0]!;
    expect(arrays.mu).toEqual(['float64', [d]]);
    expect(arrays.sigma).toEqual(['float64', [d, d]]);
    // and gankit reads it back as the FID reference: FID(test stats, test images) ≈ 0
    const fid = metric(await evalJson(['fid', out, join(work, 'test'), '--extractor', 'mnist']), 'FID');
    expect(Math.abs(fid)).toBeLessThan(1e-6);
  });
});

describe('gankit-eval on an exported generator', () => {
  it('samples --num images with --seed: same seed, same numbers; another seed, other numbers', async () => {
    await initBackend({ backend: 'cpu' });
    const gan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], latentDim: 16, seed: 3 });
    const dir = join(work, 'generator');
    await gan.generator.save(fileSystem(dir));
    gan.generator.dispose();
    gan.discriminator.dispose();
    const args = ['is', dir, '--num', '120', '--extractor', 'mnist', '--splits', '2'];
    const a = await evalJson([...args, '--seed', '7']);
    const b = await evalJson([...args, '--seed', '7']);
    const c = await evalJson([...args, '--seed', '8']);
    expect(a.n_fake).toBe(120);
    expect(metric(a, 'IS')).toBe(metric(b, 'IS'));
    expect(metric(a, 'IS')).not.toBe(metric(c, 'IS'));
  });

  it('samples class-conditional and InfoGAN generators (labels and codes drawn from the seed)', async () => {
    await initBackend({ backend: 'cpu' });
    for (const architecture of ['cgan', 'infogan'] as const) {
      const gan = createGan({ architecture, imageShape: [28, 28, 1], latentDim: 8, numClasses: 10, seed: 4 });
      const dir = join(work, architecture);
      await gan.generator.save(fileSystem(dir));
      await writeFile(join(work, `${architecture}.txt`), gan.generator.inputs.map((i) => JSON.stringify(i.shape)).join(' '));
      gan.generator.dispose();
      gan.discriminator.dispose();
      const report = await evalJson(['is', dir, '--num', '60', '--extractor', 'mnist', '--splits', '1', '--seed', '2']);
      expect(report.n_fake).toBe(60);
      expect(metric(report, 'IS')).toBeGreaterThanOrEqual(1);
    }
  });

  it('--truncation: 0 gives every sample the mean image (ψ = 0 toward the tracked w for stylegan2, z = 0 for dcgan); other values vary', async () => {
    await initBackend({ backend: 'cpu' });
    const style = createGan({ architecture: 'stylegan2', imageShape: [16, 16, 3], width: 4, latentDim: 6, wDim: 6, mappingLayers: 2, seed: 5 });
    const dcgan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], width: 4, latentDim: 8, seed: 6 });
    const parts = style.styleGan2!;
    // A tracked mean w (training calls update it) and the in-process mean images the CLI must reproduce.
    tf.tidy(() => void parts.mapping.apply(tf.randomNormal([8, 6], 0, 1, 'float32', 1), { training: true }));
    const toBytes = (x: tf.Tensor) => Array.from(tf.tidy(() => tf.floor(tf.clipByValue(tf.add(tf.mul(tf.add(x, 1), 127.5), 0.5), 0, 255))).dataSync());
    const meanW = style.generator.getLayer('g_mapping').getWeights()[4]!;
    const expected = {
      stylegan2: toBytes(tf.tidy(() => parts.synthesis.predict(tf.tile(tf.reshape(meanW, [1, 1, 6]), [1, parts.numWs, 1])) as tf.Tensor)),
      dcgan: toBytes(tf.tidy(() => dcgan.generator.predict(tf.zeros([1, 8])) as tf.Tensor)),
    };
    for (const [name, gan] of [['stylegan2', style], ['dcgan', dcgan]] as const) {
      const dir = join(work, `truncation-${name}`);
      await gan.generator.save(fileSystem(dir));
      gan.generator.dispose();
      gan.discriminator.dispose();
      const sampleImages = async (truncation: string | undefined) => {
        const out = join(work, `truncation-${name}-${truncation ?? 'none'}`);
        await evalJson(['sample', dir, '--num', '5', '--out', out, '--format', 'npz', ...(truncation === undefined ? [] : ['--truncation', truncation])]);
        const images = (await readNpz(join(out, 'samples.npz'))).images!;
        const size = images.data.length / 5;
        return Array.from({ length: 5 }, (_, i) => Array.from(images.data.subarray(i * size, (i + 1) * size) as Uint8Array));
      };
      const mean = await sampleImages('0');
      mean.forEach((image) => expect(image).toEqual(expected[name]));
      const partial = await sampleImages('0.5');
      expect(new Set(partial.map((image) => image.join(','))).size).toBe(5);
      if (name === 'stylegan2') expect(await sampleImages('1')).toEqual(await sampleImages(undefined));
    }
    const bad = await evalCli(['sample', join(work, 'truncation-dcgan'), '--num', '2', '--out', join(work, 'nope'), '--truncation=-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^gankit-eval: error: --truncation must be a number ≥ 0/);
  });
});
