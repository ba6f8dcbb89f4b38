import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type Rng } from '@gankit/core';
import { gatherRows, rowsWithZero } from './gather';
import { checkImages } from './validate';

/** The DiffAugment operations, in the order a policy applies them. */
export const DIFF_AUGMENT_OPS = ['color', 'translation', 'cutout'] as const;
/** One DiffAugment operation: `color` (brightness, saturation, contrast), `translation`, `cutout`. */
export type DiffAugmentOp = (typeof DIFF_AUGMENT_OPS)[number];

/** Options of DiffAugment; the defaults are the paper's. */
export interface DiffAugmentOptions {
  /** Largest shift as a fraction of the image side (default 1/8): shifts are integers in [-round(r·H), round(r·H)]. */
  translationRatio?: number;
  /** Side of the cut-out square as a fraction of the image side (default 1/2). */
  cutoutRatio?: number;
}

/** The random parameters of one DiffAugment call, one entry (or pair) per image; see `drawDiffAugmentParams`. */
export interface DiffAugmentParams {
  /** Ops in application order. */
  ops: DiffAugmentOp[];
  /** Brightness offset added to every pixel, U[-0.5, 0.5). */
  brightness?: Float32Array;
  /** Saturation factor around the per-pixel channel mean, U[0, 2). */
  saturation?: Float32Array;
  /** Contrast factor around the per-image mean, U[0.5, 1.5). */
  contrast?: Float32Array;
  /** Integer shift per image as (rows, columns) pairs: out[i, j] = x[i + dy, j + dx], zero outside. */
  translation?: Int32Array;
  /** Top-left corner (row, column) of the zeroed square per image, possibly outside the image (clipped). */
  cutout?: Int32Array;
  /** Size (rows, columns) of the zeroed square. */
  cutoutSize?: [number, number];
}

/** Parses a DiffAugment policy such as `color,translation,cutout` (any subset, comma-separated; '' is none). */
export function parseDiffAugmentPolicy(policy: string): DiffAugmentOp[] {
  const ops = policy.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const op of ops) {
    if (!(DIFF_AUGMENT_OPS as readonly string[]).includes(op)) {
      throw new GanKitError('UNKNOWN_NAME', `DiffAugment policy "${policy}": unknown op "${op}"; expected a comma-separated subset of ${DIFF_AUGMENT_OPS.join(', ')}`);
    }
  }
  if (new Set(ops).size !== ops.length) throw new GanKitError('INVALID_ARGUMENT', `DiffAugment policy "${policy}" names an op twice; expected each of ${DIFF_AUGMENT_OPS.join(', ')} at most once`);
  return DIFF_AUGMENT_OPS.filter((op) => ops.includes(op));
}

function ratio(value: number | undefined, fallback: number, name: string): number {
  const r = value ?? fallback;
  if (!Number.isFinite(r) || r < 0 || r > 1) throw new GanKitError('INVALID_ARGUMENT', `DiffAugment ${name} is ${String(value)}; expected a number in [0, 1]`);
  return r;
}

/** A uniform integer in [low, high] drawn from `rng`. */
function intIn(rng: Rng, low: number, high: number): number {
  return low + rng.int(high - low + 1);
}

/**
 * Draws the random parameters of DiffAugment for `n` images of `height`×`width` from `rng`, op by op in policy
 * order, image by image (so a run is deterministic per seed). Shift bound and cut-out size follow the paper's
 * code: `s = floor(H·1/8 + 0.5)`, shifts in [-s, s]; square side `floor(H·1/2 + 0.5)`, its centre anywhere
 * in the image.
 */
export function drawDiffAugmentParams(rng: Rng, n: number, height: number, width: number, policy: string | DiffAugmentOp[] = 'color,translation,cutout', options: DiffAugmentOptions = {}): DiffAugmentParams {
  const ops = typeof policy === 'string' ? parseDiffAugmentPolicy(policy) : parseDiffAugmentPolicy(policy.join(','));
  const params: DiffAugmentParams = { ops };
  if (ops.includes('color')) {
    params.brightness = Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
    params.saturation = Float32Array.from({ length: n }, () => rng.uniform() * 2);
    params.contrast = Float32Array.from({ length: n }, () => rng.uniform() + 0.5);
  }
  if (ops.includes('translation')) {
    const r = ratio(options.translationRatio, 0.125, 'translationRatio');
    const sy = Math.floor(height * r + 0.5);
    const sx = Math.floor(width * r + 0.5);
    const t = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      t[2 * i] = intIn(rng, -sy, sy);
      t[2 * i + 1] = intIn(rng, -sx, sx);
    }
    params.translation = t;
  }
  if (ops.includes('cutout')) {
    const r = ratio(options.cutoutRatio, 0.5, 'cutoutRatio');
    const ch = Math.floor(height * r + 0.5);
    const cw = Math.floor(width * r + 0.5);
    const c = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      // The paper's code: centre offset in [0, H + (1 - ch % 2)), square starts at centre - floor(ch / 2).
      c[2 * i] = intIn(rng, 0, height - (ch % 2)) - Math.floor(ch / 2);
      c[2 * i + 1] = intIn(rng, 0, width - (cw % 2)) - Math.floor(cw / 2);
    }
    params.cutout = c;
    params.cutoutSize = [ch, cw];
  }
  return params;
}

