import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referencePython } from '../../../testing/python';
import {
  AdaController, applyAda, applyDiffAugment, createAugmenter, diffAugment, adaAugment, drawAdaParams, drawDiffAugmentParams,
  identityAdaParams, parseDiffAugmentPolicy, type AdaParams,
} from './index';

const script = fileURLToPath(new URL('../test/fixtures/augment_reference.py', import.meta.url));
const PYTHON = referencePython(['torch', 'numpy'], 'augmentation parity with PyTorch');
const hasTorch = PYTHON !== undefined;

interface Case { shape: [number, number, number, number]; x: number[]; out: number[]; weight: number[]; grad: number[] }
interface DiffCase extends Case {
  policy: string;
  params: { brightness: number[]; saturation: number[]; contrast: number[]; translation: number[]; cutout: number[]; cutoutSize: [number, number] };
}
interface AdaCase extends Case { op: string; params: Record<Exclude<keyof AdaParams, 'n'>, number[]> }
interface ControllerCase { target: number; interval: number; kimg: number; logits: number[][]; p: number[]; rt: (number | null)[] }
interface Reference { diffaugment: DiffCase[]; ada: AdaCase[]; controller: ControllerCase[] }

const dir = mkdtempSync(join(tmpdir(), 'gankit-augment-'));
let ref: Reference;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  if (!hasTorch) return;
  const out = join(dir, 'reference.json');
  execFileSync(PYTHON, [script, out], { stdio: 'inherit' });
  ref = JSON.parse(readFileSync(out, 'utf8')) as Reference;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maxAbsDiff(actual: ArrayLike<number>, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected[i]!));
  return m;
}

/** Output and d(sum(out · weight))/dx of `fn` on the case's images, compared with PyTorch's. */
function check(c: Case, fn: (x: tf.Tensor4D) => tf.Tensor4D): { out: number; grad: number } {
  const x = tf.tensor4d(c.x, c.shape);
  const weight = tf.tensor4d(c.weight, c.shape);
  const out = fn(x);
  const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fn(v as tf.Tensor4D), weight)))(x);
  const errors = { out: maxAbsDiff(out.dataSync(), c.out), grad: maxAbsDiff(grad.dataSync(), c.grad) };
  tf.dispose([x, weight, out, grad]);
  return errors;
}

function adaParams(c: AdaCase): AdaParams {
  const p = identityAdaParams(c.shape[0]);
  for (const [k, v] of Object.entries(c.params)) (p as unknown as Record<string, Float64Array>)[k] = Float64Array.from(v);
  return p;
}

