import { GanKitError } from '@gankit/core';

/** Image shape `[height, width, channels]` (NHWC without the batch axis). */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** Options every architecture accepts. */
export interface BaseOptions {
  /** Shape of one image `[H, W, C]`; generators output tanh images in [-1, 1] of this shape. */
  imageShape: ImageShape;
  /** Seed of every weight initializer: the same seed gives the same weights (default: unseeded). */
  seed?: number;
}

/** Options of a generator. */
export interface GeneratorBaseOptions extends BaseOptions {
  /** Size of the noise vector z, an input of shape [B, latentDim] (default 100; SNGAN-ResNet 128). */
  latentDim?: number;
}

/** Throws INVALID_ARGUMENT unless `value` is an integer ≥ `min`. */
export function checkInt(value: number, name: string, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new GanKitError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** Throws INVALID_ARGUMENT unless the shape has three positive integer dimensions. */
export function checkImageShape(shape: readonly number[]): ImageShape {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new GanKitError('INVALID_ARGUMENT', `imageShape must be [height, width, channels] of positive integers, got [${shape.join(', ')}]`);
  }
  return shape as unknown as ImageShape;
}
