// Issue 14's "Done when": a page that imports core, the engine package, losses, optimizers, models, training and metrics'
// statistics is bundled for the browser with esbuild and with Vite (no Node built-in, no sharp), and in headless
// Chromium it trains a DCGAN on wasm (gankit's kernels, Web Workers: the server sends COOP/COEP) and on webgl/cpu
// with a flat tensor count, runs generators gankit-train exported (and a discriminator from a checkpoint) with the
// same outputs as Node, and computes the same FID as Node.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@gankit/backend-wasm';
import { createRng } from '@gankit/core';
import { fileSystem, loadWeightsMap } from '@gankit/core/node';
import { featureStats, frechetDistance } from '@gankit/metrics';
import { createGan, type CreateGanOptions } from '@gankit/models';
import { build as esbuild } from 'esbuild';
import type { Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../examples/browser/serve.mjs';
import { launchChromium } from './chromium';
import { buildPackage, repoDir, runNode } from './cli-process';

const EXAMPLE = join(repoDir, 'examples', 'browser');
const TRAIN_CLI = join(repoDir, 'apps', 'trainer', 'dist', 'cli.js');
const BATCH = 3;

let work: string;
let closers: (() => Promise<void>)[] = [];
const pages: Record<'esbuild' | 'vite', Page> = {} as Record<'esbuild' | 'vite', Page>;
/** The modules each bundler put into the page's bundle. */
const bundled: Record<'esbuild' | 'vite', string[]> = { esbuild: [], vite: [] };
/** Node built-ins a module asked Vite for, with the importer. */
const viteBuiltins: string[] = [];

interface Run {
  name: string;
  dir: string;
  gan: CreateGanOptions;
  labels: boolean;
}

/** Trains a tiny model with the built gankit-train (2 steps) so its generator and checkpoint are exported. */
async function exportRun(name: string, config: Record<string, unknown>, gan: CreateGanOptions, labels = false): Promise<Run> {
  const dir = join(work, 'runs', name);
  const configPath = join(work, `${name}.json`);
  const logging = { logEvery: 1, sampleEvery: 2, checkpointEvery: 2, tensorboard: false, report: false, sampleCount: 4 };
  await writeFile(configPath, JSON.stringify({ name, seed: 3, backend: 'wasm', training: { steps: 2, batchSize: 4 }, logging, ...config }));
  const r = await runNode(TRAIN_CLI, ['--config', configPath, '--out', dir], { timeout: 170_000 });
  expect(r.code, r.stderr).toBe(0);
  return { name, dir, gan: { seed: 3, ...gan }, labels };
}

/** Fixed generator inputs: seeded z (and labels 0, 1, 2 for conditional models). */
function generatorInputs(run: Run, latentDim: number): { values: ArrayLike<number>; shape: number[]; dtype?: string }[] {
  const z = { values: Array.from(createRng(7).normalArray(BATCH * latentDim)), shape: [BATCH, latentDim] };
  return run.labels ? [z, { values: [0, 1, 2], shape: [BATCH, 1], dtype: 'int32' }] : [z];
}

async function nodeGenerator(run: Run, backend: 'wasm' | 'cpu', inputs: ReturnType<typeof generatorInputs>): Promise<Float32Array> {
  await initBackend({ backend });
  const model = await tfl.loadLayersModel(fileSystem(join(run.dir, 'generator')));
  const out = tf.tidy(() => model.predict(inputs.map((x) => tf.tensor(x.values, x.shape, (x.dtype ?? 'float32') as 'float32'))) as tf.Tensor);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return values;
}

async function lastCheckpoint(run: Run): Promise<string> {
  const steps = (await readdir(join(run.dir, 'checkpoints'))).filter((n) => /^step-\d+$/.test(n)).sort();
  return join(run.dir, 'checkpoints', steps.at(-1)!);
}

async function nodeDiscriminator(run: Run, backend: 'wasm' | 'cpu', images: { values: number[]; shape: number[] }): Promise<Float32Array> {
  await initBackend({ backend });
  const { discriminator, generator } = createGan(run.gan);
  const saved = await loadWeightsMap(await lastCheckpoint(run), { name: 'discriminator' });
  discriminator.weights.forEach((w, i) => w.write(saved.entries[i]!.tensor));
  const out = tf.tidy(() => discriminator.predict(tf.tensor(images.values, images.shape)) as tf.Tensor);
  const values = (await out.data()) as Float32Array;
  tf.dispose([out, ...saved.entries.map((e) => e.tensor)]);
  discriminator.dispose();
  generator.dispose();
  return values;
}

function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  expect(actual.length).toBe(expected.length);
  return err / Math.max(scale, 1e-30);
}

