import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

/** Throws unless `x` is a float NHWC batch of images with at least one pixel. */
export function checkImages(x: tf.Tensor, what: string): asserts x is tf.Tensor4D {
  if (x.rank !== 4 || x.shape.some((d) => d < 1)) {
    throw new GanKitError('SHAPE_MISMATCH', `${what}: images have shape [${x.shape.join(', ')}]; expected a non-empty NHWC batch [N, H, W, C]`);
  }
  if (x.dtype !== 'float32') throw new GanKitError('INVALID_ARGUMENT', `${what}: images have dtype ${x.dtype}; expected float32 in [-1, 1]`);
}
