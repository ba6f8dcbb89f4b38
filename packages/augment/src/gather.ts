import * as tf from '@tensorflow/tfjs-core';

/**
 * Differentiable row gather `out[k] = x[index[k]]` over a 2-D tensor `x` of shape [rows, C] (any order of
 * gradient): the gradient is the scatter-add of `dy` into `rows` rows, whose gradient is the gather again.
 * Written with `tf.customGrad` over GatherNd / ScatterNd, which the cpu, wasm and webgl backends all have
 * (tfjs-core's own GatherV2 gradient needs UnsortedSegmentSum, which the wasm backend lacks). The indices
 * stay a plain Int32Array and become tensors only inside each call, so nothing outlives a tidy scope.
 */
export function gatherRows(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const rows = x.shape[0];
  const channels = x.shape[1];
  const indexTensor = (): tf.Tensor2D => tf.tensor2d(index, [index.length, 1], 'int32');
  type Op = (t: tf.Tensor) => tf.Tensor;
  const gather: Op = tf.customGrad(((v: tf.Tensor) => ({
    value: tf.tidy(() => tf.gatherND(v, indexTensor())),
    gradFunc: (dy: tf.Tensor): tf.Tensor => scatter(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  const scatter: Op = tf.customGrad(((u: tf.Tensor) => ({
    value: tf.tidy(() => tf.scatterND(indexTensor(), u, [rows, channels])),
    gradFunc: (dv: tf.Tensor): tf.Tensor => gather(dv),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return gather(x) as tf.Tensor2D;
}

/**
 * `x` [N, H, W, C] flattened to rows [N·H·W + 1, C] whose last row is zeros, so an index of `N·H·W` reads 0
 * (zero padding for pixels sampled from outside the image).
 */
export function rowsWithZero(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.concat<tf.Tensor2D>([tf.reshape(x, [n * h * w, c]), tf.zeros([1, c])], 0);
}
