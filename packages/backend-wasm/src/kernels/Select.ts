import * as tf from '@tensorflow/tfjs-core';
import { select } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** where(cond, a, b) in the element-wise SIMD module. */
export const selectConfig: GanKitKernelConfig = {
  kernelName: tf.Select,
  kernelFunc: select,
  mode: 'replace',
  wraps: true,
};
