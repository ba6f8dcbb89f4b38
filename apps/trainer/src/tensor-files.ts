import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type NamedTensor } from '@gankit/core';

/** A weight that can be overwritten (a layers `LayerVariable` or a wrapper of a `tf.Variable`). */
export interface WritableWeight {
  name: string;
  shape: number[];
  write(value: tf.Tensor): void;
}

/** Assigns saved values to weights in order, checking the count and every shape. */
export function assignInOrder(targets: WritableWeight[], saved: NamedTensor[], what: string): void {
  if (targets.length !== saved.length) {
    throw new GanKitError('FILE_MISMATCH', `${what}: the checkpoint has ${saved.length} tensors, the model has ${targets.length}; was the config changed?`);
  }
  targets.forEach((target, i) => {
    const value = (saved[i] as NamedTensor).tensor;
    if (value.shape.join(',') !== target.shape.join(',')) {
      throw new GanKitError('FILE_MISMATCH', `${what}: ${target.name} has shape [${target.shape.join(', ')}] but the checkpoint holds [${value.shape.join(', ')}]`);
    }
    target.write(value);
  });
}
