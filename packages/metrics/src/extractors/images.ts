import { GanKitError } from '@gankit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Checks that `images` is a uint8-valued [B, H, W, C] batch with C = 1 or 3; returns its shape. */
export function checkImageBatch(images: tf.Tensor, what: string): [number, number, number, number] {
  if (images.rank !== 4) {
    throw new GanKitError('SHAPE_MISMATCH', `${what}: expected images [B, H, W, C], got a rank-${images.rank} tensor [${images.shape.join(', ')}]`);
  }
  const [b = 0, h = 0, w = 0, c = 0] = images.shape;
  if (c !== 1 && c !== 3) throw new GanKitError('SHAPE_MISMATCH', `${what}: expected 1 or 3 channels (last axis), got ${c} in [${images.shape.join(', ')}]`);
  if (b < 1 || h < 1 || w < 1) throw new GanKitError('SHAPE_MISMATCH', `${what}: empty image batch [${images.shape.join(', ')}]`);
  return [b, h, w, c];
}

/** uint8-valued images → float32 RGB in [0, 255]; a single channel is replicated to three (as PIL's convert('RGB')). */
export function toRgbFloat(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const float = tf.cast(images, 'float32');
    return images.shape[3] === 1 ? tf.tile(float, [1, 1, 1, 3]) : float;
  });
}
