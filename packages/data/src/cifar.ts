import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GanKitError } from '@gankit/core';
import { readFileOrThrow } from '@gankit/core/node';
import type { Split } from './named';
import { arraySource, type ArraySource } from './source';

/** CIFAR-10 class names, in label order. */
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const PIXELS = 32 * 32;

/** Options for `parseCifarBatch`. */
export interface CifarLayout {
  /** Label bytes before each image: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
  labelBytes: 1 | 2;
  /** Which label byte to use (CIFAR-100: 0 = coarse, 1 = fine). */
  labelIndex: 0 | 1;
  /** Labels must be below this. */
  numClasses: number;
}

/** Parses a CIFAR binary batch (records of label byte(s) + 3072 bytes R, G, B planes) into HWC images and labels. */
export function parseCifarBatch(bytes: Uint8Array, where: string, layout: CifarLayout): { images: Uint8Array; labels: Uint8Array } {
  const record = layout.labelBytes + 3 * PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new GanKitError('FILE_CORRUPT', `${where} is not a CIFAR binary batch: ${bytes.length} bytes is not a whole number of ${record}-byte records`, { path: where });
  }
  const n = bytes.length / record;
  const images = new Uint8Array(n * 3 * PIXELS);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * record;
    const label = bytes[at + layout.labelIndex]!;
    if (label >= layout.numClasses) {
      throw new GanKitError('FILE_CORRUPT', `${where}: record ${i} has label ${label}, expected 0–${layout.numClasses - 1}`, { path: where });
    }
    labels[i] = label;
    const planes = at + layout.labelBytes;
    const out = i * 3 * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      images[out + 3 * p] = bytes[planes + p]!;
      images[out + 3 * p + 1] = bytes[planes + PIXELS + p]!;
      images[out + 3 * p + 2] = bytes[planes + 2 * PIXELS + p]!;
    }
  }
  return { images, labels };
}

/** The folder holding the batches: `dir` itself, or its `cifar-10-batches-bin` / `cifar-100-binary` subfolder. */
function batchDir(dir: string, sub: string, probe: string): string {
  if (existsSync(join(dir, probe))) return dir;
  if (existsSync(join(dir, sub, probe))) return join(dir, sub);
  return dir;
}

async function loadBatches(files: string[], layout: CifarLayout): Promise<{ images: Uint8Array; labels: Uint8Array }> {
  const parts = await Promise.all(files.map(async (file) => parseCifarBatch(await readFileOrThrow(file), file, layout)));
  const total = parts.reduce((sum, p) => sum + p.labels.length, 0);
  const images = new Uint8Array(total * 3 * PIXELS);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    images.set(part.images, at * 3 * PIXELS);
    labels.set(part.labels, at);
    at += part.labels.length;
  }
  return { images, labels };
}

/** Options for the CIFAR loaders. */
export interface CifarOptions {
  /** Folder with the binary batches (or their parent holding `cifar-10-batches-bin` / `cifar-100-binary`). */
  dir: string;
  /** `train` (default) or `test`. */
  split?: Split;
}

/** CIFAR-10 from local binary batches: train = `data_batch_1..5.bin` (50,000), test = `test_batch.bin` (10,000); 32×32×3. */
export async function cifar10(options: CifarOptions): Promise<ArraySource> {
  const split = options.split ?? 'train';
  const dir = batchDir(options.dir, 'cifar-10-batches-bin', 'test_batch.bin');
  const files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`)) : [join(dir, 'test_batch.bin')];
  const { images, labels } = await loadBatches(files, { labelBytes: 1, labelIndex: 0, numClasses: 10 });
  return arraySource(images, [32, 32, 3], labels, { name: `CIFAR-10 ${split} (${dir})`, numClasses: 10, classNames: CIFAR10_CLASSES });
}

/** CIFAR-100 from local binary files `train.bin` / `test.bin`; `labels: 'fine'` (100 classes, default) or `'coarse'` (20). */
export async function cifar100(options: CifarOptions & { labels?: 'fine' | 'coarse' }): Promise<ArraySource> {
  const split = options.split ?? 'train';
  const fine = (options.labels ?? 'fine') === 'fine';
  const dir = batchDir(options.dir, 'cifar-100-binary', 'test.bin');
  const { images, labels } = await loadBatches([join(dir, `${split}.bin`)], { labelBytes: 2, labelIndex: fine ? 1 : 0, numClasses: fine ? 100 : 20 });
  return arraySource(images, [32, 32, 3], labels, { name: `CIFAR-100 ${split} (${dir})`, numClasses: fine ? 100 : 20 });
}
