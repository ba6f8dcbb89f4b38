import * as tf from '@tensorflow/tfjs-core';
import { mean } from '../leading-axes-reduce';
import type { GanKitKernelConfig } from './kernel-config';

/** Means over leading axes without a transpose. */
export const meanConfig: GanKitKernelConfig = {
  kernelName: tf.Mean,
  kernelFunc: mean,
  mode: 'replace',
  wraps: true,
};
