import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgreementTable } from '../../../testing/agreement';
import { PathLengthRegularizer } from './index';

// Produced by test/fixtures/path_length_reference.py (PyTorch autograd, float64); see that script.
interface Call { value: number; mean: number; grads: Record<string, number[]> }
interface Case {
  name: string; numWs: number; wDim: number; z: number[]; noises: number[][];
  startMean: number; weight: number; decay: number;
  weights: Record<string, { shape: number[]; values: number[] }>;
  calls: Call[];
}
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/path_length.json', import.meta.url), 'utf8')) as { cases: Case[] };
const B = 3;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`path-length regularisation vs PyTorch autograd (${backend})`, () => {
    const table = new AgreementTable();
    beforeAll(async () => {
      await initBackend({ backend });
    });
    afterAll(() => console.log(`\npath length: agreement with PyTorch (float64), ${backend}:\n${table.toMarkdown('case')}\n`));

    for (const c of fixture.cases) {
      test(`${c.name}: two lazy calls — penalty, running mean and the gradients w.r.t. mapping and synthesis weights`, () => {
        const vars = Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, tf.variable(tf.tensor(w.values, w.shape), true, `pl/${k}/${Math.random()}`)]));
        const v = (k: string) => vars[k]!;
        const synthesis = (ws: tf.Tensor) =>
          tf.tidy(() => {
            const h = tf.reshape<tf.Rank.R4>(tf.softplus(tf.matMul(tf.reshape(ws, [B, c.numWs * c.wDim]), v('w1') as tf.Tensor2D)), [B, 4, 4, 2]);
            return tf.softplus(tf.add(tf.conv2d(h, v('k') as tf.Tensor4D, 1, 'same'), v('b')));
          });
        const regularizer = new PathLengthRegularizer({ weight: c.weight, decay: c.decay });
        regularizer.setState({ mean: c.startMean });
        const z = tf.tensor2d(c.z, [B, 4]);
        const names = Object.keys(vars);
        const before = tf.memory().numTensors;
        c.calls.forEach((call, i) => {
          const noise = tf.tensor4d(c.noises[i]!, [B, 4, 4, 1]);
          const { value, grads } = tf.variableGrads(() => {
            const flat = tf.matMul(z, v('m'));
            const ws = c.numWs > 1 ? tf.reshape(flat, [B, c.numWs, c.wDim]) : flat;
            return regularizer.penaltyAt(synthesis, ws, noise);
          }, names.map((k) => v(k)));
          expect(names.filter((k) => grads[v(k).name] === undefined)).toEqual([]);
          table.check(`${c.name}: penalty, mean`, [value.dataSync()[0]!, regularizer.mean], [call.value, call.mean], 1e-6, 1e-5);
          table.check(`${c.name}: gradients`, names.flatMap((k) => Array.from(grads[v(k).name]!.dataSync())), names.flatMap((k) => call.grads[k]!), 1e-6, 1e-5);
          tf.dispose([value, noise, ...Object.values(grads)]);
        });
        expect(tf.memory().numTensors).toBe(before);
        expect(regularizer.getState().mean).toBeCloseTo(c.calls.at(-1)!.mean, 6);
        regularizer.dispose();
        tf.dispose([z, ...Object.values(vars)]);
      });
    }
  });
}

describe('path-length regularisation: seeded noise, state, errors', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  test('penalty() draws y = N(0, I)/√(HW) with rng.normalArray and equals penaltyAt with that noise; state round-trips', () => {
    const w = tf.variable(tf.randomNormal([5, 10], 0, 1, 'float32', 1));
    const synthesis = (ws: tf.Tensor) => tf.reshape(tf.tanh(tf.matMul(ws as tf.Tensor2D, w)), [2, 2, 5, 1]);
    const ws = tf.randomNormal([2, 5], 0, 1, 'float32', 2);
    const a = new PathLengthRegularizer();
    const b = new PathLengthRegularizer();
    const drawn = tf.tensor4d(createRng(9).normalArray(20, 0, 1 / Math.sqrt(10)), [2, 2, 5, 1]);
    const pa = a.penalty(synthesis, ws, [2, 2, 5, 1], createRng(9));
    const pb = b.penaltyAt(synthesis, ws, drawn);
    expect(pa.dataSync()[0]).toBe(pb.dataSync()[0]);
    expect(a.mean).toBe(b.mean);
    expect(a.mean).toBeGreaterThan(0);
    const c = new PathLengthRegularizer();
    c.setState(a.getState());
    expect(c.mean).toBe(a.mean);
    expect(() => new PathLengthRegularizer({ decay: 2 })).toThrow(/decay/);
    expect(() => a.penaltyAt(synthesis, ws, tf.zeros([1, 2, 5, 1]))).toThrow(/noise has shape/);
    expect(() => a.penalty(synthesis, ws, [2, 10], createRng(1))).toThrow(/\[B, H, W, C\]/);
    tf.dispose([w, ws, drawn, pa, pb]);
    [a, b, c].forEach((r) => r.dispose());
  });
});
