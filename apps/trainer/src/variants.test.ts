import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gankit/backend-wasm';
import { decodePng, encodePng } from '@gankit/core/node';
import { mnist } from '@gankit/data/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, type TrainConfigInput } from './config';
import { readMetrics, runPaths } from './run-folder';
import { train } from './train';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = await mkdtemp(join(tmpdir(), 'gankit-variants-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const base = (name: string, rest: Omit<TrainConfigInput, 'optimizers' | 'training' | 'logging' | 'name'>): TrainConfigInput => ({
  name,
  backend: 'wasm',
  optimizers: { generator: { learningRate: 2e-4 }, discriminator: { learningRate: 2e-4 } },
  training: { steps: 2, batchSize: 4 },
  logging: { logEvery: 1, sampleEvery: 2, checkpointEvery: 2, tensorboard: false, report: false, sampleCount: 20 },
  ...rest,
});

async function run(input: TrainConfigInput): Promise<{ out: string; grid: { width: number; height: number } }> {
  const out = join(dir, input.name ?? 'run');
  const result = await train(validateConfig(input), { out });
  expect(result.step).toBe(2);
  const metrics = await readMetrics(runPaths(out));
  expect(metrics.map((m) => Number.isFinite(m.d_loss) && Number.isFinite(m.g_loss))).toEqual([true, true]);
  const grid = await decodePng(new Uint8Array(await readFile(result.samplesPath!)));
  return { out, grid };
}

describe('architectures and sources', () => {
  it('cGAN and ACGAN: labels reach G and D, sample grids have one row per class', async () => {
    for (const architecture of ['cgan', 'acgan'] as const) {
      const { out, grid } = await run(base(architecture, { data: { source: 'mnist', limit: 64 }, model: { architecture, width: 4, latentDim: 8 }, loss: { name: 'standard' } }));
      expect([grid.width, grid.height], architecture).toEqual([2 * 30 + 2, 10 * 30 + 2]);
      if (architecture === 'acgan') expect((await readMetrics(runPaths(out)))[1]!.d_aux).toBeGreaterThan(0);
    }
  });

  it('an image folder (PNG files written from MNIST digits)', async () => {
    const folder = join(dir, 'images');
    await mkdir(folder);
    const source = await mnist({ split: 'test' });
    for (let i = 0; i < 8; i++) {
      const gray = source.images.subarray(i * 784, (i + 1) * 784);
      const rgb = new Uint8Array(784 * 3).map((_, j) => gray[Math.floor(j / 3)]!);
      await writeFile(join(folder, `${i}.png`), await encodePng({ width: 28, height: 28, channels: 3, data: rgb }));
    }
    const { grid } = await run(base('folder', { data: { source: 'folder', path: folder, channels: 1, imageSize: 28, flip: true }, model: { architecture: 'dcgan', width: 4, latentDim: 8 }, loss: { name: 'lsgan' } }));
    expect(grid.width).toBe(5 * 30 + 2);
  });

  it('CIFAR-10 binary batches with the SNGAN ResNet, hinge loss, TTUR and a linear LR decay', async () => {
    const cifar = join(dir, 'cifar-10-batches-bin');
    await mkdir(cifar);
    const record = (i: number) => Uint8Array.from({ length: 3073 }, (_, j) => (j === 0 ? i % 10 : (i * 31 + j * 7) % 256));
    for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      const bytes = new Uint8Array(4 * 3073);
      for (let i = 0; i < 4; i++) bytes.set(record(i), i * 3073);
      await writeFile(join(cifar, `${name}.bin`), bytes);
    }
    const { out } = await run({
      ...base('cifar', { data: { source: 'cifar10', path: cifar }, model: { architecture: 'sngan-resnet', width: 4, latentDim: 8 }, loss: { name: 'hinge' } }),
      optimizers: {
        generator: { learningRate: 1e-4, beta1: 0, beta2: 0.9, schedule: { type: 'linear-decay' } },
        discriminator: { learningRate: 4e-4, beta1: 0, beta2: 0.9, schedule: { type: 'linear-decay' } },
      },
    });
    const metrics = await readMetrics(runPaths(out));
    expect(metrics.map((m) => m.lr_g)).toEqual([1e-4, 5e-5]);
    expect(metrics.map((m) => m.lr_d)).toEqual([4e-4, 2e-4]);
  });
});
