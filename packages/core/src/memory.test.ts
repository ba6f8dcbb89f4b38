import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { GanKitError } from './errors';
import { formatBytes, isOutOfMemory, outOfMemoryError, wasmHeapBytes } from './memory';

describe('running out of memory', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('a wasm tensor allocation past 4 GiB is GanKitError OUT_OF_MEMORY naming the size, and nothing breaks after', () => {
    const held: tf.Tensor[] = [];
    let caught: unknown;
    try {
      // 1 GiB each: the fourth cannot fit next to the other three in wasm's 4 GiB.
      for (let i = 0; i < 5; i++) held.push(tf.zeros([2 ** 28]));
    } catch (error) {
      caught = error;
    }
    expect(held.length).toBeLessThan(5);
    expect(GanKitError.isInstance(caught) && caught.code).toBe('OUT_OF_MEMORY');
    expect((caught as Error).message).toMatch(/^could not allocate 1\.1 GB for a tensor: wasm memory holds [\d.]+ GB of its 4 GiB$/);
    expect(isOutOfMemory(caught)).toBe(true);
    expect(wasmHeapBytes()).toBeGreaterThan(3e9);
    tf.dispose(held);
    const after = tf.tidy(() => tf.sum(tf.ones([1000])).dataSync()[0]);
    expect(after).toBe(1000);
  });

  it('recognises allocation failures and wraps them with what was running and what to change', () => {
    const jsFailure = new RangeError('Array buffer allocation failed');
    const wrapped = outOfMemoryError(jsFailure, 'the D step at batch size 64', 'lower --batch-size');
    expect(wrapped?.code).toBe('OUT_OF_MEMORY');
    expect(wrapped?.message).toMatch(/^out of memory during the D step at batch size 64 \(.+\); lower --batch-size$/);
    expect(wrapped?.cause).toBe(jsFailure);
    expect(isOutOfMemory(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'))).toBe(true);
    expect(outOfMemoryError(new TypeError('x is not a function'), 'the D step', 'no')).toBeUndefined();
    expect(outOfMemoryError(new GanKitError('INVALID_ARGUMENT', 'bad'), 'the D step', 'no')).toBeUndefined();
    // An out-of-bounds access is a bug, not a full heap, unless the heap is near its 4 GiB.
    const outOfBounds = Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
    expect(isOutOfMemory(outOfBounds)).toBe((wasmHeapBytes() ?? 0) > 0.95 * 4 * 1024 ** 3);
    expect([formatBytes(340e6), formatBytes(1.23e9)]).toEqual(['340 MB', '1.2 GB']);
  });
});