describe.skipIf(!hasTorch)('DiffAugment equals a PyTorch implementation of the paper (same drawn parameters)', () => {
  it.each(['cpu', 'wasm'] as const)('color, translation, cutout and the full policy: outputs and input gradients within 1e-5, RGB and grey (%s)', async (backend) => {
    await initBackend({ backend });
    expect(ref.diffaugment.length).toBe(8);
    for (const c of ref.diffaugment) {
      const params = {
        ops: parseDiffAugmentPolicy(c.policy),
        brightness: Float32Array.from(c.params.brightness), saturation: Float32Array.from(c.params.saturation), contrast: Float32Array.from(c.params.contrast),
        translation: Int32Array.from(c.params.translation), cutout: Int32Array.from(c.params.cutout), cutoutSize: c.params.cutoutSize,
      };
      const errors = check(c, (x) => applyDiffAugment(x, params));
      expect(Math.max(errors.out, errors.grad), `${c.policy} ${c.shape.join('x')}: ${JSON.stringify(errors)}`).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe.skipIf(!hasTorch)('ADA equals a PyTorch implementation (reflect pad + grid_sample, colour matrices) with the same parameters', () => {
  it.each(['cpu', 'wasm'] as const)('each of the 12 bgc ops alone and all together: outputs and input gradients within 1e-5, RGB and grey (%s)', async (backend) => {
    await initBackend({ backend });
    expect(ref.ada.length).toBe(26);
    for (const c of ref.ada) {
      const params = adaParams(c);
      const errors = check(c, (x) => applyAda(x, params));
      expect(Math.max(errors.out, errors.grad), `${c.op} ${c.shape.join('x')}: ${JSON.stringify(errors)}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('second-order gradients through the resampling (as R1 on augmented reals needs) are finite and match a finite difference', async () => {
    await initBackend({ backend: 'cpu' });
    const c = ref.ada.find((k) => k.op === 'bgc')!;
    const params = adaParams(c);
    const x = tf.tensor4d(c.x, c.shape);
    const w = tf.tensor4d(c.weight, c.shape);
    // f(x) = sum((d/dx sum(A(x)^2 · w))^2): the inner gradient depends on x, so the outer needs A's gradient's gradient.
    const inner = (v: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.square(applyAda(u as tf.Tensor4D, params)), w)))(v);
    const f = (v: tf.Tensor) => tf.sum(tf.square(inner(v)));
    const g = tf.grad(f)(x);
    const direction = tf.randomUniform(c.shape, -1, 1, 'float32', 3);
    const h = 1e-2;
    const fd = (f(tf.add(x, tf.mul(direction, h))).dataSync()[0]! - f(tf.sub(x, tf.mul(direction, h))).dataSync()[0]!) / (2 * h);
    const analytic = tf.sum(tf.mul(g, direction)).dataSync()[0]!;
    expect(Math.abs(fd - analytic)).toBeLessThan(1e-3 * Math.max(1, Math.abs(analytic)));
    tf.dispose([x, w, g, direction]);
  });
});

describe.skipIf(!hasTorch)('AdaController equals a Python reimplementation of the paper\'s p update', () => {
  it('p after every step and r_t at every adjustment, for two settings', () => {
    for (const c of ref.controller) {
      const ctl = new AdaController({ target: c.target, interval: c.interval, kimg: c.kimg });
      c.logits.forEach((batch, k) => {
        const adjusted = ctl.update(batch);
        expect(adjusted).toBe(c.rt[k] !== null);
        if (adjusted) expect(ctl.lastRt).toBeCloseTo(c.rt[k]!, 12);
        expect(ctl.p).toBeCloseTo(c.p[k]!, 12);
      });
      expect(Math.max(...c.p)).toBeGreaterThan(0);
    }
  });
});

describe('determinism, memory and bad input', () => {
  const shape: [number, number, number, number] = [6, 12, 10, 3];
  const images = () => tf.randomUniform<tf.Rank.R4>(shape, -1, 1, 'float32', 7);

  it('the same seed gives the same augmented batch, another seed a different one (DiffAugment and ADA at p = 0.8)', () => {
    const x = images();
    const run = (seed: number, which: 'diff' | 'ada') => {
      const rng = createRng(seed);
      const y = which === 'diff' ? diffAugment(x, rng) : adaAugment(x, rng, 0.8);
      const values = y.dataSync().slice();
      y.dispose();
      return values;
    };
    for (const which of ['diff', 'ada'] as const) {
      expect(run(5, which)).toEqual(run(5, which));
      expect(maxAbsDiff(run(5, which), Array.from(run(6, which)))).toBeGreaterThan(0.1);
    }
    x.dispose();
  });

  it('drawn parameters are in the paper\'s ranges; ADA at p = 0 draws identity parameters and returns the input', () => {
    const rng = createRng(1);
    const d = drawDiffAugmentParams(rng, 200, 28, 28);
    expect(Math.min(...d.brightness!)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...d.saturation!)).toBeLessThan(2);
    expect(Math.min(...d.contrast!)).toBeGreaterThanOrEqual(0.5);
    expect(new Set(d.translation)).toEqual(new Set([-4, -3, -2, -1, 0, 1, 2, 3, 4]));
    expect(d.cutoutSize).toEqual([14, 14]);
    expect(drawAdaParams(rng, 50, 28, 28, 0)).toEqual(identityAdaParams(50));
    const hit = drawAdaParams(rng, 2000, 28, 28, 0.5);
    const flipped = hit.xflip.reduce((s, v) => s + v, 0) / 2000; // applied with p, then a fair coin
    expect(flipped).toBeGreaterThan(0.2);
    expect(flipped).toBeLessThan(0.3);
    const x = images();
    const y = adaAugment(x, rng, 0);
    expect(maxAbsDiff(y.dataSync(), Array.from(x.dataSync()))).toBe(0);
    tf.dispose([x, y]);
  });

  it('no tensors leak: augmenting and differentiating 5 times leaves tf.memory().numTensors flat', () => {
    const x = images();
    const rng = createRng(2);
    const augmenters = [createAugmenter({ policy: 'color,translation,cutout' }, rng), createAugmenter({ ada: { initialP: 0.7 } }, rng)];
    const once = () => {
      for (const a of augmenters) {
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(a.augment(v as tf.Tensor4D))))(x);
        const y = a.augment(x);
        tf.dispose([g, y]);
      }
    };
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) once();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('bad policies, probabilities, shapes and controller states are GanKitErrors naming the problem', () => {
    expect(() => parseDiffAugmentPolicy('color,flip')).toThrow(/unknown op "flip"/);
    expect(() => parseDiffAugmentPolicy('color,color')).toThrow(/names an op twice/);
    expect(() => drawAdaParams(createRng(1), 2, 8, 8, 1.5)).toThrow(/ADA p is 1.5; expected a probability/);
    const flat = tf.zeros([4, 8]);
    expect(() => diffAugment(flat as unknown as tf.Tensor4D, createRng(1))).toThrow(/expected a non-empty NHWC batch/);
    expect(() => applyDiffAugment(tf.zeros<tf.Rank.R4>([2, 4, 4, 1]), { ops: ['translation'], translation: new Int32Array(2) })).toThrow(/translation has 2 values; expected 4/);
    expect(() => new AdaController({ interval: 0 })).toThrow(/ADA interval is 0; expected a positive integer/);
    expect(() => new AdaController().setState({ p: 2 } as never)).toThrow(/ADA controller state .* is invalid/);
    expect(() => createAugmenter({} as never, createRng(1))).toThrow(/augment config \{\} is invalid/);
    flat.dispose();
  });

  it('controller state round-trips: a restored controller continues exactly like the original', () => {
    const a = new AdaController({ interval: 2, kimg: 0.01 });
    const logits = Array.from({ length: 30 }, (_, k) => [k % 3 === 0 ? -1 : 1, 0.5, k % 5 === 0 ? -2 : 2]);
    logits.slice(0, 13).forEach((l) => a.update(l));
    const b = new AdaController({ interval: 2, kimg: 0.01 });
    b.setState(JSON.parse(JSON.stringify(a.getState())) as ReturnType<AdaController['getState']>);
    for (const l of logits.slice(13)) {
      a.update(l);
      b.update(l);
      expect(b.getState()).toEqual(a.getState());
    }
    expect(a.p).toBeGreaterThan(0);
  });
});

describe('platform neutrality', () => {
  it('no source file imports a Node built-in (the package must bundle for a browser page)', async () => {
    const { readdirSync } = await import('node:fs');
    const dirUrl = new URL('./', import.meta.url);
    const sources = readdirSync(dirUrl).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(4);
    const builtins = (await import('node:module')).builtinModules;
    for (const f of sources) {
      const text = readFileSync(new URL(f, dirUrl), 'utf8');
      const imported = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imported) expect(spec.startsWith('node:') || builtins.includes(spec), `${f} imports ${spec}`).toBe(false);
    }
  });
});
