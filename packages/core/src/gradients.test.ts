import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { canPauseGradientTape, lowMemoryVariableGrads, outsideGradientTape, tileGradient } from './gradients';
import { createRng } from './rng';
import { referencePython } from '../../../testing/python';

const PYTHON = referencePython(['torch'], 'PyTorch comparisons of the Tile gradient and a second-order penalty');
const REFERENCE = fileURLToPath(new URL('./gradients.fixtures/tile_reference.py', import.meta.url));

const values = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal());
};

const TILE_CASES = [
  { shape: [2, 1, 1, 1], reps: [1, 5, 4, 3] },
  { shape: [3, 2], reps: [2, 3] },
  { shape: [2, 3, 1], reps: [3, 1, 4] },
  { shape: [1, 2, 1, 2, 1], reps: [2, 1, 3, 1, 2] },
  { shape: [4], reps: [1] },
];

interface Reference {
  tile: number[][];
  penalty: { value: number; dw: number[] };
}

const PENALTY = { shape: [2, 5, 5, 2], wShape: [3, 3, 2, 3], eps: 1e-5 };

/** The critic of the penalty case: conv 3×3 'same' → tfjs-layers LayerNormalization over H, W, C → tanh → per-sample sum. */
function layerNormCritic(w: tf.Tensor4D): (x: tf.Tensor) => tf.Tensor {
  const norm = tfl.layers.layerNormalization({ axis: [1, 2, 3], epsilon: PENALTY.eps });
  return (x) => tf.sum(tf.tanh(norm.apply(tf.conv2d(x as tf.Tensor4D, w, 1, 'same')) as tf.Tensor), [1, 2, 3]);
}

function gradientPenaltyOf(critic: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Scalar {
  const grad = tf.grad((input: tf.Tensor) => tf.sum(critic(input)))(x);
  const norms = tf.sqrt(tf.add(tf.sum(tf.square(grad), [1, 2, 3]), 1e-12));
  return tf.mean(tf.square(tf.sub(norms, 1)));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1e-6, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs((actual[i] as number) - (expected[i] as number)) / scale, `${what}[${i}]`).toBeLessThan(rtol);
}

describe.each(['cpu', 'wasm'] as const)('gradient fixes on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it.runIf(PYTHON !== undefined)('the Tile gradient, and the gradient of a penalty through layer norm and tanh, agree with PyTorch', () => {
    const tile = TILE_CASES.map((c, i) => {
      const size = c.shape.reduce((a, b) => a * b, 1);
      return { ...c, x: values(10 + i, size), dy: values(20 + i, size * c.reps.reduce((a, b) => a * b, 1)) };
    });
    const penalty = { ...PENALTY, x: values(1, 100), w: values(2, 54).map((v) => v * 0.3) };
    const run = spawnSync(PYTHON!, [REFERENCE], { input: JSON.stringify({ tile, penalty }), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const reference = JSON.parse(run.stdout) as Reference;
    tile.forEach((c, i) => {
      const dx = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, c.reps), tf.tensor(c.dy, c.shape.map((d, j) => d * (c.reps[j] as number))))))(tf.tensor(c.x, c.shape)));
      expectClose(dx.dataSync(), reference.tile[i] as number[], 1e-6, `tile [${c.shape.join(',')}] × [${c.reps.join(',')}]`);
      dx.dispose();
    });
    const { value, grads } = tf.tidy(() => {
      const w = tf.variable(tf.tensor4d(penalty.w, PENALTY.wShape as [number, number, number, number]), true, `gp-w-${backend}`);
      const x = tf.tensor4d(penalty.x, PENALTY.shape as [number, number, number, number]);
      // The outer gradient is lowMemoryVariableGrads': TF.js's own tf.variableGrads drops the second-order term through
      // tanh's saved output (see dependencyOrder in gradients.ts).
      const result = lowMemoryVariableGrads(() => gradientPenaltyOf(layerNormCritic(w), x), [w]);
      w.dispose();
      return { value: result.value, grads: result.grads[`gp-w-${backend}`] as tf.Tensor };
    });
    expectClose(value.dataSync(), [reference.penalty.value], 1e-4, 'penalty');
    expectClose(grads.dataSync(), reference.penalty.dw, 1e-4, 'd penalty / d w');
    tf.dispose([value, grads]);
  });

  it('records a handful of ops for the gradient of a large tile (TF.js 4.22 recorded one slice + add per repeat)', async () => {
    const x = tf.tensor4d([1, 2], [2, 1, 1, 1]);
    const info = await tf.profile(() => tf.grad((input: tf.Tensor) => tf.sum(tf.tile(input, [1, 14, 14, 128])))(x));
    expect(info.kernels.length).toBeLessThan(20);
    const dx = tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(tf.tile(input, [1, 14, 14, 128])))(x));
    expect(Array.from(dx.dataSync())).toEqual([14 * 14 * 128, 14 * 14 * 128]);
    tf.dispose([x, dx]);
  });

  it('tileGradient sums every repeat of dy back onto x', () => {
    const dy = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 6]);
    const dx = tileGradient(dy, [1, 3], [2, 2]);
    // dy rows are the 2 repeats of axis 0; each row holds 2 repeats of 3 columns.
    expect(Array.from(dx.dataSync())).toEqual([1 + 4 + 7 + 10, 2 + 5 + 8 + 11, 3 + 6 + 9 + 12]);
    tf.dispose([dy, dx]);
  });
});

