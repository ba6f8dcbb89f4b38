import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@gankit/backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { mnist } from './named';
import { createPipeline, disposeBatch } from './pipeline';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('pipeline on the wasm backend', () => {
  it('gives the same batches as the typed-array path, and the tensor count stays flat', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const source = await mnist({ split: 'test' });
    const tensors = createPipeline(source, { batchSize: 64, seed: 9, flip: true });
    const arrays = createPipeline(source, { batchSize: 64, seed: 9, flip: true });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const batch = (await tensors.next())!;
      const expected = (await arrays.nextArrays())!;
      expect(Buffer.compare(Buffer.from(batch.images.dataSync().buffer), Buffer.from(expected.images.buffer))).toBe(0);
      expect(Array.from(batch.labels!.dataSync())).toEqual(Array.from(expected.labels!));
      disposeBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
