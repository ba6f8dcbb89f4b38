import * as tf from '@tensorflow/tfjs-core';
import { rsqrt } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** 1/√x in the element-wise SIMD module. */
export const rsqrtConfig: GanKitKernelConfig = {
  kernelName: tf.Rsqrt,
  kernelFunc: rsqrt,
  mode: 'replace',
  wraps: true,
};
