import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig, type TrainConfigInput } from './config';
import { readMetrics, runPaths } from './run-folder';
import { train } from './train';
import { tempDirs } from './testing/temp-dirs';

const tempDir = tempDirs('gankit-train-augment-');

/** A small MLP GAN on 200 MNIST digits (fast on cpu) with the given augmentation. */
function config(augment: TrainConfigInput['augment'], logging: Partial<NonNullable<TrainConfigInput['logging']>> = {}) {
  return validateConfig({
    name: 'augment-test',
    seed: 3,
    backend: 'cpu',
    data: { source: 'mnist', limit: 200 },
    model: { architecture: 'mlp', latentDim: 16, hiddenUnits: { generator: [32], discriminator: [32] } },
    loss: { name: 'standard' },
    ...(augment !== undefined && { augment }),
    optimizers: { generator: { learningRate: 0.002, beta1: 0.5 }, discriminator: { learningRate: 0.002, beta1: 0.5 } },
    training: { steps: 10, batchSize: 16 },
    logging: { logEvery: 1, sampleEvery: 10, checkpointEvery: 2, keepLast: 10, tensorboard: false, report: false, sampleCount: 4, ...logging },
  });
}

async function checkpointFiles(out: string, step: number): Promise<Record<string, Buffer>> {
  const dir = join(out, 'checkpoints', `step-${step}`);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.bin') || f === 'state.json');
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(join(dir, f))] as const)));
}

// A fast controller (p moves 16 / 50 = 0.32 per adjustment, every 2 D steps) so p changes within 10 steps.
const ADA = { ada: { kimg: 0.05, interval: 2, initialP: 0.4, target: 0.6 } };

describe('training with augmentation', () => {
  it('ADA: an interrupted and resumed run continues bit for bit on cpu (weights, optimiser state, p and its accumulator)', async () => {
    const c = config(ADA);
    const whole = join(await tempDir(), 'whole');
    await train(c, { out: whole });
    const parts = join(await tempDir(), 'parts');
    const controller = new AbortController();
    // Interrupt at step 3: an odd D step count, so the resumed run must restore a half-filled sign accumulator.
    await train(c, { out: parts, signal: controller.signal, onProgress: (e) => e.step === 3 && controller.abort() });
    const state = JSON.parse((await checkpointFiles(parts, 3))['state.json']!.toString('utf8')) as { ada?: { p: number; stepsSinceAdjust: number } };
    expect(state.ada?.stepsSinceAdjust).toBe(1);
    await train(c, { out: parts, resume: true });

    const curve = async (out: string) => (await readMetrics(runPaths(out))).map((r) => [r.step, r.d_loss, r.g_loss, r.ada_p, r.ada_rt]);
    const ps = (await curve(whole)).map((r) => r[3]);
    expect(new Set(ps).size, 'p moved during the run').toBeGreaterThan(1);
    expect(await curve(parts)).toEqual(await curve(whole));
    const [a, b] = [await checkpointFiles(whole, 10), await checkpointFiles(parts, 10)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const name of Object.keys(a)) {
      if (name === 'state.json') {
        const strip = (buf: Buffer) => ({ ...(JSON.parse(buf.toString('utf8')) as Record<string, unknown>), elapsedSeconds: 0 });
        expect(strip(b[name]!), name).toEqual(strip(a[name]!));
      } else {
        expect(b[name]!.equals(a[name]!), `${name} bit for bit`).toBe(true);
      }
    }
  });

  it('DiffAugment changes training (and is deterministic per seed); ADA p and r_t reach metrics, TensorBoard and the report', async () => {
    const lossesOf = async (out: string) => (await readMetrics(runPaths(out))).map((r) => [r.d_loss, r.g_loss]);
    const runs: Record<string, string> = {};
    for (const [name, augment] of [['none', undefined], ['diff', { policy: 'color,translation,cutout' }], ['diff2', { policy: 'color,translation,cutout' }]] as const) {
      runs[name] = join(await tempDir(), name);
      await train(config(augment), { out: runs[name] });
    }
    expect(await lossesOf(runs.diff!)).toEqual(await lossesOf(runs.diff2!));
    expect(await lossesOf(runs.diff!)).not.toEqual(await lossesOf(runs.none!));
    expect((await readMetrics(runPaths(runs.none!)))[0]).not.toHaveProperty('ada_p');

    const out = join(await tempDir(), 'ada');
    await train(config(ADA, { tensorboard: true, report: true }), { out });
    const records = await readMetrics(runPaths(out));
    expect(records.every((r) => typeof r.ada_p === 'number' && r.ada_p >= 0 && r.ada_p <= 1)).toBe(true);
    expect(records.filter((r) => typeof r.ada_rt === 'number').length).toBeGreaterThan(0);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-series="ada_p"');
    expect(html).toContain('data-series="ada_rt"');
    const tbDir = join(out, 'tensorboard');
    const events = Buffer.concat(await Promise.all((await readdir(tbDir)).map((f) => readFile(join(tbDir, f)))));
    expect(events.includes(Buffer.from('ada_p'))).toBe(true);
    expect(events.includes(Buffer.from('ada_rt'))).toBe(true);
  });

  it('a bad policy or ADA setting is a one-line config error', async () => {
    await expect(train(config({ policy: 'color,zoom' }), { out: join(await tempDir(), 'bad') })).rejects.toThrow(/unknown op "zoom"/);
    expect(() => config({ ada: { kimg: 0 } })).toThrow(/augment/);
  });
});
