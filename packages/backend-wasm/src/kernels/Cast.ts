import * as tf from '@tensorflow/tfjs-core';
import { cast } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** bool → float32 casts in the element-wise SIMD module. */
export const castConfig: GanKitKernelConfig = {
  kernelName: tf.Cast,
  kernelFunc: cast,
  mode: 'replace',
  wraps: true,
};