/** A small conv net with batch norm: conv → BN → LeakyReLU → dense, as a loss of its variables. */
function convNet(seed: number) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tfl.initializers.glorotNormal({ seed }) }),
      tfl.layers.batchNormalization(),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 1 }) }),
    ],
  });
  const x = tf.tensor4d(values(seed + 2, 3 * 8 * 8 * 2), [3, 8, 8, 2]);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = () => tf.mean<tf.Scalar>(tf.square(model.apply(x, { training: true }) as tf.Tensor));
  return { model, x, vars, loss };
}

describe.each(['cpu', 'wasm'] as const)('lowMemoryVariableGrads on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it('gives tf.variableGrads\' values bit for bit, and no tensor outlives it', () => {
    const net = convNet(3);
    const before = tf.memory().numTensors;
    for (let repeat = 0; repeat < 3; repeat++) {
      const stock = tf.variableGrads(net.loss, net.vars);
      const low = lowMemoryVariableGrads(net.loss, net.vars);
      expect(low.value.dataSync()[0]).toBe(stock.value.dataSync()[0]);
      expect(Object.keys(low.grads).sort()).toEqual(Object.keys(stock.grads).sort());
      for (const name of Object.keys(stock.grads)) expect(Array.from(low.grads[name]!.dataSync()), name).toEqual(Array.from(stock.grads[name]!.dataSync()));
      tf.dispose([stock.value, low.value, ...Object.values(stock.grads), ...Object.values(low.grads)]);
      expect(tf.memory().numTensors).toBe(before);
    }
    net.model.dispose();
    net.x.dispose();
  });

  it('holds fewer buffers at its peak than tf.variableGrads (tf.memory() sampled inside the forward and backward pass)', () => {
    const vars = Array.from({ length: 12 }, (_, i) => tf.variable(tf.tensor2d(values(40 + i, 256 * 64).map((v) => 1 + v / 8), [256, 64]), true, `chain-${backend}-${i}`));
    const x = tf.tensor2d(values(60, 256 * 64), [256, 64]);
    let peak = 0;
    const sample = () => (peak = Math.max(peak, tf.memory().numDataBuffers));
    // An identity op that samples the live buffer count when it runs forward and when its gradient runs.
    const probe = tf.customGrad((h) => {
      sample();
      return { value: tf.clone(h as tf.Tensor), gradFunc: (dy: tf.Tensor) => (sample(), tf.clone(dy)) };
    });
    const loss = () => tf.mean<tf.Scalar>(vars.reduce<tf.Tensor>((h, w) => probe(tf.mul(h, w)), x));
    const peakAboveStart = (grads: typeof lowMemoryVariableGrads) => {
      const start = tf.memory().numDataBuffers;
      peak = start;
      const { value, grads: g } = grads(loss, vars);
      tf.dispose([value, ...Object.values(g)]);
      return peak - start;
    };
    const stock = peakAboveStart(tf.variableGrads);
    const low = peakAboveStart(lowMemoryVariableGrads);
    // Stock keeps every saved input and every intermediate gradient to the end (3 buffers per layer); the low-memory
    // pass frees each layer's as it goes (measured here: 37 against 13).
    expect(low).toBeLessThan(0.5 * stock);
    tf.dispose([x, ...vars]);
  });

  it('inside another tape it defers to tf.variableGrads, so the outer tape differentiates through it', () => {
    const a = tf.variable(tf.scalar(3), true, `nested-a-${backend}`);
    const b = tf.variable(tf.scalar(2), true, `nested-b-${backend}`);
    // Outer loss a·b² + d(a·b²)/db = a·b² + 2ab; its gradient in a is b² + 2b = 8 at b = 2.
    const outer = (inner: typeof lowMemoryVariableGrads) => tf.variableGrads(() => {
      const { value, grads } = inner(() => tf.mul<tf.Scalar>(a, tf.mul(b, b)), [b]);
      return tf.add<tf.Scalar>(value, grads[b.name]!);
    }, [a]);
    for (const inner of [lowMemoryVariableGrads, tf.variableGrads]) {
      const { value, grads } = outer(inner);
      expect([value.dataSync()[0], grads[a.name]!.dataSync()[0]]).toEqual([24, 8]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    tf.dispose([a, b]);
  });

  it('refuses a loss that is not a scalar or does not depend on the variables, leaving no tape behind', () => {
    const v = tf.variable(tf.ones([2]), true, `refuse-${backend}`);
    expect(() => lowMemoryVariableGrads(() => tf.mul(v, 2) as unknown as tf.Scalar, [v])).toThrow(/must return a scalar/);
    expect(() => lowMemoryVariableGrads(() => tf.scalar(1), [v])).toThrow(/does not depend on any of the variables/);
    const after = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(v, 3)), [v]);
    expect(Array.from(after.grads[v.name]!.dataSync())).toEqual([3, 3]);
    tf.dispose([after.value, ...Object.values(after.grads), v]);
  });
});

