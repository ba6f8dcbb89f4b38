// Training memory (issue: WGAN-GP crashed at batch 16 on wasm): every shipped preset trains on wasm and cpu with a
// flat tensor count, one gradient-penalty step stays within a bounded peak of live tensor bytes, and running out of
// memory is one readable line from the CLI.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { writePng } from '@gankit/core/node';
import { disposeScalars } from '@gankit/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComponents } from './build';
import { listPresets, resolveConfig, type TrainConfig } from './config';
import { buildTestCli, runCli } from './testing/cli-process';
import { train } from './train';

let dir: string;
let data: Record<string, string>;

/** Local files for the presets that read them: a folder of random 64×64 PNGs and CIFAR-10 binary batches. */
async function makeData(root: string): Promise<Record<string, string>> {
  const rng = createRng(3);
  const folder = join(root, 'images');
  const cifar = join(root, 'cifar-10-batches-bin');
  await mkdir(folder);
  await mkdir(cifar);
  for (let i = 0; i < 16; i++) await writePng(join(folder, `${i}.png`), { width: 64, height: 64, channels: 3, data: Uint8Array.from({ length: 64 * 64 * 3 }, () => rng.int(256)) });
  for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
    const bytes = Uint8Array.from({ length: 8 * 3073 }, (_, i) => (i % 3073 === 0 ? rng.int(10) : rng.int(256)));
    await writeFile(join(cifar, `${name}.bin`), bytes);
  }
  return { folder, cifar10: cifar };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gankit-memory-'));
  data = await makeData(dir);
  await buildTestCli();
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A shipped preset for a 3-step test run: batch 2 (wasm) or 4 (cpu), local data where it needs files, no evaluation. */
async function presetForTest(preset: string, backend: 'wasm' | 'cpu'): Promise<TrainConfig> {
  const config = await resolveConfig({ preset }, { steps: 3, batchSize: backend === 'wasm' ? 2 : 4, backend, threads: 1 });
  const path = data[config.data.source];
  if (path !== undefined) config.data.path = path;
  if (config.data.source === 'mnist' || config.data.source === 'fashion-mnist') config.data.limit = 64;
  // The pure-JS cpu backend runs the preset's architecture, loss, regularizers and n_critic with narrow layers.
  if (backend === 'cpu') Object.assign(config.model, { width: 4, generatorWidth: undefined, discriminatorWidth: undefined });
  Object.assign(config.logging, { logEvery: 1, sampleEvery: 3, checkpointEvery: 3, evalEvery: 0, metric: 'none', tensorboard: false, report: false, sampleCount: 4 });
  return config;
}

describe.each(['wasm', 'cpu'] as const)('every shipped preset on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, threads: 1 });
  });

  it('trains 3 steps with a flat tensor count', async () => {
    const presets = await listPresets();
    expect(presets.length).toBeGreaterThanOrEqual(10);
    for (const preset of presets) {
      const config = await presetForTest(preset, backend);
      const counts: number[] = [];
      const before = tf.memory().numTensors;
      const result = await train(config, { out: join(dir, `${backend}-${preset}`), force: true, onProgress: () => counts.push(tf.memory().numTensors) });
      expect(result.step, preset).toBe(3);
      expect(result.backend, preset).toBe(backend);
      expect(counts, `${preset}: live tensors after steps 1–3`).toHaveLength(3);
      expect(counts[2], `${preset}: live tensors after steps 2 and 3`).toBe(counts[1]);
      expect(tf.memory().numTensors, `${preset}: tensors left after train()`).toBe(before);
    }
    // Every preset in one test: ~90 s on wasm, ~150 s on cpu on a loaded 2-core machine (stylegan2-32 adds ~13 s on cpu).
  }, 400_000);
});

describe('one gradient-penalty step on wasm (mnist-wgan-gp at its full width)', () => {
  it('keeps the peak of live tensor bytes within a bound that grows gently with the batch', async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    const peaks: number[] = [];
    for (const batchSize of [8, 16]) {
      const config = await resolveConfig({ preset: 'mnist-wgan-gp' }, { batchSize, backend: 'wasm' });
      config.data.limit = 64;
      const c = await buildComponents(config);
      const batch = await c.data.next();
      // tf.profile tracks tf.memory().numBytes on every allocation inside the step: its peak is the step's peak. (It
      // counts each tensor handle, so a buffer shared by a reshape or a saved copy counts more than once.) The D step
      // includes G's forward, in its own scope that is freed before D's forward and backward run.
      const info = await tf.profile(() => {
        const kept = c.step.discriminatorStep(batch);
        expect(Object.keys(kept)).toContain('gp');
        disposeScalars(kept);
        return tf.scalar(0);
      });
      peaks.push(info.peakBytes - info.newBytes);
      tf.dispose([batch.images]);
      c.dispose();
    }
    const [at8, at16] = peaks as [number, number];
    // Measured: ~40 MB at batch 8, ~70 MB at 16 (with TF.js's own Tile gradient: ~4.4 GB at batch 2, a crash past 12).
    // Allowed: 400 MB, and 12 MB more per extra sample.
    expect(at16, `peak bytes at batch 16 (${(at16 / 1e6).toFixed(0)} MB)`).toBeLessThan(400e6);
    expect((at16 - at8) / 8, 'peak bytes per extra sample').toBeLessThan(12e6);
  });
});

describe('gankit-train out of memory', () => {
  it('says OUT_OF_MEMORY, the phase and the batch size in one line, and exits 1', async () => {
    // A dense layer of 20,000 units on a batch of 60,000 digits needs a 4.8 GB activation: beyond wasm's 4 GiB.
    const config = join(dir, 'huge.json');
    await writeFile(config, JSON.stringify({
      extends: 'mnist-gan',
      backend: 'wasm',
      model: { architecture: 'mlp', latentDim: 8, hiddenUnits: { generator: [20000], discriminator: [8] } },
      training: { steps: 1, batchSize: 60000 },
      logging: { metric: 'none', evalEvery: 0, tensorboard: false, report: false },
    }));
    const run = await runCli(['--config', config, '--out', join(dir, 'huge-run'), '--threads', '1']);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^gankit-train: OUT_OF_MEMORY: out of memory during the D and G step at batch size 60000 on wasm \(.*\); lower training\.batchSize \(--batch-size\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
