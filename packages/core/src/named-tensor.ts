import type * as tf from '@tensorflow/tfjs-core';

/** A tensor with its name (the shape of `tf.Optimizer.getWeights()` entries). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}
