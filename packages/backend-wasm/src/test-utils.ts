import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './node';
import { createRng } from '@gankit/core';

/** Starts cpu and wasm (with gankit's kernels) so tests can switch between them with `tf.setBackend`. */
export async function startBothBackends(): Promise<void> {
  await initBackend({ backend: 'cpu' });
  await initBackend({ backend: 'wasm' });
}

/** Seeded standard-normal values. */
export function normalValues(seed: number, size: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng.normal());
}

/** Runs `compute` on one backend and returns its values as a plain array (tensors disposed). */
export async function valuesOn(backend: 'cpu' | 'wasm', compute: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(compute);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  return values;
}

/** Largest |a − b| relative to max(1, max |b|): the float32 agreement measure used by the kernel tests. */
export function relativeMaxError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? 0;
    scale = Math.max(scale, Math.abs(e));
    const diff = Math.abs((actual[i] ?? NaN) - e);
    worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
  }
  return worst / scale;
}