function perImage(values: Float32Array, n: number): tf.Tensor4D {
  return tf.tensor4d(values, [n, 1, 1, 1]);
}

function checkLength(what: string, values: ArrayLike<number>, expected: number): void {
  if (values.length !== expected) throw new GanKitError('SHAPE_MISMATCH', `DiffAugment ${what} has ${values.length} values; expected ${expected} for this batch`);
}

/** Shifts each image by an integer (dy, dx): out[i, j] = x[i + dy, j + dx], 0 where that is outside the image. */
export function translateImages(x: tf.Tensor4D, shifts: Int32Array): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  checkLength('translation', shifts, 2 * n);
  const zero = n * h * w;
  const index = new Int32Array(n * h * w);
  for (let b = 0; b < n; b++) {
    const dy = shifts[2 * b]!;
    const dx = shifts[2 * b + 1]!;
    for (let i = 0; i < h; i++) {
      const si = i + dy;
      for (let j = 0; j < w; j++) {
        const sj = j + dx;
        index[(b * h + i) * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? (b * h + si) * w + sj : zero;
      }
    }
  }
  return tf.tidy(() => tf.reshape(gatherRows(rowsWithZero(x), index), [n, h, w, c]));
}

/** The cut-out mask [N, H, W, 1]: 0 inside each image's square (clipped to the image), 1 elsewhere. */
export function cutoutMask(n: number, h: number, w: number, corners: Int32Array, size: [number, number]): Float32Array {
  const mask = new Float32Array(n * h * w).fill(1);
  for (let b = 0; b < n; b++) {
    const top = corners[2 * b]!;
    const left = corners[2 * b + 1]!;
    for (let i = Math.max(0, top); i < Math.min(h, top + size[0]); i++) {
      for (let j = Math.max(0, left); j < Math.min(w, left + size[1]); j++) mask[(b * h + i) * w + j] = 0;
    }
  }
  return mask;
}

/**
 * DiffAugment with explicit parameters (from `drawDiffAugmentParams`): differentiable w.r.t. `x`, NHWC images
 * in [-1, 1]. Color: x + b; (x - mean_c x)·s + mean_c x; (x - mean_hwc x)·c + mean_hwc x. Then translation
 * (zero padded), then cutout (zeroed square). Zhao et al., "Differentiable Augmentation for Data-Efficient GAN
 * Training", NeurIPS 2020.
 */
export function applyDiffAugment(x: tf.Tensor4D, params: DiffAugmentParams): tf.Tensor4D {
  checkImages(x, 'DiffAugment');
  const [n, h, w] = x.shape;
  return tf.tidy(() => {
    let y: tf.Tensor4D = x;
    for (const op of params.ops) {
      if (op === 'color') {
        const { brightness, saturation, contrast } = params;
        if (!brightness || !saturation || !contrast) throw new GanKitError('INVALID_ARGUMENT', 'DiffAugment params: policy has color but brightness/saturation/contrast are missing; expected drawDiffAugmentParams output');
        checkLength('brightness', brightness, n);
        checkLength('saturation', saturation, n);
        checkLength('contrast', contrast, n);
        y = tf.add(y, perImage(brightness, n));
        const channelMean = tf.mean(y, 3, true);
        y = tf.add(tf.mul(tf.sub(y, channelMean), perImage(saturation, n)), channelMean);
        const imageMean = tf.mean(y, [1, 2, 3], true);
        y = tf.add(tf.mul(tf.sub(y, imageMean), perImage(contrast, n)), imageMean);
      } else if (op === 'translation') {
        if (!params.translation) throw new GanKitError('INVALID_ARGUMENT', 'DiffAugment params: policy has translation but translation is missing; expected drawDiffAugmentParams output');
        y = translateImages(y, params.translation);
      } else {
        if (!params.cutout || !params.cutoutSize) throw new GanKitError('INVALID_ARGUMENT', 'DiffAugment params: policy has cutout but cutout/cutoutSize are missing; expected drawDiffAugmentParams output');
        checkLength('cutout', params.cutout, 2 * n);
        y = tf.mul(y, tf.tensor4d(cutoutMask(n, h, w, params.cutout, params.cutoutSize), [n, h, w, 1]));
      }
    }
    return y;
  });
}

/** DiffAugment of NHWC images with fresh parameters drawn from `rng` (see `drawDiffAugmentParams`). */
export function diffAugment(x: tf.Tensor4D, rng: Rng, policy: string | DiffAugmentOp[] = 'color,translation,cutout', options: DiffAugmentOptions = {}): tf.Tensor4D {
  checkImages(x, 'DiffAugment');
  const [n, h, w] = x.shape;
  return applyDiffAugment(x, drawDiffAugmentParams(rng, n, h, w, policy, options));
}
