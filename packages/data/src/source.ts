import { GanKitError } from '@gankit/core';

/** One example: an HWC uint8 image and, for labelled data, its class index. */
export interface Example {
  /** Pixels in height × width × channels order, uint8. */
  image: Uint8Array;
  /** Class index in [0, numClasses), when the source is labelled. */
  label?: number;
}

/** Image shape as [height, width, channels]. */
export type ImageShape = [number, number, number];

/**
 * A dataset of images: streamed through `examples()`, and, where the data is indexable, read at random
 * through `get(i)` (sync for in-memory data, async for files decoded on demand; `null` = a skipped bad file).
 */
export interface ImageSource {
  /** [height, width, channels] of every image. */
  readonly shape: ImageShape;
  /** Number of examples, when known up front. */
  readonly length?: number;
  /** Number of classes, for labelled sources. */
  readonly numClasses?: number;
  /** Class names in label order, where the source has them (image-folder subfolders, named datasets). */
  readonly classNames?: readonly string[];
  /** Iterates over every example in storage order. */
  examples(): AsyncIterable<Example>;
  /** Reads example `index` (0 ≤ index < length). */
  get?(index: number): Example | null | Promise<Example | null>;
}

/** An in-memory source over one contiguous uint8 buffer of N×H×W×C pixels (IDX, NPY, CIFAR, named datasets). */
export interface ArraySource extends ImageSource {
  readonly length: number;
  /** All pixels, N×H×W×C, uint8. */
  readonly images: Uint8Array;
  /** One label per image, if labelled. */
  readonly labels?: Uint8Array | Int32Array;
  get(index: number): Example;
}

/** Options for `arraySource`. */
export interface ArraySourceOptions {
  /** Number of classes; defaults to max(label) + 1. */
  numClasses?: number;
  /** Class names in label order. */
  classNames?: readonly string[];
  /** Names the data in error messages. */
  name?: string;
}

/** Wraps N×H×W×C uint8 pixels (and optional labels) as a random-access source; the buffers are used, not copied. */
export function arraySource(
  images: Uint8Array,
  shape: ImageShape,
  labels?: Uint8Array | Int32Array,
  options: ArraySourceOptions = {},
): ArraySource {
  const name = options.name ?? 'array source';
  const [h, w, c] = shape;
  if (![h, w, c].every((d) => Number.isInteger(d) && d > 0)) {
    throw new GanKitError('INVALID_ARGUMENT', `${name}: image shape must be three positive integers [H, W, C], got [${shape.join(', ')}]`, { path: name });
  }
  const size = h * w * c;
  if (images.length % size !== 0) {
    throw new GanKitError('SHAPE_MISMATCH', `${name}: ${images.length} pixels is not a whole number of ${h}×${w}×${c} images`, { path: name });
  }
  const length = images.length / size;
  if (length === 0) throw new GanKitError('EMPTY_DATASET', `${name} holds no images`, { path: name });
  if (labels && labels.length !== length) {
    throw new GanKitError('FILE_MISMATCH', `${name}: ${labels.length} labels for ${length} images (expected one label per image)`, { path: name });
  }
  let numClasses = options.numClasses;
  if (labels && numClasses === undefined) {
    let max = 0;
    for (const l of labels) if (l > max) max = l;
    numClasses = max + 1;
  }
  if (labels) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l < 0 || l >= (numClasses as number)) {
        throw new GanKitError('FILE_CORRUPT', `${name}: label ${l} at index ${i} is outside [0, ${numClasses})`, { path: name });
      }
    }
  }
  const get = (index: number): Example => {
    if (!Number.isInteger(index) || index < 0 || index >= length) {
      throw new GanKitError('INVALID_ARGUMENT', `${name}: index ${index} is outside [0, ${length})`, { path: name });
    }
    const image = images.subarray(index * size, (index + 1) * size);
    return labels ? { image, label: labels[index]! } : { image };
  };
  return {
    shape: [h, w, c],
    length,
    images,
    ...(labels ? { labels, numClasses } : {}),
    ...(options.classNames ? { classNames: options.classNames } : {}),
    get,
    examples: () => toAsyncIterable(length, get),
  };
}

/** Adapts `get(0..length-1)` to an async iterable. */
export function toAsyncIterable<T>(length: number, get: (index: number) => T): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let index = 0;
      return {
        next: () => Promise.resolve(index < length ? { value: get(index++), done: false } : { value: undefined, done: true }),
      };
    },
  };
}
