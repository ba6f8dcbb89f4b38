import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@gankit/backend-wasm';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, test } from 'vitest';
import { fixture } from '../test/problem';
import { referencePython } from '../../../testing/python';
import { clipByGlobalNorm, clipWeights, ExponentialMovingAverage } from './index';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('ExponentialMovingAverage', () => {
  test('shadows follow d·shadow + (1 − d)·w computed in float64 (start step, warm-up), no leaks', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const ema = new ExponentialMovingAverage([w], { decay: 0.9, startStep: 2, warmup: true });
    const reference = [1, -2];
    const before = tf.memory().numTensors;
    for (let step = 1; step <= 12; step++) {
      const values = [Math.sin(step), Math.cos(step) * 3];
      tf.tidy(() => w.assign(tf.tensor1d(values)));
      ema.update();
      const n = step - 2;
      const d = step <= 2 ? 0 : Math.min(0.9, (1 + n) / (10 + n));
      values.forEach((v, i) => (reference[i] = d * reference[i]! + (1 - d) * v));
      const shadow = ema.shadows[0]!.dataSync();
      reference.forEach((r, i) => expect(shadow[i]).toBeCloseTo(r, 5));
    }
    expect(ema.updates).toBe(12);
    expect(tf.memory().numTensors).toBe(before);
    ema.dispose();
    w.dispose();
  });

  test('withAveragedWeights swaps the averages in for sampling and back afterwards, also on errors and promises', async () => {
    const w = tf.variable(tf.tensor1d([0, 0]));
    const ema = new ExponentialMovingAverage([w], { decay: 0.5 });
    w.assign(tf.tensor1d([4, 8]));
    ema.update(); // shadow = 0.5·0 + 0.5·[4, 8] = [2, 4]
    const sampled = ema.withAveragedWeights(() => Array.from(tf.mul(w, 10).dataSync()));
    expect(sampled).toEqual([20, 40]);
    expect(Array.from(w.dataSync())).toEqual([4, 8]);
    expect(() => ema.withAveragedWeights(() => { throw new Error('boom'); })).toThrow('boom');
    expect(Array.from(w.dataSync())).toEqual([4, 8]);
    const later = await ema.withAveragedWeights(async () => { await new Promise((r) => setTimeout(r, 1)); return Array.from(w.dataSync()); });
    expect(later).toEqual([2, 4]);
    expect(Array.from(w.dataSync())).toEqual([4, 8]);
    ema.swapIn();
    expect(() => ema.update()).toThrow(/swapOut/);
    ema.swapOut();
    expect(() => ema.swapOut()).toThrow(/not swapped in/);
    ema.dispose();
    w.dispose();
  });
});

// StyleGAN2-ADA's G_ema update, written out in float64 from its description (training_loop: ema_nimg = ema_kimg·1000,
// ramped to min(ema_nimg, cur_nimg·ema_rampup); beta = 0.5^(batch / max(ema_nimg, 1e-8)); G_ema = lerp(G, G_ema, beta);
// cur_nimg counts the images before this update).
const EMA_REFERENCE = `
import json, math, sys
half_life, rampup, batch, steps = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
shadow, out, cur_nimg = None, [], 0
for step in range(1, steps + 1):
    w = [math.sin(step), 3 * math.cos(step)]
    ema_nimg = min(half_life, cur_nimg * rampup)
    beta = 0.5 ** (batch / max(ema_nimg, 1e-8))
    shadow = w if shadow is None else [x + (s - x) * beta for x, s in zip(w, shadow)]
    out.append({'beta': beta, 'shadow': shadow})
    cur_nimg += batch
print(json.dumps(out))
`;
const python = referencePython(['math', 'json'], 'StyleGAN2 EMA ramp-up against its Python formula');

