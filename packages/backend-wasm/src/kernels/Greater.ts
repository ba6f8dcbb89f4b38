import * as tf from '@tensorflow/tfjs-core';
import { greater } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** a > b (same shape or a scalar b) in the element-wise SIMD module. */
export const greaterConfig: GanKitKernelConfig = {
  kernelName: tf.Greater,
  kernelFunc: greater,
  mode: 'replace',
  wraps: true,
};
