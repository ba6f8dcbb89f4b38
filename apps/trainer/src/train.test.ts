import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { validateConfig, type TrainConfigInput } from './config';
import { readMetrics, runPaths } from './run-folder';
import { train } from './train';
import { tempDirs } from './testing/temp-dirs';

const tempDir = tempDirs('gankit-train-');

/** A small MLP GAN (fast on the pure-JS cpu backend) with every moving part on: EMA, schedule, label smoothing, label flips. */
function mlpConfig(backend: 'cpu' | 'wasm', overrides: Partial<TrainConfigInput> = {}) {
  return validateConfig({
    name: 'mlp-test',
    seed: 7,
    backend,
    data: { source: 'mnist', limit: 200 },
    model: { architecture: 'mlp', latentDim: 16, hiddenUnits: { generator: [32], discriminator: [32] } },
    loss: { name: 'standard', realLabel: 0.9, flipProbability: 0.2 },
    optimizers: {
      generator: { learningRate: 0.001, beta1: 0.5, schedule: { type: 'linear-decay', startStep: 2 } },
      discriminator: { learningRate: 0.001, beta1: 0.5, exact: 'pytorch' },
    },
    training: { steps: 8, batchSize: 16, emaDecay: 0.9, emaStart: 2 },
    logging: { logEvery: 1, sampleEvery: 4, checkpointEvery: 2, keepLast: 10, tensorboard: false, report: false, sampleCount: 4 },
    ...overrides,
  });
}

async function finalState(out: string, step: number): Promise<Record<string, Buffer>> {
  const dir = join(out, 'checkpoints', `step-${step}`);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.bin'));
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(join(dir, f))] as const)));
}

const lossesOf = async (out: string) => (await readMetrics(runPaths(out))).map((r) => [r.step, r.d_loss, r.g_loss, r.d_real, r.d_fake, r.lr_g]);

