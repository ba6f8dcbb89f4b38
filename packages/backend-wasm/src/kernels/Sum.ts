import * as tf from '@tensorflow/tfjs-core';
import { sum } from '../leading-axes-reduce';
import type { GanKitKernelConfig } from './kernel-config';

/** Sums over leading axes without a transpose. */
export const sumConfig: GanKitKernelConfig = {
  kernelName: tf.Sum,
  kernelFunc: sum,
  mode: 'replace',
  wraps: true,
};
