import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@gankit/backend-wasm';
import { decodePng, fileSystem } from '@gankit/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCli, runCli } from './testing/cli-process';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gankit-cli-'));
  dirs.push(dir);
  return dir;
}

/** A tiny DCGAN run on wasm: 4 steps of batch 16 on 256 MNIST digits. */
async function tinyConfig(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, 'tiny.json');
  await writeFile(
    path,
    JSON.stringify({
      extends: 'mnist-dcgan',
      backend: 'wasm',
      data: { source: 'mnist', limit: 256 },
      model: { architecture: 'dcgan', width: 8 },
      training: { steps: 4, batchSize: 16, emaDecay: 0.9, emaStart: 0 },
      logging: { logEvery: 1, sampleEvery: 2, checkpointEvery: 2, keepLast: 1, metric: 'none', evalEvery: 0, sampleCount: 16 },
      ...extra,
    }),
  );
  return path;
}

beforeAll(async () => {
  await buildTestCli();
  await initBackend({ backend: 'cpu' });
}, 300_000);
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('gankit-train command line', () => {
  it('prints help and version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--preset');
    expect(help.stdout).toContain('--resume');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(`gankit-train ${pkg.version}`);
    const presets = await runCli(['--list-presets']);
    expect(presets.stdout.split('\n')).toEqual(expect.arrayContaining(['mnist-gan', 'mnist-dcgan', 'mnist-wgan-gp', 'mnist-cgan', 'mnist-acgan', 'mnist-hinge-sn', 'fashion-dcgan', 'cifar10-sngan', 'folder-dcgan64', 'demo']));
  });

  it('reports every unknown key and wrong type in one message, exits 2 and writes nothing', async () => {
    const dir = await tempDir();
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'extends: mnist-dcgan\nlearningRate: 3\ntraining:\n  steps: "ten"\n  batchsize: 4\nloss:\n  name: nonsense\n');
    const out = join(dir, 'run');
    const r = await runCli(['--config', config, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('4 problems');
    expect(r.stderr).toMatch(/\(top level\): unknown key "learningRate"/);
    expect(r.stderr).toMatch(/training: unknown key "batchsize"/);
    expect(r.stderr).toMatch(/training\.steps: .*number/);
    expect(r.stderr).toMatch(/loss\.name: .*standard/);
    expect(existsSync(out)).toBe(false);
    const flag = await runCli(['--preset', 'mnist-dcgan', '--steps', 'x']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--steps must be a non-negative integer');
    const unknown = await runCli(['--preset', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown preset "nope"');
    const option = await runCli(['--presett', 'mnist-dcgan']);
    expect(option.code).toBe(2);
    expect(option.stderr).toBe('gankit-train: unknown option --presett; see --help\n');
  });

  it('refuses a non-empty output folder unless --force, and names unwritable folders in one line', async () => {
    const dir = await tempDir();
    const out = join(dir, 'run');
    const config = await tinyConfig(dir);
    await rm(out, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(out)).then(() => writeFile(join(out, 'keep.txt'), 'x'));
    const refused = await runCli(['--config', config, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not empty; pass --resume');
    expect(await readdir(out)).toEqual(['keep.txt']);
    // A disk error (here: the run folder would be inside a regular file) is one readable line naming the path.
    const notDir = await runCli(['--config', config, '--out', join(config, 'run')]);
    expect(notDir.code).toBe(1);
    expect(notDir.stderr.trim().split('\n').filter((l) => l.startsWith('gankit-train:'))).toEqual([expect.stringContaining(join(config, 'run'))]);
    if (process.getuid?.() !== 0) {
      const denied = await runCli(['--config', config, '--out', '/proc/gankit-run']);
      expect(denied.code).toBe(1);
      expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    }
    const forced = await runCli(['--config', config, '--out', out, '--force', '--steps', '2']);
    expect(forced.stderr).not.toContain('Error');
    expect(forced.code).toBe(0);
    expect(existsSync(join(out, 'keep.txt'))).toBe(false);
  });

  it('trains and writes config, metrics, samples, checkpoints, TensorBoard events, report and a loadable generator', async () => {
    const dir = await tempDir();
    const out = join(dir, 'run');
    const r = await runCli(['--config', await tinyConfig(dir), '--out', out]);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('step 4/4');
    expect(r.stdout).toContain(`samples:     ${join(out, 'samples', 'step-4.png')}`);
    expect(r.stdout).toContain(`tensorboard: ${join(out, 'tensorboard')} (view with: tensorboard --logdir ${join(out, 'tensorboard')})`);
    expect((await readdir(out)).sort()).toEqual(['checkpoints', 'config.json', 'generator', 'metrics.jsonl', 'report.html', 'samples', 'tensorboard']);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as { training: { steps: number }; logging: { keepLast: number } };
    expect(config.training.steps).toBe(4);
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    for (const key of ['d_loss', 'g_loss', 'd_real', 'd_fake', 'd_grad_norm', 'g_grad_norm', 'lr_g', 'lr_d', 'images_per_sec']) {
      expect(Number.isFinite(lines[3]![key]), key).toBe(true);
    }
    expect((await readdir(join(out, 'samples'))).sort()).toEqual(['step-2.png', 'step-4.png']);
    const grid = await decodePng(new Uint8Array(await readFile(join(out, 'samples', 'step-4.png'))));
    expect([grid.width, grid.height]).toEqual([4 * 30 + 2, 4 * 30 + 2]);
    // keepLast 1: only the newest checkpoint survives, complete, with no temp folder left behind.
    expect((await readdir(join(out, 'checkpoints'))).sort()).toEqual(['step-4']);
    expect((await readdir(join(out, 'checkpoints', 'step-4'))).sort()).toEqual(
      expect.arrayContaining(['state.json', 'generator.json', 'generator.bin', 'discriminator.json', 'discriminator.bin', 'training-state.json', 'training-state.bin']),
    );
    const events = await readdir(join(out, 'tensorboard'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^events\.out\.tfevents\./);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<polyline');
    expect(html).toContain('data:image/png;base64,');
    const model = await tfl.loadLayersModel(fileSystem(join(out, 'generator')));
    const images = model.predict(tf.zeros([2, model.inputs[0]!.shape[1] as number])) as tf.Tensor;
    expect(images.shape).toEqual([2, 28, 28, 1]);
    const values = await images.data();
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    tf.dispose([images]);
    model.dispose();
  });
});
