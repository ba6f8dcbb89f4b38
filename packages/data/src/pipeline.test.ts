import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { mnist } from './named';
import { type BatchArrays, type PipelineOptions, createPipeline, disposeBatch, toTfDataset } from './pipeline';
import { type ImageSource, arraySource, toAsyncIterable } from './source';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** A source whose image i stores i in its two pixels (i mod 256, floor(i / 256)), label i mod 3. */
function indexSource(n: number): ReturnType<typeof arraySource> {
  const images = new Uint8Array(n * 2);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    images[2 * i] = i & 255;
    images[2 * i + 1] = i >> 8;
    labels[i] = i % 3;
  }
  return arraySource(images, [1, 2, 1], labels);
}

/** Recovers the example indices of a batch of `indexSource` (unflipped: pixel 0 low byte, pixel 1 high byte). */
function indices(batch: BatchArrays): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch.size; b++) {
    const lo = Math.round((batch.images[2 * b]! + 1) * 127.5);
    const hi = Math.round((batch.images[2 * b + 1]! + 1) * 127.5);
    out.push(lo + 256 * hi);
  }
  return out;
}

async function collect(source: ImageSource, options: PipelineOptions, count = Infinity): Promise<BatchArrays[]> {
  const pipeline = createPipeline(source, options);
  const out: BatchArrays[] = [];
  while (out.length < count) {
    const batch = await pipeline.nextArrays();
    if (!batch) break;
    out.push(batch);
  }
  return out;
}

