import * as tf from '@tensorflow/tfjs-core';
import { leakyRelu } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** Leaky ReLU in gankit's element-wise SIMD module. */
export const leakyReluConfig: GanKitKernelConfig = {
  kernelName: tf.LeakyRelu,
  kernelFunc: leakyRelu,
  mode: 'replace',
  wraps: true,
};
