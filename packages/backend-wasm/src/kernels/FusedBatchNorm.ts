import * as tf from '@tensorflow/tfjs-core';
import { fusedBatchNorm } from '../elementwise/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** Batch normalisation (inference form) in the element-wise SIMD module. */
export const fusedBatchNormConfig: GanKitKernelConfig = {
  kernelName: tf.FusedBatchNorm,
  kernelFunc: fusedBatchNorm,
  mode: 'replace',
  wraps: true,
};