/** Calls a function of the example's `globalThis.gankitExample` in the page. */
function call<T>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([name, rest]) => (globalThis as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>).gankitExample![name]!(...(rest)), [fn, args] as const) as Promise<T>;
}

let runs: Run[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gankit-browser-'));
  await Promise.all([buildPackage('@gankit/example-browser'), buildPackage('@gankit/trainer')]);
  // The same page, bundled twice.
  const esbuildOut = join(work, 'esbuild');
  await mkdir(esbuildOut, { recursive: true });
  const result = await esbuild({ entryPoints: [join(EXAMPLE, 'main.mjs')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(esbuildOut, 'main.js'), metafile: true, logLevel: 'silent' });
  bundled.esbuild = Object.keys(result.metafile.inputs);
  await writeFile(join(esbuildOut, 'index.html'), '<!doctype html><meta charset="utf-8"><p id="status"></p><canvas id="samples"></canvas><script type="module" src="./main.js"></script>');
  // Vite replaces a Node built-in with a `__vite-browser-external` stub instead of failing, so record who asks for one.
  // (TF.js's own packages map fs, worker_threads… to `false` in their `browser` field: those stubs are expected.)
  const recordBuiltins = { name: 'record-node-builtins', enforce: 'pre' as const, resolveId: (id: string, importer?: string) => void (isBuiltin(id) && viteBuiltins.push(`${id} from ${importer ?? '?'}`)) };
  const vite = await viteBuild({ root: EXAMPLE, logLevel: 'silent', plugins: [recordBuiltins], build: { outDir: join(work, 'vite'), emptyOutDir: true } });
  bundled.vite = (Array.isArray(vite) ? vite : [vite]).flatMap((o) => ('output' in o ? o.output : [])).flatMap((c) => (c.type === 'chunk' ? c.moduleIds : []));
  runs = [
    await exportRun('mnist-cgan', { extends: 'mnist-cgan', data: { source: 'mnist', limit: 40 }, model: { architecture: 'cgan', width: 4, latentDim: 8 } }, { architecture: 'cgan', imageShape: [28, 28, 1], numClasses: 10, width: 4, latentDim: 8 }, true),
    await exportRun('mnist-hinge-sn', { extends: 'mnist-hinge-sn', data: { source: 'mnist', limit: 40 }, model: { architecture: 'dcgan', width: 4, latentDim: 8, spectralNorm: true, discriminatorNormalization: 'none' } }, { architecture: 'dcgan', imageShape: [28, 28, 1], width: 4, latentDim: 8, spectralNorm: true, discriminatorNormalization: 'none' }),
    await exportRun('sngan-sa', { extends: 'cifar10-sngan', data: { source: 'cifar10', path: await fakeCifar() }, model: { architecture: 'sngan-resnet', width: 8, latentDim: 8, selfAttention: true }, training: { steps: 2, batchSize: 4, nCritic: 1 } }, { architecture: 'sngan-resnet', imageShape: [32, 32, 3], width: 8, latentDim: 8, selfAttention: true }),
  ];
  const { browser, close } = await launchChromium();
  closers.push(close);
  for (const bundler of ['esbuild', 'vite'] as const) {
    const server = await serveStatic({ mounts: { '/': join(work, bundler), '/runs/': join(work, 'runs') } });
    closers.push(server.close);
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`${bundler} page error:`, e.message));
    await page.goto(`${server.url}?manual`);
    await page.waitForFunction(() => 'gankitExample' in globalThis, null, { timeout: 60_000 });
    pages[bundler] = page;
  }
}, 900_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  await rm(work, { recursive: true, force: true });
});

/** A CIFAR-10 binary batch folder with 4 synthetic images per file (the trainer's cifar10 source reads it). */
async function fakeCifar(): Promise<string> {
  const dir = join(work, 'cifar-10-batches-bin');
  await mkdir(dir, { recursive: true });
  const rng = createRng(5);
  for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
    const bytes = new Uint8Array(4 * 3073);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 3073 === 0 ? (i / 3073) % 10 : rng.int(256);
    await writeFile(join(dir, `${name}.bin`), bytes);
  }
  return dir;
}

