// The stylegan2-32 preset end to end on tiny data: lazy R1 and lazy path length on their intervals, style mixing,
// the ramped-up EMA, a flat tensor count, a resume that continues exactly (path-length mean, noise and mixing
// counters, w_avg all in the checkpoint), and the exported generator sampled by gankit-eval in a child process.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { writePng } from '@gankit/core/node';
import { readNpz } from '@gankit/data/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, repoPath, runNode } from '../../../testing/cli-process';
import { resolveConfig, type TrainConfig } from './config';
import { readMetrics, runPaths } from './run-folder';
import { train } from './train';
import { tempDirs } from './testing/temp-dirs';

const tempDir = tempDirs('gankit-stylegan2-');
let images: string;

beforeAll(async () => {
  images = join(await tempDir(), 'images');
  const rng = createRng(4);
  await import('node:fs/promises').then((fs) => fs.mkdir(images));
  for (let i = 0; i < 12; i++) await writePng(join(images, `${i}.png`), { width: 32, height: 32, channels: 3, data: Uint8Array.from({ length: 32 * 32 * 3 }, () => rng.int(256)) });
  await buildPackage('@gankit/eval');
  await initBackend({ backend: 'wasm', threads: 1 });
}, 300_000);

/** The shipped preset on a folder of 32×32 images, narrow, with every StyleGAN2 regularizer due within 4 steps. */
async function tinyConfig(): Promise<TrainConfig> {
  const config = await resolveConfig({ preset: 'stylegan2-32' }, { steps: 4, batchSize: 4, backend: 'wasm', threads: 1 });
  config.data = { ...config.data, source: 'folder', path: images, imageSize: 32, channels: 3 };
  Object.assign(config.model, { width: 4, latentDim: 8, wDim: 8, styleMixingProb: 0.9 });
  Object.assign(config.regularizers, { r1: 1, r1Every: 2, pathLength: 2, pathLengthEvery: 2 });
  Object.assign(config.training, { emaHalfLifeImages: 40 });
  Object.assign(config.logging, { logEvery: 1, sampleEvery: 4, checkpointEvery: 2, keepLast: 5, tensorboard: false, report: false, sampleCount: 4 });
  return config;
}

describe('gankit-train --preset stylegan2-32', () => {
  it('trains with lazy R1 (every 2nd D step) and lazy path length (every 2nd G step), flat tensors, exact resume, and gankit-eval samples the export', async () => {
    const config = await tinyConfig();
    expect(config.model.architecture).toBe('stylegan2');
    expect(config.training.emaRampup).toBe(0.05);
    const whole = join(await tempDir(), 'whole');
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const result = await train(config, { out: whole, onProgress: () => counts.push(tf.memory().numTensors) });
    expect(result.step).toBe(4);
    expect(counts[3]).toBe(counts[1]);
    expect(tf.memory().numTensors).toBe(before);
    const metrics = await readMetrics(runPaths(whole));
    expect(metrics.map((m) => [m.step, 'r1' in m, 'pl' in m])).toEqual([[1, false, false], [2, true, true], [3, false, false], [4, true, true]]);
    expect(metrics.every((m) => Number.isFinite(m.d_loss) && Number.isFinite(m.g_loss) && (m.pl === undefined || Number.isFinite(m.pl)))).toBe(true);
    const state = JSON.parse(await readFile(join(whole, 'checkpoints', 'step-4', 'state.json'), 'utf8')) as { pathLengthMean?: number };
    expect(state.pathLengthMean).toBeGreaterThan(0);

    // Stopped after step 2 and resumed: the same numbers as the uninterrupted run.
    const parts = join(await tempDir(), 'parts');
    await train({ ...config, training: { ...config.training, steps: 2 } }, { out: parts });
    await train(config, { out: parts, resume: true });
    const losses = async (out: string) => (await readMetrics(runPaths(out))).map((m) => [m.step, m.d_loss, m.g_loss, m.r1, m.pl]);
    expect(await losses(parts)).toEqual(await losses(whole));
    for (const file of (await readdir(join(whole, 'checkpoints', 'step-4'))).filter((f) => f.endsWith('.bin'))) {
      expect((await readFile(join(parts, 'checkpoints', 'step-4', file))).equals(await readFile(join(whole, 'checkpoints', 'step-4', file))), file).toBe(true);
    }

    // The exported (EMA) generator loads in gankit-eval, which samples it with ψ-truncation.
    const out = join(await tempDir(), 'samples');
    const sampled = await runNode(repoPath('apps', 'eval', 'dist', 'cli.js'), ['sample', whole, '--num', '6', '--out', out, '--format', 'npz', '--truncation', '0.7', '--json', '--no-progress']);
    expect(sampled.stderr).not.toMatch(/error/i);
    expect(sampled.code).toBe(0);
    const npz = await readNpz(join(out, 'samples.npz'));
    expect(npz.images!.shape).toEqual([6, 32, 32, 3]);
  });
});
