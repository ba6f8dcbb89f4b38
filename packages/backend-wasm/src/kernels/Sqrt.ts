import * as tf from '@tensorflow/tfjs-core';
import { sqrt } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** √x in the element-wise SIMD module. */
export const sqrtConfig: GanKitKernelConfig = {
  kernelName: tf.Sqrt,
  kernelFunc: sqrt,
  mode: 'replace',
  wraps: true,
};
