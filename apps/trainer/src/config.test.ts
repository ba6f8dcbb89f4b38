import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPresets, readPreset, resolveConfig, validateConfig } from './config';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('config', () => {
  it('ships every preset of the issue, each valid, with the seed recipe where it says so', async () => {
    expect(await listPresets()).toEqual(
      ['cifar10-sngan', 'demo', 'fashion-dcgan', 'folder-dcgan64', 'mnist-1k-ada', 'mnist-1k-diffaug', 'mnist-acgan', 'mnist-cgan', 'mnist-dcgan', 'mnist-gan', 'mnist-hinge-sn', 'mnist-wgan-gp', 'stylegan2-32'],
    );
    for (const name of await listPresets()) {
      const config = await resolveConfig({ preset: name });
      expect(config.name).toBe(name);
    }
    const gan = await resolveConfig({ preset: 'mnist-gan' });
    expect(gan.loss.name).toBe('standard');
    expect(gan.optimizers.generator).toMatchObject({ name: 'adam', learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
    const wgan = await resolveConfig({ preset: 'mnist-wgan-gp' });
    expect(wgan.training.nCritic).toBe(5);
    expect(wgan.regularizers.gradientPenalty).toBe(10);
    expect(wgan.optimizers.discriminator).toMatchObject({ learningRate: 1e-4, beta1: 0, beta2: 0.9 });
    const sn = await resolveConfig({ preset: 'mnist-hinge-sn' });
    expect(sn.model.spectralNorm).toBe(true);
    expect(sn.optimizers.generator.learningRate).toBeLessThan(sn.optimizers.discriminator.learningRate);
    const diff = await resolveConfig({ preset: 'mnist-1k-diffaug' });
    expect(diff.data.limit).toBe(1000);
    expect(diff.augment).toEqual({ policy: 'color,translation,cutout' });
    const ada = await resolveConfig({ preset: 'mnist-1k-ada' });
    expect(ada.data.limit).toBe(1000);
    expect(ada.augment).toMatchObject({ ada: { target: 0.6, interval: 4 } });
  });

  it('a YAML config extends a preset; command-line overrides win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gankit-config-'));
    dirs.push(dir);
    const path = join(dir, 'run.yaml');
    await writeFile(path, 'extends: mnist-dcgan\ntraining:\n  nCritic: 2\n  steps: 7\nloss:\n  name: hinge\n');
    const config = await resolveConfig({ configPath: path }, { steps: 9, batchSize: 8, seed: 4 });
    expect(config.name).toBe('mnist-dcgan');
    expect(config.training).toMatchObject({ nCritic: 2, steps: 9, batchSize: 8 });
    expect(config.seed).toBe(4);
    expect(config.loss.name).toBe('hinge');
    expect(config.optimizers.generator.learningRate).toBe((await readPreset('mnist-dcgan') as { optimizers: { generator: { learningRate: number } } }).optimizers.generator.learningRate);
  });

  it('lists every problem at once with its field', () => {
    const error = (() => {
      try {
        validateConfig({ data: { source: 'imagenet' }, model: { architecture: 'dcgan', widht: 3 }, loss: { name: 'standard' }, training: {}, extra: 1 });
      } catch (e) {
        return e as Error & { code: string };
      }
      throw new Error('expected a CONFIG_INVALID error');
    })();
    expect(error.code).toBe('CONFIG_INVALID');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('config has 5 problems:');
    expect(error.message).toContain('(top level): unknown key "extra"');
    expect(error.message).toContain('model: unknown key "widht"');
    expect(error.message).toMatch(/data\.source: .*"mnist"/);
    expect(error.message).toMatch(/optimizers: /);
    expect(error.message).toMatch(/training\.steps: /);
  });
});