describe('outsideGradientTape', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('runs its function with no tape recording and resumes the enclosing tape, also after a throw', () => {
    expect(canPauseGradientTape()).toBe(true);
    const a = tf.variable(tf.scalar(2), true, 'outside-a');
    const b = tf.variable(tf.scalar(5), true, 'outside-b');
    const depth = () => (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth;
    const seen: number[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const y = tf.mul(a, a);
      outsideGradientTape(() => {
        seen.push(depth());
        // A complete update of b on its own tape, inside a's: b ← b − 0.5·d(b²)/db.
        const inner = tf.variableGrads(() => tf.mul<tf.Scalar>(b, b), [b]);
        b.assign(tf.sub(b, tf.mul(0.5, inner.grads[b.name]!)));
        tf.dispose([inner.value, ...Object.values(inner.grads)]);
      });
      seen.push(depth());
      expect(() => outsideGradientTape(() => {
        throw new Error('inside');
      })).toThrow('inside');
      seen.push(depth());
      return tf.add<tf.Scalar>(y, tf.mul(b, a));
    }, [a]);
    expect(seen).toEqual([0, 1, 1]);
    expect(b.dataSync()[0]).toBe(0);
    expect(value.dataSync()[0]).toBe(4);
    expect(grads['outside-a']!.dataSync()[0]).toBe(4);
    tf.dispose([value, ...Object.values(grads), a, b]);
  });
});