describe.each(['esbuild', 'vite'] as const)('the example page bundled with %s', (bundler) => {
  it('bundles without Node built-ins or sharp, from the browser entry of the engine package', () => {
    const modules = bundled[bundler];
    expect(modules.length).toBeGreaterThan(100);
    expect(modules.filter((p) => /(^|\/)node:|\/sharp\/|@img\/sharp/.test(p))).toEqual([]);
    // No gankit module asks for a Node built-in (only TF.js's browser-mapped ones do, in Vite's build; the recorder
    // sees those, so it is watching).
    if (bundler === 'vite') expect(viteBuiltins.some((line) => line.includes('@tensorflow'))).toBe(true);
    expect(viteBuiltins.filter((line) => /[/\\](packages|@gankit)[/\\]/.test(line.split(' from ')[1] ?? ''))).toEqual([]);
    expect(modules.some((p) => p.includes('backend-wasm/dist/index.js'))).toBe(true);
    expect(modules.some((p) => p.includes('backend-wasm/dist/node.js'))).toBe(false);
    expect(pages[bundler]).toBeDefined();
  });

  it("trains a DCGAN for 5 steps on wasm (gankit's kernels, 2 threads through Web Workers), on webgl and on cpu, with a flat tensor count", async () => {
    const page = pages[bundler];
    const losses: Record<string, number[]> = {};
    for (const backend of ['wasm', 'webgl', 'cpu']) {
      const info = await call<{ name: string; threads?: number; crossOriginIsolated: boolean }>(page, 'useBackend', backend);
      expect(info.name).toBe(backend);
      expect(info.crossOriginIsolated).toBe(true);
      if (backend === 'wasm') expect(info.threads).toBe(2);
      const r = await call<{ dLoss: number[]; gLoss: number[]; tensors: number[] }>(page, 'trainDcgan', { steps: 5 });
      expect(new Set(r.tensors).size, `${backend} tensor counts ${r.tensors.join(', ')}`).toBe(1);
      expect(r.dLoss.every(Number.isFinite) && r.gLoss.every(Number.isFinite)).toBe(true);
      losses[backend] = [...r.dLoss, ...r.gLoss];
    }
    // The same seeded model and data on three engines: the same losses up to float32 rounding.
    expect(relativeMaxError(losses.wasm!, losses.cpu!)).toBeLessThan(1e-4);
    expect(relativeMaxError(losses.webgl!, losses.cpu!)).toBeLessThan(1e-4);
  });

  it('runs the generators gankit-train exported for mnist-cgan, mnist-hinge-sn and sngan-resnet with self-attention as Node does (≤ 1e-5 relative on wasm and cpu)', async () => {
    const page = pages[bundler];
    for (const backend of ['wasm', 'cpu'] as const) {
      await call(page, 'useBackend', backend);
      for (const run of runs) {
        const inputs = generatorInputs(run, run.gan.latentDim!);
        const inPage = await call<number[]>(page, 'runGenerator', `/runs/${run.name}/generator/model.json`, inputs);
        const inNode = await nodeGenerator(run, backend, inputs);
        expect(relativeMaxError(inPage, inNode), `${run.name} on ${backend}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it("loads mnist-hinge-sn's discriminator from its checkpoint and scores images as Node does", async () => {
    const page = pages[bundler];
    const run = runs[1]!;
    const images = { values: Array.from(createRng(9).normalArray(BATCH * 784), (v) => Math.tanh(v)), shape: [BATCH, 28, 28, 1] };
    const checkpoint = (await lastCheckpoint(run)).slice(join(work, 'runs').length + 1);
    for (const backend of ['wasm', 'cpu'] as const) {
      await call(page, 'useBackend', backend);
      const inPage = await call<number[]>(page, 'runCheckpointDiscriminator', `/runs/${checkpoint}`, run.gan, images);
      expect(relativeMaxError(inPage, await nodeDiscriminator(run, backend, images)), backend).toBeLessThanOrEqual(1e-5);
    }
  });

  it('computes the FID of two fixed feature sets equal to Node', async () => {
    const [rows, cols] = [200, 24];
    const rng = createRng(11);
    const a = rng.normalArray(rows * cols);
    const b = Array.from(rng.normalArray(rows * cols), (v, i) => v * 1.1 + (i % cols) * 0.01);
    const inPage = await call<number>(pages[bundler], 'fid', a, b, rows, cols);
    const stats = async (values: ArrayLike<number>) => featureStats([{ data: Float64Array.from(values), rows, cols }]);
    const inNode = await frechetDistance(await stats(a), await stats(b));
    expect(inNode).toBeGreaterThan(0);
    expect(Math.abs(inPage - inNode) / inNode).toBeLessThan(1e-12);
  });
});