describe('createPipeline ordering', () => {
  it('covers every example once per epoch, reshuffled each epoch; same seed → same order, other seed → other order', async () => {
    const source = indexSource(1000);
    const a = await collect(source, { batchSize: 100, seed: 7, repeat: 2 });
    expect(a).toHaveLength(20);
    const epoch0 = a.slice(0, 10).flatMap(indices);
    const epoch1 = a.slice(10).flatMap(indices);
    expect([...epoch0].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...epoch1].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epoch0).not.toEqual(epoch1);
    expect(epoch0.slice(0, 20)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    const again = await collect(source, { batchSize: 100, seed: 7, repeat: 2 });
    expect(again.flatMap(indices)).toEqual(a.flatMap(indices));
    const other = await collect(source, { batchSize: 100, seed: 8, repeat: 2 });
    expect(other.flatMap(indices)).not.toEqual(a.flatMap(indices));
  });

  it('without shuffle keeps storage order; labels follow their images as int32', async () => {
    const batches = await collect(indexSource(10), { batchSize: 4, shuffle: false });
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches.flatMap(indices)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.flatMap((b) => Array.from(b.labels!))).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(batches[0]!.labels).toBeInstanceOf(Int32Array);
  });

  it('dropRemainder drops each epoch’s short batch; repeat: n gives n epochs; repeat: true never ends', async () => {
    const dropped = await collect(indexSource(10), { batchSize: 4, dropRemainder: true, repeat: 3 });
    expect(dropped.map((b) => b.size)).toEqual([4, 4, 4, 4, 4, 4]);
    expect(dropped.map((b) => b.epoch)).toEqual([0, 0, 1, 1, 2, 2]);
    const endless = await collect(indexSource(10), { batchSize: 4, repeat: true }, 50);
    expect(endless).toHaveLength(50);
  });

  it('flips horizontally with a seeded coin per example', async () => {
    const n = 400;
    const images = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) images.set([10, 20, 30], 3 * i);
    const source = arraySource(images, [1, 3, 1]);
    const batches = await collect(source, { batchSize: 400, flip: true, seed: 3 });
    const rows = Array.from({ length: n }, (_, i) => Array.from(batches[0]!.images.subarray(3 * i, 3 * i + 3), (v) => Math.round((v + 1) * 127.5)));
    const flipped = rows.filter((r) => r[0] === 30).length;
    for (const r of rows) expect(r[0] === 30 ? r : [...r].reverse()).toEqual([30, 20, 10]);
    expect(flipped).toBeGreaterThan(150);
    expect(flipped).toBeLessThan(250);
    const again = await collect(source, { batchSize: 400, flip: true, seed: 3 });
    expect(Array.from(again[0]!.images)).toEqual(Array.from(batches[0]!.images));
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const source = indexSource(10);
    for (const bad of [{ batchSize: 0 }, { batchSize: 2.5 }, { batchSize: 4, repeat: 0 }, { batchSize: 20, dropRemainder: true }]) {
      let error: unknown;
      try {
        createPipeline(source, bad);
      } catch (e) {
        error = e;
      }
      expect(GanKitError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('position save/restore', () => {
  it.each([
    ['random access', false],
    ['streaming', true],
  ])('%s: a resumed pipeline yields exactly the uninterrupted run’s batches, across epochs', async (_name, streaming) => {
    const base = indexSource(250);
    const source: ImageSource = streaming
      ? { shape: base.shape, numClasses: base.numClasses, examples: () => toAsyncIterable(base.length, (i) => base.get(i)) }
      : base;
    const options: PipelineOptions = { batchSize: 32, seed: 11, repeat: true, shuffleBuffer: 64 };
    const full = await collect(source, options, 30);
    for (const stop of [1, 7, 8, 9, 20]) {
      const first = createPipeline(source, options);
      for (let i = 0; i < stop; i++) await first.nextArrays();
      const saved = JSON.parse(JSON.stringify(first.getPosition())) as ReturnType<typeof first.getPosition>;
      const resumed = await collect(source, { ...options, position: saved }, 30 - stop);
      expect(resumed.map(indices)).toEqual(full.slice(stop).map(indices));
      expect(resumed.map((b) => b.epoch)).toEqual(full.slice(stop).map((b) => b.epoch));
    }
  });

  it('resumes flips too, and refuses a position from a source of another length', async () => {
    const n = 100;
    const images = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) images.set([i, 0, 255 - i], 3 * i);
    const source = arraySource(images, [1, 3, 1]);
    const options: PipelineOptions = { batchSize: 16, seed: 5, flip: true, repeat: true };
    const full = await collect(source, options, 20);
    const first = createPipeline(source, options);
    for (let i = 0; i < 9; i++) await first.nextArrays();
    const resumed = await collect(source, { ...options, position: first.getPosition() }, 11);
    expect(resumed.map((b) => Array.from(b.images))).toEqual(full.slice(9).map((b) => Array.from(b.images)));
    expect(() => createPipeline(indexSource(99), { ...options, position: first.getPosition() })).toThrow(/99/);
  });
});

describe('tensors', () => {
  it('MNIST train → 938 batches of [64,28,28,1] float32 in [-1,1] with int32 labels; tensor count stays flat', async () => {
    const source = await mnist({ split: 'train' });
    const pipeline = createPipeline(source, { batchSize: 64, seed: 1 });
    expect(pipeline.batchesPerEpoch).toBe(938);
    const before = tf.memory().numTensors;
    let batches = 0;
    let examples = 0;
    let min = Infinity;
    let max = -Infinity;
    for await (const batch of pipeline) {
      if (batches === 0) {
        expect(batch.images.shape).toEqual([64, 28, 28, 1]);
        expect(batch.images.dtype).toBe('float32');
        expect(batch.labels!.dtype).toBe('int32');
        const values = batch.images.dataSync();
        for (const v of values) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
      examples += batch.images.shape[0];
      batches++;
      disposeBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(batches).toBe(938);
    expect(examples).toBe(60000);
    expect(min).toBe(-1);
    expect(max).toBe(1);
  });
});

describe('toTfDataset', () => {
  it('yields the pipeline’s batches as { xs, ys } through a tfjs-data iterator', async () => {
    const source = indexSource(50);
    const expected = await collect(source, { batchSize: 16, seed: 2 });
    const dataset = toTfDataset(createPipeline(source, { batchSize: 16, seed: 2 }));
    const iterator = await dataset.iterator();
    const before = tf.memory().numTensors;
    const seen: number[][] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      expect(r.value.xs.shape.slice(1)).toEqual([1, 2, 1]);
      expect(r.value.ys!.dtype).toBe('int32');
      seen.push(Array.from(r.value.xs.dataSync()));
      tf.dispose(r.value);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(seen).toEqual(expected.map((b) => Array.from(b.images)));
  });
});