describe('ExponentialMovingAverage with StyleGAN2 half-life and ramp-up', () => {
  test.skipIf(python === undefined)('equals the StyleGAN2-ADA update computed in Python (ramp-up phase and the plateau); the first update copies', () => {
    const [halfLife, rampup, batch, steps] = [200, 0.05, 8, 600];
    const probe = spawnSync(python!, ['-c', EMA_REFERENCE, String(halfLife), String(rampup), String(batch), String(steps)], { encoding: 'utf8' });
    expect(probe.status, probe.stderr).toBe(0);
    const reference = JSON.parse(probe.stdout) as { beta: number; shadow: number[] }[];
    const w = tf.variable(tf.tensor1d([0, 0]));
    const ema = new ExponentialMovingAverage([w], { halfLifeImages: halfLife, rampup, batchSize: batch });
    const before = tf.memory().numTensors;
    reference.forEach((r, i) => {
      const step = i + 1;
      expect(ema.decayForUpdate(step)).toBeCloseTo(r.beta, 12);
      tf.tidy(() => w.assign(tf.tensor1d([Math.sin(step), 3 * Math.cos(step)])));
      ema.update();
      const shadow = ema.shadows[0]!.dataSync();
      r.shadow.forEach((v, j) => expect(shadow[j]).toBeCloseTo(v, 5));
    });
    expect(ema.decayForUpdate(1)).toBe(0);
    // Past the ramp-up (images · 0.05 ≥ 200 after 500 updates of 8) the decay is constant: 0.5^(8/200).
    expect(ema.decayForUpdate(steps)).toBeCloseTo(Math.pow(0.5, batch / halfLife), 12);
    expect(tf.memory().numTensors).toBe(before);
    ema.dispose();
    w.dispose();
  });

  test('option errors name what is wrong', () => {
    const w = tf.variable(tf.tensor1d([0]));
    expect(() => new ExponentialMovingAverage([w], { halfLifeImages: 100 })).toThrow(/needs batchSize/);
    expect(() => new ExponentialMovingAverage([w], { halfLifeImages: 100, batchSize: 4, warmup: true })).toThrow(/either warmup or halfLifeImages/);
    expect(() => new ExponentialMovingAverage([w], { rampup: 0.05 })).toThrow(/go with halfLifeImages/);
    w.dispose();
  });
});

describe('clipping', () => {
  test('clipByGlobalNorm equals torch.nn.utils.clip_grad_norm_ (clipped and untouched cases), for maps and arrays', () => {
    const { grads, shapes, cases } = fixture.clipGradNorm;
    for (const c of cases) {
      const tensors = grads.map((g, i) => tf.tensor(g, shapes[i]));
      const before = tf.memory().numTensors;
      const result = clipByGlobalNorm(tensors, c.maxNorm);
      expect(result.globalNorm.dataSync()[0]).toBeCloseTo(c.norm, 5);
      result.grads.forEach((g, i) => g.dataSync().forEach((v, j) => expect(Math.abs(v - c.clipped[i]![j]!)).toBeLessThan(1e-6)));
      const named = clipByGlobalNorm({ a: tensors[0]!, b: tensors[1]! }, c.maxNorm);
      expect(Array.from(named.grads.b.dataSync())).toEqual(Array.from(result.grads[1]!.dataSync()));
      tf.dispose([result.globalNorm, ...result.grads, named.globalNorm, ...Object.values(named.grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(tensors);
    }
    expect(() => clipByGlobalNorm([], 1)).toThrow(/at least one/);
    expect(() => clipByGlobalNorm([tf.ones([1])], 0)).toThrow(/maxNorm/);
  });

  test('clipWeights clamps every variable to [−c, c] in place', () => {
    const a = tf.variable(tf.tensor1d([-0.5, 0.005, 0.02]));
    const b = tf.variable(tf.tensor2d([[1, -1]]));
    clipWeights([a, b], 0.01);
    expect(Array.from(a.dataSync())).toEqual([-0.01, 0.005, 0.01].map(Math.fround));
    expect(Array.from(b.dataSync())).toEqual([0.01, -0.01].map(Math.fround));
    expect(() => clipWeights([a], -1)).toThrow(/finite number > 0/);
    tf.dispose([a, b]);
  });
});