describe('train()', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`resumes from an interrupted run exactly as if never stopped (${backend})`, async () => {
      const config = mlpConfig(backend);
      const whole = join(await tempDir(), 'whole');
      const a = await train(config, { out: whole });
      expect(a.step).toBe(8);
      expect(a.interrupted).toBe(false);

      const parts = join(await tempDir(), 'parts');
      const controller = new AbortController();
      const b1 = await train(config, { out: parts, signal: controller.signal, onProgress: (e) => e.step === 3 && controller.abort() });
      expect(b1).toMatchObject({ step: 3, interrupted: true, generatorPath: undefined });
      expect(await readdir(join(parts, 'checkpoints'))).toContain('step-3');
      const b2 = await train(config, { out: parts, resume: true });
      expect(b2).toMatchObject({ step: 8, interrupted: false });

      expect(await lossesOf(parts)).toEqual(await lossesOf(whole));
      const [wa, wb] = [await finalState(whole, 8), await finalState(parts, 8)];
      expect(Object.keys(wb).sort()).toEqual(['discriminator.bin', 'generator.bin', 'training-state.bin']);
      for (const name of Object.keys(wa)) {
        if (backend === 'cpu') {
          expect(wb[name]!.equals(wa[name]!), `${name} bit for bit`).toBe(true);
        } else {
          const x = new Float32Array(wa[name]!.buffer, wa[name]!.byteOffset, wa[name]!.byteLength / 4);
          const y = new Float32Array(wb[name]!.buffer, wb[name]!.byteOffset, wb[name]!.byteLength / 4);
          let max = 0;
          for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
          expect(max, name).toBeLessThan(1e-5);
        }
      }
      expect(await readFile(join(parts, 'samples', 'step-8.png'))).toEqual(await readFile(join(whole, 'samples', 'step-8.png')));
    });
  }

  it('keeps the tensor count flat over steps (conv GAN with GP, EMA, n_critic 2 on wasm)', async () => {
    const config = validateConfig({
      name: 'flat',
      backend: 'wasm',
      data: { source: 'mnist', limit: 64 },
      model: { architecture: 'wgan-gp', width: 4, latentDim: 8 },
      loss: { name: 'wasserstein' },
      regularizers: { gradientPenalty: 10, clipGradNorm: 100 },
      optimizers: { generator: { learningRate: 1e-4, beta1: 0, beta2: 0.9 }, discriminator: { learningRate: 1e-4, beta1: 0, beta2: 0.9 } },
      training: { steps: 9, batchSize: 8, nCritic: 2, emaDecay: 0.99 },
      logging: { logEvery: 1, sampleEvery: 3, checkpointEvery: 3, keepLast: 1, tensorboard: true, report: true, sampleCount: 4 },
    });
    const counts: number[] = [];
    const out = join(await tempDir(), 'run');
    await train(config, { out, onProgress: () => counts.push(tf.memory().numTensors) });
    expect(counts).toHaveLength(9);
    // After the first step (lazy optimiser slots), the same number of live tensors at every step.
    expect(new Set(counts.slice(1)).size).toBe(1);
    const metrics = await readMetrics(runPaths(out));
    expect(metrics.every((m) => typeof m.gp === 'number' && Number.isFinite(m.gp))).toBe(true);
  });

  it('keeps the tensor count flat over steps (DCGAN with batch norm, shared G forward, EMA, R1 on wasm)', async () => {
    const config = validateConfig({
      name: 'flat-shared',
      backend: 'wasm',
      data: { source: 'mnist', limit: 64 },
      model: { architecture: 'dcgan', width: 4, latentDim: 8 },
      loss: { name: 'standard', realLabel: 0.9, flipProbability: 0.2 },
      regularizers: { r1: 1, r1Every: 2 },
      optimizers: { generator: { learningRate: 2e-4 }, discriminator: { learningRate: 2e-4 } },
      training: { steps: 8, batchSize: 8, emaDecay: 0.9 },
      logging: { logEvery: 1, sampleEvery: 4, checkpointEvery: 4, keepLast: 1, tensorboard: false, report: false, sampleCount: 4 },
    });
    const counts: number[] = [];
    await train(config, { out: join(await tempDir(), 'run'), onProgress: () => counts.push(tf.memory().numTensors) });
    expect(counts).toHaveLength(8);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('evaluates MNIST FID/IS every K steps with the bundled classifier and keeps the best checkpoint', async () => {
    const config = mlpConfig('wasm', {
      training: { steps: 6, batchSize: 16 },
      logging: { logEvery: 1, sampleEvery: 6, checkpointEvery: 2, keepLast: 1, evalEvery: 2, metric: 'mnist-fid', evalSamples: 250, tensorboard: false, report: true, sampleCount: 4 },
    });
    const out = join(await tempDir(), 'run');
    const result = await train(config, { out });
    const evals = (await readMetrics(runPaths(out))).filter((r) => r.eval_mnist_fid !== undefined);
    expect(evals.map((r) => r.step)).toEqual([2, 4, 6]);
    for (const r of evals) {
      expect(r.eval_mnist_fid).toBeGreaterThan(0);
      expect(r.eval_mnist_is).toBeGreaterThanOrEqual(1);
    }
    expect(result.metrics.mnist_fid).toBe(evals[2]!.eval_mnist_fid);
    const best = JSON.parse(await readFile(join(out, 'checkpoints', 'best.json'), 'utf8')) as { step: number; metric: string; value: number };
    const lowest = evals.reduce((a, b) => ((b.eval_mnist_fid as number) < (a.eval_mnist_fid as number) ? b : a));
    expect(best).toEqual({ step: lowest.step, metric: 'mnist_fid', value: lowest.eval_mnist_fid });
    // keepLast 1 plus the best one
    expect((await readdir(join(out, 'checkpoints'))).filter((d) => d.startsWith('step-')).sort()).toEqual([...new Set([`step-${best.step}`, 'step-6'])].sort());
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('eval_mnist_fid');
  });

  it('stops on a non-finite loss naming the step and the loss, keeping the last good checkpoint', async () => {
    const out = join(await tempDir(), 'run');
    await train(mlpConfig('cpu', { training: { steps: 4, batchSize: 16 } }), { out });
    const diverging = mlpConfig('cpu', {
      optimizers: { generator: { learningRate: 1e30 }, discriminator: { learningRate: 1e30, exact: 'pytorch' } },
      training: { steps: 12, batchSize: 16 },
    });
    const error = await train(diverging, { out, resume: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NON_FINITE_LOSS' });
    expect((error as Error).message).toMatch(/(d_loss|g_loss) is (NaN|Infinity|-Infinity) at step \d+; the last good checkpoint is step \d+/);
    const good = Number(/last good checkpoint is step (\d+)/.exec((error as Error).message)![1]);
    const steps = (await readdir(join(out, 'checkpoints'))).filter((d) => d.startsWith('step-'));
    expect(steps).toContain(`step-${good}`);
    const state = JSON.parse(await readFile(join(out, 'checkpoints', `step-${good}`, 'state.json'), 'utf8')) as { step: number };
    expect(state.step).toBe(good);
  });
});
